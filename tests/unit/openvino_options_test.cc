// The OpenVINO provider's option parser: every key with a valid and an invalid value, device_type forms, the
// precision rules per device and load_config, against fake catalogs (every kind of device, and a CPU-only machine)
// and, for OpenVINO's own property lists, the real one.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/openvino/devices.h"
#include "providers/openvino/options.h"
#include "support/expect_error.h"
#include "support/fake_device_catalog.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

using ov::DeviceMode;
using ov::OpenVINOOptions;
using ov::Precision;
using Raw = std::map<std::string, std::string>;

struct Parsed {
    OpenVINOOptions options;
    std::vector<std::string> warnings;
};

Parsed parse(const Raw& raw, const ov::DeviceCatalog& catalog = full_catalog()) {
    Parsed parsed;
    parsed.options = ov::parse_options(raw, catalog, &parsed.warnings);
    return parsed;
}

void expect_parse_error(const Raw& raw, ErrorCode code, const std::vector<std::string>& needles,
                        const ov::DeviceCatalog& catalog = full_catalog()) {
    std::vector<std::string> warnings;
    expect_error([&] { ov::parse_options(raw, catalog, &warnings); }, code, needles);
}

// The one warning that contains every needle.
void expect_warning(const std::vector<std::string>& warnings, const std::vector<std::string>& needles) {
    int matches = 0;
    for (const std::string& w : warnings) {
        bool all = true;
        for (const std::string& n : needles) all = all && w.find(n) != std::string::npos;
        matches += all;
    }
    std::string listed;
    for (const std::string& w : warnings) listed += "\n  " + w;
    EXPECT_EQ(matches, 1) << "needles: " << needles.front() << "...; warnings:" << listed;
}

// ---- every key: a valid value and an invalid one ----

struct KeyCase {
    std::string key;
    Raw valid;    // options holding a valid value of `key` (and what it needs, e.g. a GPU device); empty: none
    Raw invalid;  // empty: the key has no invalid value
    ErrorCode code;
    std::string needle;        // besides the key, in the error message
    std::string warning = "";  // in the one warning the valid value gives; "": none
};

const std::vector<KeyCase>& key_cases() {
    static const std::vector<KeyCase> cases = {
        {"device_type", {{"device_type", "GPU.1"}}, {{"device_type", "FPGA"}}, ErrorCode::NotFound, "'FPGA'"},
        {"device_id",
         {{"device_id", "NPU"}},
         {{"device_id", "TPU"}},
         ErrorCode::InvalidArgument,
         "CPU, GPU or NPU",
         "deprecated"},
        // No LUID works on Linux: the well-formed value is refused as unsupported here, naming the key.
        {"device_luid", {}, {{"device_luid", "0x4c5a3b2d1e0f0a09"}}, ErrorCode::Unsupported, "Windows"},
        {"precision", {{"precision", "ACCURACY"}}, {{"precision", "FP64"}}, ErrorCode::InvalidArgument, "FP32"},
        {"num_of_threads", {{"num_of_threads", "8"}}, {{"num_of_threads", "0"}}, ErrorCode::InvalidArgument, "1 to"},
        {"num_streams", {{"num_streams", "4"}}, {{"num_streams", "-2"}}, ErrorCode::InvalidArgument, "1 to"},
        // Any path that can be written (created if missing); an unusable one is a warning (test below).
        {"cache_dir", {{"cache_dir", KILN_TEST_TMP "/options_cache"}}, {}, ErrorCode::InvalidArgument, ""},
        {"context",
         {{"device_type", "GPU"}, {"context", "0x123456ff"}},
         {{"device_type", "GPU"}, {"context", "0xcl_ctx"}},
         ErrorCode::InvalidArgument,
         "hexadecimal"},
        {"load_config",
         {{"load_config", R"({"CPU": {"NUM_STREAMS": "2"}})"}},
         {{"load_config", "/nonexistent/kiln_config.json"}},
         ErrorCode::InvalidArgument,
         "/nonexistent/kiln_config.json"},
        {"model_priority",
         {{"device_type", "GPU"}, {"model_priority", "HIGH"}},
         {{"model_priority", "URGENT"}},
         ErrorCode::InvalidArgument,
         "LOW, MEDIUM, HIGH or DEFAULT"},
        {"enable_opencl_throttling",
         {{"device_type", "GPU"}, {"enable_opencl_throttling", "True"}},
         {{"enable_opencl_throttling", "yes"}},
         ErrorCode::InvalidArgument,
         "true, True, false or False"},
        {"enable_qdq_optimizer",
         {{"device_type", "NPU"}, {"enable_qdq_optimizer", "true"}},
         {{"enable_qdq_optimizer", "1"}},
         ErrorCode::InvalidArgument,
         "true, True, false or False"},
        {"disable_dynamic_shapes",
         {{"disable_dynamic_shapes", "True"}},
         {{"disable_dynamic_shapes", "TRUE"}},
         ErrorCode::InvalidArgument,
         "true, True, false or False"},
        {"enable_causallm",
         {{"enable_causallm", "False"}},
         {{"enable_causallm", "on"}},
         ErrorCode::InvalidArgument,
         "true, True, false or False"},
        {"reshape_input",
         {{"reshape_input", "images[1,3,224..448,224..448]"}},
         {{"reshape_input", "images[1,three]"}},
         ErrorCode::InvalidArgument,
         "'three'"},
        {"layout",
         {{"layout", "images[NCHW],scores[NC]"}},
         {{"layout", "images[NCHN]"}},
         ErrorCode::InvalidArgument,
         "repeats"},
    };
    return cases;
}

TEST(OpenVINOOptions, EveryKeyHasACase) {
    for (const std::string& key : ov::option_keys()) {
        bool found = false;
        for (const KeyCase& c : key_cases()) found = found || c.key == key;
        EXPECT_TRUE(found) << "no valid/invalid case for option " << key;
    }
    EXPECT_EQ(key_cases().size(), ov::option_keys().size());
}

