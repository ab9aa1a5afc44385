// Tests of the ONNX Runtime-compatible C++ API (include/kiln/ort/): every class and method of the subset, with
// outputs compared against kiln's own API on the CPU provider.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "kiln/kiln.h"
#include "kiln/ort/onnxruntime_cxx_api.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

// y = Relu(x + b), x: [N, 3] with N symbolic; z = x * 2 ([N, 3]).
ModelBuilder two_output_model() {
    ModelBuilder b(17);
    b.input("x", {-1, 3}, 1, {"N", ""}).output("y", {-1, 3}).output("z", {-1, 3});
    b.initializer_floats("b", {3}, {1.0f, -2.0f, 0.5f});
    b.initializer_floats("two", {}, {2.0f});
    b.node("Add", {"x", "b"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"y"}, "relu");
    b.node("Mul", {"x", "two"}, {"z"}, "mul");
    return b;
}

std::vector<float> floats(const Ort::Value& v) {
    auto info = v.GetTensorTypeAndShapeInfo();
    const float* p = v.GetTensorData<float>();
    return {p, p + info.GetElementCount()};
}
std::vector<float> floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

// The kiln CPU provider's outputs of `b` for input x.
std::vector<Tensor> reference(const ModelBuilder& b, const Tensor& x) {
    std::string bytes = b.bytes();
    Session s(bytes.data(), bytes.size());
    return s.run({{s.inputs()[0].name, x}});
}

Ort::Session session_of(const ModelBuilder& b, const Ort::SessionOptions& options = Ort::SessionOptions()) {
    static Ort::Env env;
    std::string bytes = b.bytes();
    return Ort::Session(env, bytes.data(), bytes.size(), options);
}

TEST(OrtCompat, EnvSetsTheLogSeverity) {
    int before = log_severity();
    {
        Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "test");
        EXPECT_EQ(log_severity(), 3);
    }
    Ort::Env env(static_cast<OrtLoggingLevel>(before), "test");
    EXPECT_EQ(log_severity(), before);
}

TEST(OrtCompat, SessionOptionsMapToKilnOptions) {
    Ort::SessionOptions o;
    o.SetIntraOpNumThreads(3)
        .SetInterOpNumThreads(2)
        .SetGraphOptimizationLevel(ORT_ENABLE_EXTENDED)
        .AddConfigEntry(kOrtSessionOptionsDisableCPUEPFallback, "0")
        .EnableProfiling("prof")
        .SetOptimizedModelFilePath("opt.onnx")
        .AppendExecutionProvider_OpenVINO_V2({{"device_type", "CPU"}, {"precision", "FP32"}});
    const SessionOptions& k = o.kiln_options();
    EXPECT_EQ(k.intra_op_threads, 3);
    EXPECT_EQ(k.inter_op_threads, 2);
    EXPECT_EQ(k.optimization_level, GraphOptimizationLevel::Extended);
    EXPECT_EQ(k.config_entry("session.disable_cpu_ep_fallback"), "0");
    EXPECT_TRUE(k.enable_profiling);
    EXPECT_EQ(k.profile_file_prefix, "prof");
    EXPECT_EQ(k.optimized_model_filepath, "opt.onnx");
    ASSERT_EQ(k.providers.size(), 1u);
    EXPECT_EQ(k.providers[0].name, "OpenVINOExecutionProvider");
    EXPECT_EQ(k.providers[0].options, (ProviderOptions{{"device_type", "CPU"}, {"precision", "FP32"}}));
    for (auto level : {ORT_DISABLE_ALL, ORT_ENABLE_BASIC, ORT_ENABLE_ALL}) {
        EXPECT_EQ(int(o.SetGraphOptimizationLevel(level).kiln_options().optimization_level), int(level));
    }
}

