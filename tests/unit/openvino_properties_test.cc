// Options -> OpenVINO compile properties: the map for each option, per device, and OpenVINO's CPU plugin
// compiling with it (the compiled model reports back what it was given).
#include <gtest/gtest.h>

#include <map>
#include <openvino/op/ops.hpp>
#include <openvino/openvino.hpp>
#include <string>

#include "providers/openvino/devices.h"
#include "providers/openvino/options.h"
#include "providers/openvino/ov_core.h"
#include "providers/openvino/properties.h"
#include "support/expect_error.h"
#include "support/fake_device_catalog.h"

namespace kiln::test {
namespace {

using Raw = std::map<std::string, std::string>;

// "KEY=value, KEY2={DEV={K=v}}" in key order; values as OpenVINO prints them.
std::string render(const ::ov::AnyMap& properties) {
    std::string out;
    for (const auto& [key, value] : properties) {
        if (!out.empty()) out += ", ";
        out += key;
        out += '=';
        if (value.is<::ov::AnyMap>()) {
            out += '{';
            out += render(value.as<::ov::AnyMap>());
            out += '}';
        } else {
            out += value.as<std::string>();
        }
    }
    return out;
}

std::string properties_for(const Raw& raw, const std::string& device = "") {
    std::vector<std::string> warnings;
    ov::OpenVINOOptions options = ov::parse_options(raw, full_catalog(), &warnings);
    return render(ov::compile_properties(options, device.empty() ? options.device.target() : device));
}

TEST(OpenVINOProperties, EachOption) {
    struct Case {
        Raw raw;
        std::string device;  // "": options.device.target()
        std::string expected;
    };
    const std::vector<Case> cases = {
        // device_type and precision: FP32 pins f32, FP16 asks f16, ACCURACY the execution mode; 1 stream (latency)
        {{}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        {{{"precision", "ACCURACY"}}, "", "EXECUTION_MODE_HINT=ACCURACY, NUM_STREAMS=1"},
        {{{"device_type", "GPU"}}, "", "INFERENCE_PRECISION_HINT=f16, NUM_STREAMS=1"},
        {{{"device_type", "GPU.1"}, {"precision", "FP32"}}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        {{{"device_type", "GPU.1_FP32"}}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        {{{"device_type", "NPU"}}, "", "INFERENCE_PRECISION_HINT=f16"},
        {{{"device_type", "NPU"}, {"precision", "ACCURACY"}}, "", "EXECUTION_MODE_HINT=ACCURACY"},
        // num_of_threads: CPU threads only
        {{{"num_of_threads", "3"}}, "", "INFERENCE_NUM_THREADS=3, INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        {{{"device_type", "GPU"}, {"num_of_threads", "3"}}, "", "INFERENCE_PRECISION_HINT=f16, NUM_STREAMS=1"},
        // num_streams
        {{{"num_streams", "4"}}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=4"},
        {{{"device_type", "GPU.0"}, {"num_streams", "2"}}, "", "INFERENCE_PRECISION_HINT=f16, NUM_STREAMS=2"},
        // cache_dir
        {{{"cache_dir", "/tmp/kiln cache"}},
         "",
         "CACHE_DIR=/tmp/kiln cache, INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        {{{"cache_dir", ""}}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        // model_priority: not for CPU
        {{{"device_type", "GPU"}, {"model_priority", "HIGH"}},
         "",
         "INFERENCE_PRECISION_HINT=f16, MODEL_PRIORITY=HIGH, NUM_STREAMS=1"},
        {{{"device_type", "NPU"}, {"model_priority", "LOW"}}, "", "INFERENCE_PRECISION_HINT=f16, MODEL_PRIORITY=LOW"},
        {{{"device_type", "GPU"}, {"model_priority", "DEFAULT"}}, "", "INFERENCE_PRECISION_HINT=f16, NUM_STREAMS=1"},
        {{{"model_priority", "HIGH"}}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        // enable_opencl_throttling: GPU queue throttle, low
        {{{"device_type", "GPU"}, {"enable_opencl_throttling", "True"}},
         "",
         "GPU_QUEUE_THROTTLE=LOW, INFERENCE_PRECISION_HINT=f16, NUM_STREAMS=1"},
        {{{"enable_opencl_throttling", "True"}}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        // enable_qdq_optimizer: NPU's QDQ optimisation
        {{{"device_type", "NPU"}, {"enable_qdq_optimizer", "True"}},
         "",
         "INFERENCE_PRECISION_HINT=f16, NPU_QDQ_OPTIMIZATION=YES"},
        {{{"enable_qdq_optimizer", "True"}}, "", "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        // Options that are not properties: the provider applies them.
        {{{"disable_dynamic_shapes", "True"}, {"reshape_input", "x[1,3]"}, {"layout", "x[NC]"}},
         "",
         "INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        {{{"device_type", "GPU"}, {"context", "0x1234"}}, "", "INFERENCE_PRECISION_HINT=f16, NUM_STREAMS=1"},
        // load_config: merged in, winning over what the options derived
        {{{"num_streams", "2"},
          {"cache_dir", KILN_TEST_TMP "/option_cache"},
          {"load_config",
           R"({"CPU": {"NUM_STREAMS": 4, "INFERENCE_PRECISION_HINT": "bf16", "PERF_COUNT": true,
                       "CACHE_DIR": "config_cache"}, "GPU": {"MODEL_PRIORITY": "LOW"}})"}},
         "",
         "CACHE_DIR=config_cache, INFERENCE_PRECISION_HINT=bf16, NUM_STREAMS=4, PERF_COUNT=YES"},
        {{{"device_type", "GPU.1"}, {"load_config", R"({"GPU": {"GPU_HOST_TASK_PRIORITY": "HIGH"}})"}},
         "",
         "GPU_HOST_TASK_PRIORITY=HIGH, INFERENCE_PRECISION_HINT=f16, NUM_STREAMS=1"},
        // Meta devices: per-device properties under DEVICE_PROPERTIES; priority and the mode's block at the top.
        {{{"device_type", "AUTO:GPU,CPU"}}, "", ""},
        {{{"device_type", "AUTO:GPU,CPU"}, {"precision", "FP32"}},
         "",
         "DEVICE_PROPERTIES={CPU={INFERENCE_PRECISION_HINT=f32}, GPU={INFERENCE_PRECISION_HINT=f32}}"},
        {{{"device_type", "AUTO:GPU,CPU"}, {"precision", "FP16"}},
         "",
         "DEVICE_PROPERTIES={CPU={INFERENCE_PRECISION_HINT=f32}, GPU={INFERENCE_PRECISION_HINT=f16}}"},
        {{{"device_type", "HETERO:GPU,CPU"}, {"precision", "ACCURACY"}},
         "",
         "DEVICE_PROPERTIES={CPU={EXECUTION_MODE_HINT=ACCURACY}, GPU={EXECUTION_MODE_HINT=ACCURACY}}"},
        {{{"device_type", "MULTI:GPU.1,CPU"},
          {"num_of_threads", "2"},
          {"enable_opencl_throttling", "true"},
          {"model_priority", "HIGH"}},
         "",
         "DEVICE_PROPERTIES={CPU={INFERENCE_NUM_THREADS=2}, GPU.1={GPU_QUEUE_THROTTLE=LOW}}, MODEL_PRIORITY=HIGH"},
        {{{"device_type", "HETERO:GPU,CPU"}, {"model_priority", "HIGH"}}, "", ""},
        {{{"device_type", "AUTO:CPU"}, {"cache_dir", "c"}}, "", "CACHE_DIR=c"},
        {{{"device_type", "AUTO:NPU,CPU"}, {"enable_qdq_optimizer", "True"}},
         "",
         "DEVICE_PROPERTIES={NPU={NPU_QDQ_OPTIMIZATION=YES}}"},
        {{{"device_type", "AUTO:GPU,CPU"},
          {"num_of_threads", "2"},
          {"load_config", R"({"AUTO": {"ENABLE_RUNTIME_FALLBACK": "NO",
                                      "DEVICE_PROPERTIES": {"CPU": {"INFERENCE_NUM_THREADS": 6}, "GPU": {"K": 1}}},
                              "CPU": {"PERF_COUNT": "YES"}})"}},
         "",
         "DEVICE_PROPERTIES={CPU={INFERENCE_NUM_THREADS=6, PERF_COUNT=YES}, GPU={K=1}}, ENABLE_RUNTIME_FALLBACK=NO"},
        // A compile on another device than asked (NPU -> CPU fallback): that device's rules and default precision.
        {{{"device_type", "NPU"}, {"num_of_threads", "2"}},
         "CPU",
         "INFERENCE_NUM_THREADS=2, INFERENCE_PRECISION_HINT=f32, NUM_STREAMS=1"},
        {{{"device_type", "NPU"}, {"precision", "ACCURACY"}}, "CPU", "EXECUTION_MODE_HINT=ACCURACY, NUM_STREAMS=1"},
    };
    for (const Case& c : cases) {
        std::string raw;
        for (const auto& [k, v] : c.raw) raw += k + "=" + v + " ";
        SCOPED_TRACE(raw + (c.device.empty() ? "" : "on " + c.device));
        EXPECT_EQ(properties_for(c.raw, c.device), c.expected);
    }
}

TEST(OpenVINOProperties, TypedValues) {
    std::vector<std::string> warnings;
    ov::OpenVINOOptions options = ov::parse_options(
        {{"num_of_threads", "3"},
         {"load_config", R"({"CPU": {"PERF_COUNT": false, "INFERENCE_NUM_THREADS": 5, "ENABLE_CPU_PINNING": "NO"}})"}},
        full_catalog(), &warnings);
    ::ov::AnyMap properties = ov::compile_properties(options, "CPU");
    EXPECT_TRUE(properties.at("INFERENCE_PRECISION_HINT").is<::ov::element::Type>());
    EXPECT_TRUE(properties.at("PERF_COUNT").is<bool>());
    EXPECT_TRUE(properties.at("INFERENCE_NUM_THREADS").is<int64_t>());  // load_config's value replaced the option's
    EXPECT_EQ(properties.at("INFERENCE_NUM_THREADS").as<int64_t>(), 5);
    EXPECT_TRUE(properties.at("ENABLE_CPU_PINNING").is<std::string>());
    ov::ConfigValue real{2.5};
    EXPECT_EQ(ov::to_any(real).as<double>(), 2.5);
}

TEST(OpenVINOProperties, OtherMetaTargetIsInternal) {
    std::vector<std::string> warnings;
    ov::OpenVINOOptions options = ov::parse_options({}, full_catalog(), &warnings);
    expect_error([&] { ov::compile_properties(options, "HETERO:GPU,CPU"); }, ErrorCode::Internal,
                 {"HETERO:GPU,CPU", "'CPU'"});
    expect_error([&] { ov::compile_properties(options, "AUTO"); }, ErrorCode::Internal, {"'AUTO'"});
}

// OpenVINO's CPU plugin compiles with the properties, and the compiled model reports them back.
std::shared_ptr<::ov::Model> relu_model() {
    auto input = std::make_shared<::ov::op::v0::Parameter>(::ov::element::f32, ::ov::Shape{1, 8});
    auto relu = std::make_shared<::ov::op::v0::Relu>(input);
    return std::make_shared<::ov::Model>(::ov::OutputVector{relu}, ::ov::ParameterVector{input});
}

::ov::CompiledModel compile(const Raw& raw) {
    std::vector<std::string> warnings;
    ov::OpenVINOOptions options = ov::parse_options(raw, ov::openvino_devices(), &warnings);
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    return ov::core().compile_model(relu_model(), options.device.target(),
                                    ov::compile_properties(options, options.device.target()));
}

TEST(OpenVINOProperties, CpuCompilesWithThem) {
    ::ov::CompiledModel model = compile({{"num_of_threads", "2"}, {"num_streams", "2"}});
    EXPECT_EQ(model.get_property(::ov::hint::inference_precision), ::ov::element::f32);
    EXPECT_EQ(model.get_property(::ov::inference_num_threads), 2);
    EXPECT_EQ(model.get_property(::ov::num_streams).num, 2);

    model = compile({{"precision", "ACCURACY"}});
    EXPECT_EQ(model.get_property(::ov::hint::execution_mode), ::ov::hint::ExecutionMode::ACCURACY);

    // load_config's typed values (int, bool, string) reach the plugin and win over the options.
    model =
        compile({{"num_streams", "2"},
                 {"load_config", R"({"CPU": {"NUM_STREAMS": 1, "PERF_COUNT": true, "INFERENCE_NUM_THREADS": "1"}})"}});
    EXPECT_EQ(model.get_property(::ov::num_streams).num, 1);
    EXPECT_EQ(model.get_property(::ov::enable_profiling), true);
    EXPECT_EQ(model.get_property(::ov::inference_num_threads), 1);
}

TEST(OpenVINOProperties, PerCompileNotGlobal) {
    compile({{"num_streams", "2"}, {"load_config", R"({"CPU": {"PERF_COUNT": true}})"}});
    // A later compile without properties sees none of the first one's settings.
    ::ov::CompiledModel model = ov::core().compile_model(relu_model(), "CPU");
    EXPECT_EQ(model.get_property(::ov::num_streams).num, 1);
    EXPECT_EQ(model.get_property(::ov::enable_profiling), false);
}

TEST(OpenVINOProperties, MetaDevicesCompileWithThem) {
    for (const char* device : {"AUTO:CPU", "HETERO:CPU", "MULTI:CPU"}) {
        SCOPED_TRACE(device);
        ::ov::CompiledModel model = compile({{"device_type", device}, {"precision", "FP32"}, {"num_of_threads", "1"}});
        auto request = model.create_infer_request();
        request.get_input_tensor().data<float>()[0] = -1.0f;
        request.get_input_tensor().data<float>()[1] = 2.0f;
        request.infer();
        EXPECT_EQ(request.get_output_tensor().data<float>()[0], 0.0f);
        EXPECT_EQ(request.get_output_tensor().data<float>()[1], 2.0f);
    }
}

}  // namespace
}  // namespace kiln::test
