// The kiln CLI's subcommands. Each takes its arguments (after the subcommand name) and returns the exit code;
// kiln::Error propagates to main, which prints one line and exits 1. UsageError means exit 2.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace kiln::cli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using Args = std::vector<std::string>;

int run_command(const Args& args);
int ops_command(const Args& args);
int perf_command(const Args& args);
int devices_command(const Args& args);
int compile_command(const Args& args);

// "--name=value" or "--name value": the value, advancing i; UsageError when missing.
std::string flag_value(const Args& args, size_t& i);
// Integer from a flag value; UsageError naming the flag on a bad number.
int64_t parse_int(const std::string& flag, const std::string& text);

}  // namespace kiln::cli
