// The one parser of the OpenVINO provider's options (see options.h). Where ONNX Runtime's OpenVINO provider
// falls back silently or with a warning on a bad value (num_of_threads or num_streams <= 0, an unknown
// model_priority), kiln refuses the value with an error naming the key and what it accepts.
#include "providers/openvino/options.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "kiln/error.h"
#include "providers/openvino/devices.h"

namespace kiln::ov {

namespace {

using nlohmann::json;

constexpr std::string_view kMetaModes[] = {"AUTO", "HETERO", "MULTI"};
// Top-level keys of a load_config file.
constexpr std::string_view kConfigDeviceKeys[] = {"CPU", "GPU", "NPU", "AUTO", "HETERO", "MULTI"};
// Properties that OpenVINO's core reads in any compile_model call, whatever the device lists.
constexpr std::string_view kCoreProperties[] = {"CACHE_DIR",           "CACHE_MODE",          "ENABLE_MMAP",
                                                "ALLOW_AUTO_BATCHING", "FORCE_TBB_TERMINATE", "DEVICE_PROPERTIES"};
constexpr int kMaxConfigNesting = 8;
constexpr int kMaxCount = std::numeric_limits<int32_t>::max();

template <typename List>
bool contains(const List& list, std::string_view item) {
    return std::find(std::begin(list), std::end(list), item) != std::end(list);
}

template <typename List>
std::string join(const List& list, const char* separator = ", ") {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : separator) + std::string(item);
    return out;
}

// Collects warnings for the caller, or prints them when the caller passed no list.
class Warnings {
  public:
    explicit Warnings(std::vector<std::string>* out) : out_(out) {}
    template <typename... Parts>
    void add(Parts&&... parts) {
        std::string message = str(std::forward<Parts>(parts)...);
        if (out_) {
            out_->push_back(std::move(message));
        } else {
            std::fprintf(stderr, "kiln: warning: %s\n", message.c_str());
        }
    }

  private:
    std::vector<std::string>* out_;
};

[[noreturn]] void bad_value(std::string_view key, const std::string& value, const std::string& why,
                            ErrorCode code = ErrorCode::InvalidArgument) {
    fail(code, "OpenVINO option ", key, "='", value, "': ", why);
}

bool is_digits(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string trim(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos) return "";
    return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// ---- scalar values ----

bool parse_bool(std::string_view key, const std::string& value) {
    if (value == "true" || value == "True") return true;
    if (value == "false" || value == "False") return false;
    bad_value(key, value, "must be true, True, false or False");
}

// A whole number from 1 to 2^31-1, digits only.
int parse_count(std::string_view key, const std::string& value) {
    const std::string why = str("must be a whole number from 1 to ", kMaxCount, " (digits only)");
    if (!is_digits(value)) bad_value(key, value, why);
    int64_t n = 0;
    for (char c : value) {
        n = n * 10 + (c - '0');
        if (n > kMaxCount) bad_value(key, value, why);
    }
    if (n == 0) bad_value(key, value, why);
    return static_cast<int>(n);
}

// context: the cl_context address in hexadecimal, with or without 0x.
uint64_t parse_context(const std::string& value) {
    std::string digits = value.rfind("0x", 0) == 0 || value.rfind("0X", 0) == 0 ? value.substr(2) : value;
    bool hex = !digits.empty() && digits.size() <= 16 &&
               std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isxdigit(c); });
    if (!hex) bad_value("context", value, "must be an OpenCL cl_context address in hexadecimal (0x123456ff)");
    uint64_t address = std::stoull(digits, nullptr, 16);
    if (address == 0) bad_value("context", value, "must be a non-null OpenCL cl_context address");
    return address;
}

constexpr std::pair<std::string_view, ModelPriority> kModelPriorities[] = {
    {"LOW", ModelPriority::Low},
    {"MEDIUM", ModelPriority::Medium},
    {"HIGH", ModelPriority::High},
    {"DEFAULT", ModelPriority::Default},
};

ModelPriority parse_model_priority(const std::string& value) {
    for (const auto& [name, priority] : kModelPriorities) {
        if (value == name) return priority;
    }
    bad_value("model_priority", value, "must be LOW, MEDIUM, HIGH or DEFAULT");
}

// ---- precision ----

constexpr Precision kAllPrecisions[] = {Precision::FP32, Precision::FP16, Precision::Accuracy};

