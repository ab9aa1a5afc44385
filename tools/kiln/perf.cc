// kiln perf MODEL: latency and throughput of a model, measured and printed as onnxruntime_perf_test does (flags in
// perf_flags.h, statistics in perf_stats.h). One warm-up run, then runs until the count (-m times) or the time
// (-m duration) is reached, from -c threads calling Session::run concurrently, each run's latency recorded.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <system_error>
#include <thread>

#include "kiln/kiln.h"
#include "onnx/loader.h"
#include "runtime/profiler.h"
#include "tools/kiln/commands.h"
#include "tools/kiln/perf_flags.h"
#include "tools/kiln/perf_stats.h"
#include "tools/kiln/random_inputs.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

std::string read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    KILN_CHECK(in, NotFound, "cannot open model '", path, "'");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

Session create_session(const PerfFlags& f, const SessionOptions& options) {
    if (!f.load_from_memory) return Session(f.model, options);
    std::string bytes = read_file_bytes(f.model);
    return Session(bytes.data(), bytes.size(), options, fs::absolute(f.model).parent_path().string());
}

// perf_test's feeds without -I: test_data_set_0/input_<N>.pb next to the model, the N-th for the N-th input.
std::vector<NamedTensor> test_data_feeds(const Session& session, const std::string& model) {
    fs::path dir = fs::absolute(model).parent_path() / "test_data_set_0";
    std::vector<NamedTensor> feeds;
    for (size_t i = 0; i < session.inputs().size(); ++i) {
        fs::path file = dir / ("input_" + std::to_string(i) + ".pb");
        KILN_CHECK(fs::is_regular_file(file), NotFound, "no input data for '", model, "': ", file.string(),
                   " is missing (kiln perf -I generates random inputs)");
        feeds.push_back({session.inputs()[i].name, onnx::load_tensor_file(file.string())});
    }
    fs::path extra = dir / ("input_" + std::to_string(session.inputs().size()) + ".pb");
    KILN_CHECK(!fs::exists(extra), InvalidArgument, "test data ", dir.string(),
               " has more input files than the model's ", session.inputs().size(), " inputs (", extra.string(), ")");
    return feeds;
}

std::vector<NamedTensor> generated_feeds(const Session& session, const PerfFlags& f, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<NamedTensor> feeds;
    for (const ValueInfo& in : session.inputs()) feeds.push_back({in.name, random_input(in, f.dim_overrides, rng)});
    return feeds;
}

void print_verbose(const Session& session, const PerfFlags& f, const std::vector<NamedTensor>& feeds,
                   const std::string& input_source) {
    const SessionOptions& o = session.options();
    std::printf("Session options:\n");
    for (const ProviderEntry& p : o.providers) {
        std::printf("  provider: %s\n", p.name.c_str());
        for (const auto& [k, v] : p.options) std::printf("    %s = %s\n", k.c_str(), v.c_str());
    }
    std::printf("  provider: CPUExecutionProvider (always last)\n");
    std::printf("  intra_op_threads: %d\n  inter_op_threads: %d\n  graph optimization level: %d\n", o.intra_op_threads,
                o.inter_op_threads, static_cast<int>(o.optimization_level));
    for (const auto& [k, v] : o.config_entries) std::printf("  config %s = %s\n", k.c_str(), v.c_str());
    for (const auto& [k, v] : o.dim_overrides) std::printf("  dim %s = %lld\n", k.c_str(), static_cast<long long>(v));
    if (o.enable_profiling) std::printf("  profiling to %s\n", f.profile_file.c_str());
    if (!o.optimized_model_filepath.empty()) std::printf("  optimized model: %s\n", o.optimized_model_filepath.c_str());
    std::printf("Inputs (%s):\n", input_source.c_str());
    for (const NamedTensor& t : feeds) {
        std::printf("  %s  %s  %s\n", t.name.c_str(), dtype_name(t.tensor.dtype()),
                    shape_to_string(t.tensor.shape()).c_str());
    }
    std::vector<std::string> providers;
    for (const NodeAssignment& a : session.node_assignments()) {
        if (std::find(providers.begin(), providers.end(), a.provider) == providers.end())
            providers.push_back(a.provider);
    }
    std::printf("Node assignments:\n");
    for (const std::string& provider : providers) {
        size_t count = std::count_if(session.node_assignments().begin(), session.node_assignments().end(),
                                     [&](const NodeAssignment& a) { return a.provider == provider; });
        std::printf("  %s: %zu nodes\n", provider.c_str(), count);
        for (const NodeAssignment& a : session.node_assignments()) {
            if (a.provider != provider) continue;
            std::printf("    %s (%s)%s%s\n", a.node_name.c_str(), a.op_type.c_str(), a.reason.empty() ? "" : "  # ",
                        a.reason.c_str());
        }
    }
    std::vector<CompiledPartitionInfo> compiled = session.compiled_partitions();
    if (!compiled.empty()) std::printf("Compiled subgraphs:\n");
    for (const CompiledPartitionInfo& p : compiled) {
        std::printf("  %s (%s, %zu nodes): %s\n", p.name.c_str(), p.provider.c_str(), p.node_count,
                    p.description.c_str());
    }
    std::fflush(stdout);
}