TEST(OpenVINOOptions, EveryKeyValidAndInvalid) {
    for (const KeyCase& c : key_cases()) {
        SCOPED_TRACE(c.key);
        if (!c.valid.empty()) {
            Parsed parsed = parse(c.valid);
            if (c.warning.empty()) {
                EXPECT_TRUE(parsed.warnings.empty()) << parsed.warnings.front();
            } else {
                EXPECT_EQ(parsed.warnings.size(), 1u);
                expect_warning(parsed.warnings, {c.key, c.warning});
            }
        }
        if (!c.invalid.empty()) expect_parse_error(c.invalid, c.code, {"OpenVINO option " + c.key, c.needle});
    }
}

TEST(OpenVINOOptions, UnusableCacheDirIsAWarningAndNoCache) {
    // OpenVINO would fail silently writing there; the session compiles without a cache instead, and says so.
    Parsed p = parse({{"cache_dir", "/proc/kiln_cache"}});
    EXPECT_EQ(p.options.cache_dir, "");
    expect_warning(p.warnings, {"cache_dir='/proc/kiln_cache'", "without a model cache"});
}

TEST(OpenVINOOptions, ValidValuesLandInTheOptions) {
    Parsed p = parse({{"device_type", "GPU"},
                      {"num_of_threads", "8"},
                      {"num_streams", "4"},
                      {"cache_dir", KILN_TEST_TMP "/options_cache"},
                      {"context", "0x123456ff"},
                      {"model_priority", "HIGH"},
                      {"enable_opencl_throttling", "True"},
                      {"disable_dynamic_shapes", "true"},
                      {"enable_causallm", "false"},
                      {"reshape_input", "images[1,3,224..448],mask[0]"},
                      {"layout", "images[nchw],scores[N?]"}});
    const OpenVINOOptions& o = p.options;
    EXPECT_EQ(o.num_of_threads, 8);
    EXPECT_EQ(o.num_streams, 4);
    EXPECT_EQ(o.cache_dir, KILN_TEST_TMP "/options_cache");
    EXPECT_EQ(o.context, 0x123456ffu);
    EXPECT_EQ(o.model_priority, ov::ModelPriority::High);
    EXPECT_TRUE(o.enable_opencl_throttling);
    EXPECT_FALSE(o.enable_qdq_optimizer);
    EXPECT_TRUE(o.disable_dynamic_shapes);
    ASSERT_EQ(o.reshape_input.size(), 2u);
    EXPECT_EQ(o.reshape_input[0].name, "images");
    ASSERT_EQ(o.reshape_input[0].dims.size(), 3u);
    EXPECT_EQ(o.reshape_input[0].dims[0].min, 1);
    EXPECT_EQ(o.reshape_input[0].dims[0].max, 1);
    EXPECT_EQ(o.reshape_input[0].dims[2].min, 224);
    EXPECT_EQ(o.reshape_input[0].dims[2].max, 448);
    EXPECT_EQ(o.reshape_input[1].name, "mask");
    ASSERT_EQ(o.reshape_input[1].dims.size(), 1u);
    EXPECT_EQ(o.reshape_input[1].dims[0].max, 0);
    ASSERT_EQ(o.layout.size(), 2u);
    EXPECT_EQ(o.layout[0].name, "images");
    EXPECT_EQ(o.layout[0].layout, "NCHW");
    EXPECT_EQ(o.layout[1].layout, "N?");
    ASSERT_EQ(p.warnings.size(), 1u);  // threads are CPU threads
    expect_warning(p.warnings, {"num_of_threads=8 has no effect on device_type 'GPU'"});
}

TEST(OpenVINOOptions, Defaults) {
    Parsed p = parse({});
    const OpenVINOOptions& o = p.options;
    EXPECT_EQ(o.device.target(), "CPU");
    EXPECT_EQ(o.device.mode, DeviceMode::Single);
    EXPECT_EQ(o.precision, Precision::FP32);
    EXPECT_FALSE(o.precision_given);
    EXPECT_EQ(o.num_of_threads, 0);
    EXPECT_EQ(o.num_streams, 1);
    EXPECT_EQ(o.cache_dir, "");
    EXPECT_EQ(o.context, 0u);
    EXPECT_FALSE(o.enable_opencl_throttling);
    EXPECT_FALSE(o.enable_qdq_optimizer);
    EXPECT_FALSE(o.disable_dynamic_shapes);
    EXPECT_EQ(o.model_priority, ov::ModelPriority::Default);
    EXPECT_TRUE(o.load_config.devices.empty());
    EXPECT_TRUE(o.reshape_input.empty());
    EXPECT_TRUE(o.layout.empty());
    EXPECT_TRUE(p.warnings.empty());
}

TEST(OpenVINOOptions, UnknownKeyListsTheValidOnes) {
    expect_parse_error({{"num_threads", "4"}}, ErrorCode::InvalidArgument,
                       {"'num_threads'", "device_type", "num_of_threads", "load_config", "layout"});
}

// ---- numbers, booleans and the other scalar values ----

TEST(OpenVINOOptions, CountsAreDigitsInRange) {
    for (const char* key : {"num_of_threads", "num_streams"}) {
        for (const char* bad : {"0", "-1", "+4", "4x", "", " 4", "4.0", "2147483648", "99999999999999999999"}) {
            SCOPED_TRACE(std::string(key) + "=" + bad);
            expect_parse_error({{key, bad}}, ErrorCode::InvalidArgument, {key, str("'", bad, "'"), "1 to 2147483647"});
        }
    }
    EXPECT_EQ(parse({{"num_of_threads", "2147483647"}}).options.num_of_threads, 2147483647);
    EXPECT_EQ(parse({{"num_streams", "2147483647"}}).options.num_streams, 2147483647);
    EXPECT_EQ(parse({{"num_of_threads", "007"}}).options.num_of_threads, 7);
}

