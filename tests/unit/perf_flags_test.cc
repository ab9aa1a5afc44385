// Tests of kiln perf's flag parser (tools/kiln/perf_flags.h): every flag with a good and a bad value, the -i/-C
// grammar, perf_test's mode rules, and the session options the flags turn into. Bad input is a UsageError (exit 2)
// whose message names the flag.
#include "tools/kiln/perf_flags.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace kiln::test {
namespace {

using cli::Args;
using cli::parse_perf_flags;
using cli::PerfFlags;
using cli::PerfMode;
using cli::UsageError;

PerfFlags parse(Args args) {
    args.push_back("model.onnx");
    return parse_perf_flags(args);
}

// The UsageError's message for `args` (model appended), or "" when it parses.
std::string usage_error(Args args, bool add_model = true) {
    if (add_model) args.push_back("model.onnx");
    try {
        parse_perf_flags(args);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

TEST(PerfFlags, DefaultsAreOnnxruntimePerfTests) {
    PerfFlags f = parse({});
    EXPECT_EQ(f.model, "model.onnx");
    EXPECT_EQ(f.provider, "cpu");
    EXPECT_EQ(f.mode, PerfMode::Duration);
    EXPECT_EQ(f.repeat, 1000);
    EXPECT_EQ(f.duration_s, 600);
    EXPECT_EQ(f.concurrency, 1);
    EXPECT_EQ(f.intra_op_threads, 0);
    EXPECT_EQ(f.inter_op_threads, 0);
    EXPECT_EQ(f.optimization_level, GraphOptimizationLevel::All);
    EXPECT_EQ(f.seed, -1);
    EXPECT_FALSE(f.generate_inputs || f.load_from_memory || f.statistics || f.verbose || f.help);
    EXPECT_TRUE(f.provider_options.empty() && f.session_config.empty() && f.dim_overrides.empty());
    EXPECT_TRUE(f.profile_file.empty() && f.optimized_model_file.empty() && f.json_file.empty());
    EXPECT_TRUE(f.result_file.empty());
}

struct GoodCase {
    Args args;
    std::function<void(const PerfFlags&)> check;
};

TEST(PerfFlags, EveryFlagWithAGoodValue) {
    const std::vector<GoodCase> cases = {
        {{"-e", "openvino"}, [](const PerfFlags& f) { EXPECT_EQ(f.provider, "openvino"); }},
        {{"-e", "cpu"}, [](const PerfFlags& f) { EXPECT_EQ(f.provider, "cpu"); }},
        {{"-m", "times"}, [](const PerfFlags& f) { EXPECT_EQ(f.mode, PerfMode::Times); }},
        {{"-m", "duration"}, [](const PerfFlags& f) { EXPECT_EQ(f.mode, PerfMode::Duration); }},
        {{"-r", "5"},
         [](const PerfFlags& f) {
             EXPECT_EQ(f.repeat, 5);
             EXPECT_EQ(f.mode, PerfMode::Times);
         }},
        {{"-t", "3"},
         [](const PerfFlags& f) {
             EXPECT_EQ(f.duration_s, 3);
             EXPECT_EQ(f.mode, PerfMode::Duration);
         }},
        {{"-c", "4"}, [](const PerfFlags& f) { EXPECT_EQ(f.concurrency, 4); }},
        {{"-x", "2"}, [](const PerfFlags& f) { EXPECT_EQ(f.intra_op_threads, 2); }},
        {{"-x", "0"}, [](const PerfFlags& f) { EXPECT_EQ(f.intra_op_threads, 0); }},
        {{"-y", "3"}, [](const PerfFlags& f) { EXPECT_EQ(f.inter_op_threads, 3); }},
        {{"-e", "openvino", "-i", "device_type|CPU precision| cache_dir|/tmp/a|b"},
         [](const PerfFlags& f) {
             EXPECT_EQ(f.provider_options,
                       (ProviderOptions{{"device_type", "CPU"}, {"precision", ""}, {"cache_dir", "/tmp/a|b"}}));
         }},
        {{"-e", "cpu", "-i", "  "}, [](const PerfFlags& f) { EXPECT_TRUE(f.provider_options.empty()); }},
        {{"-C", "session.disable_cpu_ep_fallback|1   ep.context_enable|1"},
         [](const PerfFlags& f) {
             EXPECT_EQ(f.session_config, (std::map<std::string, std::string>{{"session.disable_cpu_ep_fallback", "1"},
                                                                             {"ep.context_enable", "1"}}));
         }},
        {{"-o", "0"}, [](const PerfFlags& f) { EXPECT_EQ(f.optimization_level, GraphOptimizationLevel::DisableAll); }},
        {{"-o", "1"}, [](const PerfFlags& f) { EXPECT_EQ(f.optimization_level, GraphOptimizationLevel::Basic); }},
        {{"-o", "2"}, [](const PerfFlags& f) { EXPECT_EQ(f.optimization_level, GraphOptimizationLevel::Extended); }},
        {{"-o", "99"}, [](const PerfFlags& f) { EXPECT_EQ(f.optimization_level, GraphOptimizationLevel::All); }},
        {{"-o", "150"}, [](const PerfFlags& f) { EXPECT_EQ(f.optimization_level, GraphOptimizationLevel::All); }},
        {{"-f", "batch:3 seq:128"},
         [](const PerfFlags& f) {
             EXPECT_EQ(f.dim_overrides, (std::map<std::string, int64_t>{{"batch", 3}, {"seq", 128}}));
         }},
        {{"--dim", "N=2", "--dim=seq=0"},
         [](const PerfFlags& f) {
             EXPECT_EQ(f.dim_overrides, (std::map<std::string, int64_t>{{"N", 2}, {"seq", 0}}));
         }},
        {{"-I"}, [](const PerfFlags& f) { EXPECT_TRUE(f.generate_inputs); }},
        {{"-l"}, [](const PerfFlags& f) { EXPECT_TRUE(f.load_from_memory); }},
        {{"-S", "42"}, [](const PerfFlags& f) { EXPECT_EQ(f.seed, 42); }},
        {{"-S", "-1"}, [](const PerfFlags& f) { EXPECT_EQ(f.seed, -1); }},
        {{"-p", "trace.json"}, [](const PerfFlags& f) { EXPECT_EQ(f.profile_file, "trace.json"); }},
        {{"-u", "opt.onnx"}, [](const PerfFlags& f) { EXPECT_EQ(f.optimized_model_file, "opt.onnx"); }},
        {{"-s"}, [](const PerfFlags& f) { EXPECT_TRUE(f.statistics); }},
        {{"-v"}, [](const PerfFlags& f) { EXPECT_TRUE(f.verbose); }},
        {{"--json", "out.json"}, [](const PerfFlags& f) { EXPECT_EQ(f.json_file, "out.json"); }},
        {{"-h"}, [](const PerfFlags& f) { EXPECT_TRUE(f.help); }},
        // perf_test's abseil spellings: -x=V, --x V, --x=V.
        {{"-r=7"}, [](const PerfFlags& f) { EXPECT_EQ(f.repeat, 7); }},
        {{"--r", "8"}, [](const PerfFlags& f) { EXPECT_EQ(f.repeat, 8); }},
        {{"--c=3", "--I", "--json=o.json"},
         [](const PerfFlags& f) {
             EXPECT_EQ(f.concurrency, 3);
             EXPECT_TRUE(f.generate_inputs);
             EXPECT_EQ(f.json_file, "o.json");
         }},
    };
    for (const GoodCase& c : cases) {
        SCOPED_TRACE(::testing::PrintToString(c.args));
        PerfFlags f;
        ASSERT_NO_THROW(f = parse(c.args));
        c.check(f);
    }
}

struct BadCase {
    Args args;
    std::string named;  // what the message must contain: the flag
};

TEST(PerfFlags, EveryFlagWithABadValueIsAUsageErrorNamingIt) {
    const std::vector<BadCase> cases = {
        {{"-e", "cuda"}, "'-e'"},
        {{"-m", "fast"}, "'-m'"},
        {{"-r", "0"}, "'-r'"},
        {{"-r", "ten"}, "'-r'"},
        {{"-t", "-1"}, "'-t'"},
        {{"-t", "1.5"}, "'-t'"},
        {{"-c", "0"}, "'-c'"},
        {{"-c", "100000"}, "'-c'"},
        {{"-x", "-1"}, "'-x'"},
        {{"-y", "a"}, "'-y'"},
        {{"-e", "openvino", "-i", "device_type"}, "'-i'"},
        {{"-e", "openvino", "-i", "|CPU"}, "'-i'"},
        {{"-e", "openvino", "-i", "device_type|CPU device_type|GPU"}, "'-i'"},
        {{"-i", "device_type|CPU"}, "'-i'"},  // the cpu provider takes no options
        {{"-e", "cpu", "-i", "num_of_threads|2"}, "'-i'"},
        {{"-C", "session.x"}, "'-C'"},
        {{"-C", "a|1 a|2"}, "'-C'"},
        {{"-o", "3"}, "'-o'"},
        {{"-o", "-1"}, "'-o'"},
        {{"-o", "all"}, "'-o'"},
        {{"-f", "batch"}, "'-f'"},
        {{"-f", "batch:0"}, "'-f'"},
        {{"-f", ""}, "'-f'"},
        {{"--dim", "N"}, "'--dim'"},
        {{"--dim", "N=-1"}, "'--dim'"},
        {{"-I=1"}, "'-I'"},
        {{"-l=true"}, "'-l'"},
        {{"-S", "x"}, "'-S'"},
        {{"-p", ""}, "'-p'"},
        {{"-u", ""}, "'-u'"},
        {{"-s=1"}, "'-s'"},
        {{"-v=0"}, "'-v'"},
        {{"--json", ""}, "'--json'"},
        {{"-h=1"}, "'-h'"},
        {{"-Q"}, "'-Q'"},
        {{"--threads", "2"}, "'--threads'"},
        {{"model2.onnx", "results.csv"}, "'model.onnx'"},  // a third positional argument
    };
    for (const BadCase& c : cases) {
        SCOPED_TRACE(::testing::PrintToString(c.args));
        std::string message = usage_error(c.args);
        ASSERT_FALSE(message.empty()) << "no UsageError";
        EXPECT_NE(message.find(c.named), std::string::npos) << message;
    }
}

TEST(PerfFlags, AFlagAtTheEndWithoutItsValueIsNamed) {
    std::string message = usage_error({"model.onnx", "-r"}, false);
    EXPECT_NE(message.find("'-r' needs a value"), std::string::npos) << message;
}

TEST(PerfFlags, ModelIsRequiredExceptForHelp) {
    EXPECT_NE(usage_error({"-I"}, false).find("no model"), std::string::npos);
    EXPECT_TRUE(parse_perf_flags({"-h"}).help);
}

TEST(PerfFlags, ResultFileIsTheSecondPositional) {
    PerfFlags f = parse_perf_flags({"model.onnx", "-r", "2", "results.csv"});
    EXPECT_EQ(f.model, "model.onnx");
    EXPECT_EQ(f.result_file, "results.csv");
}

TEST(PerfFlags, ModeFollowsPerfTestRules) {
    // Giving -r selects times and giving -t selects duration, whatever -m says; with both, -t wins.
    EXPECT_EQ(parse({"-m", "duration", "-r", "5"}).mode, PerfMode::Times);
    EXPECT_EQ(parse({"-r", "5", "-m", "duration"}).mode, PerfMode::Times);
    EXPECT_EQ(parse({"-m", "times", "-t", "5"}).mode, PerfMode::Duration);
    EXPECT_EQ(parse({"-t", "5", "-r", "5"}).mode, PerfMode::Duration);
    EXPECT_EQ(parse({"-m", "times"}).mode, PerfMode::Times);
}

TEST(PerfFlags, KeyValueGrammar) {
    using Map = std::map<std::string, std::string>;
    EXPECT_EQ(cli::parse_key_value_pairs("-C", ""), Map{});
    EXPECT_EQ(cli::parse_key_value_pairs("-C", " a|1\tb|2\n c| "), (Map{{"a", "1"}, {"b", "2"}, {"c", ""}}));
    EXPECT_EQ(cli::parse_key_value_pairs("-C", "k|v|w"), (Map{{"k", "v|w"}}));
    try {
        cli::parse_key_value_pairs("-Z", "a|1 nobar");
        FAIL() << "no UsageError";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("'-Z'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("'nobar'"), std::string::npos) << e.what();
    }
}

TEST(PerfFlags, SessionOptionsCarryEveryFlag) {
    PerfFlags f = parse({"-e", "openvino", "-i", "device_type|CPU load_config|cfg.json", "-x", "3", "-y", "2", "-C",
                         "ep.context_enable|1", "-o", "1", "-f", "N:4", "-p", "trace.json", "-u", "opt.onnx"});
    SessionOptions o = cli::perf_session_options(f);
    ASSERT_EQ(o.providers.size(), 1u);
    EXPECT_EQ(o.providers[0].name, "OpenVINOExecutionProvider");
    EXPECT_EQ(o.providers[0].options, (ProviderOptions{{"device_type", "CPU"}, {"load_config", "cfg.json"}}));
    EXPECT_EQ(o.intra_op_threads, 3);
    EXPECT_EQ(o.inter_op_threads, 2);
    EXPECT_EQ(o.config_entry("ep.context_enable"), "1");
    EXPECT_EQ(o.optimization_level, GraphOptimizationLevel::Basic);
    EXPECT_EQ(o.dim_overrides, (std::map<std::string, int64_t>{{"N", 4}}));
    EXPECT_TRUE(o.enable_profiling);
    EXPECT_EQ(o.profile_file_prefix, "trace.json");
    EXPECT_EQ(o.optimized_model_filepath, "opt.onnx");

    SessionOptions plain = cli::perf_session_options(parse({}));
    EXPECT_TRUE(plain.providers.empty());
    EXPECT_FALSE(plain.enable_profiling);
    EXPECT_TRUE(plain.optimized_model_filepath.empty());
}

}  // namespace
}  // namespace kiln::test