TEST(OrtCompat, LegacyOpenVINOOptionsMapToV2Keys) {
    OrtOpenVINOProviderOptions legacy;
    EXPECT_EQ(Ort::SessionOptions::legacy_openvino_options(legacy),
              (std::unordered_map<std::string, std::string>{{"disable_dynamic_shapes", "true"}}));
    legacy.device_type = "CPU_FP32";
    legacy.device_id = "CPU";
    legacy.num_of_threads = 4;
    legacy.cache_dir = "/tmp/c";
    legacy.context = reinterpret_cast<void*>(0xabc0);
    legacy.enable_opencl_throttling = 1;
    legacy.enable_dynamic_shapes = 1;
    EXPECT_EQ(Ort::SessionOptions::legacy_openvino_options(legacy),
              (std::unordered_map<std::string, std::string>{{"device_type", "CPU_FP32"},
                                                            {"device_id", "CPU"},
                                                            {"num_of_threads", "4"},
                                                            {"cache_dir", "/tmp/c"},
                                                            {"context", "0xabc0"},
                                                            {"enable_opencl_throttling", "true"},
                                                            {"disable_dynamic_shapes", "false"}}));
}

TEST(OrtCompat, SessionFromPathAndBytesReportsInputsAndOutputs) {
    ModelBuilder b = two_output_model();
    std::string path = b.write(test_tmp_dir("ort_compat_io") + "/model.onnx");
    Ort::Env env;
    std::vector<Ort::Session> sessions;
    sessions.emplace_back(env, path.c_str(), Ort::SessionOptions());
    sessions.push_back(session_of(b));
    Ort::AllocatorWithDefaultOptions allocator;
    for (const Ort::Session& s : sessions) {
        ASSERT_EQ(s.GetInputCount(), 1u);
        ASSERT_EQ(s.GetOutputCount(), 2u);
        EXPECT_STREQ(s.GetInputNameAllocated(0, allocator).get(), "x");
        EXPECT_STREQ(s.GetOutputNameAllocated(0, allocator).get(), "y");
        EXPECT_STREQ(s.GetOutputNameAllocated(1, allocator).get(), "z");
        Ort::TypeInfo type = s.GetInputTypeInfo(0);
        EXPECT_EQ(type.GetONNXType(), ONNX_TYPE_TENSOR);
        auto info = type.GetTensorTypeAndShapeInfo();
        EXPECT_EQ(info.GetElementType(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT);
        EXPECT_EQ(info.GetShape(), (std::vector<int64_t>{-1, 3}));
        ASSERT_EQ(info.GetDimensionsCount(), 2u);
        int64_t dims[2];
        info.GetDimensions(dims, 2);
        EXPECT_EQ(dims[1], 3);
        const char* symbols[2];
        info.GetSymbolicDimensions(symbols, 2);
        EXPECT_STREQ(symbols[0], "N");
        EXPECT_STREQ(symbols[1], "");
        EXPECT_EQ(s.GetOutputTypeInfo(1).GetTensorTypeAndShapeInfo().GetShape(), (std::vector<int64_t>{-1, 3}));
    }
}

TEST(OrtCompat, RunWithNamesMatchesKilnsCpuProvider) {
    ModelBuilder b = two_output_model();
    Ort::Session s = session_of(b);
    std::vector<float> x = {1, 1, 1, -5, 3, -1};
    std::vector<int64_t> shape = {2, 3};
    Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    Ort::Value input = Ort::Value::CreateTensor<float>(memory, x.data(), x.size(), shape.data(), shape.size());
    const char* in_names[] = {"x"};
    const char* out_names[] = {"z", "y"};
    std::vector<Ort::Value> out = s.Run(Ort::RunOptions{nullptr}, in_names, &input, 1, out_names, 2);
    std::vector<Tensor> ref = reference(b, Tensor::borrow(DType::Float, {2, 3}, x.data()));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(out[0].IsTensor());
    EXPECT_EQ(out[0].GetTensorTypeAndShapeInfo().GetShape(), shape);
    EXPECT_EQ(floats(out[0]), floats(ref[1]));
    EXPECT_EQ(floats(out[1]), floats(ref[0]));
}

TEST(OrtCompat, RunFeedsAnOverridableInitializer) {
    ModelBuilder b = two_output_model();
    b.input("b", {3});  // the initializer b is also a graph input
    Ort::Session s = session_of(b);
    EXPECT_EQ(s.GetInputCount(), 1u);  // the inputs a run must feed, as in ONNX Runtime
    std::vector<float> x = {1, 1, 1}, bias = {0, 0, -3};
    std::vector<int64_t> x_shape = {1, 3}, b_shape = {3};
    auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<Ort::Value> inputs;
    inputs.push_back(Ort::Value::CreateTensor<float>(memory, x.data(), 3, x_shape.data(), 2));
    inputs.push_back(Ort::Value::CreateTensor<float>(memory, bias.data(), 3, b_shape.data(), 1));
    const char* in_names[] = {"x", "b"};
    const char* out_names[] = {"y"};
    std::vector<Ort::Value> out = s.Run(Ort::RunOptions(), in_names, inputs.data(), 2, out_names, 1);
    EXPECT_EQ(floats(out[0]), (std::vector<float>{1, 1, 0}));  // numpy: np.maximum(x + bias, 0)
}

TEST(OrtCompat, SequenceOutputIsNotATensor) {
    ModelBuilder b(17);
    b.input("x", {2}).output("seq");
    auto* seq_type = b.graph().mutable_output(0)->mutable_type();
    seq_type->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(1);
    b.node("SequenceConstruct", {"x", "x"}, {"seq"}, "construct");
    Ort::Session s = session_of(b);
    Ort::TypeInfo type = s.GetOutputTypeInfo(0);
    EXPECT_EQ(type.GetONNXType(), ONNX_TYPE_SEQUENCE);
    try {
        type.GetTensorTypeAndShapeInfo();
        ADD_FAILURE() << "no Ort::Exception";
    } catch (const Ort::Exception& e) {
        EXPECT_EQ(e.GetOrtErrorCode(), ORT_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("sequence"), std::string::npos) << e.what();
    }
    std::vector<float> x = {1, 2};
    std::vector<int64_t> shape = {2};
    Ort::Value input = Ort::Value::CreateTensor<float>(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault),
                                                       x.data(), 2, shape.data(), 1);
    const char* in_names[] = {"x"};
    const char* out_names[] = {"seq"};
    std::vector<Ort::Value> out = s.Run(Ort::RunOptions(), in_names, &input, 1, out_names, 1);
    EXPECT_TRUE(static_cast<bool>(out[0]));
    EXPECT_FALSE(out[0].IsTensor());
    EXPECT_THROW(out[0].GetTensorData<float>(), Ort::Exception);
}