struct PrecisionRule {
    std::string_view device_type;
    Precision default_precision;
    std::vector<Precision> allowed;
};

const std::vector<PrecisionRule>& precision_rules() {
    static const std::vector<PrecisionRule> rules = {
        {"CPU", Precision::FP32, {Precision::FP32, Precision::Accuracy}},
        {"GPU", Precision::FP16, {Precision::FP16, Precision::FP32, Precision::Accuracy}},
        {"NPU", Precision::FP16, {Precision::FP16, Precision::Accuracy}},
    };
    return rules;
}

const PrecisionRule* precision_rule(const std::string& device) {
    if (device.find(':') != std::string::npos) return nullptr;  // a meta device's list
    std::string type = device_type_of(device);
    for (const PrecisionRule& rule : precision_rules()) {
        if (rule.device_type == type) return &rule;
    }
    return nullptr;
}

std::string precision_list(const std::vector<Precision>& precisions) {
    std::vector<std::string> names;
    for (Precision p : precisions) names.push_back(precision_name(p));
    return join(names);
}

std::optional<Precision> precision_named(const std::string& name) {
    for (Precision p : kAllPrecisions) {
        if (name == precision_name(p)) return p;
    }
    return std::nullopt;
}

bool allows(const std::string& device, Precision precision) {
    std::vector<Precision> allowed = allowed_precisions(device);
    return std::find(allowed.begin(), allowed.end(), precision) != allowed.end();
}

// ---- device_type ----

std::string strip_spaces(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    }
    return out;
}

// "GPU.1_FP32" -> FP32 with `base` "GPU.1"; nullopt when there is no legacy suffix.
std::optional<Precision> legacy_suffix(const std::string& device, std::string* base) {
    for (Precision p : {Precision::FP32, Precision::FP16}) {
        std::string suffix = std::string("_") + precision_name(p);
        if (device.size() > suffix.size() &&
            device.compare(device.size() - suffix.size(), suffix.size(), suffix) == 0) {
            *base = device.substr(0, device.size() - suffix.size());
            return p;
        }
    }
    return std::nullopt;
}

std::string mode_name(DeviceMode mode) {
    switch (mode) {
        case DeviceMode::Auto:
            return "AUTO";
        case DeviceMode::Hetero:
            return "HETERO";
        case DeviceMode::Multi:
            return "MULTI";
        case DeviceMode::Single:
            break;
    }
    return "";
}

struct ParsedDevice {
    DeviceSelection selection;
    std::optional<Precision> legacy_precision;  // from CPU_FP32, GPU.1_FP16
};