// "\r..." progress on stderr while the runs last, when stderr is a terminal and the runs take over a second.
class Progress {
  public:
    Progress(const PerfFlags& f, const std::atomic<int64_t>& done) : flags_(f), done_(done) {
        if (isatty(STDERR_FILENO)) thread_ = std::thread([this] { loop(); });
    }
    ~Progress() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            finished_ = true;
        }
        wake_.notify_all();
        thread_.join();
        if (width_ > 0) std::fprintf(stderr, "\r%*s\r", width_, "");
    }

  private:
    void loop() {
        auto start = Clock::now();
        std::unique_lock<std::mutex> lock(mutex_);
        while (!wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return finished_; })) {
            double elapsed = seconds_between(start, Clock::now());
            if (elapsed < 1.0) continue;
            long long done = static_cast<long long>(done_.load());
            char line[128];
            if (flags_.mode == PerfMode::Times) {
                std::snprintf(line, sizeof line, "kiln perf: %lld/%lld runs, %.1f s", done,
                              static_cast<long long>(flags_.repeat), elapsed);
            } else {
                std::snprintf(line, sizeof line, "kiln perf: %lld runs, %.1f/%lld s", done, elapsed,
                              static_cast<long long>(flags_.duration_s));
            }
            int n = std::fprintf(stderr, "\r%-*s", width_, line) - 1;
            width_ = std::max(width_, n);
        }
    }

    const PerfFlags& flags_;
    const std::atomic<int64_t>& done_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool finished_ = false;
    int width_ = 0;
    std::thread thread_;
};

struct TimedRuns {
    std::vector<double> latencies_s;  // every timed run, all threads together
    double wall_s = 0;                // from the first run's start to the last run's end
    double cpu_percent = 0;           // process CPU time over wall time, as perf_test's "Avg CPU usage"
};

// -c threads (the calling thread when 1) run the session until -r runs have started (times) or -t seconds have
// passed (duration). The first error stops every thread and is rethrown.
TimedRuns timed_runs(const Session& session, const std::vector<NamedTensor>& feeds, const PerfFlags& f) {
    std::atomic<int64_t> started{0}, done{0};
    std::atomic<bool> stop{false};
    std::mutex error_mutex;
    std::exception_ptr error;
    std::vector<std::vector<double>> latencies(static_cast<size_t>(f.concurrency));
    double cpu_start = process_cpu_seconds();
    Clock::time_point start = Clock::now();
    Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(static_cast<double>(f.duration_s)));
    auto worker = [&](std::vector<double>& mine) {
        try {
            while (!stop.load(std::memory_order_relaxed)) {
                if (f.mode == PerfMode::Times ? started.fetch_add(1) >= f.repeat : Clock::now() >= deadline) break;
                Clock::time_point t0 = Clock::now();
                session.run(feeds);
                mine.push_back(seconds_between(t0, Clock::now()));
                done.fetch_add(1, std::memory_order_relaxed);
            }
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!error) error = std::current_exception();
            stop = true;
        }
    };
    Clock::time_point end;
    {
        Progress progress(f, done);
        if (f.concurrency == 1) {
            worker(latencies[0]);
        } else {
            std::vector<std::thread> threads;
            try {
                for (auto& mine : latencies) threads.emplace_back(worker, std::ref(mine));
            } catch (const std::system_error& e) {
                stop = true;
                for (auto& t : threads) t.join();
                fail(ErrorCode::InvalidArgument, "cannot start ", f.concurrency, " threads for -c: ", e.what());
            }
            for (auto& t : threads) t.join();
        }
        end = Clock::now();
    }
    if (error) std::rethrow_exception(error);
    TimedRuns r;
    r.wall_s = seconds_between(start, end);
    r.cpu_percent = r.wall_s > 0 ? 100.0 * (process_cpu_seconds() - cpu_start) / r.wall_s : 0;
    for (auto& mine : latencies) r.latencies_s.insert(r.latencies_s.end(), mine.begin(), mine.end());
    return r;
}

