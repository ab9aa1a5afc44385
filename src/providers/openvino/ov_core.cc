#include "providers/openvino/ov_core.h"

#include <exception>

#include "kiln/error.h"

namespace kiln::ov {

namespace {

::ov::Core* create_core() {
    try {
        return new ::ov::Core();  // intentionally never deleted (see ov_core.h)
    } catch (const std::exception& e) {
        fail(ErrorCode::DeviceError, "OpenVINO: cannot create its runtime (ov::Core): ", e.what());
    }
}

}  // namespace

::ov::Core& core() {
    static ::ov::Core* const instance = create_core();  // a throw leaves it unset: the next call tries again
    return *instance;
}

}  // namespace kiln::ov