ParsedDevice parse_device_type(std::string_view key, const std::string& given, const DeviceCatalog& catalog,
                               Warnings& warn) {
    ParsedDevice parsed;
    DeviceSelection& selection = parsed.selection;
    selection.given = given;
    std::string text = strip_spaces(given);
    auto not_available = [&](const std::string& device) {
        bad_value(key, given, str("device '", device, "' is not available (available: ", catalog.device_list(), ")"),
                  ErrorCode::NotFound);
    };
    if (text.empty()) text = "CPU";

    if (text == "AUTO") {
        selection.mode = DeviceMode::Auto;
        selection.devices = catalog.devices();
        selection.listed = false;
        if (selection.devices.empty()) not_available("AUTO");
        return parsed;
    }
    size_t colon = text.find(':');
    if (colon == std::string::npos) {
        if (contains(kMetaModes, text)) {
            bad_value(key, given, str(text, " needs a device list, e.g. ", text, ":GPU,CPU"));
        }
        std::string device = text;
        std::string base;
        if (std::optional<Precision> legacy = legacy_suffix(text, &base)) {
            if (!allows(base, *legacy)) {
                bad_value(key, given,
                          str("precision ", precision_name(*legacy), " is not supported on ", base,
                              " (accepted: ", precision_list(allowed_precisions(base)), ")"));
            }
            device = base;
            parsed.legacy_precision = legacy;
        }
        if (!catalog.has(device)) not_available(device);
        selection.devices = {device};
        if (parsed.legacy_precision) {
            warn.add("OpenVINO option device_type='", given, "' is deprecated: write device_type=", device,
                     ", precision=", precision_name(*parsed.legacy_precision));
        }
        return parsed;
    }

    std::string mode = text.substr(0, colon);
    if (mode == "AUTO") {
        selection.mode = DeviceMode::Auto;
    } else if (mode == "HETERO") {
        selection.mode = DeviceMode::Hetero;
    } else if (mode == "MULTI") {
        selection.mode = DeviceMode::Multi;
    } else {
        bad_value(key, given, str("unknown mode '", mode, "': supported modes are AUTO, HETERO and MULTI"));
    }
    std::string list = text.substr(colon + 1);
    if (list.empty()) bad_value(key, given, str(mode, ": lists no device, e.g. ", mode, ":GPU,CPU"));
    std::vector<std::string> listed;
    std::stringstream items(list);
    for (std::string device; std::getline(items, device, ',');) listed.push_back(device);
    if (list.back() == ',') listed.push_back("");
    selection.devices.clear();
    std::set<std::string> seen;
    for (const std::string& device : listed) {
        std::string base;
        if (device.empty()) bad_value(key, given, "a device name in the list is empty");
        if (device.find(':') != std::string::npos || contains(kMetaModes, device)) {
            bad_value(key, given, str("'", device, "' cannot be listed inside ", mode, ": (list devices only)"));
        }
        if (legacy_suffix(device, &base)) {
            bad_value(key, given,
                      str("'", device, "' carries a precision suffix, which a ", mode, ": list does not take: list '",
                          base, "' and set the precision option"));
        }
        if (!seen.insert(device).second) bad_value(key, given, str("device '", device, "' is listed twice"));
        if (catalog.has(device)) {
            selection.devices.push_back(device);
        } else if (selection.mode == DeviceMode::Auto) {
            warn.add("OpenVINO option device_type='", given, "': device '", device,
                     "' is not available (available: ", catalog.device_list(), "); AUTO goes on without it");
        } else {
            not_available(device);
        }
    }
    if (selection.devices.empty()) {
        bad_value(key, given, str("none of the listed devices is available (available: ", catalog.device_list(), ")"),
                  ErrorCode::NotFound);
    }
    return parsed;
}

// ---- reshape_input and layout ----

// Splits "name[body],name2[body2]" into (name, body) pairs; errors name `key`.
std::vector<std::pair<std::string, std::string>> split_tensor_list(std::string_view key, const std::string& value,
                                                                   const char* example) {
    const std::string grammar = str("expected ", example);
    if (trim(value).empty()) bad_value(key, value, grammar);
    std::vector<std::pair<std::string, std::string>> tensors;
    std::set<std::string> seen;
    size_t pos = 0;
    while (true) {
        size_t open = value.find('[', pos);
        if (open == std::string::npos) bad_value(key, value, str("no '[' after '", value.substr(pos), "': ", grammar));
        std::string name = trim(value.substr(pos, open - pos));
        if (name.empty()) bad_value(key, value, str("empty tensor name before '[': ", grammar));
        size_t close = value.find(']', open);
        if (close == std::string::npos) bad_value(key, value, str("tensor '", name, "' has no closing ']'"));
        if (!seen.insert(name).second) bad_value(key, value, str("tensor '", name, "' is listed twice"));
        tensors.emplace_back(name, value.substr(open + 1, close - open - 1));
        pos = value.find_first_not_of(" \t", close + 1);
        if (pos == std::string::npos) break;
        if (value[pos] != ',') bad_value(key, value, str("expected ',' after the ']' of tensor '", name, "'"));
        ++pos;
    }
    return tensors;
}

int64_t parse_dim(const std::string& value, const std::string& tensor, const std::string& text) {
    auto invalid = [&] {
        bad_value(
            "reshape_input", value,
            str("invalid dimension value '", text, "' of tensor '", tensor, "' (a whole number, or a range lo..hi)"));
    };
    if (!is_digits(text) || text.size() > 18) invalid();
    return std::stoll(text);
}

