#include "runtime/profiler.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kiln/error.h"

namespace kiln::rt {
namespace {

using Json = nlohmann::ordered_json;

uint64_t current_thread_id() { return static_cast<uint64_t>(::syscall(SYS_gettid)); }

std::string local_time_string() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d_%H-%M-%S", &local);
    return text;
}

Json event_json(const ProfileEvent& e, int pid) {
    Json args = Json::object();
    if (e.category == kNodeCategory) {
        args["op_name"] = e.op_type;
        args["provider"] = e.provider;
    }
    if (e.run >= 0) args["run"] = e.run;
    for (const auto& [key, value] : e.args) args[key] = value;
    return Json{{"cat", e.category}, {"pid", pid}, {"tid", e.thread_id}, {"dur", e.duration_us},
                {"ts", e.start_us},  {"ph", "X"},  {"name", e.name},     {"args", std::move(args)}};
}

std::string arg_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

ProfileEvent event_from_json(const Json& j) {
    ProfileEvent e;
    e.name = j.at("name").get<std::string>();
    e.category = j.at("cat").get<std::string>();
    e.start_us = j.at("ts").get<int64_t>();
    e.duration_us = j.value("dur", int64_t{0});
    e.thread_id = j.value("tid", uint64_t{0});
    if (!j.contains("args")) return e;
    for (const auto& [key, value] : j.at("args").items()) {
        if (key == "op_name") {
            e.op_type = arg_text(value);
        } else if (key == "provider") {
            e.provider = arg_text(value);
        } else if (key == "run" && value.is_number_integer()) {
            e.run = value.get<int64_t>();
        } else {
            e.args.emplace_back(key, arg_text(value));
        }
    }
    return e;
}

bool skipped(int64_t run, const std::vector<int64_t>& skip_runs) {
    return run >= 0 && std::find(skip_runs.begin(), skip_runs.end(), run) != skip_runs.end();
}

}  // namespace

Profiler::Profiler() : start_(Clock::now()), start_time_string_(local_time_string()) {}

void Profiler::record(std::string name, const char* category, Clock::time_point start, int64_t run, std::string op_type,
                      std::string provider, std::vector<std::pair<std::string, std::string>> args) {
    if (!active()) return;
    Clock::time_point end = Clock::now();
    ProfileEvent e;
    e.name = std::move(name);
    e.category = category;
    e.op_type = std::move(op_type);
    e.provider = std::move(provider);
    e.start_us = std::chrono::duration_cast<std::chrono::microseconds>(start - start_).count();
    e.duration_us = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
    e.thread_id = current_thread_id();
    e.run = run;
    e.args = std::move(args);
    std::lock_guard<std::mutex> lock(mutex_);
    if (active()) events_.push_back(std::move(e));
}

std::vector<ProfileEvent> Profiler::events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
}

std::optional<std::vector<ProfileEvent>> Profiler::stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!active_.exchange(false)) return std::nullopt;
    std::vector<ProfileEvent> recorded = std::move(events_);
    events_.clear();
    return recorded;
}

std::string chrome_trace_json(const std::vector<ProfileEvent>& events) {
    int pid = static_cast<int>(::getpid());
    std::string out = "[\n";
    for (size_t i = 0; i < events.size(); ++i) {
        out += event_json(events[i], pid).dump();
        out += i + 1 < events.size() ? ",\n" : "\n";
    }
    out += "]\n";
    return out;
}

void write_chrome_trace(const std::string& path, const std::vector<ProfileEvent>& events) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    KILN_CHECK(file, InvalidArgument, "cannot write the profile '", path, "': ", std::strerror(errno));
    file << chrome_trace_json(events);
    file.close();
    KILN_CHECK(file, InvalidArgument, "cannot write the profile '", path, "': ", std::strerror(errno));
}

std::vector<ProfileEvent> read_chrome_trace(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    KILN_CHECK(file, InvalidArgument, "cannot read the profile '", path, "': ", std::strerror(errno));
    std::stringstream text;
    text << file.rdbuf();
    std::vector<ProfileEvent> events;
    try {
        Json trace = Json::parse(text.str());
        KILN_CHECK(trace.is_array(), InvalidArgument, "profile '", path, "' is not a JSON array of trace events");
        for (const Json& j : trace) events.push_back(event_from_json(j));
    } catch (const Json::exception& e) {
        fail(ErrorCode::InvalidArgument, "profile '", path, "' is not a Chrome trace: ", e.what());
    }
    return events;
}

std::vector<OpTypeSummary> summarize_by_op_type(const std::vector<ProfileEvent>& events,
                                                const std::vector<int64_t>& skip_runs) {
    std::map<std::pair<std::string, std::string>, OpTypeSummary> rows;
    int64_t run_time_us = 0;
    for (const ProfileEvent& e : events) {
        if (skipped(e.run, skip_runs)) continue;
        if (e.category == kSessionCategory && e.name == "model_run") run_time_us += e.duration_us;
        if (e.category != kNodeCategory) continue;
        OpTypeSummary& row = rows[{e.op_type, e.provider}];
        row.op_type = e.op_type;
        row.provider = e.provider;
        row.count += 1;
        row.total_us += e.duration_us;
    }
    std::vector<OpTypeSummary> summary;
    for (auto& [key, row] : rows) {
        row.average_us = static_cast<double>(row.total_us) / static_cast<double>(row.count);
        row.percent =
            run_time_us > 0 ? 100.0 * static_cast<double>(row.total_us) / static_cast<double>(run_time_us) : 0;
        summary.push_back(row);
    }
    std::stable_sort(summary.begin(), summary.end(),
                     [](const OpTypeSummary& a, const OpTypeSummary& b) { return a.total_us > b.total_us; });
    return summary;
}

}  // namespace kiln::rt
