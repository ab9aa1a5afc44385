#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "kiln/kiln.h"

namespace kiln {
namespace {

LogLevel level_from_env() {
    const char* env = std::getenv("KILN_LOG_LEVEL");
    if (!env || *env < '0' || *env > '4' || env[1] != '\0') return LogLevel::Warning;
    return static_cast<LogLevel>(*env - '0');
}

std::atomic<int>& current_level() {
    static std::atomic<int> level{static_cast<int>(level_from_env())};
    return level;
}

std::mutex& sink_mutex() {
    static std::mutex m;
    return m;
}

LogSink& sink() {
    static LogSink s;
    return s;
}

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Verbose:
            return "verbose";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warning:
            return "warning";
        case LogLevel::Error:
            return "error";
        case LogLevel::Fatal:
            return "fatal";
    }
    return "?";
}

}  // namespace

LogLevel log_level() { return static_cast<LogLevel>(current_level().load()); }
void set_log_level(LogLevel level) { current_level() = static_cast<int>(level); }

void set_log_severity(int severity) {
    KILN_CHECK(severity >= 0 && severity <= 4, InvalidArgument, "log severity ", severity,
               " is out of range: 0 (verbose), 1 (info), 2 (warning), 3 (error) or 4 (fatal)");
    set_log_level(static_cast<LogLevel>(severity));
}

int log_severity() { return current_level().load(); }

void log(LogLevel level, const std::string& message) {
    if (static_cast<int>(level) < current_level().load()) return;
    std::lock_guard<std::mutex> lock(sink_mutex());
    if (sink()) {
        sink()(level, message);
        return;
    }
    std::fprintf(stderr, "kiln: %s: %s\n", level_name(level), message.c_str());
}

LogSink set_log_sink(LogSink s) {
    std::lock_guard<std::mutex> lock(sink_mutex());
    LogSink previous = std::move(sink());
    sink() = std::move(s);
    return previous;
}

}  // namespace kiln
