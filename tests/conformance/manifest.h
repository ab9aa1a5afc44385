// The conformance manifest: one line per ONNX backend test, `<category>/<test> pass` or
// `<category>/<test> skip <reason>`; blank lines and lines starting with '#' are ignored. See README.md.
#pragma once

#include <map>
#include <string>

namespace kiln::conformance {

struct ManifestEntry {
    bool pass = false;
    std::string reason;  // for skip entries; never empty there
};

using Manifest = std::map<std::string, ManifestEntry>;  // sorted by test name

// Reads `path`; a missing file reads as empty when `allow_missing`. Throws kiln::Error (InvalidArgument) naming the
// file and line for a malformed line (unknown status, skip without reason, duplicate test), NotFound otherwise.
Manifest read_manifest(const std::string& path, bool allow_missing);

// Writes the manifest, sorted, with a header comment that says how to regenerate it.
void write_manifest(const std::string& path, const Manifest& manifest, const std::string& provider);

}  // namespace kiln::conformance
