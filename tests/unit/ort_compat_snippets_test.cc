// The C++ snippets of the OpenVINO Execution Provider's reference document
// (shared/reference/openvino-execution-provider.md), compiled and run against kiln's ONNX Runtime-compatible API.
// Each snippet is copied verbatim between "--- snippet" and "--- end" except where the document's text is not
// valid C++ with ONNX Runtime's own headers either; those lines say what changed and why.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "kiln/ort/onnxruntime_cxx_api.h"
#include "kiln/ort/onnxruntime_session_options_config_keys.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

// Runs conv_model() on a fixed input and returns y.
std::vector<float> run_conv(Ort::Session& session) {
    Tensor x = random_floats({1, 4, 8, 8}, 11);
    std::vector<int64_t> shape = {1, 4, 8, 8};
    Ort::Value input = Ort::Value::CreateTensor<float>(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault),
                                                       x.data<float>(), x.element_count(), shape.data(), shape.size());
    const char* in_names[] = {"x"};
    const char* out_names[] = {"y"};
    std::vector<Ort::Value> out = session.Run(Ort::RunOptions{nullptr}, in_names, &input, 1, out_names, 1);
    const float* y = out[0].GetTensorData<float>();
    return {y, y + out[0].GetTensorTypeAndShapeInfo().GetElementCount()};
}