TEST(OpenVINOOptions, BooleansAreExactlyTrueOrFalse) {
    for (const char* key : {"enable_opencl_throttling", "enable_qdq_optimizer", "disable_dynamic_shapes"}) {
        for (const auto& [text, value] : std::vector<std::pair<std::string, bool>>{
                 {"true", true}, {"True", true}, {"false", false}, {"False", false}}) {
            Raw raw = {{key, text}, {"device_type", "HETERO:GPU,NPU"}};
            OpenVINOOptions o = parse(raw).options;
            bool got = std::string(key) == "enable_opencl_throttling" ? o.enable_opencl_throttling
                       : std::string(key) == "enable_qdq_optimizer"   ? o.enable_qdq_optimizer
                                                                      : o.disable_dynamic_shapes;
            // An NPU in use forces static shapes whatever was given.
            bool expected = std::string(key) == "disable_dynamic_shapes" ? true : value;
            EXPECT_EQ(got, expected) << key << "=" << text;
        }
        for (const char* bad : {"TRUE", "1", "0", "yes", ""}) {
            expect_parse_error({{key, bad}}, ErrorCode::InvalidArgument, {key, "true, True, false or False"});
        }
    }
}

TEST(OpenVINOOptions, ModelPriorityValues) {
    const std::vector<std::pair<std::string, ov::ModelPriority>> values = {{"LOW", ov::ModelPriority::Low},
                                                                           {"MEDIUM", ov::ModelPriority::Medium},
                                                                           {"HIGH", ov::ModelPriority::High},
                                                                           {"DEFAULT", ov::ModelPriority::Default}};
    for (const auto& [text, priority] : values) {
        Parsed p = parse({{"device_type", "GPU"}, {"model_priority", text}});
        EXPECT_EQ(p.options.model_priority, priority);
        EXPECT_EQ(ov::model_priority_name(priority), text);
        EXPECT_TRUE(p.warnings.empty());
    }
    // The peer falls back to DEFAULT with a warning; kiln refuses.
    for (const char* bad : {"high", "Low", "", "CRITICAL"}) {
        expect_parse_error({{"model_priority", bad}}, ErrorCode::InvalidArgument, {"model_priority", "LOW, MEDIUM"});
    }
}

TEST(OpenVINOOptions, Context) {
    EXPECT_EQ(parse({{"device_type", "GPU.1"}, {"context", "123456FF"}}).options.context, 0x123456ffu);
    EXPECT_EQ(parse({{"device_type", "AUTO:GPU,CPU"}, {"context", "0xAb"}}).options.context, 0xabu);
    EXPECT_EQ(parse({{"device_type", "CPU"}, {"context", ""}}).options.context, 0u);
    for (const char* bad : {"0x", "0", "0x0", "g00d", "0x12345678901234567", "-1"}) {
        expect_parse_error({{"device_type", "GPU"}, {"context", bad}}, ErrorCode::InvalidArgument,
                           {"context", str("'", bad, "'")});
    }
    expect_parse_error({{"device_type", "CPU"}, {"context", "0x1234"}}, ErrorCode::Unsupported,
                       {"context", "needs a GPU", "'CPU'"});
}

TEST(OpenVINOOptions, CausalLMIsNotImplemented) {
    expect_parse_error({{"enable_causallm", "True"}}, ErrorCode::NotImplemented, {"enable_causallm", "stateful"});
    EXPECT_TRUE(parse({{"enable_causallm", "False"}}).warnings.empty());
}

TEST(OpenVINOOptions, ReshapeInputGrammar) {
    OpenVINOOptions o = parse({{"reshape_input", " a[ 1 , 2..4 ] , b[] "}}).options;
    ASSERT_EQ(o.reshape_input.size(), 2u);
    EXPECT_EQ(o.reshape_input[0].name, "a");
    ASSERT_EQ(o.reshape_input[0].dims.size(), 2u);
    EXPECT_EQ(o.reshape_input[0].dims[1].min, 2);
    EXPECT_EQ(o.reshape_input[0].dims[1].max, 4);
    EXPECT_EQ(o.reshape_input[1].name, "b");
    EXPECT_TRUE(o.reshape_input[1].dims.empty());
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", "expected name["},        {"x", "no '['"},     {"[1,2]", "empty tensor name"},
        {"x[1,2", "no closing ']'"},   {"x[1,-2]", "'-2'"}, {"x[1,]", "''"},
        {"x[4..2]", "start > end"},    {"x[1..]", "''"},    {"x[1] y[2]", "expected ','"},
        {"x[1],x[2]", "listed twice"}, {"x[1],", "no '['"}, {"x[99999999999999999999]", "'99999999999999999999'"},
    };
    for (const auto& [value, needle] : bad) {
        SCOPED_TRACE(value);
        expect_parse_error({{"reshape_input", value}}, ErrorCode::InvalidArgument, {"reshape_input", needle});
    }
}

TEST(OpenVINOOptions, LayoutGrammar) {
    OpenVINOOptions o = parse({{"layout", "in[n?hw],out[??]"}}).options;
    ASSERT_EQ(o.layout.size(), 2u);
    EXPECT_EQ(o.layout[0].layout, "N?HW");
    EXPECT_EQ(o.layout[1].layout, "??");
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"in[]", "empty layout"}, {"in[NCHh]", "repeats the letter 'H'"}, {"in[NC1]", "'1'"},
        {"in[N,C]", "','"},       {"[NC]", "empty tensor name"},          {"", "expected name["},
    };
    for (const auto& [value, needle] : bad) {
        SCOPED_TRACE(value);
        expect_parse_error({{"layout", value}}, ErrorCode::InvalidArgument, {"layout", needle});
    }
}

// ---- device_type ----

struct DeviceCase {
    std::string device_type;
    std::string target;
    DeviceMode mode;
    Precision precision;
    std::vector<std::string> warning;  // needles of the one expected warning; empty: no warning
};