TEST(OrtCompat, RunOnOpenVINOMatchesKilnsCpuProvider) {
    ModelBuilder b = conv_model();
    Ort::SessionOptions o;
    o.AppendExecutionProvider_OpenVINO_V2({{"device_type", "CPU"}, {"precision", "FP32"}});
    Ort::Session s = session_of(b, o);
    Tensor x = random_floats({1, 4, 8, 8}, 7);
    std::vector<int64_t> shape = {1, 4, 8, 8};
    Ort::Value input =
        Ort::Value::CreateTensor(Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU), x.raw_data(),
                                 x.byte_size(), shape.data(), shape.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT);
    const char* in_names[] = {"x"};
    const char* out_names[] = {"y"};
    std::vector<Ort::Value> out = s.Run(Ort::RunOptions(), in_names, &input, 1, out_names, 1);
    std::vector<float> ref = floats(reference(b, x)[0]);
    std::vector<float> got = floats(out[0]);
    ASSERT_EQ(got.size(), ref.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-5) << i;
    EXPECT_EQ(s.kiln_session().compiled_partitions().size(), 1u);
}

TEST(OrtCompat, RunWritesIntoPreallocatedOutputs) {
    ModelBuilder b = two_output_model();
    Ort::Session s = session_of(b);
    std::vector<float> x = {1, 1, 1, -5, 3, -1};
    std::vector<int64_t> shape = {2, 3};
    auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    Ort::Value input = Ort::Value::CreateTensor<float>(memory, x.data(), x.size(), shape.data(), shape.size());
    std::vector<float> y_buffer(6, -1.f);
    std::vector<Ort::Value> outputs;
    outputs.push_back(Ort::Value::CreateTensor<float>(memory, y_buffer.data(), 6, shape.data(), 2));
    outputs.emplace_back(nullptr);
    const char* in_names[] = {"x"};
    const char* out_names[] = {"y", "z"};
    s.Run(Ort::RunOptions(), in_names, &input, 1, out_names, outputs.data(), 2);
    std::vector<Tensor> ref = reference(b, Tensor::borrow(DType::Float, {2, 3}, x.data()));
    EXPECT_EQ(y_buffer, floats(ref[0]));  // written into the caller's buffer
    EXPECT_EQ(outputs[0].GetTensorMutableData<float>(), y_buffer.data());
    EXPECT_EQ(floats(outputs[1]), floats(ref[1]));

    // A pre-allocated output of the wrong shape is refused, naming the output.
    std::vector<float> small(3);
    std::vector<int64_t> small_shape = {1, 3};
    std::vector<Ort::Value> wrong;
    wrong.push_back(Ort::Value::CreateTensor<float>(memory, small.data(), 3, small_shape.data(), 2));
    try {
        s.Run(Ort::RunOptions(), in_names, &input, 1, out_names, wrong.data(), 1);
        ADD_FAILURE() << "no Ort::Exception";
    } catch (const Ort::Exception& e) {
        EXPECT_EQ(e.GetOrtErrorCode(), ORT_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("'y'"), std::string::npos) << e.what();
    }
}

