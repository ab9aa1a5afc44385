// The one ov::Core of the process, shared by the device catalog and the provider (private to this folder).
#pragma once

#include <openvino/runtime/core.hpp>

namespace kiln::ov {

// Created on first use (thread-safe) and never destroyed: plugins stay loaded until the process exits, so no
// static destructor can run after OpenVINO's own. Core's methods are thread-safe. Never call core().set_property:
// it is process-global and would leak settings across sessions; pass properties to each compile_model instead
// (properties.h). The one exception, fixed for the process: ENABLE_MMAP is off (see ov_core.cc); a compile_model
// property may still turn it on.
::ov::Core& core();

}  // namespace kiln::ov
