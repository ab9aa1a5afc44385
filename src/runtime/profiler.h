// Session profiling (ONNX Runtime's enable_profiling): a thread-safe recorder of timed events and the writer of
// ONNX Runtime's Chrome-trace JSON (an array of complete events, "ph": "X"), which chrome://tracing and Perfetto
// load. A session that profiles owns one Profiler; its runs record one event each ("model_run") and one per
// top-level step of the execution plan ("<node>_kernel_time"). When profiling is off there is no Profiler at all:
// the execution plan gets a null pointer and times nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::rt {

inline constexpr const char* kSessionCategory = "Session";
inline constexpr const char* kNodeCategory = "Node";

struct ProfileEvent {
    std::string name;      // "model_run", "session_initialization", "<node>_kernel_time", ...
    std::string category;  // kSessionCategory or kNodeCategory
    std::string op_type;   // Node events: the node's op ("Conv"); empty for Session events
    std::string provider;  // Node events: who ran the node ("CPUExecutionProvider")
    int64_t start_us = 0;  // microseconds since the profiler started
    int64_t duration_us = 0;
    uint64_t thread_id = 0;
    int64_t run = -1;                                       // run number (0 = the session's first run); -1 outside runs
    std::vector<std::pair<std::string, std::string>> args;  // free-form, written into the event's "args"
};

class Profiler {
  public:
    using Clock = std::chrono::steady_clock;

    // Starts the clock that event times count from; the local time now names the trace file.
    Profiler();

    // A number for the next run: 0, 1, 2, ... in the order runs begin. Thread-safe.
    int64_t next_run() { return next_run_.fetch_add(1); }
    // Records an event that began at `start` and ends now, on the calling thread. Ignored once stopped.
    void record(std::string name, const char* category, Clock::time_point start, int64_t run = -1,
                std::string op_type = {}, std::string provider = {},
                std::vector<std::pair<std::string, std::string>> args = {});
    // Events so far, in the order they were recorded.
    std::vector<ProfileEvent> events() const;
    // Stops recording (end_profiling) and hands over what was recorded; nullopt when already stopped.
    std::optional<std::vector<ProfileEvent>> stop();
    bool active() const { return active_.load(std::memory_order_relaxed); }
    // "2024-06-11_14-03-59": the local time profiling started, as ONNX Runtime names its profile files.
    const std::string& start_time_string() const { return start_time_string_; }

  private:
    Clock::time_point start_;
    std::string start_time_string_;
    std::atomic<bool> active_{true};
    std::atomic<int64_t> next_run_{0};
    mutable std::mutex mutex_;
    std::vector<ProfileEvent> events_;
};

// One run's profiling context, handed to ExecutionPlan::run: null when the session does not profile.
struct RunProfile {
    Profiler& profiler;
    int64_t run;
};

// The events as ONNX Runtime's profiler writes them: a JSON array, one object per line, with the keys "cat", "pid",
// "tid", "dur", "ts", "ph" ("X"), "name" and "args" (Node events: "op_name", "provider", then the free-form args).
std::string chrome_trace_json(const std::vector<ProfileEvent>& events);
// Writes chrome_trace_json(events) to `path`; InvalidArgument naming the file when it cannot be written.
void write_chrome_trace(const std::string& path, const std::vector<ProfileEvent>& events);
// Reads a trace written by write_chrome_trace (or ONNX Runtime) back; InvalidArgument naming the file when it is
// missing or not such a trace.
std::vector<ProfileEvent> read_chrome_trace(const std::string& path);

// Time per op type over the Node events, for `kiln perf -s`.
struct OpTypeSummary {
    std::string op_type;
    std::string provider;
    int64_t count = 0;     // Node events (node executions)
    int64_t total_us = 0;  // their summed durations
    double average_us = 0;
    double percent = 0;  // total_us as a percentage of the summed "model_run" durations (0 when there are none)
};
// One row per (op type, provider), the most expensive first (ties: by op type). Runs listed in `skip_runs` are left
// out (a warm-up run, say), both their Node events and their "model_run" events.
std::vector<OpTypeSummary> summarize_by_op_type(const std::vector<ProfileEvent>& events,
                                                const std::vector<int64_t>& skip_runs = {});

}  // namespace kiln::rt