std::vector<InputShape> parse_reshape_input(const std::string& value) {
    std::vector<InputShape> shapes;
    for (const auto& [name, body] : split_tensor_list("reshape_input", value, "name[d,d,lo..hi],name2[...]")) {
        InputShape shape{name, {}};
        if (!trim(body).empty()) {
            std::stringstream items(body + ",");
            for (std::string item; std::getline(items, item, ',');) {
                item = trim(item);
                size_t dots = item.find("..");
                if (dots == std::string::npos) {
                    int64_t d = parse_dim(value, name, item);
                    shape.dims.push_back({d, d});
                    continue;
                }
                int64_t lo = parse_dim(value, name, trim(item.substr(0, dots)));
                int64_t hi = parse_dim(value, name, trim(item.substr(dots + 2)));
                if (lo > hi) {
                    bad_value("reshape_input", value,
                              str("invalid dimension range '", item, "' of tensor '", name, "' (start > end)"));
                }
                shape.dims.push_back({lo, hi});
            }
        }
        shapes.push_back(std::move(shape));
    }
    return shapes;
}

std::vector<TensorLayout> parse_layout(const std::string& value) {
    std::vector<TensorLayout> layouts;
    for (const auto& [name, body] : split_tensor_list("layout", value, "name[NCHW],name2[NC]")) {
        std::string letters = trim(body);
        if (letters.empty()) bad_value("layout", value, str("tensor '", name, "' has an empty layout"));
        std::set<char> seen;
        for (char& c : letters) {
            if (c == '?') continue;
            if (!std::isalpha(static_cast<unsigned char>(c))) {
                bad_value("layout", value,
                          str("layout '", letters, "' of tensor '", name, "' has '", c, "' (letters and ? only)"));
            }
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!seen.insert(c).second) {
                bad_value("layout", value,
                          str("layout '", body, "' of tensor '", name, "' repeats the letter '", c, "'"));
            }
        }
        layouts.push_back({name, letters});
    }
    return layouts;
}

// ---- load_config ----

const char* json_type(const json& value) {
    if (value.is_number_integer() || value.is_number_unsigned()) return "integer";
    return value.type_name();
}

class ConfigReader {
  public:
    explicit ConfigReader(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void invalid(const std::string& why) const {
        fail(ErrorCode::InvalidArgument, "OpenVINO option load_config: ", source_, ": ", why);
    }

    LoadConfig read(const std::string& text, Warnings& warn) const {
        json root;
        try {
            root = json::parse(text);
        } catch (const json::exception& e) {  // parse_error, and out_of_range for a number beyond double (1e999)
            std::string what = e.what();
            size_t tag = what.find("] ");
            invalid(str("not valid JSON: ", tag == std::string::npos ? what : what.substr(tag + 2)));
        }
        if (!root.is_object()) {
            invalid(str("the root must be an object ({\"CPU\": {\"PROPERTY\": \"VALUE\"}}), got ", json_type(root)));
        }
        LoadConfig config;
        config.source = source_;
        for (const auto& [device_key, block] : root.items()) {
            if (!contains(kConfigDeviceKeys, device_key)) {
                warn.add("OpenVINO option load_config: ", source_, ": device key '", device_key, "' is not one of ",
                         join(kConfigDeviceKeys), "; skipped");
                continue;
            }
            if (!block.is_object()) {
                invalid(str("at /", device_key, ": a device's properties must be an object, got ", json_type(block)));
            }
            config.devices[device_key] = entries(block, "/" + device_key, 0);
        }
        return config;
    }

  private:
    std::vector<ConfigEntry> entries(const json& object, const std::string& path, int nesting) const {
        std::vector<ConfigEntry> out;
        for (const auto& [key, value] : object.items()) out.push_back({key, convert(value, path + "/" + key, nesting)});
        return out;
    }

    ConfigValue convert(const json& value, const std::string& path, int nesting) const {
        if (value.is_string()) return {value.get<std::string>()};
        if (value.is_boolean()) return {value.get<bool>()};
        if (value.is_number_unsigned()) {
            uint64_t n = value.get<uint64_t>();
            if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
                invalid(str("at ", path, ": ", n, " is out of the 64-bit integer range"));
            }
            return {static_cast<int64_t>(n)};
        }
        if (value.is_number_integer()) return {value.get<int64_t>()};
        if (value.is_number_float()) return {value.get<double>()};
        if (value.is_object()) {
            if (nesting + 1 > kMaxConfigNesting) {
                invalid(str("at ", path, ": objects nest deeper than ", kMaxConfigNesting, " levels"));
            }
            return {entries(value, path, nesting + 1)};
        }
        invalid(
            str("at ", path, ": ", json_type(value), " is not a property value (a string, number, boolean or object)"));
    }

    std::string source_;
};