TEST(OrtCompat, IoBindingRunsIntoBoundAndAllocatedOutputs) {
    ModelBuilder b = two_output_model();
    Ort::Session s = session_of(b);
    std::vector<float> x = {2, -3, 0, 4, 5, -6};
    std::vector<int64_t> shape = {2, 3};
    auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    Ort::Value input = Ort::Value::CreateTensor<float>(memory, x.data(), x.size(), shape.data(), shape.size());
    std::vector<float> z_buffer(6);
    Ort::Value z = Ort::Value::CreateTensor<float>(memory, z_buffer.data(), 6, shape.data(), 2);

    Ort::IoBinding binding(s);
    binding.BindInput("x", input);
    binding.BindOutput("z", z);
    binding.BindOutput("y", memory);
    binding.SynchronizeInputs();
    s.Run(Ort::RunOptions(), binding);
    binding.SynchronizeOutputs();

    std::vector<Tensor> ref = reference(b, Tensor::borrow(DType::Float, {2, 3}, x.data()));
    EXPECT_EQ(z_buffer, floats(ref[1]));
    EXPECT_EQ(binding.GetOutputNames(), (std::vector<std::string>{"z", "y"}));
    std::vector<Ort::Value> values = binding.GetOutputValues();
    ASSERT_EQ(values.size(), 2u);
    EXPECT_EQ(values[0].GetTensorData<float>(), z_buffer.data());
    EXPECT_EQ(floats(values[1]), floats(ref[0]));

    // New input data in the same bound buffer is seen by the next run.
    x[0] = 10;
    s.Run(Ort::RunOptions(), binding);
    EXPECT_EQ(z_buffer[0], 20.f);

    binding.ClearBoundOutputs();
    EXPECT_TRUE(binding.GetOutputNames().empty());
    binding.ClearBoundInputs();
    binding.BindOutput("y", memory);
    EXPECT_THROW(s.Run(Ort::RunOptions(), binding), Ort::Exception);  // input x is no longer bound
}

TEST(OrtCompat, CreateTensorOverUserBufferDoesNotCopy) {
    auto memory = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU);
    EXPECT_EQ(static_cast<const OrtMemoryInfo*>(memory)->allocator_type, OrtDeviceAllocator);
    EXPECT_EQ(memory.GetAllocatorType(), OrtDeviceAllocator);
    EXPECT_EQ(memory.GetMemoryType(), OrtMemTypeCPU);
    std::vector<int64_t> data = {1, 2, 3, 4};
    std::vector<int64_t> shape = {2, 2};
    Ort::Value v = Ort::Value::CreateTensor<int64_t>(memory, data.data(), data.size(), shape.data(), shape.size());
    EXPECT_TRUE(v.IsTensor());
    EXPECT_EQ(v.GetTensorMutableData<int64_t>(), data.data());
    v.GetTensorMutableData<int64_t>()[3] = 40;
    EXPECT_EQ(data[3], 40);
    auto info = v.GetTensorTypeAndShapeInfo();
    EXPECT_EQ(info.GetElementType(), ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64);
    EXPECT_EQ(info.GetElementCount(), 4u);
    EXPECT_EQ(info.GetShape(), shape);

    std::vector<uint8_t> bytes(4);
    Ort::Value typed = Ort::Value::CreateTensor(memory, bytes.data(), bytes.size(), shape.data(), shape.size(),
                                                ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL);
    EXPECT_EQ(typed.GetTensorTypeAndShapeInfo().GetElementType(), ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL);
    EXPECT_EQ(typed.GetTensorData<bool>(), reinterpret_cast<bool*>(bytes.data()));
}

