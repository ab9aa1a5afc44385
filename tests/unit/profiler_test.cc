// Tests of session profiling: the Chrome trace that Session::end_profiling writes (parsed here with nlohmann-json,
// independently of kiln's own reader), the Profiler's recorder from several threads, and the per-op-type summary.
#include "runtime/profiler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "kiln/session.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

using Json = nlohmann::json;

// y = Relu(x + b) * c, x: [N, 3]: three nodes that no pass fuses or folds.
ModelBuilder three_node_model() {
    ModelBuilder b(17);
    b.input("x", {-1, 3}, 1, {"N", ""}).output("y", {-1, 3});
    b.initializer_floats("b", {3}, {1.0f, -2.0f, 0.5f});
    b.initializer_floats("c", {3}, {2.0f, 2.0f, 2.0f});
    b.node("Add", {"x", "b"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"r"}, "relu");
    b.node("Mul", {"r", "c"}, {"y"}, "mul");
    return b;
}

Json read_json(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in) << path;
    std::stringstream text;
    text << in.rdbuf();
    return Json::parse(text.str());
}

Tensor feed() { return Tensor::from_vector<float>(DType::Float, {2, 3}, {1, 1, 1, -5, 3, -1}); }

TEST(Profiler, SessionTraceHasOneNodeEventPerNodePerRunAndTheSessionEvents) {
    std::string dir = test_tmp_dir("profiler_trace");
    std::string model = three_node_model().write(dir + "/model.onnx");
    SessionOptions options;
    options.enable_profiling = true;
    options.profile_file_prefix = dir + "/trace";
    Session session(model, options);
    constexpr int kRuns = 3;
    for (int i = 0; i < kRuns; ++i) session.run({{"x", feed()}});

    std::string path = session.end_profiling();
    EXPECT_TRUE(std::regex_match(path, std::regex(".*/trace_\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}\\.json")))
        << path;
    Json trace = read_json(path);
    ASSERT_TRUE(trace.is_array());

    std::set<std::string> graph_nodes;
    for (const NodeAssignment& a : session.node_assignments()) graph_nodes.insert(a.node_name);
    EXPECT_EQ(graph_nodes, (std::set<std::string>{"add", "relu", "mul"}));

    std::map<std::string, int> session_events;
    std::map<std::string, std::set<int64_t>> runs_per_node;
    std::map<int64_t, std::pair<int64_t, int64_t>> run_spans;  // run -> [ts, ts + dur]
    for (const Json& e : trace) {
        for (const char* key : {"cat", "pid", "tid", "dur", "ts", "ph", "name", "args"}) {
            ASSERT_TRUE(e.contains(key)) << key << " missing in " << e.dump();
        }
        EXPECT_EQ(e["ph"], "X");
        EXPECT_GE(e["dur"].get<int64_t>(), 0) << e.dump();
        EXPECT_GE(e["ts"].get<int64_t>(), 0) << e.dump();
        std::string name = e["name"];
        if (e["cat"] == "Session") {
            session_events[name] += 1;
            if (name == "model_run") {
                run_spans[e["args"]["run"].get<int64_t>()] = {e["ts"],
                                                              e["ts"].get<int64_t>() + e["dur"].get<int64_t>()};
            }
            continue;
        }
        ASSERT_EQ(e["cat"], "Node") << e.dump();
        const std::string suffix = "_kernel_time";
        ASSERT_GT(name.size(), suffix.size());
        ASSERT_EQ(name.substr(name.size() - suffix.size()), suffix);
        std::string node = name.substr(0, name.size() - suffix.size());
        EXPECT_TRUE(graph_nodes.count(node)) << node;
        EXPECT_EQ(e["args"]["provider"], "CPUExecutionProvider");
        std::map<std::string, std::string> op_of = {{"add", "Add"}, {"relu", "Relu"}, {"mul", "Mul"}};
        EXPECT_EQ(e["args"]["op_name"], op_of[node]);
        EXPECT_TRUE(runs_per_node[node].insert(e["args"]["run"].get<int64_t>()).second) << "two events in one run";
    }
    EXPECT_EQ(session_events, (std::map<std::string, int>{
                                  {"model_loading_uri", 1}, {"session_initialization", 1}, {"model_run", kRuns}}));
    for (const std::string& node : graph_nodes) {
        EXPECT_EQ(runs_per_node[node], (std::set<int64_t>{0, 1, 2})) << node;
    }
    // Every node event lies within its run.
    for (const Json& e : trace) {
        if (e["cat"] != "Node") continue;
        auto [begin, end] = run_spans.at(e["args"]["run"].get<int64_t>());
        EXPECT_GE(e["ts"].get<int64_t>(), begin) << e.dump();
        EXPECT_LE(e["ts"].get<int64_t>() + e["dur"].get<int64_t>(), end) << e.dump();
    }

    // Profiling has stopped: a later run records nothing and a second end_profiling writes nothing.
    session.run({{"x", feed()}});
    EXPECT_EQ(session.end_profiling(), "");
    EXPECT_EQ(read_json(path).size(), trace.size());
}

