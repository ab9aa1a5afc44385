#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (the repository's .clang-format) makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h')
if ! clang-format --dry-run --Werror $files 2>/tmp/kiln_format.log; then
    grep -o '^[^:]*\.\(cc\|h\)' /tmp/kiln_format.log | sort -u | sed 's/^/needs clang-format: /' >&2
    exit 1
fi
echo "clang-format: $(echo "$files" | wc -l) files clean"
