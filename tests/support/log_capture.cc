#include "support/log_capture.h"

#include "common/log.h"

namespace kiln::test {

size_t Logged::count(const std::string& needle, bool warning) const {
    size_t n = 0;
    for (const std::string& l : warning ? warnings : info) n += l.find(needle) != std::string::npos;
    return n;
}

std::vector<std::string> Logged::all() const {
    std::vector<std::string> lines = info;
    lines.insert(lines.end(), warnings.begin(), warnings.end());
    return lines;
}

Logged logged(const std::function<void()>& f) {
    Logged out;
    LogLevel level = log_level();
    set_log_level(LogLevel::Info);
    LogSink previous = set_log_sink(
        [&](LogLevel l, const std::string& m) { (l == LogLevel::Warning ? out.warnings : out.info).push_back(m); });
    try {
        f();
    } catch (...) {
        set_log_sink(previous);
        set_log_level(level);
        throw;
    }
    set_log_sink(previous);
    set_log_level(level);
    return out;
}

}  // namespace kiln::test