TEST(OpenVINOOptions, DeviceTypeForms) {
    const std::vector<DeviceCase> cases = {
        {"CPU", "CPU", DeviceMode::Single, Precision::FP32, {}},
        {"GPU", "GPU", DeviceMode::Single, Precision::FP16, {}},
        {"GPU.0", "GPU.0", DeviceMode::Single, Precision::FP16, {}},
        {"GPU.1", "GPU.1", DeviceMode::Single, Precision::FP16, {}},
        {"NPU", "NPU", DeviceMode::Single, Precision::FP16, {}},
        {" GPU.1 ", "GPU.1", DeviceMode::Single, Precision::FP16, {}},
        {"AUTO", "AUTO", DeviceMode::Auto, Precision::Unset, {}},
        {"AUTO:GPU,CPU", "AUTO:GPU,CPU", DeviceMode::Auto, Precision::Unset, {}},
        {"AUTO: NPU , GPU.1 ,CPU", "AUTO:NPU,GPU.1,CPU", DeviceMode::Auto, Precision::Unset, {}},
        {"HETERO:GPU.1,CPU", "HETERO:GPU.1,CPU", DeviceMode::Hetero, Precision::Unset, {}},
        {"MULTI:GPU,NPU", "MULTI:GPU,NPU", DeviceMode::Multi, Precision::Unset, {}},
        {"HETERO:CPU", "HETERO:CPU", DeviceMode::Hetero, Precision::Unset, {}},
        // Legacy forms: accepted, with the modern spelling in the warning.
        {"CPU_FP32", "CPU", DeviceMode::Single, Precision::FP32, {"deprecated", "device_type=CPU, precision=FP32"}},
        {"GPU_FP32", "GPU", DeviceMode::Single, Precision::FP32, {"'GPU_FP32'", "device_type=GPU, precision=FP32"}},
        {"GPU_FP16", "GPU", DeviceMode::Single, Precision::FP16, {"'GPU_FP16'", "device_type=GPU, precision=FP16"}},
        {"GPU.1_FP32", "GPU.1", DeviceMode::Single, Precision::FP32, {"device_type=GPU.1, precision=FP32"}},
        {"NPU_FP16", "NPU", DeviceMode::Single, Precision::FP16, {"device_type=NPU, precision=FP16"}},
    };
    for (const DeviceCase& c : cases) {
        SCOPED_TRACE(c.device_type);
        Parsed p = parse({{"device_type", c.device_type}});
        EXPECT_EQ(p.options.device.target(), c.target);
        EXPECT_EQ(p.options.device.mode, c.mode);
        EXPECT_EQ(p.options.device.given, c.device_type);
        EXPECT_EQ(p.options.precision, c.precision);
        EXPECT_EQ(p.options.precision_given, !c.warning.empty());
        if (c.warning.empty()) {
            EXPECT_TRUE(p.warnings.empty()) << p.warnings.front();
        } else {
            EXPECT_EQ(p.warnings.size(), 1u);
            expect_warning(p.warnings, c.warning);
        }
    }
}

TEST(OpenVINOOptions, BareAutoOffersEveryDevice) {
    OpenVINOOptions o = parse({{"device_type", "AUTO"}}).options;
    EXPECT_FALSE(o.device.listed);
    EXPECT_EQ(o.device.devices, full_catalog().devices());
    EXPECT_TRUE(o.device.uses("NPU"));
    EXPECT_TRUE(o.disable_dynamic_shapes);  // an NPU may be picked
}