// Drops, with a warning, the properties of the devices in use that the device does not list or cannot set.
void check_config(LoadConfig& config, const DeviceSelection& selection, const DeviceCatalog& catalog, Warnings& warn) {
    for (auto& [device_key, entries] : config.devices) {
        std::string device;  // whom to ask: the meta device, or the first device in use of that type
        if (selection.is_meta() && device_key == mode_name(selection.mode)) {
            device = device_key;
        } else {
            for (const std::string& d : selection.devices) {
                if (device_type_of(d) == device_key) {
                    device = d;
                    break;
                }
            }
        }
        if (device.empty()) continue;  // not in use: kept as read, not applied
        std::vector<PropertyInfo> supported = catalog.supported_properties(device);
        std::vector<ConfigEntry> kept;
        for (ConfigEntry& entry : entries) {
            auto it = std::find_if(supported.begin(), supported.end(),
                                   [&](const PropertyInfo& p) { return p.name == entry.key; });
            if (contains(kCoreProperties, entry.key) || (it != supported.end() && it->is_mutable)) {
                kept.push_back(std::move(entry));
            } else if (it != supported.end()) {
                warn.add("OpenVINO option load_config: ", config.source, ": property '", entry.key, "' of ", device,
                         " is read-only; skipped");
            } else {
                warn.add("OpenVINO option load_config: ", config.source, ": ", device, " does not support property '",
                         entry.key, "' (not among its SUPPORTED_PROPERTIES in this OpenVINO); skipped");
            }
        }
        entries = std::move(kept);
    }
}

LoadConfig parse_load_config(const std::string& value, const DeviceSelection& selection, const DeviceCatalog& catalog,
                             Warnings& warn) {
    size_t first = value.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        warn.add("OpenVINO option load_config is empty; ignored");
        return {};
    }
    std::string text;
    std::string source;
    if (value[first] == '{') {
        text = value;
        source = "inline JSON";
    } else {
        source = str("file '", value, "'");
        std::ifstream file(value, std::ios::binary);
        if (!file) bad_value("load_config", value, str("cannot read file '", value, "': ", std::strerror(errno)));
        std::ostringstream content;
        content << file.rdbuf();
        text = content.str();
    }
    LoadConfig config = ConfigReader(source).read(text, warn);
    check_config(config, selection, catalog, warn);
    return config;
}

// ---- options that need a device in use ----

bool has_property(const DeviceCatalog& catalog, const std::string& device, const std::string& name) {
    for (const PropertyInfo& p : catalog.supported_properties(device)) {
        if (p.name == name) return p.is_mutable;
    }
    return false;
}

void check_num_streams(const OpenVINOOptions& options, const std::string& value, const DeviceCatalog& catalog) {
    if (options.num_streams == 1) return;
    const DeviceSelection& device = options.device;
    if (device.is_meta()) {
        bad_value("num_streams", value,
                  str("cannot set NUM_STREAMS to ", options.num_streams, " for device_type '", device.target(),
                      "': AUTO, HETERO and MULTI take 1; set NUM_STREAMS per device in load_config"));
    }
    if (!has_property(catalog, device.devices[0], "NUM_STREAMS")) {
        bad_value("num_streams", value, str("device '", device.devices[0], "' cannot set NUM_STREAMS (it runs 1)"),
                  ErrorCode::Unsupported);
    }
}

// A precision given for a meta device reaches each listed device that accepts it; the others compute at their
// own default (see properties.h).
// Why `dir` cannot hold a model cache ("" when it can): it is created if missing, and a file is written and
// removed in it. OpenVINO itself fails silently on a folder it cannot write.
std::string cache_dir_problem(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return "cannot create it: " + ec.message();
    std::filesystem::path probe = std::filesystem::path(dir) / ".kiln-write-probe";
    {
        std::ofstream out(probe, std::ios::binary);
        if (!(out << 'k')) return "cannot write in it";
    }
    std::filesystem::remove(probe, ec);
    return "";
}

void warn_precision_per_device(const OpenVINOOptions& options, Warnings& warn) {
    if (!options.device.is_meta() || !options.precision_given) return;
    for (const std::string& d : options.device.devices) {
        if (allows(d, options.precision)) continue;
        warn.add("OpenVINO option precision=", precision_name(options.precision), " does not apply to ", d,
                 " (it accepts ", precision_list(allowed_precisions(d)), "); ", d, " in ", options.device.target(),
                 " computes at ", precision_name(default_precision(d)));
    }
}

