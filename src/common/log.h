// Warnings and information for the user, on stderr ("kiln: warning: ..."), filtered by a process-wide severity
// (ONNX Runtime's log_severity_level: 0 verbose, 1 info, 2 warning (default), 3 error, 4 fatal). The environment
// variable KILN_LOG_LEVEL sets the starting value.
#pragma once

#include <functional>
#include <string>

namespace kiln {

enum class LogLevel { Verbose = 0, Info = 1, Warning = 2, Error = 3, Fatal = 4 };

void log(LogLevel level, const std::string& message);
inline void log_warning(const std::string& message) { log(LogLevel::Warning, message); }
inline void log_info(const std::string& message) { log(LogLevel::Info, message); }

LogLevel log_level();
void set_log_level(LogLevel level);

// Replaces stderr as the destination (tests capture messages with it); an empty function restores stderr.
// Returns the previous sink.
using LogSink = std::function<void(LogLevel, const std::string&)>;
LogSink set_log_sink(LogSink sink);

}  // namespace kiln
