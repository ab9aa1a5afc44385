// kiln devices: what OpenVINO sees on this machine. One line per device (its name and FULL_DEVICE_NAME), then,
// indented, its key properties and the precision option's values for it.
#include "providers/openvino/devices.h"

#include <cstdio>

#include "providers/openvino/options.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

namespace {

// "FP32 (default), ACCURACY" for the precision option on `device`.
std::string precision_choices(const std::string& device) {
    ov::Precision default_precision = ov::default_precision(device);
    std::string out;
    for (ov::Precision p : ov::allowed_precisions(device)) {
        out +=
            std::string(out.empty() ? "" : ", ") + ov::precision_name(p) + (p == default_precision ? " (default)" : "");
    }
    return out;
}

}  // namespace

int devices_command(const Args& args) {
    if (!args.empty()) throw UsageError("unexpected argument '" + args[0] + "' (kiln devices takes none)");
    const ov::DeviceCatalog& catalog = ov::openvino_devices();
    std::vector<std::string> devices = catalog.devices();
    if (devices.empty()) {
        std::printf("OpenVINO sees no device\n");
        return 0;
    }
    for (const std::string& device : devices) {
        ov::DeviceDescription description = catalog.describe(device);
        std::printf("%s  %s\n", device.c_str(), description.full_name.c_str());
        for (const auto& [name, value] : description.properties) {
            std::printf("    %-31s %s\n", (name + ":").c_str(), value.c_str());
        }
        std::printf("    %-31s %s\n", "precision option:", precision_choices(device).c_str());
    }
    std::printf("meta devices: AUTO, HETERO, MULTI (device_type=AUTO:%s lists the devices to use)\n",
                devices[0].c_str());
    return 0;
}

}  // namespace kiln::cli
