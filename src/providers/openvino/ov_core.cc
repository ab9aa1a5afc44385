#include "providers/openvino/ov_core.h"

#include <exception>

#include "kiln/error.h"

namespace kiln::ov {

namespace {

::ov::Core* create_core() {
    try {
        auto* core = new ::ov::Core();  // intentionally never deleted (see ov_core.h)
        // Cache blobs are read into memory, not mapped: a compiled model imported from a mapped cache file keeps
        // referring to it and faults (SIGBUS) when another process truncates or rewrites the file.
        core->set_property(::ov::enable_mmap(false));
        return core;
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
