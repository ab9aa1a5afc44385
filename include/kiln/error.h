// kiln::Error: the one exception type of kiln. Every failure on user input carries a code and a message that
// names the node, tensor, option or file at fault.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace kiln {

enum class ErrorCode {
    InvalidModel,     // the model file or graph is malformed
    InvalidArgument,  // a feed, option or call argument is wrong
    NotFound,         // a file, tensor or name does not exist
    NotImplemented,   // valid ONNX that kiln does not run yet
    Unsupported,      // valid request that the chosen provider or device cannot serve
    DeviceError,      // the device runtime failed
    Internal,         // a broken invariant inside kiln
};

// The codes are 0 .. kErrorCodeCount - 1.
constexpr int kErrorCodeCount = 7;

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
  public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const { return code_; }

  private:
    ErrorCode code_;
};

// Concatenates its arguments with operator<<, so messages read naturally: str("node '", name, "': ...").
template <typename... Args>
std::string str(Args&&... args) {
    std::ostringstream out;
    (out << ... << std::forward<Args>(args));
    return out.str();
}

template <typename... Args>
[[noreturn]] void fail(ErrorCode code, Args&&... args) {
    throw Error(code, str(std::forward<Args>(args)...));
}

}  // namespace kiln

// Throws kiln::Error(code, message...) when cond is false.
#define KILN_CHECK(cond, code, ...)                                      \
    do {                                                                 \
        if (!(cond)) ::kiln::fail(::kiln::ErrorCode::code, __VA_ARGS__); \
    } while (0)
