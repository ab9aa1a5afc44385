// The devices OpenVINO offers on this machine: their names, what `kiln devices` shows of them, and the properties
// each accepts. DeviceCatalog is abstract so that the option parser can be tested against any set of devices
// (tests/support/fake_device_catalog.h); openvino_devices() is the real one. No OpenVINO header here.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kiln::ov {

// One entry of a device's SUPPORTED_PROPERTIES.
struct PropertyInfo {
    std::string name;        // "NUM_STREAMS"
    bool is_mutable = true;  // false: read-only (FULL_DEVICE_NAME), it cannot be set
};

// What `kiln devices` prints about a device.
struct DeviceDescription {
    std::string name;       // "CPU", "GPU.0"
    std::string full_name;  // FULL_DEVICE_NAME
    // Key properties as text, in display order; those the device does not report are left out.
    std::vector<std::pair<std::string, std::string>> properties;
};

class DeviceCatalog {
  public:
    virtual ~DeviceCatalog() = default;
    // The devices OpenVINO reports, in its order: "CPU", "GPU.0", "GPU.1", "NPU" ("GPU" when there is one GPU).
    virtual std::vector<std::string> devices() const = 0;
    // SUPPORTED_PROPERTIES of one of devices() or of a meta device (AUTO, HETERO, MULTI). DeviceError when the
    // device runtime cannot answer.
    virtual std::vector<PropertyInfo> supported_properties(const std::string& device) const = 0;
    // Full name and key properties of one of devices(); DeviceError when the device runtime cannot answer.
    virtual DeviceDescription describe(const std::string& device) const = 0;

    // True when `device` can be compiled for: it is one of devices(), or a bare type ("GPU") of which a numbered
    // device ("GPU.1") is one.
    bool has(const std::string& device) const;
    // devices() for messages: "CPU, GPU.0, GPU.1", or "none".
    std::string device_list() const;
};

// The catalog over the process-wide ov::Core (created on first use, from any thread). The device list is read
// once per process; properties are asked of OpenVINO on each call.
const DeviceCatalog& openvino_devices();

}  // namespace kiln::ov