void warn_without_effect(const OpenVINOOptions& options, const std::map<std::string, std::string>& raw,
                         Warnings& warn) {
    const DeviceSelection& device = options.device;
    auto no_effect = [&](const char* key, const std::string& needs) {
        warn.add("OpenVINO option ", key, "=", raw.at(key), " has no effect on device_type '", device.target(), "' (",
                 needs, ")");
    };
    if (options.num_of_threads > 0 && !device.uses("CPU")) no_effect("num_of_threads", "it sets CPU threads");
    if (options.enable_opencl_throttling && !device.uses("GPU")) {
        no_effect("enable_opencl_throttling", "it throttles GPU queues");
    }
    if (options.enable_qdq_optimizer && !device.uses("NPU")) no_effect("enable_qdq_optimizer", "it is for NPU");
    bool priority_applies = device.mode == DeviceMode::Auto || device.mode == DeviceMode::Multi ||
                            (device.mode == DeviceMode::Single && device_type_of(device.devices[0]) != "CPU");
    if (options.model_priority != ModelPriority::Default && !priority_applies) {
        no_effect("model_priority", "it is for GPU, NPU, AUTO and MULTI");
    }
}

}  // namespace

std::string device_type_of(const std::string& device) { return device.substr(0, device.find('.')); }

std::string DeviceSelection::target() const {
    if (mode == DeviceMode::Single) return devices.empty() ? "" : devices[0];
    if (!listed) return mode_name(mode);
    return mode_name(mode) + ":" + join(devices, ",");
}

bool DeviceSelection::uses(std::string_view type) const {
    return std::any_of(devices.begin(), devices.end(), [&](const std::string& d) { return device_type_of(d) == type; });
}

const char* precision_name(Precision precision) {
    switch (precision) {
        case Precision::FP32:
            return "FP32";
        case Precision::FP16:
            return "FP16";
        case Precision::Accuracy:
            return "ACCURACY";
        case Precision::Unset:
            break;
    }
    return "";
}

Precision default_precision(const std::string& device) {
    const PrecisionRule* rule = precision_rule(device);
    return rule ? rule->default_precision : Precision::Unset;
}

std::vector<Precision> allowed_precisions(const std::string& device) {
    const PrecisionRule* rule = precision_rule(device);
    return rule ? rule->allowed : std::vector<Precision>(std::begin(kAllPrecisions), std::end(kAllPrecisions));
}

const char* model_priority_name(ModelPriority priority) {
    for (const auto& [name, p] : kModelPriorities) {
        if (p == priority) return name.data();
    }
    return "";
}

const std::vector<ConfigEntry>* LoadConfig::find(const std::string& device_key) const {
    auto it = devices.find(device_key);
    return it == devices.end() ? nullptr : &it->second;
}

const std::vector<std::string>& option_keys() {
    static const std::vector<std::string> keys = {
        "device_type",
        "device_id",
        "device_luid",
        "precision",
        "num_of_threads",
        "num_streams",
        "cache_dir",
        "context",
        "load_config",
        "model_priority",
        "enable_opencl_throttling",
        "enable_qdq_optimizer",
        "disable_dynamic_shapes",
        "enable_causallm",
        "reshape_input",
        "layout",
    };
    return keys;
}