TEST(Profiler, SessionFromBytesNamesItsLoadingEvent) {
    std::string dir = test_tmp_dir("profiler_bytes");
    std::string bytes = three_node_model().bytes();
    SessionOptions options;
    options.enable_profiling = true;
    options.profile_file_prefix = dir + "/bytes";
    Session session(bytes.data(), bytes.size(), options);
    std::vector<rt::ProfileEvent> events = rt::read_chrome_trace(session.end_profiling());
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].name, "model_loading_array");
    EXPECT_EQ(events[1].name, "session_initialization");
}

TEST(Profiler, NoProfilingWritesNothing) {
    std::string dir = test_tmp_dir("profiler_off");
    SessionOptions options;
    options.profile_file_prefix = dir + "/off";
    std::string bytes = three_node_model().bytes();
    Session session(bytes.data(), bytes.size(), options);
    session.run({{"x", feed()}});
    EXPECT_EQ(session.end_profiling(), "");
    EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(Profiler, UnwritableProfileIsAnErrorNamingTheFile) {
    SessionOptions options;
    options.enable_profiling = true;
    options.profile_file_prefix = test_tmp_dir("profiler_unwritable") + "/no/such/folder/p";
    std::string bytes = three_node_model().bytes();
    Session session(bytes.data(), bytes.size(), options);
    expect_error([&] { session.end_profiling(); }, ErrorCode::InvalidArgument, {"no/such/folder/p_"});
}

TEST(Profiler, ConcurrentRunsEachRecordEveryNode) {
    SessionOptions options;
    options.enable_profiling = true;
    options.profile_file_prefix = test_tmp_dir("profiler_concurrent") + "/c";
    std::string bytes = three_node_model().bytes();
    Session session(bytes.data(), bytes.size(), options);
    constexpr int kThreads = 4, kRunsEach = 5;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kRunsEach; ++i) session.run({{"x", feed()}});
        });
    }
    for (auto& t : threads) t.join();
    std::vector<rt::ProfileEvent> events = rt::read_chrome_trace(session.end_profiling());
    std::set<int64_t> runs;
    std::map<int64_t, int> nodes_per_run;
    for (const rt::ProfileEvent& e : events) {
        if (e.name == "model_run") {
            EXPECT_TRUE(runs.insert(e.run).second) << "run " << e.run << " twice";
        }
        if (e.category == rt::kNodeCategory) nodes_per_run[e.run] += 1;
    }
    EXPECT_EQ(runs.size(), size_t{kThreads * kRunsEach});
    EXPECT_EQ(*runs.begin(), 0);
    EXPECT_EQ(*runs.rbegin(), kThreads * kRunsEach - 1);
    for (int64_t run : runs) EXPECT_EQ(nodes_per_run[run], 3) << "run " << run;
}

TEST(Profiler, RecorderKeepsEveryEventFromEveryThreadAndStopsOnce) {
    rt::Profiler profiler;
    constexpr int kThreads = 4, kEach = 250;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                profiler.record("n_kernel_time", rt::kNodeCategory, rt::Profiler::Clock::now(), profiler.next_run(),
                                "Relu", "CPUExecutionProvider", {{"note", "x"}});
            }
        });
    }
    for (auto& t : threads) t.join();
    std::optional<std::vector<rt::ProfileEvent>> events = profiler.stop();
    ASSERT_TRUE(events);
    EXPECT_EQ(events->size(), size_t{kThreads * kEach});
    std::set<int64_t> runs;
    std::set<uint64_t> tids;
    for (const rt::ProfileEvent& e : *events) {
        runs.insert(e.run);
        tids.insert(e.thread_id);
        EXPECT_GE(e.duration_us, 0);
    }
    EXPECT_EQ(runs.size(), size_t{kThreads * kEach});  // next_run never hands out a number twice
    EXPECT_EQ(tids.size(), size_t{kThreads});
    EXPECT_FALSE(profiler.stop());
    profiler.record("late", rt::kSessionCategory, rt::Profiler::Clock::now());
    EXPECT_TRUE(profiler.events().empty());
}

