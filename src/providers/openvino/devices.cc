#include "providers/openvino/devices.h"

#include <exception>
#include <mutex>

#include "kiln/error.h"
#include "providers/openvino/ov_core.h"

namespace kiln::ov {

bool DeviceCatalog::has(const std::string& device) const {
    for (const std::string& d : devices()) {
        if (d == device) return true;
        if (device.find('.') == std::string::npos && d.rfind(device + ".", 0) == 0) return true;
    }
    return false;
}

std::string DeviceCatalog::device_list() const {
    std::string list;
    for (const std::string& d : devices()) list += (list.empty() ? "" : ", ") + d;
    return list.empty() ? "none" : list;
}

namespace {

// What `kiln devices` shows after the full name, when the device reports it: what it is, what it computes in,
// the hints' defaults, and how many streams and requests it runs.
constexpr const char* kDisplayedProperties[] = {
    "DEVICE_ARCHITECTURE",
    "DEVICE_TYPE",
    "OPTIMIZATION_CAPABILITIES",
    "INFERENCE_PRECISION_HINT",
    "EXECUTION_MODE_HINT",
    "PERFORMANCE_HINT",
    "NUM_STREAMS",
    "RANGE_FOR_STREAMS",
    "RANGE_FOR_ASYNC_INFER_REQUESTS",
    "INFERENCE_NUM_THREADS",
    "GPU_EXECUTION_UNITS_COUNT",
    "GPU_DEVICE_TOTAL_MEM_SIZE",
    "NPU_DEVICE_TOTAL_MEM_SIZE",
    "NPU_DRIVER_VERSION",
};

class OpenVINODeviceCatalog final : public DeviceCatalog {
  public:
    std::vector<std::string> devices() const override {
        std::call_once(devices_once_, [this] {
            try {
                devices_ = core().get_available_devices();
            } catch (const Error&) {
                throw;
            } catch (const std::exception& e) {
                fail(ErrorCode::DeviceError, "OpenVINO cannot list its devices: ", e.what());
            }
        });
        return devices_;
    }

    std::vector<PropertyInfo> supported_properties(const std::string& device) const override {
        std::vector<PropertyInfo> properties;
        try {
            for (const ::ov::PropertyName& p : core().get_property(device, ::ov::supported_properties)) {
                properties.push_back({p, p.is_mutable()});
            }
        } catch (const Error&) {
            throw;
        } catch (const std::exception& e) {
            fail(ErrorCode::DeviceError, "OpenVINO cannot list the properties of device '", device, "': ", e.what());
        }
        return properties;
    }

    DeviceDescription describe(const std::string& device) const override {
        DeviceDescription description{device, "", {}};
        std::vector<PropertyInfo> supported = supported_properties(device);
        auto reports = [&](const std::string& name) {
            for (const PropertyInfo& p : supported) {
                if (p.name == name) return true;
            }
            return false;
        };
        if (reports("FULL_DEVICE_NAME")) description.full_name = text_of(device, "FULL_DEVICE_NAME");
        for (const char* name : kDisplayedProperties) {
            if (!reports(name)) continue;
            std::string value = text_of(device, name);
            if (!value.empty()) description.properties.emplace_back(name, value);
        }
        return description;
    }

  private:
    // The property as text; "" when OpenVINO cannot read it or print its type (a display-only answer).
    static std::string text_of(const std::string& device, const std::string& name) {
        try {
            return core().get_property(device, name).as<std::string>();
        } catch (const std::exception&) {
            return "";
        }
    }

    mutable std::once_flag devices_once_;
    mutable std::vector<std::string> devices_;
};

}  // namespace

const DeviceCatalog& openvino_devices() {
    static const OpenVINODeviceCatalog catalog;
    return catalog;
}

}  // namespace kiln::ov
