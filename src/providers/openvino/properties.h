// Parsed options -> the OpenVINO properties of one compile_model call (private to this folder). Properties go to
// each compile, never to core().set_property, so that sessions in one process do not see each other's settings.
#pragma once

#include <openvino/core/any.hpp>
#include <string>

#include "providers/openvino/options.h"

namespace kiln::ov {

// The properties for compile_model(model, device, properties). `device` is options.device.target(), or one
// physical device ("CPU") when the provider compiles elsewhere than asked (NPU -> CPU fallback); anything else is
// an Internal error.
//
// Per physical device d (the properties themselves for one device; DEVICE_PROPERTIES{d: ...} for a meta device):
//   precision: the options' precision if d accepts it, else d's default (default_precision)
//     FP32 -> INFERENCE_PRECISION_HINT f32 (pins f32: no silent bf16 on CPUs that have it), FP16 -> f16,
//     ACCURACY -> EXECUTION_MODE_HINT ACCURACY; Unset -> nothing (OpenVINO decides)
//   num_of_threads > 0, d a CPU -> INFERENCE_NUM_THREADS
//   single device: num_streams -> NUM_STREAMS on CPU and GPU (1 = latency, the default); elsewhere when not 1
//   enable_opencl_throttling, d a GPU -> GPU_QUEUE_THROTTLE LOW
//   enable_qdq_optimizer, d an NPU -> NPU_QDQ_OPTIMIZATION true
//   model_priority other than DEFAULT, single device other than CPU -> MODEL_PRIORITY
//   load_config's block for d's type ("GPU" for GPU.1), replacing what the options derived
// Meta device: model_priority other than DEFAULT on AUTO or MULTI -> MODEL_PRIORITY; load_config's block for the
// mode (its own DEVICE_PROPERTIES merged per device), load_config winning.
// Any device: cache_dir -> CACHE_DIR, unless load_config sets CACHE_DIR. (The provider drops CACHE_DIR itself where
// a model cache must not be used, e.g. when exporting EPContext.)
// `context` is not a property: the provider compiles on a remote context made from it.
::ov::AnyMap compile_properties(const OpenVINOOptions& options, const std::string& device);

// A load_config value as OpenVINO takes it: string, int64_t, double, bool, or a nested ::ov::AnyMap.
::ov::Any to_any(const ConfigValue& value);

}  // namespace kiln::ov
