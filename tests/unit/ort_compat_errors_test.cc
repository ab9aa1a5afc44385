// Errors of the ONNX Runtime-compatible C++ API: each surfaces as Ort::Exception with ONNX Runtime's error code and
// a message naming the culprit (table-driven).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kiln/ort/onnxruntime_cxx_api.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

struct ErrorCase {
    const char* name;
    std::function<void()> call;
    OrtErrorCode code;
    std::string needle;  // a part of the message
};

Ort::Session from_bytes(const std::string& bytes, const Ort::SessionOptions& o = Ort::SessionOptions()) {
    return Ort::Session(Ort::Env(), bytes.data(), bytes.size(), o);
}

Ort::SessionOptions openvino_with(const std::string& key, const std::string& value) {
    Ort::SessionOptions o;
    std::unordered_map<std::string, std::string> options = {{key, value}};
    options.emplace("device_type", "CPU");  // unless `key` is device_type
    o.AppendExecutionProvider_OpenVINO_V2(options);
    return o;
}

void run_conv(Ort::Session& s, const char* input_name, const char* output_name, std::vector<int64_t> shape,
              ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
    std::vector<float> data(256);
    Ort::Value input =
        Ort::Value::CreateTensor(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault), data.data(),
                                 data.size() * sizeof(float), shape.data(), shape.size(), type);
    s.Run(Ort::RunOptions(), &input_name, &input, 1, &output_name, 1);
}