TEST(OpenVINOOptions, DeviceTypeErrors) {
    struct Case {
        std::string device_type;
        const ov::DeviceCatalog* catalog;
        ErrorCode code;
        std::vector<std::string> needles;
    };
    const FakeDeviceCatalog& full = full_catalog();
    const FakeDeviceCatalog& cpu = cpu_only_catalog();
    const std::vector<Case> cases = {
        {"GPU", &cpu, ErrorCode::NotFound, {"device 'GPU' is not available (available: CPU)"}},
        {"NPU", &cpu, ErrorCode::NotFound, {"device 'NPU' is not available (available: CPU)"}},
        {"GPU.0", &cpu, ErrorCode::NotFound, {"device 'GPU.0' is not available"}},
        {"GPU.2", &full, ErrorCode::NotFound, {"device 'GPU.2' is not available (available: CPU, GPU, GPU.0"}},
        {"cpu", &full, ErrorCode::NotFound, {"device 'cpu' is not available"}},
        {"GPU_FP16", &cpu, ErrorCode::NotFound, {"device 'GPU' is not available"}},
        {"CPU_FP16", &full, ErrorCode::InvalidArgument, {"precision FP16 is not supported on CPU", "FP32, ACCURACY"}},
        {"NPU_FP32", &full, ErrorCode::InvalidArgument, {"precision FP32 is not supported on NPU"}},
        {"MYRIAD_FP16", &full, ErrorCode::NotFound, {"device 'MYRIAD' is not available"}},
        {"HETERO:GPU,CPU", &cpu, ErrorCode::NotFound, {"device 'GPU' is not available (available: CPU)"}},
        {"MULTI:CPU,GPU.3", &full, ErrorCode::NotFound, {"device 'GPU.3' is not available"}},
        {"AUTO:GPU,NPU", &cpu, ErrorCode::NotFound, {"none of the listed devices is available (available: CPU)"}},
        {"BATCH:CPU", &full, ErrorCode::InvalidArgument, {"'BATCH'", "AUTO, HETERO and MULTI"}},
        {"HETERO", &full, ErrorCode::InvalidArgument, {"needs a device list", "HETERO:GPU,CPU"}},
        {"MULTI", &full, ErrorCode::InvalidArgument, {"needs a device list"}},
        {"AUTO:", &full, ErrorCode::InvalidArgument, {"lists no device"}},
        {"HETERO:CPU,,GPU", &full, ErrorCode::InvalidArgument, {"empty"}},
        {"HETERO:GPU,CPU,", &full, ErrorCode::InvalidArgument, {"empty"}},
        {"HETERO:CPU,CPU", &full, ErrorCode::InvalidArgument, {"'CPU' is listed twice"}},
        {"HETERO:GPU_FP16,CPU", &full, ErrorCode::InvalidArgument, {"'GPU_FP16'", "precision"}},
        {"MULTI:AUTO,CPU", &full, ErrorCode::InvalidArgument, {"'AUTO' cannot be listed inside MULTI"}},
        {"AUTO:HETERO:CPU", &full, ErrorCode::InvalidArgument, {"cannot be listed inside AUTO"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.device_type);
        std::vector<std::string> needles = c.needles;
        needles.push_back("device_type");
        expect_parse_error({{"device_type", c.device_type}}, c.code, needles, *c.catalog);
    }
    // The default device must be present too.
    static const FakeDeviceCatalog gpu_only({"GPU"});
    expect_parse_error({}, ErrorCode::NotFound, {"device_type", "device 'CPU' is not available (available: GPU)"},
                       gpu_only);
}

TEST(OpenVINOOptions, AutoSkipsAbsentDevicesWithAWarning) {
    Parsed p = parse({{"device_type", "AUTO:GPU,NPU,CPU"}}, cpu_only_catalog());
    EXPECT_EQ(p.options.device.target(), "AUTO:CPU");
    ASSERT_EQ(p.warnings.size(), 2u);
    expect_warning(p.warnings, {"device_type", "'GPU' is not available (available: CPU)", "without it"});
    expect_warning(p.warnings, {"device_type", "'NPU' is not available"});
    EXPECT_FALSE(p.options.disable_dynamic_shapes);  // the NPU was dropped
}

TEST(OpenVINOOptions, LegacyDeviceTypeWithPrecisionIsAnError) {
    expect_parse_error({{"device_type", "GPU_FP16"}, {"precision", "FP32"}}, ErrorCode::InvalidArgument,
                       {"precision", "'GPU_FP16' already carries precision FP16", "device_type=GPU, precision=FP32"});
    // An empty precision asks for the default, so the suffix stands.
    Parsed p = parse({{"device_type", "GPU.1_FP32"}, {"precision", ""}});
    EXPECT_EQ(p.options.precision, Precision::FP32);
}

TEST(OpenVINOOptions, DeviceIdIsDeprecated) {
    Parsed p = parse({{"device_id", "GPU"}});
    EXPECT_EQ(p.options.device.target(), "GPU");
    EXPECT_EQ(p.options.precision, Precision::FP16);
    ASSERT_EQ(p.warnings.size(), 1u);
    expect_warning(p.warnings, {"device_id is deprecated", "device_type=GPU"});
    expect_parse_error({{"device_id", "GPU"}, {"device_type", "CPU"}}, ErrorCode::InvalidArgument,
                       {"device_id", "device_type is given too"});
    expect_parse_error({{"device_id", "GPU"}}, ErrorCode::NotFound, {"device_id", "device 'GPU' is not available"},
                       cpu_only_catalog());
    expect_parse_error({{"device_id", "GPU.1"}}, ErrorCode::InvalidArgument, {"device_id", "CPU, GPU or NPU"});
}

// ---- precision per device ----

TEST(OpenVINOOptions, PrecisionPerDevice) {
    struct Case {
        std::string device_type;
        std::string precision;              // "" = not given
        std::optional<Precision> expected;  // nullopt: refused
    };
    const std::vector<Case> cases = {
        {"CPU", "", Precision::FP32},
        {"CPU", "FP32", Precision::FP32},
        {"CPU", "ACCURACY", Precision::Accuracy},
        {"CPU", "FP16", std::nullopt},
        {"CPU", "BF16", std::nullopt},
        {"CPU", "fp32", std::nullopt},
        {"GPU", "", Precision::FP16},
        {"GPU", "FP16", Precision::FP16},
        {"GPU", "FP32", Precision::FP32},
        {"GPU", "ACCURACY", Precision::Accuracy},
        {"GPU", "INT8", std::nullopt},
        {"GPU.0", "", Precision::FP16},
        {"GPU.1", "FP32", Precision::FP32},
        {"NPU", "", Precision::FP16},
        {"NPU", "FP16", Precision::FP16},
        {"NPU", "ACCURACY", Precision::Accuracy},
        {"NPU", "FP32", std::nullopt},
        {"AUTO", "", Precision::Unset},
        {"AUTO:GPU,CPU", "", Precision::Unset},
        {"AUTO:GPU,CPU", "FP16", Precision::FP16},
        {"HETERO:GPU,CPU", "FP32", Precision::FP32},
        {"MULTI:GPU,NPU", "ACCURACY", Precision::Accuracy},
        {"MULTI:GPU,NPU", "", Precision::Unset},
        {"HETERO:GPU,CPU", "BF16", std::nullopt},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.device_type + " precision=" + c.precision);
        Raw raw = {{"device_type", c.device_type}};
        if (!c.precision.empty()) raw["precision"] = c.precision;
        if (c.expected) {
            Parsed p = parse(raw);
            EXPECT_EQ(p.options.precision, *c.expected);
            EXPECT_EQ(p.options.precision_given, !c.precision.empty());
        } else {
            expect_parse_error(raw, ErrorCode::InvalidArgument, {"precision", str("'", c.precision, "'"), "accepted:"});
        }
    }
    // The message lists what the device accepts.
    expect_parse_error({{"device_type", "NPU"}, {"precision", "FP32"}}, ErrorCode::InvalidArgument,
                       {"(accepted: FP16, ACCURACY)"});
    expect_parse_error({{"device_type", "GPU.1"}, {"precision", "BF16"}}, ErrorCode::InvalidArgument,
                       {"(accepted: FP16, FP32, ACCURACY)"});
}

TEST(OpenVINOOptions, PrecisionOnACpuOnlyMachine) {
    EXPECT_EQ(parse({}, cpu_only_catalog()).options.precision, Precision::FP32);
    EXPECT_EQ(parse({{"precision", "ACCURACY"}}, cpu_only_catalog()).options.precision, Precision::Accuracy);
    EXPECT_EQ(parse({{"device_type", "AUTO"}}, cpu_only_catalog()).options.precision, Precision::Unset);
    expect_parse_error({{"precision", "FP16"}}, ErrorCode::InvalidArgument, {"precision", "'CPU'"}, cpu_only_catalog());
}

TEST(OpenVINOOptions, MetaPrecisionWarnsForDevicesThatDoNotTakeIt) {
    Parsed p = parse({{"device_type", "AUTO:GPU,CPU"}, {"precision", "FP16"}});
    ASSERT_EQ(p.warnings.size(), 1u);
    expect_warning(p.warnings, {"precision=FP16 does not apply to CPU", "CPU in AUTO:GPU,CPU computes at FP32"});
}

