// The flags of `kiln perf`, which are onnxruntime_perf_test's: the same letters, defaults and meanings, so that
// scripts written for perf_test keep working. Every flag may be written -x VALUE, -x=VALUE, --x VALUE or --x=VALUE
// (perf_test's abseil flags accept both dashes); switches (-I, -l, -s, -v, -h) take no value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/session.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

enum class PerfMode { Duration, Times };

struct PerfFlags {
    std::string model;
    std::string result_file;             // second positional argument: per-request CSV lines are appended there
    std::string provider = "cpu";        // -e: "cpu" or "openvino"
    PerfMode mode = PerfMode::Duration;  // -m; -r switches to Times, -t to Duration (perf_test: -t wins over -r)
    int64_t repeat = 1000;               // -r
    int64_t duration_s = 600;            // -t
    int64_t concurrency = 1;             // -c
    int64_t intra_op_threads = 0;        // -x (0: kiln's default)
    int64_t inter_op_threads = 0;        // -y
    ProviderOptions provider_options;    // -i, split only: the provider validates them
    std::map<std::string, std::string> session_config;                        // -C
    GraphOptimizationLevel optimization_level = GraphOptimizationLevel::All;  // -o
    std::map<std::string, int64_t> dim_overrides;                             // --dim NAME=N, -f "NAME:N ..."
    bool generate_inputs = false;                                             // -I
    bool load_from_memory = false;                                            // -l
    int64_t seed = -1;                 // -S; -1: a seed from std::random_device, as perf_test
    std::string profile_file;          // -p
    std::string optimized_model_file;  // -u
    bool statistics = false;           // -s
    bool verbose = false;              // -v
    std::string json_file;             // --json
    bool help = false;                 // -h
};

// Parses `kiln perf`'s arguments. UsageError naming the flag on an unknown flag, a missing or bad value, or a
// missing model.
PerfFlags parse_perf_flags(const Args& args);

// "key|value key2|value2": perf_test's -i / -C grammar. Pairs are separated by whitespace; each needs a '|' after a
// non-empty key (the value may be empty); a key may appear once. UsageError naming `flag` otherwise.
std::map<std::string, std::string> parse_key_value_pairs(const std::string& flag, const std::string& text);

// The session options that the flags ask for (providers, threads, config entries, level, dims, profiling, -u).
SessionOptions perf_session_options(const PerfFlags& flags);

// The usage text of `kiln perf`.
extern const char* const kPerfUsage;

}  // namespace kiln::cli
