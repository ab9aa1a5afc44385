// The OpenVINO provider's options (the reference's provider options, ONNX Runtime's names and values) and their
// one parser. The Python module, the C++ API and `kiln perf -i "k|v ..."` all hand parse_options the raw
// key/value map. A bad key or value is an error naming the key and what it accepts; a value that is valid but has
// no effect on the chosen device is a warning. No OpenVINO header here: properties.h maps the result to
// OpenVINO properties.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kiln::ov {

class DeviceCatalog;

// How device_type names its target: one device, or a meta device over a list.
enum class DeviceMode { Single, Auto, Hetero, Multi };

// device_type as given and as parsed.
struct DeviceSelection {
    // The value of device_type (or of the deprecated device_id) as given; "" when absent (the default, CPU).
    std::string given;
    DeviceMode mode = DeviceMode::Single;
    // Single: the one device ("CPU", "GPU.1"). Hetero/Multi: the listed devices, in priority order. Auto: the
    // listed devices that are present (absent ones are dropped with a warning); for a bare "AUTO", every device of
    // the catalog (OpenVINO picks among them).
    std::vector<std::string> devices{"CPU"};
    // False only for a bare "AUTO": `devices` was not listed by the user.
    bool listed = true;

    bool is_meta() const { return mode != DeviceMode::Single; }
    // The device string for compile_model: "CPU", "GPU.1", "AUTO:GPU,CPU", "HETERO:GPU,CPU", "AUTO".
    std::string target() const;
    // Whether one of `devices` is of this type ("CPU", "GPU", "NPU").
    bool uses(std::string_view type) const;
};

// "GPU.1" -> "GPU", "CPU" -> "CPU".
std::string device_type_of(const std::string& device);

// precision. Unset: OpenVINO decides (a meta device without an explicit precision).
enum class Precision { Unset, FP32, FP16, Accuracy };
const char* precision_name(Precision precision);  // "FP32", "FP16", "ACCURACY", "" for Unset

// The precision rules of the reference: CPU FP32 (default), ACCURACY; GPU FP16 (default), FP32, ACCURACY; NPU
// FP16 (default), ACCURACY; meta devices (and device types kiln does not know) any of FP32, FP16, ACCURACY, with no
// default (Unset). `device` is a device ("GPU.1") or a device_type string ("AUTO:GPU,CPU").
Precision default_precision(const std::string& device);
std::vector<Precision> allowed_precisions(const std::string& device);

enum class ModelPriority { Default, Low, Medium, High };
const char* model_priority_name(ModelPriority priority);  // "DEFAULT", "LOW", "MEDIUM", "HIGH"

// A load_config property value: string, integer, real, boolean, or an object (nested up to 8 levels, e.g. AUTO's
// DEVICE_PROPERTIES).
struct ConfigEntry;
struct ConfigValue {
    std::variant<std::string, int64_t, double, bool, std::vector<ConfigEntry>> value;
};
struct ConfigEntry {
    std::string key;
    ConfigValue value;
};

// load_config, parsed: device key -> its properties in file order. Device keys are CPU, GPU, NPU, AUTO, HETERO,
// MULTI (a "GPU" block serves GPU.0 and GPU.1 alike). The blocks of the devices in use were checked against their
// SUPPORTED_PROPERTIES: unknown and read-only properties were dropped with a warning. Blocks of devices not in use
// are kept as read and are not applied.
struct LoadConfig {
    std::string source;  // "'<file>'" or "inline JSON", for messages; "" when load_config was not given
    std::map<std::string, std::vector<ConfigEntry>> devices;

    // The block for a device key ("CPU"), or nullptr.
    const std::vector<ConfigEntry>* find(const std::string& device_key) const;
};

// reshape_input: one input's bounds. A fixed dim has min == max.
struct DimBounds {
    int64_t min = 0;
    int64_t max = 0;
};
struct InputShape {
    std::string name;
    std::vector<DimBounds> dims;
};

// layout: a tensor's layout letters, e.g. {"images", "NCHW"}; '?' is a dim without a letter.
struct TensorLayout {
    std::string name;
    std::string layout;
};

struct OpenVINOOptions {
    DeviceSelection device;                 // device_type (default CPU)
    Precision precision = Precision::FP32;  // explicit, or the device's default; Unset only for meta devices
    bool precision_given = false;           // set by precision or by a legacy device_type suffix (CPU_FP32)
    int num_of_threads = 0;                 // 0: not given (OpenVINO's default); applies to CPU
    int num_streams = 1;                    // 1 (latency) unless given; meta devices only take 1
    std::string cache_dir;                  // "": no model cache
    uint64_t context = 0;                   // OpenCL cl_context address for GPU; 0: none
    bool enable_opencl_throttling = false;  // GPU
    bool enable_qdq_optimizer = false;      // NPU
    LoadConfig load_config;
    bool disable_dynamic_shapes = false;  // always true when an NPU is in use
    ModelPriority model_priority = ModelPriority::Default;
    std::vector<InputShape> reshape_input;  // inputs to compile with these (bounded) shapes
    std::vector<TensorLayout> layout;       // layouts to give inputs and outputs
};

// Every key parse_options accepts, in the reference's order.
const std::vector<std::string>& option_keys();

// Parses and validates the raw options against the devices present. Throws kiln::Error naming the key:
// InvalidArgument for an unknown key or a bad value, NotFound for a device that is not present, Unsupported for a
// request this machine or device cannot serve, NotImplemented for a feature kiln does not have (enable_causallm).
// Warnings (deprecated forms, AUTO devices skipped, options without effect on the device, load_config entries
// skipped) are appended to `warnings`, or printed to stderr when it is nullptr.
OpenVINOOptions parse_options(const std::map<std::string, std::string>& raw, const DeviceCatalog& devices,
                              std::vector<std::string>* warnings);

}  // namespace kiln::ov