// perf_test's result-file name for the model: its folder's name, without a "test_" prefix.
std::string result_model_name(const std::string& model) {
    std::string name = fs::absolute(model).parent_path().filename().string();
    return name.rfind("test_", 0) == 0 ? name.substr(5) : name;
}

void print_percentiles(std::FILE* out, const LatencyStats& s) {
    std::fprintf(out, "Min Latency: %g s\n", s.min_s);
    std::fprintf(out, "Max Latency: %g s\n", s.max_s);
    std::fprintf(out, "P50 Latency: %g s\n", s.p50_s);
    std::fprintf(out, "P90 Latency: %g s\n", s.p90_s);
    std::fprintf(out, "P95 Latency: %g s\n", s.p95_s);
    std::fprintf(out, "P99 Latency: %g s\n", s.p99_s);
    std::fprintf(out, "P999 Latency: %g s\n", s.p999_s);
}

void append_result_file(const PerfFlags& f, const TimedRuns& runs, const LatencyStats& s, int64_t peak, int cpu) {
    std::FILE* out = std::fopen(f.result_file.c_str(), "a");
    KILN_CHECK(out, InvalidArgument, "cannot write the result file '", f.result_file, "'");
    std::string name = result_model_name(f.model);
    for (size_t i = 0; i < runs.latencies_s.size(); ++i) {
        std::fprintf(out, "%s,%g,%lld,%d,%zu\n", name.c_str(), runs.latencies_s[i], static_cast<long long>(peak), cpu,
                     i);
    }
    if (f.statistics) {
        std::fprintf(out, "\n");
        print_percentiles(out, s);
    }
    bool ok = std::fclose(out) == 0;
    KILN_CHECK(ok, InvalidArgument, "cannot write the result file '", f.result_file, "'");
}

void print_op_summary(const std::vector<rt::OpTypeSummary>& rows) {
    std::printf("Time per op type (timed runs, warm-up left out):\n");
    std::printf("  %-24s %-28s %8s %12s %12s %9s\n", "op type", "provider", "count", "total ms", "avg us", "% of run");
    for (const rt::OpTypeSummary& r : rows) {
        std::printf("  %-24s %-28s %8lld %12.3f %12.1f %8.1f%%\n", r.op_type.c_str(), r.provider.c_str(),
                    static_cast<long long>(r.count), static_cast<double>(r.total_us) / 1000.0, r.average_us, r.percent);
    }
}

// Ends profiling and moves the trace to -p's file; returns the trace's events.
std::vector<rt::ProfileEvent> finish_profile(Session& session, const std::string& target) {
    std::string written = session.end_profiling();
    KILN_CHECK(!written.empty(), Internal, "the session did not profile although -p was given");
    std::error_code ec;
    fs::rename(written, target, ec);
    KILN_CHECK(!ec, InvalidArgument, "cannot move the profile '", written, "' to '", target, "': ", ec.message());
    return rt::read_chrome_trace(target);
}

