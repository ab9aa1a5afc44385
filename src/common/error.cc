#include "kiln/error.h"

namespace kiln {

static_assert(static_cast<int>(ErrorCode::Internal) == kErrorCodeCount - 1,
              "kErrorCodeCount: Internal is the last code");

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidModel:
            return "InvalidModel";
        case ErrorCode::InvalidArgument:
            return "InvalidArgument";
        case ErrorCode::NotFound:
            return "NotFound";
        case ErrorCode::NotImplemented:
            return "NotImplemented";
        case ErrorCode::Unsupported:
            return "Unsupported";
        case ErrorCode::DeviceError:
            return "DeviceError";
        case ErrorCode::Internal:
            return "Internal";
    }
    return "Unknown";
}

}  // namespace kiln
