// Ort::Exception and the translation of kiln::Error into it (part of onnxruntime_cxx_api.h).
#pragma once

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "kiln/error.h"
#include "kiln/ort/onnxruntime_c_api.h"

namespace Ort {

// What every compat call throws: ONNX Runtime's message and error code.
struct Exception : std::exception {
    Exception(std::string&& message, OrtErrorCode code) : message_{std::move(message)}, code_{code} {}
    OrtErrorCode GetOrtErrorCode() const { return code_; }
    const char* what() const noexcept override { return message_.c_str(); }

  private:
    std::string message_;
    OrtErrorCode code_;
};

namespace detail {

// kiln's error kinds as ONNX Runtime's codes.
inline OrtErrorCode to_ort_error_code(kiln::ErrorCode code) {
    switch (code) {
        case kiln::ErrorCode::InvalidModel:
            return ORT_INVALID_GRAPH;
        case kiln::ErrorCode::InvalidArgument:
            return ORT_INVALID_ARGUMENT;
        case kiln::ErrorCode::NotFound:
            return ORT_NO_SUCHFILE;
        case kiln::ErrorCode::NotImplemented:
            return ORT_NOT_IMPLEMENTED;
        case kiln::ErrorCode::Unsupported:
        case kiln::ErrorCode::DeviceError:
            return ORT_EP_FAIL;
        case kiln::ErrorCode::Internal:
            return ORT_FAIL;
    }
    return ORT_FAIL;
}

[[noreturn]] inline void fail(OrtErrorCode code, std::string message) { throw Exception(std::move(message), code); }

// Runs `f`, rethrowing kiln's errors (and allocation failures) as Ort::Exception.
template <typename F>
auto call(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const kiln::Error& e) {
        throw Exception(e.what(), to_ort_error_code(e.code()));
    } catch (const std::bad_alloc&) {
        throw Exception("out of memory", ORT_FAIL);
    }
}

}  // namespace detail
}  // namespace Ort