TEST(OpenVINOOptions, PrecisionRulesTable) {
    EXPECT_EQ(ov::default_precision("GPU.1"), Precision::FP16);
    EXPECT_EQ(ov::default_precision("HETERO:GPU,CPU"), Precision::Unset);
    EXPECT_EQ(ov::allowed_precisions("CPU"), (std::vector<Precision>{Precision::FP32, Precision::Accuracy}));
    EXPECT_EQ(ov::allowed_precisions("NPU"), (std::vector<Precision>{Precision::FP16, Precision::Accuracy}));
    EXPECT_EQ(ov::allowed_precisions("MULTI:CPU").size(), 3u);
}

// ---- options that depend on the device ----

TEST(OpenVINOOptions, NumStreamsOnMetaDevices) {
    for (const char* device : {"AUTO:GPU,CPU", "HETERO:GPU,CPU", "MULTI:GPU,CPU", "AUTO"}) {
        SCOPED_TRACE(device);
        expect_parse_error({{"device_type", device}, {"num_streams", "2"}}, ErrorCode::InvalidArgument,
                           {"num_streams", "cannot set NUM_STREAMS to 2", device});
        EXPECT_EQ(parse({{"device_type", device}, {"num_streams", "1"}}).options.num_streams, 1);
    }
}

TEST(OpenVINOOptions, NumStreamsWhereTheDeviceCannotSetIt) {
    expect_parse_error({{"device_type", "NPU"}, {"num_streams", "2"}}, ErrorCode::Unsupported,
                       {"num_streams", "'NPU' cannot set NUM_STREAMS"});
    EXPECT_EQ(parse({{"device_type", "NPU"}, {"num_streams", "1"}}).options.num_streams, 1);
    EXPECT_EQ(parse({{"device_type", "GPU.1"}, {"num_streams", "3"}}).options.num_streams, 3);
}

TEST(OpenVINOOptions, OptionsWithoutEffectWarn) {
    struct Case {
        Raw raw;
        std::vector<std::string> warning;  // empty: no warning
    };
    const std::vector<Case> cases = {
        {{{"device_type", "GPU"}, {"num_of_threads", "8"}}, {"num_of_threads=8 has no effect", "'GPU'"}},
        {{{"device_type", "HETERO:GPU,CPU"}, {"num_of_threads", "8"}}, {}},
        {{{"device_type", "CPU"}, {"model_priority", "HIGH"}}, {"model_priority=HIGH has no effect", "'CPU'"}},
        {{{"device_type", "HETERO:GPU,CPU"}, {"model_priority", "LOW"}}, {"model_priority=LOW has no effect"}},
        {{{"device_type", "CPU"}, {"model_priority", "DEFAULT"}}, {}},
        {{{"device_type", "AUTO:GPU,CPU"}, {"model_priority", "HIGH"}}, {}},
        {{{"device_type", "MULTI:GPU,CPU"}, {"model_priority", "HIGH"}}, {}},
        {{{"device_type", "NPU"}, {"model_priority", "HIGH"}}, {}},
        {{{"device_type", "CPU"}, {"enable_opencl_throttling", "True"}}, {"enable_opencl_throttling=True has no"}},
        {{{"device_type", "AUTO:GPU,CPU"}, {"enable_opencl_throttling", "True"}}, {}},
        {{{"device_type", "GPU"}, {"enable_qdq_optimizer", "True"}}, {"enable_qdq_optimizer=True has no effect"}},
        {{{"device_type", "NPU"}, {"disable_dynamic_shapes", "False"}}, {"disable_dynamic_shapes=False", "NPU"}},
    };
    for (const Case& c : cases) {
        Parsed p = parse(c.raw);
        SCOPED_TRACE(p.options.device.target());
        if (c.warning.empty()) {
            EXPECT_TRUE(p.warnings.empty()) << p.warnings.front();
        } else {
            EXPECT_EQ(p.warnings.size(), 1u);
            expect_warning(p.warnings, c.warning);
        }
    }
    EXPECT_TRUE(parse({{"device_type", "NPU"}, {"disable_dynamic_shapes", "False"}}).options.disable_dynamic_shapes);
}

TEST(OpenVINOOptions, WarningsGoToStderrWithoutAList) {
    testing::internal::CaptureStderr();
    OpenVINOOptions o = ov::parse_options({{"device_type", "CPU_FP32"}}, full_catalog(), nullptr);
    std::string printed = testing::internal::GetCapturedStderr();
    EXPECT_EQ(o.device.target(), "CPU");
    EXPECT_NE(printed.find("warning: OpenVINO option device_type='CPU_FP32' is deprecated"), std::string::npos)
        << printed;
}

// ---- load_config ----

std::string config_file(const std::string& name, const std::string& json) {
    std::string path = test_tmp_dir("openvino_load_config_" + name) + "/config.json";
    write_file(path, json);
    return path;
}

const ov::ConfigValue* entry(const ov::LoadConfig& config, const std::string& device, const std::string& key) {
    const std::vector<ov::ConfigEntry>* block = config.find(device);
    if (!block) return nullptr;
    for (const ov::ConfigEntry& e : *block) {
        if (e.key == key) return &e.value;
    }
    return nullptr;
}

TEST(OpenVINOLoadConfig, GoodFileKeepsTypesAndOrder) {
    std::string path = config_file("good", R"({
        "CPU": {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_NUM_THREADS": 4, "PERF_COUNT": true,
                "CACHE_DIR": "cpu_cache"},
        "GPU": {"NOT_CHECKED_FOR_AN_UNUSED_DEVICE": 1.5}
    })");
    Parsed p = parse({{"load_config", path}});
    EXPECT_TRUE(p.warnings.empty()) << p.warnings.front();
    const ov::LoadConfig& config = p.options.load_config;
    EXPECT_NE(config.source.find(path), std::string::npos);
    const std::vector<ov::ConfigEntry>* cpu = config.find("CPU");
    ASSERT_NE(cpu, nullptr);
    ASSERT_EQ(cpu->size(), 4u);
    EXPECT_EQ(std::get<std::string>(entry(config, "CPU", "PERFORMANCE_HINT")->value), "THROUGHPUT");
    EXPECT_EQ(std::get<int64_t>(entry(config, "CPU", "INFERENCE_NUM_THREADS")->value), 4);
    EXPECT_EQ(std::get<bool>(entry(config, "CPU", "PERF_COUNT")->value), true);
    EXPECT_EQ(std::get<std::string>(entry(config, "CPU", "CACHE_DIR")->value), "cpu_cache");  // core property
    // A device not in use keeps its block as read.
    EXPECT_EQ(std::get<double>(entry(config, "GPU", "NOT_CHECKED_FOR_AN_UNUSED_DEVICE")->value), 1.5);
    EXPECT_EQ(config.find("NPU"), nullptr);
}