OpenVINOOptions parse_options(const std::map<std::string, std::string>& raw, const DeviceCatalog& catalog,
                              std::vector<std::string>* warnings) {
    Warnings warn(warnings);
    for (const auto& [key, value] : raw) {
        if (!contains(option_keys(), key)) {
            fail(ErrorCode::InvalidArgument, "unknown OpenVINO option '", key, "' (valid: ", join(option_keys()), ")");
        }
    }
    auto given = [&](const char* key) -> const std::string* {
        auto it = raw.find(key);
        return it == raw.end() ? nullptr : &it->second;
    };
    OpenVINOOptions options;

    // device_type, or the deprecated device_id
    std::string_view device_key = "device_type";
    std::string device_text = given("device_type") ? *given("device_type") : "";
    if (const std::string* id = given("device_id")) {
        if (*id != "CPU" && *id != "GPU" && *id != "NPU") {
            bad_value("device_id", *id, "must be CPU, GPU or NPU (device_id is deprecated: use device_type)");
        }
        if (given("device_type")) {
            bad_value("device_id", *id, "device_type is given too; drop the deprecated device_id");
        }
        warn.add("OpenVINO option device_id is deprecated: write device_type=", *id);
        device_key = "device_id";
        device_text = *id;
    }
    if (const std::string* luid = given("device_luid")) {
        bad_value("device_luid", *luid,
                  str("LUIDs identify devices on Windows only; select the device with device_type (available: ",
                      catalog.device_list(), ")"),
                  ErrorCode::Unsupported);
    }
    ParsedDevice device = parse_device_type(device_key, device_text, catalog, warn);
    options.device = device.selection;

    // precision: explicit, from a legacy device_type suffix, or the device's default
    const std::string* precision = given("precision");
    if (precision && precision->empty()) precision = nullptr;  // "" asks for the default, as in perf_test
    if (device.legacy_precision) {
        if (precision) {
            bad_value("precision", *precision,
                      str("device_type '", device_text, "' already carries precision ",
                          precision_name(*device.legacy_precision), ": write device_type=", options.device.target(),
                          ", precision=", *precision));
        }
        options.precision = *device.legacy_precision;
        options.precision_given = true;
    } else if (precision) {
        std::string target = options.device.target();
        std::optional<Precision> p = precision_named(*precision);
        if (!p || !allows(target, *p)) {
            bad_value("precision", *precision,
                      str("not supported on device_type '", target,
                          "' (accepted: ", precision_list(allowed_precisions(target)), ")"));
        }
        options.precision = *p;
        options.precision_given = true;
    } else {
        options.precision = default_precision(options.device.target());
    }
    warn_precision_per_device(options, warn);

    if (const std::string* v = given("num_of_threads")) options.num_of_threads = parse_count("num_of_threads", *v);
    if (const std::string* v = given("num_streams")) {
        options.num_streams = parse_count("num_streams", *v);
        check_num_streams(options, *v, catalog);
    }
    if (const std::string* v = given("cache_dir"); v && !v->empty()) {
        options.cache_dir = *v;
        std::string problem = cache_dir_problem(*v);
        if (!problem.empty()) {
            warn.add("OpenVINO option cache_dir='", *v, "': ", problem, "; compiling without a model cache");
            options.cache_dir.clear();
        }
    }
    if (const std::string* v = given("context"); v && !v->empty()) {
        options.context = parse_context(*v);
        if (!options.device.uses("GPU")) {
            bad_value("context", *v,
                      str("an OpenCL context needs a GPU device; device_type is '", options.device.target(), "'"),
                      ErrorCode::Unsupported);
        }
    }
    if (const std::string* v = given("enable_opencl_throttling")) {
        options.enable_opencl_throttling = parse_bool("enable_opencl_throttling", *v);
    }
    if (const std::string* v = given("enable_qdq_optimizer")) {
        options.enable_qdq_optimizer = parse_bool("enable_qdq_optimizer", *v);
    }
    if (const std::string* v = given("disable_dynamic_shapes")) {
        options.disable_dynamic_shapes = parse_bool("disable_dynamic_shapes", *v);
    }
    if (options.device.uses("NPU") && !options.disable_dynamic_shapes) {
        if (given("disable_dynamic_shapes")) {
            warn.add("OpenVINO option disable_dynamic_shapes=", *given("disable_dynamic_shapes"),
                     " is overridden: NPU compiles static shapes only");
        }
        options.disable_dynamic_shapes = true;
    }
    if (const std::string* v = given("enable_causallm"); v && parse_bool("enable_causallm", *v)) {
        bad_value("enable_causallm", *v, "kiln does not turn language models into stateful KV-cache models yet",
                  ErrorCode::NotImplemented);
    }
    if (const std::string* v = given("model_priority")) options.model_priority = parse_model_priority(*v);
    if (const std::string* v = given("reshape_input")) options.reshape_input = parse_reshape_input(*v);
    if (const std::string* v = given("layout")) options.layout = parse_layout(*v);
    if (const std::string* v = given("load_config")) {
        options.load_config = parse_load_config(*v, options.device, catalog, warn);
    }
    warn_without_effect(options, raw, warn);
    return options;
}

}  // namespace kiln::ov
