#include "tools/kiln/perf_flags.h"

#include <cctype>
#include <sstream>

namespace kiln::cli {

const char* const kPerfUsage =
    "usage: kiln perf [options] MODEL [RESULT_FILE]\n"
    "\n"
    "Measures inference latency and throughput like onnxruntime_perf_test (same flags, defaults and output).\n"
    "Inputs come from MODEL's folder (test_data_set_0/input_N.pb) unless -I generates them.\n"
    "Flags take their value as -x V, -x=V, --x V or --x=V.\n"
    "\n"
    "  -e cpu|openvino     execution provider (default cpu)\n"
    "  -m duration|times   test mode (default duration); -r selects times, -t selects duration\n"
    "  -r N                runs in times mode (default 1000)\n"
    "  -t S                seconds in duration mode (default 600)\n"
    "  -c N                concurrent run calls on the one session (default 1)\n"
    "  -x N                intra-op threads (default 0: one per physical core)\n"
    "  -y N                inter-op threads (default 0)\n"
    "  -i \"k|v k|v\"        provider options, handed to the provider as given (needs -e openvino)\n"
    "  -C \"k|v k|v\"        session config entries\n"
    "  -o 0|1|2|99         graph optimisation level (default 99; above 99 means 99)\n"
    "  -I                  generate random inputs (symbolic dims = 1 unless overridden)\n"
    "  -f \"NAME:N ...\"     override symbolic dims by name (N > 0)\n"
    "  --dim NAME=N        override one symbolic dim (repeatable)\n"
    "  -S SEED             seed for -I (default -1: a random seed)\n"
    "  -l                  create the session from the model's bytes in memory\n"
    "  -p FILE             profile the runs; write the Chrome trace to FILE\n"
    "  -u FILE             save the optimised model to FILE\n"
    "  -s                  print latency statistics (always without RESULT_FILE); with -p, time per op type\n"
    "  -v                  verbose: session options and which provider runs each node\n"
    "  --json FILE         write the results as JSON\n"
    "  -h                  this help\n"
    "\n"
    "RESULT_FILE, when given, gets one line per request appended (model,latency_s,peak_bytes,cpu_percent,index),\n"
    "then, with -s, the latency statistics.\n";

namespace {

struct FlagSpec {
    const char* name;  // without dashes
    bool takes_value;
    void (*apply)(PerfFlags& flags, const std::string& flag, const std::string& value);
};

int64_t positive(const std::string& flag, const std::string& text) {
    int64_t v = parse_int(flag, text);
    if (v <= 0) throw UsageError("flag '" + flag + "': '" + text + "' must be a positive integer");
    return v;
}

// Threads and concurrent runs: at least `minimum`, and few enough to start.
int64_t thread_count(const std::string& flag, const std::string& text, int64_t minimum) {
    constexpr int64_t kMaxThreads = 65536;
    int64_t v = parse_int(flag, text);
    if (v < minimum || v > kMaxThreads) {
        throw UsageError("flag '" + flag + "': '" + text + "' must be from " + std::to_string(minimum) + " to " +
                         std::to_string(kMaxThreads));
    }
    return v;
}

std::string non_empty(const std::string& flag, const std::string& text) {
    if (text.empty()) throw UsageError("flag '" + flag + "' needs a non-empty value");
    return text;
}

// "NAME<separator>N": a symbolic dim's value, at least `minimum`.
void add_dim(PerfFlags& f, const std::string& flag, const std::string& text, char separator, int64_t minimum) {
    auto at = text.rfind(separator);
    if (at == std::string::npos || at == 0) {
        throw UsageError("flag '" + flag + "' expects NAME" + separator + "N, got '" + text + "'");
    }
    int64_t v = parse_int(flag, text.substr(at + 1));
    if (v < minimum) {
        throw UsageError("flag '" + flag + "': the size of '" + text.substr(0, at) + "' must be at least " +
                         std::to_string(minimum));
    }
    f.dim_overrides[text.substr(0, at)] = v;
}

std::vector<std::string> split_whitespace(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> tokens;
    for (std::string token; in >> token;) tokens.push_back(token);
    return tokens;
}

// Every flag of kiln perf, once. Letters and meanings are perf_test's; --dim and --json are kiln's.
const FlagSpec kFlags[] = {
    {"e", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         if (v != "cpu" && v != "openvino") {
             throw UsageError("flag '" + flag + "': '" + v + "' is not a provider of kiln (cpu, openvino)");
         }
         f.provider = v;
     }},
    {"m", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         if (v == "duration") {
             f.mode = PerfMode::Duration;
         } else if (v == "times") {
             f.mode = PerfMode::Times;
         } else {
             throw UsageError("flag '" + flag + "': '" + v + "' is not a test mode (duration, times)");
         }
     }},
    {"r", true, [](PerfFlags& f, const std::string& flag, const std::string& v) { f.repeat = positive(flag, v); }},
    {"t", true, [](PerfFlags& f, const std::string& flag, const std::string& v) { f.duration_s = positive(flag, v); }},
    {"c", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) { f.concurrency = thread_count(flag, v, 1); }},
    {"x", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         f.intra_op_threads = thread_count(flag, v, 0);
     }},
    {"y", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         f.inter_op_threads = thread_count(flag, v, 0);
     }},
    {"i", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         f.provider_options = parse_key_value_pairs(flag, v);
     }},
    {"C", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         f.session_config = parse_key_value_pairs(flag, v);
     }},
    {"o", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         int64_t level = parse_int(flag, v);
         if (level > 99) level = 99;  // perf_test relaxes levels above 99 to 99
         if (level != 0 && level != 1 && level != 2 && level != 99) {
             throw UsageError("flag '" + flag + "': '" + v + "' is not an optimisation level (0, 1, 2, 99)");
         }
         f.optimization_level = static_cast<GraphOptimizationLevel>(level);
     }},
    {"f", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) {
         std::vector<std::string> items = split_whitespace(v);
         if (items.empty()) throw UsageError("flag '" + flag + "' expects \"NAME:N ...\"");
         for (const std::string& item : items) add_dim(f, flag, item, ':', 1);
     }},
    {"dim", true, [](PerfFlags& f, const std::string& flag, const std::string& v) { add_dim(f, flag, v, '=', 0); }},
    {"I", false, [](PerfFlags& f, const std::string&, const std::string&) { f.generate_inputs = true; }},
    {"l", false, [](PerfFlags& f, const std::string&, const std::string&) { f.load_from_memory = true; }},
    {"S", true, [](PerfFlags& f, const std::string& flag, const std::string& v) { f.seed = parse_int(flag, v); }},
    {"p", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) { f.profile_file = non_empty(flag, v); }},
    {"u", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) { f.optimized_model_file = non_empty(flag, v); }},
    {"s", false, [](PerfFlags& f, const std::string&, const std::string&) { f.statistics = true; }},
    {"v", false, [](PerfFlags& f, const std::string&, const std::string&) { f.verbose = true; }},
    {"json", true,
     [](PerfFlags& f, const std::string& flag, const std::string& v) { f.json_file = non_empty(flag, v); }},
    {"h", false, [](PerfFlags& f, const std::string&, const std::string&) { f.help = true; }},
    {"help", false, [](PerfFlags& f, const std::string&, const std::string&) { f.help = true; }},
};