TEST(OpenVINOLoadConfig, InlineJson) {
    Parsed p = parse({{"device_type", "GPU.1"}, {"load_config", R"( {"GPU": {"MODEL_PRIORITY": "LOW"}})"}});
    EXPECT_EQ(p.options.load_config.source, "inline JSON");
    EXPECT_EQ(std::get<std::string>(entry(p.options.load_config, "GPU", "MODEL_PRIORITY")->value), "LOW");
}

TEST(OpenVINOLoadConfig, BadFilesAreErrorsNamingFileAndPosition) {
    struct Case {
        std::string name;
        std::string json;
        std::vector<std::string> needles;
    };
    const std::vector<Case> cases = {
        {"syntax", "{\n  \"CPU\": {\"NUM_STREAMS\": 2,}\n}", {"not valid JSON", "line 2"}},
        {"empty", "", {"not valid JSON", "line 1"}},
        {"root_array", R"([{"CPU": {}}])", {"root must be an object", "array"}},
        {"device_string", R"({"CPU": "NUM_STREAMS=2"})", {"at /CPU", "must be an object", "string"}},
        {"array_value", R"({"CPU": {"NUM_STREAMS": [2]}})", {"at /CPU/NUM_STREAMS", "array"}},
        {"null_value", R"({"GPU": {"MODEL_PRIORITY": null}})", {"at /GPU/MODEL_PRIORITY", "null"}},
        {"too_big",
         R"({"CPU": {"INFERENCE_NUM_THREADS": 18446744073709551615}})",
         {"at /CPU/INFERENCE_NUM_THREADS", "64-bit"}},
        // A number beyond double's range (found by fuzz/openvino_options_fuzz: nlohmann::json threw out_of_range).
        {"number_overflow", R"({"GPU": {"GPU_QUEUE_THROTTLE": 15e99501180516}})", {"not valid JSON", "overflow"}},
        {"deep_array",
         R"({"AUTO": {"DEVICE_PROPERTIES": {"CPU": {"X": [1]}}}})",
         {"at /AUTO/DEVICE_PROPERTIES/CPU/X", "array"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        std::string path = config_file(c.name, c.json);
        std::vector<std::string> needles = c.needles;
        needles.push_back("load_config");
        needles.push_back("'" + path + "'");
        expect_parse_error({{"load_config", path}}, ErrorCode::InvalidArgument, needles);
    }
    expect_parse_error({{"load_config", "/nonexistent/kiln.json"}}, ErrorCode::InvalidArgument,
                       {"load_config", "cannot read file '/nonexistent/kiln.json'", "No such file"});
    expect_parse_error({{"load_config", "{\"CPU\": {"}}, ErrorCode::InvalidArgument,
                       {"load_config", "inline JSON", "not valid JSON"});
}

TEST(OpenVINOLoadConfig, EmptyValueWarns) {
    Parsed p = parse({{"load_config", ""}});
    EXPECT_TRUE(p.options.load_config.devices.empty());
    ASSERT_EQ(p.warnings.size(), 1u);
    expect_warning(p.warnings, {"load_config is empty"});
}

TEST(OpenVINOLoadConfig, UnknownDeviceKeyWarns) {
    std::string path = config_file("unknown_device", R"({"TPU": {"X": 1}, "GPU.1": {}, "CPU": {"NUM_STREAMS": 2}})");
    Parsed p = parse({{"load_config", path}});
    ASSERT_EQ(p.warnings.size(), 2u);
    expect_warning(p.warnings, {"load_config", path, "device key 'TPU'", "CPU, GPU, NPU, AUTO, HETERO, MULTI"});
    expect_warning(p.warnings, {"device key 'GPU.1'", "skipped"});
    EXPECT_EQ(p.options.load_config.find("TPU"), nullptr);
    EXPECT_EQ(std::get<int64_t>(entry(p.options.load_config, "CPU", "NUM_STREAMS")->value), 2);
}

TEST(OpenVINOLoadConfig, UnknownPropertyWarnsAndIsSkipped) {
    std::string path =
        config_file("unknown_property", R"({"GPU": {"GPU_QUEUE_THROTTLE": "LOW", "CPU_BIND_THREAD": "YES"}})");
    Parsed p = parse({{"device_type", "GPU.1"}, {"load_config", path}});
    ASSERT_EQ(p.warnings.size(), 1u);
    expect_warning(p.warnings, {"load_config", path, "GPU.1 does not support property 'CPU_BIND_THREAD'", "skipped"});
    EXPECT_EQ(entry(p.options.load_config, "GPU", "CPU_BIND_THREAD"), nullptr);
    EXPECT_NE(entry(p.options.load_config, "GPU", "GPU_QUEUE_THROTTLE"), nullptr);
}

TEST(OpenVINOLoadConfig, MetaDeviceBlocksAreCheckedAgainstTheirDevice) {
    std::string path = config_file("meta", R"({
        "AUTO": {"ENABLE_RUNTIME_FALLBACK": "NO", "MODEL_DISTRIBUTION_POLICY": "TENSOR_PARALLEL"},
        "CPU": {"ENABLE_CPU_PINNING": false, "GPU_QUEUE_THROTTLE": "LOW"},
        "NPU": {"NPU_QDQ_OPTIMIZATION": true}
    })");
    Parsed p = parse({{"device_type", "AUTO:GPU,CPU"}, {"load_config", path}});
    ASSERT_EQ(p.warnings.size(), 2u);
    expect_warning(p.warnings, {"AUTO does not support property 'MODEL_DISTRIBUTION_POLICY'"});
    expect_warning(p.warnings, {"CPU does not support property 'GPU_QUEUE_THROTTLE'"});
    EXPECT_NE(entry(p.options.load_config, "AUTO", "ENABLE_RUNTIME_FALLBACK"), nullptr);
    EXPECT_NE(entry(p.options.load_config, "CPU", "ENABLE_CPU_PINNING"), nullptr);
    EXPECT_NE(entry(p.options.load_config, "NPU", "NPU_QDQ_OPTIMIZATION"), nullptr);  // NPU not in use: as read
}

TEST(OpenVINOLoadConfig, ReadOnlyPropertyWarnsWithTheRealCatalog) {
    std::string path = config_file("read_only", R"({"CPU": {"FULL_DEVICE_NAME": "Mine", "AVAILABLE_DEVICES": "0",
                                                           "NUM_STREAMS": "2"}})");
    Parsed p = parse({{"load_config", path}}, ov::openvino_devices());
    ASSERT_EQ(p.warnings.size(), 2u);
    expect_warning(p.warnings, {"load_config", path, "property 'FULL_DEVICE_NAME' of CPU is read-only; skipped"});
    expect_warning(p.warnings, {"property 'AVAILABLE_DEVICES' of CPU is read-only"});
    const std::vector<ov::ConfigEntry>* cpu = p.options.load_config.find("CPU");
    ASSERT_NE(cpu, nullptr);
    ASSERT_EQ(cpu->size(), 1u);
    EXPECT_EQ(cpu->front().key, "NUM_STREAMS");
}

