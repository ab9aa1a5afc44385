#include "providers/openvino/properties.h"

#include <algorithm>
#include <openvino/runtime/intel_gpu/properties.hpp>
#include <openvino/runtime/intel_npu/properties.hpp>
#include <openvino/runtime/properties.hpp>

#include "kiln/error.h"

namespace kiln::ov {

namespace {

const std::string kDeviceProperties = ::ov::device::properties.name();

// Puts load_config entries into `into`, replacing what is there; DEVICE_PROPERTIES objects merge per device.
void merge_config(::ov::AnyMap& into, const std::vector<ConfigEntry>& entries) {
    for (const ConfigEntry& entry : entries) {
        auto* devices = std::get_if<std::vector<ConfigEntry>>(&entry.value.value);
        auto existing = into.find(entry.key);
        if (entry.key == kDeviceProperties && devices && existing != into.end() &&
            existing->second.is<::ov::AnyMap>()) {
            ::ov::AnyMap& per_device = existing->second.as<::ov::AnyMap>();
            for (const ConfigEntry& device : *devices) {
                auto* properties = std::get_if<std::vector<ConfigEntry>>(&device.value.value);
                auto known = per_device.find(device.key);
                if (properties && known != per_device.end() && known->second.is<::ov::AnyMap>()) {
                    merge_config(known->second.as<::ov::AnyMap>(), *properties);
                } else {
                    per_device[device.key] = to_any(device.value);
                }
            }
            continue;
        }
        into[entry.key] = to_any(entry.value);
    }
}

// The precision `device` computes at: the options' precision if it accepts it, else its own default.
Precision precision_on(const OpenVINOOptions& options, const std::string& device) {
    if (options.precision == Precision::Unset) return Precision::Unset;
    std::vector<Precision> allowed = allowed_precisions(device);
    if (std::find(allowed.begin(), allowed.end(), options.precision) != allowed.end()) return options.precision;
    return default_precision(device);
}

::ov::hint::Priority to_priority(ModelPriority priority) {
    switch (priority) {
        case ModelPriority::Low:
            return ::ov::hint::Priority::LOW;
        case ModelPriority::High:
            return ::ov::hint::Priority::HIGH;
        case ModelPriority::Medium:
        case ModelPriority::Default:
            break;
    }
    return ::ov::hint::Priority::MEDIUM;
}

// The properties of one physical device; `single`: it is the compile target itself (not listed in a meta device).
::ov::AnyMap device_properties(const OpenVINOOptions& options, const std::string& device, bool single) {
    ::ov::AnyMap properties;
    const std::string type = device_type_of(device);
    switch (precision_on(options, device)) {
        case Precision::FP32:
            properties[::ov::hint::inference_precision.name()] = ::ov::element::f32;
            break;
        case Precision::FP16:
            properties[::ov::hint::inference_precision.name()] = ::ov::element::f16;
            break;
        case Precision::Accuracy:
            properties[::ov::hint::execution_mode.name()] = ::ov::hint::ExecutionMode::ACCURACY;
            break;
        case Precision::Unset:
            break;
    }
    if (type == "CPU" && options.num_of_threads > 0) {
        properties[::ov::inference_num_threads.name()] = options.num_of_threads;
    }
    if (single && (type == "CPU" || type == "GPU" || options.num_streams != 1)) {
        properties[::ov::num_streams.name()] = ::ov::streams::Num(options.num_streams);
    }
    if (type == "GPU" && options.enable_opencl_throttling) {
        properties[::ov::intel_gpu::hint::queue_throttle.name()] = ::ov::intel_gpu::hint::ThrottleLevel::LOW;
    }
    if (type == "NPU" && options.enable_qdq_optimizer) {
        properties[::ov::intel_npu::qdq_optimization.name()] = true;
    }
    if (single && type != "CPU" && options.model_priority != ModelPriority::Default) {
        properties[::ov::hint::model_priority.name()] = to_priority(options.model_priority);
    }
    if (const std::vector<ConfigEntry>* block = options.load_config.find(type)) merge_config(properties, *block);
    return properties;
}

}  // namespace

::ov::Any to_any(const ConfigValue& value) {
    return std::visit(
        [](const auto& v) -> ::ov::Any {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::vector<ConfigEntry>>) {
                ::ov::AnyMap nested;
                for (const ConfigEntry& entry : v) nested[entry.key] = to_any(entry.value);
                return nested;
            } else {
                return v;
            }
        },
        value.value);
}

::ov::AnyMap compile_properties(const OpenVINOOptions& options, const std::string& device) {
    const DeviceSelection& selection = options.device;
    ::ov::AnyMap properties;
    if (device == selection.target() && selection.is_meta()) {
        ::ov::AnyMap per_device;
        for (const std::string& d : selection.devices) {
            ::ov::AnyMap p = device_properties(options, d, false);
            if (!p.empty()) per_device[d] = std::move(p);
        }
        if (!per_device.empty()) properties[kDeviceProperties] = std::move(per_device);
        bool takes_priority = selection.mode == DeviceMode::Auto || selection.mode == DeviceMode::Multi;
        if (takes_priority && options.model_priority != ModelPriority::Default) {
            properties[::ov::hint::model_priority.name()] = to_priority(options.model_priority);
        }
        std::string mode = selection.target().substr(0, selection.target().find(':'));
        if (const std::vector<ConfigEntry>* block = options.load_config.find(mode)) merge_config(properties, *block);
    } else if (device.find(':') == std::string::npos && device != "AUTO" && device != "HETERO" && device != "MULTI" &&
               !device.empty()) {
        properties = device_properties(options, device, true);
    } else {
        fail(ErrorCode::Internal, "compile_properties: device '", device, "' is neither device_type '",
             selection.target(), "' nor a single device");
    }
    if (!options.cache_dir.empty() && !properties.count(::ov::cache_dir.name())) {
        properties[::ov::cache_dir.name()] = options.cache_dir;
    }
    return properties;
}

}  // namespace kiln::ov