const FlagSpec* find_flag(const std::string& name) {
    for (const FlagSpec& spec : kFlags) {
        if (name == spec.name) return &spec;
    }
    return nullptr;
}

}  // namespace

std::map<std::string, std::string> parse_key_value_pairs(const std::string& flag, const std::string& text) {
    std::map<std::string, std::string> pairs;
    for (const std::string& token : split_whitespace(text)) {
        auto bar = token.find('|');
        if (bar == std::string::npos || bar == 0) {
            throw UsageError("flag '" + flag + "': '" + token + "' is not key|value (use a '|' between them)");
        }
        std::string key = token.substr(0, bar);
        if (!pairs.emplace(key, token.substr(bar + 1)).second) {
            throw UsageError("flag '" + flag + "': key '" + key + "' is given twice");
        }
    }
    return pairs;
}

PerfFlags parse_perf_flags(const Args& args) {
    PerfFlags f;
    bool repeat_given = false, duration_given = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 2 || arg[0] != '-') {
            if (f.model.empty()) {
                f.model = arg;
            } else if (f.result_file.empty()) {
                f.result_file = arg;
            } else {
                throw UsageError("unexpected argument '" + arg + "' (kiln perf [options] MODEL [RESULT_FILE])");
            }
            continue;
        }
        size_t dashes = arg.rfind("--", 0) == 0 ? 2 : 1;
        size_t eq = arg.find('=');
        std::string name = arg.substr(dashes, eq == std::string::npos ? std::string::npos : eq - dashes);
        const FlagSpec* spec = find_flag(name);
        if (!spec) throw UsageError("unknown flag '" + arg + "' (see kiln perf -h)");
        std::string flag = std::string(dashes, '-') + name;
        std::string value;
        if (eq != std::string::npos) {
            if (!spec->takes_value) throw UsageError("flag '" + flag + "' takes no value");
            value = arg.substr(eq + 1);
        } else if (spec->takes_value) {
            if (i + 1 >= args.size()) throw UsageError("flag '" + flag + "' needs a value");
            value = args[++i];
        }
        spec->apply(f, flag, value);
        repeat_given |= name == "r";
        duration_given |= name == "t";
    }
    // As perf_test: giving -r selects times mode and giving -t selects duration mode, whatever -m says; -t wins.
    if (repeat_given) f.mode = PerfMode::Times;
    if (duration_given) f.mode = PerfMode::Duration;
    if (f.help) return f;
    if (f.model.empty()) throw UsageError("no model given (kiln perf [options] MODEL)");
    if (!f.provider_options.empty() && f.provider != "openvino") {
        throw UsageError("flag '-i': provider options need -e openvino (the cpu provider takes none)");
    }
    return f;
}

SessionOptions perf_session_options(const PerfFlags& flags) {
    SessionOptions options;
    if (flags.provider == "openvino") options.append_provider("OpenVINOExecutionProvider", flags.provider_options);
    options.intra_op_threads = static_cast<int>(flags.intra_op_threads);
    options.inter_op_threads = static_cast<int>(flags.inter_op_threads);
    for (const auto& [key, value] : flags.session_config) options.add_config_entry(key, value);
    options.optimization_level = flags.optimization_level;
    options.dim_overrides = flags.dim_overrides;
    if (!flags.profile_file.empty()) {
        options.enable_profiling = true;
        options.profile_file_prefix = flags.profile_file;  // kiln perf renames the trace to exactly this name
    }
    options.optimized_model_filepath = flags.optimized_model_file;
    return options;
}

}  // namespace kiln::cli
