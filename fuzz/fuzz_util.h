// Shared by the libFuzzer targets: what a target does with a session that loaded, and a scratch folder.
#pragma once

#include <string>

#include "kiln/session.h"

namespace kiln::fuzz {

// Runs `session` once on zero-filled inputs when that is cheap: every input a tensor whose shape is known (symbolic
// dims taken as 1) with at most a few thousand elements, no output whose known dims make it large, and no Loop or
// Scan (their trip counts come from the model, so a run could legitimately take any time). kiln::Error from the run is
// an expected outcome.
void run_when_small(const Session& session);

// An expected error: printed to stderr when KILN_FUZZ_VERBOSE is set (to see where inputs are refused).
void expected(const Error& error);

// A fresh empty folder for this process under the build's fuzz scratch folder (KILN_FUZZ_TMP/<name>.<pid>).
std::string scratch_dir(const std::string& name);

// Writes `bytes` to `folder`/`file` when `folder` is not empty (the seed corpus a target can make itself).
void write_seed(const std::string& folder, const std::string& file, const std::string& bytes);

}  // namespace kiln::fuzz