TEST(OrtCompat, CreateTensorAllocates) {
    Ort::AllocatorWithDefaultOptions allocator;
    std::vector<int64_t> shape = {3, 5};
    Ort::Value v = Ort::Value::CreateTensor<double>(allocator, shape.data(), shape.size());
    EXPECT_EQ(v.GetTensorTypeAndShapeInfo().GetElementType(), ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE);
    EXPECT_EQ(v.GetTensorTypeAndShapeInfo().GetElementCount(), 15u);
    EXPECT_EQ(v.GetTensorData<double>()[14], 0.0);
    Ort::Value h =
        Ort::Value::CreateTensor(allocator, shape.data(), shape.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16);
    EXPECT_EQ(h.GetTensorTypeAndShapeInfo().GetElementType(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16);
    EXPECT_EQ(h.kiln_value().tensor().byte_size(), 30u);

    Ort::Value empty(nullptr);
    EXPECT_FALSE(empty.IsTensor());
    EXPECT_FALSE(static_cast<bool>(empty));
    empty = std::move(v);
    EXPECT_TRUE(empty.IsTensor());
}

TEST(OrtCompat, AllocatorAndRunOptions) {
    Ort::AllocatorWithDefaultOptions allocator;
    void* p = allocator.Alloc(100);
    ASSERT_NE(p, nullptr);
    std::memset(p, 1, 100);
    allocator.Free(p);
    EXPECT_NE(allocator.GetInfo(), nullptr);
    OrtAllocator* raw = allocator;
    EXPECT_EQ(raw->version, 1u);

    Ort::RunOptions run_options;
    EXPECT_STREQ(run_options.GetRunTag(), "");
    run_options.SetRunTag("batch-7");
    EXPECT_STREQ(run_options.GetRunTag(), "batch-7");
}

TEST(OrtCompat, ProfilingAndOptimizedModelFiles) {
    std::string dir = test_tmp_dir("ort_compat_profile");
    Ort::SessionOptions o;
    o.EnableProfiling((dir + "/trace").c_str());
    o.SetOptimizedModelFilePath((dir + "/optimized.onnx").c_str());
    Ort::Session s = session_of(two_output_model(), o);
    EXPECT_TRUE(std::filesystem::exists(dir + "/optimized.onnx"));
    std::vector<float> x(3, 1.f);
    std::vector<int64_t> shape = {1, 3};
    Ort::Value input = Ort::Value::CreateTensor<float>(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault),
                                                       x.data(), x.size(), shape.data(), shape.size());
    const char* in_names[] = {"x"};
    const char* out_names[] = {"y"};
    s.Run(Ort::RunOptions(), in_names, &input, 1, out_names, 1);
    Ort::AllocatorWithDefaultOptions allocator;
    Ort::AllocatedStringPtr path = s.EndProfilingAllocated(allocator);
    std::string trace(path.get());
    EXPECT_EQ(trace.rfind(dir + "/trace_", 0), 0u) << trace;
    EXPECT_TRUE(std::filesystem::exists(trace));
    EXPECT_STREQ(s.EndProfilingAllocated(allocator).get(), "");  // profiling has stopped

    // A profiling session that is replaced (or destroyed) writes its trace, as in ONNX Runtime.
    Ort::SessionOptions o2;
    o2.EnableProfiling((dir + "/second").c_str());
    Ort::Session s2 = session_of(two_output_model(), o2);
    s2 = Ort::Session(nullptr);
    bool written = false;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        written = written || entry.path().filename().string().rfind("second_", 0) == 0;
    }
    EXPECT_TRUE(written);
}

}  // namespace
}  // namespace kiln::test
