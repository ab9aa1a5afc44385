// FakeDeviceCatalog: the devices a test names, so that the OpenVINO provider's option parser can be tested for
// GPUs and NPUs on a machine without them. Each device type lists a subset of the SUPPORTED_PROPERTIES that
// OpenVINO 2026.4's plugins report, with their mutability; the NPU's NUM_STREAMS is read-only here.
#pragma once

#include <string>
#include <vector>

#include "kiln/error.h"
#include "providers/openvino/devices.h"
#include "providers/openvino/options.h"

namespace kiln::test {

class FakeDeviceCatalog : public ov::DeviceCatalog {
  public:
    explicit FakeDeviceCatalog(std::vector<std::string> devices) : devices_(std::move(devices)) {}

    std::vector<std::string> devices() const override { return devices_; }

    std::vector<ov::PropertyInfo> supported_properties(const std::string& device) const override {
        std::string type = ov::device_type_of(device);
        bool meta = type == "AUTO" || type == "HETERO" || type == "MULTI";
        if (!meta && !has(device)) fail(ErrorCode::DeviceError, "fake catalog: no device '", device, "'");
        std::vector<ov::PropertyInfo> properties = {
            {"SUPPORTED_PROPERTIES", false}, {"FULL_DEVICE_NAME", false}, {"OPTIMIZATION_CAPABILITIES", false}};
        auto add = [&](std::vector<ov::PropertyInfo> more) {
            properties.insert(properties.end(), more.begin(), more.end());
        };
        if (type == "CPU") {
            add({{"AVAILABLE_DEVICES", false},
                 {"RANGE_FOR_STREAMS", false},
                 {"NUM_STREAMS", true},
                 {"INFERENCE_NUM_THREADS", true},
                 {"INFERENCE_PRECISION_HINT", true},
                 {"EXECUTION_MODE_HINT", true},
                 {"PERFORMANCE_HINT", true},
                 {"PERF_COUNT", true},
                 {"ENABLE_CPU_PINNING", true}});
        } else if (type == "GPU") {
            add({{"AVAILABLE_DEVICES", false},
                 {"GPU_DEVICE_TOTAL_MEM_SIZE", false},
                 {"NUM_STREAMS", true},
                 {"INFERENCE_PRECISION_HINT", true},
                 {"EXECUTION_MODE_HINT", true},
                 {"PERFORMANCE_HINT", true},
                 {"MODEL_PRIORITY", true},
                 {"GPU_QUEUE_THROTTLE", true},
                 {"GPU_HOST_TASK_PRIORITY", true}});
        } else if (type == "NPU") {
            add({{"NUM_STREAMS", false},
                 {"INFERENCE_PRECISION_HINT", true},
                 {"PERFORMANCE_HINT", true},
                 {"MODEL_PRIORITY", true},
                 {"NPU_QDQ_OPTIMIZATION", true},
                 {"NPU_COMPILATION_MODE_PARAMS", true}});
        } else if (type == "AUTO" || type == "MULTI") {
            add({{"MODEL_PRIORITY", true},
                 {"PERFORMANCE_HINT", true},
                 {"EXECUTION_MODE_HINT", true},
                 {"MULTI_DEVICE_PRIORITIES", true},
                 {"ENABLE_RUNTIME_FALLBACK", true}});
        } else if (type == "HETERO") {
            add({{"MULTI_DEVICE_PRIORITIES", true}, {"MODEL_DISTRIBUTION_POLICY", true}});
        }
        return properties;
    }

    ov::DeviceDescription describe(const std::string& device) const override { return {device, "Fake " + device, {}}; }

  private:
    std::vector<std::string> devices_;
};

// The catalogs the option tests use: every kind of device, and a CPU-only machine.
inline const FakeDeviceCatalog& full_catalog() {
    static const FakeDeviceCatalog catalog({"CPU", "GPU", "GPU.0", "GPU.1", "NPU"});
    return catalog;
}
inline const FakeDeviceCatalog& cpu_only_catalog() {
    static const FakeDeviceCatalog catalog({"CPU"});
    return catalog;
}

}  // namespace kiln::test