// The same on kiln's CPU provider, the oracle.
std::vector<float> cpu_conv() {
    std::string bytes = conv_model().bytes();
    Ort::Session cpu(Ort::Env(), bytes.data(), bytes.size(), Ort::SessionOptions());
    return run_conv(cpu);
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

// Creating a session for a device this machine may lack (GPU), an OpenCL context and a load_config file that do
// not exist: a clear Ort::Exception naming the device or the option, never a crash. (kiln reports a device that
// is not there as NotFound, hence ORT_NO_SUCHFILE.)
void expect_refused(const Ort::SessionOptions& session_options) {
    std::string bytes = conv_model().bytes();
    try {
        Ort::Session s(Ort::Env(), bytes.data(), bytes.size(), session_options);
        ADD_FAILURE() << "the session was created";
    } catch (const Ort::Exception& e) {
        OrtErrorCode code = e.GetOrtErrorCode();
        EXPECT_TRUE(code == ORT_INVALID_ARGUMENT || code == ORT_NO_SUCHFILE || code == ORT_EP_FAIL) << e.what();
        std::string message = e.what();
        bool named = message.find("GPU") != std::string::npos || message.find("context") != std::string::npos ||
                     message.find("config_path.json") != std::string::npos;
        EXPECT_TRUE(named) << message;
    }
}

TEST(OrtCompatSnippets, OptionsMapV2) {
    // The document writes the keys as bare names.
    const std::string device_type = "device_type", precision = "precision", num_of_threads = "num_of_threads",
                      num_streams = "num_streams", cache_dir = "cache_dir", context = "context",
                      enable_qdq_optimizer = "enable_qdq_optimizer", load_config = "load_config";
    Ort::SessionOptions session_options;
    // --- snippet "C/C++ API 2.0"
    std::unordered_map<std::string, std::string> options;
    options[device_type] = "GPU";
    options[precision] = "FP32";
    options[num_of_threads] = "8";
    options[num_streams] = "8";
    options[cache_dir] = "";
    options[context] = "0x123456ff";
    options[enable_qdq_optimizer] = "True";
    options[load_config] = "config_path.json";
    session_options.AppendExecutionProvider_OpenVINO_V2(options);
    // --- end
    const auto& providers = session_options.kiln_options().providers;
    ASSERT_EQ(providers.size(), 1u);
    EXPECT_EQ(providers[0].name, "OpenVINOExecutionProvider");
    EXPECT_EQ(providers[0].options, ProviderOptions(options.begin(), options.end()));
    expect_refused(session_options);

    // The same call with the options this machine serves runs the model as the CPU provider does.
    Ort::SessionOptions cpu_options;
    cpu_options.AppendExecutionProvider_OpenVINO_V2(
        {{device_type, "CPU"}, {precision, "FP32"}, {num_of_threads, "2"}, {num_streams, "1"}, {cache_dir, ""}});
    std::string bytes = conv_model().bytes();
    Ort::Session session(Ort::Env(), bytes.data(), bytes.size(), cpu_options);
    expect_close(run_conv(session), cpu_conv());
}

TEST(OrtCompatSnippets, LegacyStruct) {
    Ort::SessionOptions session_options;
    // --- snippet "C/C++ Legacy API"
    OrtOpenVINOProviderOptions options;
    options.device_type = "GPU_FP32";
    options.num_of_threads = 8;
    options.cache_dir = "";
    options.context = (void*)0x123456ff;  // document: `= 0x123456ff;` (context is a void*, as in ONNX Runtime)
    options.enable_opencl_throttling = false;
    // document: `SessionOptions.AppendExecutionProvider_OpenVINO(session_options, &options);`, the C API's
    // SessionOptionsAppendExecutionProvider_OpenVINO written as a C++ call; the C++ API's form is:
    session_options.AppendExecutionProvider_OpenVINO(options);
    // --- end
    const auto& providers = session_options.kiln_options().providers;
    ASSERT_EQ(providers.size(), 1u);
    EXPECT_EQ(providers[0].options, (ProviderOptions{{"device_type", "GPU_FP32"},
                                                     {"num_of_threads", "8"},
                                                     {"cache_dir", ""},
                                                     {"context", "0x123456ff"},
                                                     {"disable_dynamic_shapes", "true"}}));
    expect_refused(session_options);

    OrtOpenVINOProviderOptions cpu;
    cpu.device_type = "CPU_FP32";
    cpu.num_of_threads = 2;
    Ort::SessionOptions cpu_options;
    cpu_options.AppendExecutionProvider_OpenVINO(cpu);
    std::string bytes = conv_model().bytes();
    Ort::Session session(Ort::Env(), bytes.data(), bytes.size(), cpu_options);
    expect_close(run_conv(session), cpu_conv());
}

TEST(OrtCompatSnippets, EpContextConfigEntries) {
    std::string dir = test_tmp_dir("ort_compat_epcontext");
    std::string model_path = conv_model().write(dir + "/model.onnx");
    std::string ctx_path = dir + "/ov_compiled_epctx.onnx";
    // --- snippet "Export OpenVINO Compiled Blob"
    Ort::SessionOptions session_options;

    // Enable EP context feature to dump the partitioned graph which includes the EP context into Onnx file.
    // "0": disable. (default)
    // "1": enable.

    session_options.AddConfigEntry(kOrtSessionOptionEpContextEnable, "1");

    // Flag to specify whether to dump the EP context into single Onnx model or pass bin path.
    // "0": dump the EP context into separate file, keep the file name in the Onnx model.
    // "1": dump the EP context into the Onnx model. (default).

    session_options.AddConfigEntry(kOrtSessionOptionEpContextEmbedMode, "1");

    // Specify the file path for the Onnx model which has EP context.
    // Defaults to <actual_model_path>/original_file_name_ctx.onnx if not specified

    // document: ".\ov_compiled_epctx.onnx" (a Windows path in the current folder; tests write under KILN_TEST_TMP)
    session_options.AddConfigEntry(kOrtSessionOptionEpContextFilePath, ctx_path.c_str());

    // document: `sess = onnxruntime.InferenceSession(<path_to_model_file>, session_options)` (Python); in C++:
    session_options.AppendExecutionProvider_OpenVINO_V2({{"device_type", "CPU"}, {"precision", "FP32"}});
    Ort::Session sess(Ort::Env(), model_path.c_str(), session_options);
    // --- end
    std::vector<float> want = cpu_conv();
    expect_close(run_conv(sess), want);
    ASSERT_TRUE(std::filesystem::exists(ctx_path));

    // The EPContext model runs without the source model.
    Ort::SessionOptions load;
    load.AppendExecutionProvider_OpenVINO_V2({{"device_type", "CPU"}, {"precision", "FP32"}});
    Ort::Session from_ctx(Ort::Env(), ctx_path.c_str(), load);
    expect_close(run_conv(from_ctx), want);
}

TEST(OrtCompatSnippets, GraphOptimizationLevel) {
    Ort::SessionOptions session_options;
    // --- snippet "Onnxruntime Graph level Optimization", C/C++ API
    // document: `SessionOptions::SetGraphOptimizationLevel(ORT_DISABLE_ALL);` (a member function, called on the
    // options object):
    session_options.SetGraphOptimizationLevel(ORT_DISABLE_ALL);
    // --- end
    EXPECT_EQ(session_options.kiln_options().optimization_level, GraphOptimizationLevel::DisableAll);
    session_options.AppendExecutionProvider_OpenVINO_V2({{"device_type", "CPU"}});
    std::string bytes = conv_model().bytes();
    Ort::Session session(Ort::Env(), bytes.data(), bytes.size(), session_options);
    expect_close(run_conv(session), cpu_conv());
}

}  // namespace
}  // namespace kiln::test