TEST(OrtCompatErrors, SurfaceAsOrtExceptionWithTheRightCode) {
    std::string conv = conv_model().bytes();
    ModelBuilder unknown_op(17);
    unknown_op.input("x", {2}).output("y", {2});
    unknown_op.node("NoSuchOp", {"x"}, {"y"}, "mystery");
    std::string unknown_bytes = unknown_op.bytes();
    std::string missing = test_tmp_dir("ort_compat_errors") + "/missing.onnx";
    auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<float> four(4);
    std::vector<int64_t> shape22 = {2, 2}, negative = {-2, 2};

    std::vector<ErrorCase> cases = {
        {"missing model file", [&] { Ort::Session(Ort::Env(), missing.c_str(), Ort::SessionOptions()); },
         ORT_NO_SUCHFILE, "missing.onnx"},
        {"garbage model bytes", [&] { from_bytes("not a model"); }, ORT_INVALID_GRAPH, ""},
        {"unknown operator", [&] { from_bytes(unknown_bytes); }, ORT_NOT_IMPLEMENTED, "NoSuchOp"},
        {"bad input name",
         [&] {
             Ort::Session s = from_bytes(conv);
             run_conv(s, "nope", "y", {1, 4, 8, 8});
         },
         ORT_INVALID_ARGUMENT, "nope"},
        {"bad output name",
         [&] {
             Ort::Session s = from_bytes(conv);
             run_conv(s, "x", "nope", {1, 4, 8, 8});
         },
         ORT_INVALID_ARGUMENT, "nope"},
        {"wrong input shape",
         [&] {
             Ort::Session s = from_bytes(conv);
             run_conv(s, "x", "y", {1, 4, 8, 7});
         },
         ORT_INVALID_ARGUMENT, "x"},
        {"wrong input type",
         [&] {
             Ort::Session s = from_bytes(conv);
             run_conv(s, "x", "y", {1, 4, 8, 8}, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32);
         },
         ORT_INVALID_ARGUMENT, "x"},
        {"unknown provider option", [&] { from_bytes(conv, openvino_with("no_such_key", "1")); }, ORT_INVALID_ARGUMENT,
         "no_such_key"},
        {"bad provider option value", [&] { from_bytes(conv, openvino_with("num_of_threads", "many")); },
         ORT_INVALID_ARGUMENT, "num_of_threads"},
        {"bad device_type", [&] { from_bytes(conv, openvino_with("device_type", "XPU:CPU")); }, ORT_INVALID_ARGUMENT,
         "XPU"},
        // kiln reports a device that this machine lacks as NotFound (ONNX Runtime: ORT_FAIL).
        {"unavailable device", [&] { from_bytes(conv, openvino_with("device_type", "NPU")); }, ORT_NO_SUCHFILE, "NPU"},
        {"bad config flag",
         [&] {
             Ort::SessionOptions o;
             o.AddConfigEntry(kOrtSessionOptionsDisableCPUEPFallback, "yes");
             from_bytes(conv, o);
         },
         ORT_INVALID_ARGUMENT, kOrtSessionOptionsDisableCPUEPFallback},
        {"negative thread count", [&] { Ort::SessionOptions().SetIntraOpNumThreads(-1); }, ORT_INVALID_ARGUMENT,
         "SetIntraOpNumThreads"},
        {"unknown optimisation level",
         [&] { Ort::SessionOptions().SetGraphOptimizationLevel(static_cast<::GraphOptimizationLevel>(5)); },
         ORT_INVALID_ARGUMENT, "5"},
        {"null config key", [&] { Ort::SessionOptions().AddConfigEntry(nullptr, "1"); }, ORT_INVALID_ARGUMENT,
         "AddConfigEntry"},
        {"input index out of range", [&] { from_bytes(conv).GetInputTypeInfo(1); }, ORT_INVALID_ARGUMENT, "index 1"},
        {"output index out of range",
         [&] { from_bytes(conv).GetOutputNameAllocated(3, Ort::AllocatorWithDefaultOptions()); }, ORT_INVALID_ARGUMENT,
         "index 3"},
        {"buffer too small",
         [&] { Ort::Value::CreateTensor<float>(memory, four.data(), 3, shape22.data(), shape22.size()); },
         ORT_INVALID_ARGUMENT, "not enough space"},
        {"negative dim",
         [&] { Ort::Value::CreateTensor<float>(memory, four.data(), 4, negative.data(), negative.size()); },
         ORT_INVALID_ARGUMENT, "negative"},
        {"string tensor",
         [&] {
             Ort::Value::CreateTensor(Ort::AllocatorWithDefaultOptions(), shape22.data(), 2,
                                      ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING);
         },
         ORT_INVALID_ARGUMENT, "string"},
        {"data of an empty value", [&] { Ort::Value(nullptr).GetTensorMutableData<float>(); }, ORT_INVALID_ARGUMENT,
         "not a tensor"},
        {"run an empty session",
         [&] {
             Ort::Session s(nullptr);
             s.GetInputCount();
         },
         ORT_INVALID_ARGUMENT, "empty"},
        {"bind an unknown input",
         [&] {
             Ort::Session s = from_bytes(conv);
             Ort::IoBinding binding(s);
             std::vector<int64_t> shape = {1, 4, 8, 8};
             std::vector<float> data(256);
             binding.BindInput("nope", Ort::Value::CreateTensor<float>(memory, data.data(), 256, shape.data(), 4));
         },
         ORT_INVALID_ARGUMENT, "nope"},
        {"binding of another session",
         [&] {
             Ort::Session a = from_bytes(conv);
             Ort::Session b = from_bytes(conv);
             Ort::IoBinding binding(a);
             binding.BindOutput("y", memory);
             b.Run(Ort::RunOptions(), binding);
         },
         ORT_INVALID_ARGUMENT, "another session"},
        {"bind an unknown output",
         [&] {
             Ort::Session s = from_bytes(conv);
             Ort::IoBinding(s).BindOutput("nope", memory);
         },
         ORT_INVALID_ARGUMENT, "nope"},
    };
    for (const ErrorCase& c : cases) {
        try {
            c.call();
            ADD_FAILURE() << c.name << ": no Ort::Exception";
        } catch (const Ort::Exception& e) {
            EXPECT_EQ(e.GetOrtErrorCode(), c.code) << c.name << ": " << e.what();
            EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << c.name << ": " << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << c.name << ": not an Ort::Exception: " << e.what();
        }
    }
}

TEST(OrtCompatErrors, KilnErrorKindsMapToOrtCodes) {
    EXPECT_EQ(Ort::detail::to_ort_error_code(ErrorCode::InvalidModel), ORT_INVALID_GRAPH);
    EXPECT_EQ(Ort::detail::to_ort_error_code(ErrorCode::InvalidArgument), ORT_INVALID_ARGUMENT);
    EXPECT_EQ(Ort::detail::to_ort_error_code(ErrorCode::NotFound), ORT_NO_SUCHFILE);
    EXPECT_EQ(Ort::detail::to_ort_error_code(ErrorCode::NotImplemented), ORT_NOT_IMPLEMENTED);
    EXPECT_EQ(Ort::detail::to_ort_error_code(ErrorCode::Unsupported), ORT_EP_FAIL);
    EXPECT_EQ(Ort::detail::to_ort_error_code(ErrorCode::DeviceError), ORT_EP_FAIL);
    EXPECT_EQ(Ort::detail::to_ort_error_code(ErrorCode::Internal), ORT_FAIL);
}

}  // namespace
}  // namespace kiln::test