rt::ProfileEvent node_event(const std::string& op, const std::string& provider, int64_t dur, int64_t run) {
    rt::ProfileEvent e;
    e.name = op + "_kernel_time";
    e.category = rt::kNodeCategory;
    e.op_type = op;
    e.provider = provider;
    e.duration_us = dur;
    e.run = run;
    return e;
}

rt::ProfileEvent run_event(int64_t dur, int64_t run) {
    rt::ProfileEvent e;
    e.name = "model_run";
    e.category = rt::kSessionCategory;
    e.duration_us = dur;
    e.run = run;
    return e;
}

TEST(Profiler, TraceRoundTripsThroughTheReader) {
    std::vector<rt::ProfileEvent> events = {run_event(100, 0), node_event("Conv", "CPUExecutionProvider", 40, 0)};
    events[1].start_us = 7;
    events[1].thread_id = 12;
    events[1].args = {{"shape", "[1,\"3\"]"}};
    std::string path = test_tmp_dir("profiler_roundtrip") + "/t.json";
    rt::write_chrome_trace(path, events);
    std::vector<rt::ProfileEvent> back = rt::read_chrome_trace(path);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].name, "model_run");
    EXPECT_EQ(back[0].run, 0);
    EXPECT_EQ(back[1].op_type, "Conv");
    EXPECT_EQ(back[1].provider, "CPUExecutionProvider");
    EXPECT_EQ(back[1].start_us, 7);
    EXPECT_EQ(back[1].duration_us, 40);
    EXPECT_EQ(back[1].thread_id, 12u);
    EXPECT_EQ(back[1].args, events[1].args);

    std::string bad = test_tmp_dir("profiler_bad") + "/bad.json";
    std::ofstream(bad) << "{\"not\": \"a trace\"}";
    expect_error([&] { rt::read_chrome_trace(bad); }, ErrorCode::InvalidArgument, {"bad.json"});
}

TEST(Profiler, SummaryByOpTypeSkipsTheWarmUp) {
    const std::string cpu = "CPUExecutionProvider", ov = "OpenVINOExecutionProvider";
    std::vector<rt::ProfileEvent> events = {
        run_event(1000, 0),
        node_event("Conv", cpu, 900, 0),  // the warm-up: left out
        run_event(200, 1),
        node_event("Conv", cpu, 60, 1),
        node_event("Conv", cpu, 40, 1),
        node_event("Relu", cpu, 10, 1),
        node_event("Conv", ov, 70, 1),
        run_event(200, 2),
        node_event("Conv", cpu, 50, 2),
        node_event("Relu", cpu, 30, 2),
    };
    std::vector<rt::OpTypeSummary> rows = rt::summarize_by_op_type(events, {0});
    ASSERT_EQ(rows.size(), 3u);
    // Conv/CPU: 60 + 40 + 50 = 150 us over 3, 150 / 400 of the run time; Conv/OpenVINO 70; Relu 40 over 2.
    EXPECT_EQ(rows[0].op_type, "Conv");
    EXPECT_EQ(rows[0].provider, cpu);
    EXPECT_EQ(rows[0].count, 3);
    EXPECT_EQ(rows[0].total_us, 150);
    EXPECT_DOUBLE_EQ(rows[0].average_us, 50.0);
    EXPECT_DOUBLE_EQ(rows[0].percent, 37.5);
    EXPECT_EQ(rows[1].provider, ov);
    EXPECT_EQ(rows[1].total_us, 70);
    EXPECT_DOUBLE_EQ(rows[1].percent, 17.5);
    EXPECT_EQ(rows[2].op_type, "Relu");
    EXPECT_EQ(rows[2].count, 2);
    EXPECT_DOUBLE_EQ(rows[2].average_us, 20.0);
    EXPECT_DOUBLE_EQ(rows[2].percent, 10.0);

    std::vector<rt::OpTypeSummary> all = rt::summarize_by_op_type(events);
    EXPECT_EQ(all[0].total_us, 1050);
    EXPECT_EQ(all[0].count, 4);
}

}  // namespace
}  // namespace kiln::test