TEST(OpenVINOLoadConfig, UnknownPropertyWarnsWithTheRealCatalog) {
    Parsed p = parse({{"load_config", R"({"CPU": {"KILN_NO_SUCH_PROPERTY": 1, "INFERENCE_NUM_THREADS": 2}})"}},
                     ov::openvino_devices());
    ASSERT_EQ(p.warnings.size(), 1u);
    expect_warning(p.warnings, {"CPU does not support property 'KILN_NO_SUCH_PROPERTY'"});
    ASSERT_EQ(p.options.load_config.find("CPU")->size(), 1u);
}

TEST(OpenVINOLoadConfig, NestedObjects) {
    std::string path = config_file("nested", R"({"AUTO": {"DEVICE_PROPERTIES":
        {"CPU": {"INFERENCE_NUM_THREADS": 1, "PERF_COUNT": "YES"}, "GPU": {"NUM_STREAMS": 2}}}})");
    Parsed p = parse({{"device_type", "AUTO:GPU,CPU"}, {"load_config", path}});
    EXPECT_TRUE(p.warnings.empty()) << p.warnings.front();
    const ov::ConfigValue* properties = entry(p.options.load_config, "AUTO", "DEVICE_PROPERTIES");
    ASSERT_NE(properties, nullptr);
    const auto& devices = std::get<std::vector<ov::ConfigEntry>>(properties->value);
    ASSERT_EQ(devices.size(), 2u);
    EXPECT_EQ(devices[0].key, "CPU");
    const auto& cpu = std::get<std::vector<ov::ConfigEntry>>(devices[0].value.value);
    ASSERT_EQ(cpu.size(), 2u);
    EXPECT_EQ(cpu[0].key, "INFERENCE_NUM_THREADS");
    EXPECT_EQ(std::get<int64_t>(cpu[0].value.value), 1);
    EXPECT_EQ(std::get<std::string>(cpu[1].value.value), "YES");
}

// Objects nest 8 levels below a property; the 9th is refused.
TEST(OpenVINOLoadConfig, NestingLimit) {
    auto nested = [](int levels) {
        std::string json = "1";
        for (int i = 0; i < levels; ++i) json = str("{\"L", levels - i, "\": ", json, "}");
        return str(R"({"AUTO": {"DEVICE_PROPERTIES": )", json, "}}");
    };
    Parsed p = parse({{"device_type", "AUTO"}, {"load_config", nested(8)}});
    EXPECT_TRUE(p.warnings.empty());
    expect_parse_error({{"device_type", "AUTO"}, {"load_config", nested(9)}}, ErrorCode::InvalidArgument,
                       {"load_config", "deeper than 8 levels", "/AUTO/DEVICE_PROPERTIES/L1/L2/L3/L4/L5/L6/L7/L8"});
}

// ---- the real catalog ----

TEST(OpenVINODevices, RealCatalogHasCpu) {
    const ov::DeviceCatalog& devices = ov::openvino_devices();
    EXPECT_TRUE(devices.has("CPU"));
    EXPECT_FALSE(devices.has("CPU.0"));
    EXPECT_FALSE(devices.has("KILN_NO_SUCH_DEVICE"));
    ov::DeviceDescription cpu = devices.describe("CPU");
    EXPECT_FALSE(cpu.full_name.empty());
    bool capabilities = false;
    for (const auto& [name, value] : cpu.properties) capabilities = capabilities || name == "OPTIMIZATION_CAPABILITIES";
    EXPECT_TRUE(capabilities);
    bool num_streams_writable = false, full_name_read_only = false;
    for (const ov::PropertyInfo& p : devices.supported_properties("CPU")) {
        num_streams_writable = num_streams_writable || (p.name == "NUM_STREAMS" && p.is_mutable);
        full_name_read_only = full_name_read_only || (p.name == "FULL_DEVICE_NAME" && !p.is_mutable);
    }
    EXPECT_TRUE(num_streams_writable);
    EXPECT_TRUE(full_name_read_only);
    expect_error([&] { devices.supported_properties("KILN_NO_SUCH_DEVICE"); }, ErrorCode::DeviceError,
                 {"KILN_NO_SUCH_DEVICE"});
}

TEST(OpenVINODevices, HasAcceptsBareTypeOfNumberedDevices) {
    FakeDeviceCatalog two_gpus({"CPU", "GPU.0", "GPU.1"});
    EXPECT_TRUE(two_gpus.has("GPU"));
    EXPECT_TRUE(two_gpus.has("GPU.1"));
    EXPECT_FALSE(two_gpus.has("GPU.2"));
    EXPECT_FALSE(two_gpus.has("GP"));
    EXPECT_EQ(two_gpus.device_list(), "CPU, GPU.0, GPU.1");
    EXPECT_EQ(FakeDeviceCatalog({}).device_list(), "none");
}

}  // namespace
}  // namespace kiln::test