void write_json(const PerfFlags& f, const std::string& input_source, uint64_t seed, double creation_s, double first_ms,
                const TimedRuns& runs, const LatencyStats& s, int64_t peak) {
    using Json = nlohmann::ordered_json;
    auto ms = [](double seconds) { return seconds * 1000.0; };
    Json latencies = Json::array();
    for (double l : runs.latencies_s) latencies.push_back(ms(l));
    Json j = {
        {"tool", "kiln perf"},
        {"model", f.model},
        {"provider", f.provider},
        {"provider_options", Json(f.provider_options)},
        {"session_config", Json(f.session_config)},
        {"intra_op_threads", f.intra_op_threads},
        {"concurrency", f.concurrency},
        {"mode", f.mode == PerfMode::Times ? "times" : "duration"},
        {"runs", s.count},
        {"session_creation_s", creation_s},
        {"total_s", s.total_s},
        {"avg_ms", ms(s.mean_s)},
        {"p50_ms", ms(s.p50_s)},
        {"p90_ms", ms(s.p90_s)},
        {"p95_ms", ms(s.p95_s)},
        {"p99_ms", ms(s.p99_s)},
        {"p999_ms", ms(s.p999_s)},
        {"min_ms", ms(s.min_s)},
        {"max_ms", ms(s.max_s)},
        {"throughput_per_s", throughput_per_s(s.count, runs.wall_s)},
        {"peak_rss_mb", static_cast<double>(peak) / (1024.0 * 1024.0)},
        {"latencies_ms", std::move(latencies)},
        // Beyond the harness's keys:
        {"inter_op_threads", f.inter_op_threads},
        {"optimization_level", static_cast<int>(f.optimization_level)},
        {"first_inference_ms", first_ms},
        {"wall_s", runs.wall_s},
        {"avg_cpu_percent", runs.cpu_percent},
        {"peak_rss_bytes", peak},
        {"inputs", input_source},
        {"seed", f.generate_inputs ? Json(seed) : Json(nullptr)},
        {"profile_file", f.profile_file.empty() ? Json(nullptr) : Json(f.profile_file)},
        {"kiln_version", version_string()},
    };
    std::ofstream out(f.json_file, std::ios::trunc);
    KILN_CHECK(out, InvalidArgument, "cannot write the JSON file '", f.json_file, "'");
    out << j.dump(2) << "\n";
    out.close();
    KILN_CHECK(out, InvalidArgument, "cannot write the JSON file '", f.json_file, "'");
}

}  // namespace

int perf_command(const Args& args) {
    PerfFlags f = parse_perf_flags(args);
    if (f.help) {
        std::fputs(kPerfUsage, stdout);
        return 0;
    }
    SessionOptions options = perf_session_options(f);
    if (f.intra_op_threads > 0) std::printf("Setting intra_op_num_threads to %lld\n", (long long)f.intra_op_threads);

    Clock::time_point t0 = Clock::now();
    Session session = create_session(f, options);
    double creation_s = seconds_between(t0, Clock::now());

    uint64_t seed = f.seed >= 0 ? static_cast<uint64_t>(f.seed) : std::random_device{}();
    std::string input_source = f.generate_inputs ? "generated" : "test_data_set_0";
    std::vector<NamedTensor> feeds =
        f.generate_inputs ? generated_feeds(session, f, seed) : test_data_feeds(session, f.model);
    if (f.verbose) print_verbose(session, f, feeds, input_source);

    t0 = Clock::now();
    session.run(feeds);  // warm-up, reported as the first inference and left out of the statistics
    double first_ms = seconds_between(t0, Clock::now()) * 1000.0;

    TimedRuns runs = timed_runs(session, feeds, f);
    LatencyStats s = latency_stats(runs.latencies_s);
    int64_t peak = peak_rss_bytes();
    int cpu = static_cast<int>(runs.cpu_percent);

    std::printf("Session creation time cost: %g s\n", creation_s);
    std::printf("First inference time cost: %lld ms\n", static_cast<long long>(first_ms));
    std::printf("Total inference time cost: %g s\n", s.total_s);
    std::printf("Total inference requests: %zu\n", s.count);
    std::printf("Average inference time cost: %g ms\n", s.mean_s * 1000.0);
    std::printf("Total inference run time: %g s\n", runs.wall_s);
    std::printf("Number of inferences per second: %g \n", throughput_per_s(s.count, runs.wall_s));
    std::printf("Avg CPU usage: %d %%\n", cpu);
    std::printf("Peak working set size: %lld bytes\n", static_cast<long long>(peak));
    if (f.result_file.empty()) {
        std::printf("Avg CPU usage:%d\nPeak working set size:%lld\nRuns:%zu\n", cpu, static_cast<long long>(peak),
                    s.count);
        print_percentiles(stdout, s);  // perf_test always prints them when there is no result file
    } else {
        append_result_file(f, runs, s, peak, cpu);
        if (f.statistics) print_percentiles(stdout, s);
    }

    if (!f.profile_file.empty()) {
        std::vector<rt::ProfileEvent> events = finish_profile(session, f.profile_file);
        if (f.statistics) print_op_summary(rt::summarize_by_op_type(events, {0}));  // run 0 is the warm-up
        if (f.verbose) std::printf("Profile written to %s\n", f.profile_file.c_str());
    }
    if (!f.json_file.empty()) write_json(f, input_source, seed, creation_s, first_ms, runs, s, peak);
    return 0;
}

}  // namespace kiln::cli
