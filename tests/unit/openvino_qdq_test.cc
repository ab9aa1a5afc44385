// Quantized models on the OpenVINO provider, with the CPU provider as the oracle: QDQ patterns that OpenVINO turns
// into int8 kernels (read back from the compiled model's runtime graph: the partition's description counts the
// Convolution/FullyConnected/MatMul nodes that run in int8), QDQ patterns it must leave in float, QOperator ops
// (QLinearConv, QLinearMatMul), and bfloat16 inference through load_config. The weights' DequantizeLinear must reach
// OpenVINO: constant folding keeps it until after partitioning (constant_folding_test: the CPU provider's side).
//
// Tolerance: a QDQ model's output is DequantizeLinear(QuantizeLinear(y)), on a grid of the output scale. OpenVINO
// computes the same integer arithmetic (int32 accumulation of exact int8 products) but may requantize in another
// order, so an element may land one grid step away from the CPU provider's: the tolerance is one output step (the
// outputs agree exactly on these models with OpenVINO 2026.4, but one step is what int8 compute promises).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "kiln/session.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

constexpr int kC = 8, kK = 16, kHW = 10;
constexpr float kXScale = 0.02f, kYScale = 0.05f;
constexpr uint8_t kXZero = 128, kYZero = 100;

Session session_of(const ModelBuilder& b, const SessionOptions& options) {
    std::string bytes = b.bytes();
    return Session(bytes.data(), bytes.size(), options);
}

template <typename T>
void initializer(ModelBuilder& b, const std::string& name, std::vector<int64_t> dims, int32_t elem_type,
                 const std::vector<T>& values) {
    auto* t = b.graph().add_initializer();
    t->set_name(name);
    t->set_data_type(elem_type);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
}

// Symmetric int8 weights with one scale per output channel (row of `count / rows` values), as quantize_static makes.
void quantized_weights(ModelBuilder& b, const std::string& name, std::vector<int64_t> dims, int64_t channels,
                       bool per_channel, uint32_t seed) {
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    std::vector<float> w = values(count, seed);
    int64_t per = count / channels;
    std::vector<float> scales(per_channel ? channels : 1, 0.f);
    for (int64_t i = 0; i < count; ++i) {
        float& s = scales[per_channel ? i / per : 0];
        s = std::max(s, std::fabs(w[i]) / 127.f);
    }
    std::vector<int8_t> q(count);
    for (int64_t i = 0; i < count; ++i) {
        q[i] = static_cast<int8_t>(std::lround(w[i] / scales[per_channel ? i / per : 0]));
    }
    initializer(b, name + "_q", dims, ::onnx::TensorProto::INT8, q);
    std::vector<int64_t> scale_dims = per_channel ? std::vector<int64_t>{channels} : std::vector<int64_t>{};
    initializer(b, name + "_scale", scale_dims, ::onnx::TensorProto::FLOAT, scales);
    initializer(b, name + "_zero", scale_dims, ::onnx::TensorProto::INT8,
                std::vector<int8_t>(per_channel ? channels : 1, 0));
}

struct QdqConv {
    float dequantize_scale = kXScale;  // DequantizeLinear's scale for x: != kXScale is a mismatched pair
    bool zero_point_input = false;     // x's zero point is a graph input, not a constant
};

// y = QDQ(Relu(Conv(QDQ(x), DQ(w int8 per channel)) + b)), x: [1, 8, 10, 10] uint8-quantized.
ModelBuilder qdq_conv(QdqConv c = {}) {
    ModelBuilder b(21);
    b.input("x", {1, kC, kHW, kHW}).output("y", {1, kK, kHW, kHW});
    if (c.zero_point_input) {
        b.input("x_zero", {}, ::onnx::TensorProto::UINT8);
    } else {
        initializer(b, "x_zero", {}, ::onnx::TensorProto::UINT8, std::vector<uint8_t>{kXZero});
    }
    initializer(b, "x_scale", {}, ::onnx::TensorProto::FLOAT, std::vector<float>{kXScale});
    initializer(b, "x_dq_scale", {}, ::onnx::TensorProto::FLOAT, std::vector<float>{c.dequantize_scale});
    initializer(b, "y_scale", {}, ::onnx::TensorProto::FLOAT, std::vector<float>{kYScale});
    initializer(b, "y_zero", {}, ::onnx::TensorProto::UINT8, std::vector<uint8_t>{kYZero});
    quantized_weights(b, "w", {kK, kC, 3, 3}, kK, true, 21);
    b.initializer_floats("bias", {kK}, values(kK, 22));
    b.node("QuantizeLinear", {"x", "x_scale", "x_zero"}, {"xq"}, "quantize_x");
    b.node("DequantizeLinear", {"xq", "x_dq_scale", "x_zero"}, {"xd"}, "dequantize_x");
    attr_int(b.node("DequantizeLinear", {"w_q", "w_scale", "w_zero"}, {"wd"}, "dequantize_w"), "axis", 0);
    attr_ints(b.node("Conv", {"xd", "wd", "bias"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
    b.node("Relu", {"c"}, {"r"}, "relu");
    b.node("QuantizeLinear", {"r", "y_scale", "y_zero"}, {"yq"}, "quantize_y");
    b.node("DequantizeLinear", {"yq", "y_scale", "y_zero"}, {"y"}, "dequantize_y");
    return b;
}

// y = QDQ(MatMul(QDQ(x) int8, DQ(w int8 per tensor))), x: [4, 8] int8-quantized (zero point 0).
ModelBuilder qdq_mat_mul() {
    ModelBuilder b(21);
    b.input("x", {4, kC}).output("y", {4, kK});
    initializer(b, "x_scale", {}, ::onnx::TensorProto::FLOAT, std::vector<float>{kXScale});
    initializer(b, "x_zero", {}, ::onnx::TensorProto::INT8, std::vector<int8_t>{0});
    initializer(b, "y_scale", {}, ::onnx::TensorProto::FLOAT, std::vector<float>{kYScale});
    initializer(b, "y_zero", {}, ::onnx::TensorProto::INT8, std::vector<int8_t>{0});
    quantized_weights(b, "w", {kC, kK}, kC, false, 31);
    b.node("QuantizeLinear", {"x", "x_scale", "x_zero"}, {"xq"}, "quantize_x");
    b.node("DequantizeLinear", {"xq", "x_scale", "x_zero"}, {"xd"}, "dequantize_x");
    b.node("DequantizeLinear", {"w_q", "w_scale", "w_zero"}, {"wd"}, "dequantize_w");
    b.node("MatMul", {"xd", "wd"}, {"m"}, "mat_mul");
    b.node("QuantizeLinear", {"m", "y_scale", "y_zero"}, {"yq"}, "quantize_y");
    b.node("DequantizeLinear", {"yq", "y_scale", "y_zero"}, {"y"}, "dequantize_y");
    return b;
}

// QOperator form: y = DQ(QLinearConv(Q(x), w int8) or QLinearMatMul(Q(x), w int8)). Per-channel weight scales for
// the convolution when `per_channel`.
ModelBuilder qlinear(const std::string& op, bool per_channel) {
    ModelBuilder b(21);
    bool conv = op == "QLinearConv";
    if (conv) {
        b.input("x", {1, kC, kHW, kHW}).output("y", {1, kK, kHW, kHW});
        quantized_weights(b, "w", {kK, kC, 3, 3}, kK, per_channel, 41);
    } else {
        b.input("x", {4, kC}).output("y", {4, kK});
        quantized_weights(b, "w", {kC, kK}, kC, false, 42);
    }
    initializer(b, "x_scale", {}, ::onnx::TensorProto::FLOAT, std::vector<float>{kXScale});
    initializer(b, "x_zero", {}, ::onnx::TensorProto::UINT8, std::vector<uint8_t>{kXZero});
    initializer(b, "y_scale", {}, ::onnx::TensorProto::FLOAT, std::vector<float>{kYScale});
    initializer(b, "y_zero", {}, ::onnx::TensorProto::UINT8, std::vector<uint8_t>{kYZero});
    b.node("QuantizeLinear", {"x", "x_scale", "x_zero"}, {"xq"}, "quantize_x");
    std::vector<std::string> inputs = {"xq", "x_scale", "x_zero", "w_q", "w_scale", "w_zero", "y_scale", "y_zero"};
    auto& node = b.node(op, inputs, {"yq"}, "qlinear");
    if (conv) attr_ints(node, "pads", {1, 1, 1, 1});
    b.node("DequantizeLinear", {"yq", "y_scale", "y_zero"}, {"y"}, "dequantize_y");
    return b;
}

// x in [-2, 2): beyond the uint8 range of x_scale 0.02 around 128, so QuantizeLinear saturates some elements.
Tensor inputs_of(Shape shape, uint32_t seed) {
    Tensor x = random_floats(std::move(shape), seed);
    for (int64_t i = 0; i < x.element_count(); ++i) x.data<float>()[i] *= 2;
    return x;
}

std::map<std::string, NodeAssignment> assignments(const Session& s) {
    std::map<std::string, NodeAssignment> by_name;
    for (const NodeAssignment& a : s.node_assignments()) by_name[a.node_name] = a;
    return by_name;
}

std::string description(const Session& s) {
    auto compiled = s.compiled_partitions();
    return compiled.size() == 1 ? compiled[0].description : "";
}

// Within one output step of the CPU provider; also returns how many elements differ at all.
int64_t expect_within_one_step(const Tensor& got, const Tensor& want) {
    EXPECT_EQ(got.shape(), want.shape());
    int64_t differ = 0;
    for (int64_t i = 0; i < want.element_count(); ++i) {
        float g = got.data<float>()[i], w = want.data<float>()[i];
        EXPECT_LE(std::fabs(g - w), kYScale * 1.001f) << "element " << i << ": " << g << " vs " << w;
        differ += g != w;
    }
    return differ;
}

// ---- QDQ patterns that run in int8 ----

TEST(OpenVINOQdq, ConvWithPerChannelWeightsRunsInInt8AndMatchesTheCpuProvider) {
    Session device = session_of(qdq_conv(), openvino());
    Session cpu = session_of(qdq_conv(), SessionOptions());
    // The weights' DequantizeLinear reached OpenVINO (not folded into a float weight before partitioning).
    auto placed = assignments(device);
    ASSERT_TRUE(placed.count("dequantize_w"));
    for (const auto& [name, a] : placed) EXPECT_EQ(a.provider, kOpenVINO) << name;
    EXPECT_NE(description(device).find("1 of 1 Convolution/FullyConnected/MatMul in int8"), std::string::npos)
        << description(device);
    // FP32 pins the float precision; the int8 convolution is not affected by it.
    EXPECT_NE(description(device).find("inference precision f32"), std::string::npos) << description(device);
    for (uint32_t seed : {1u, 2u}) {
        Tensor x = inputs_of({1, kC, kHW, kHW}, seed);
        expect_within_one_step(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
    }
}

TEST(OpenVINOQdq, MatMulWithSignedActivationsAndPerTensorWeightsRunsInInt8) {
    Session device = session_of(qdq_mat_mul(), openvino());
    Session cpu = session_of(qdq_mat_mul(), SessionOptions());
    EXPECT_NE(description(device).find("1 of 1 Convolution/FullyConnected/MatMul in int8"), std::string::npos)
        << description(device);
    Tensor x = inputs_of({4, kC}, 3);
    expect_within_one_step(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
}

// ---- QDQ patterns OpenVINO must not compute as a plain int8 pair ----

// QuantizeLinear and DequantizeLinear with different scales are not a fake-quantize pair; OpenVINO folds the ratio
// of the scales into the dequantization and still runs the convolution in int8, with the same results.
TEST(OpenVINOQdq, MismatchedScalesKeepTheCpuProvidersResults) {
    QdqConv mismatched;
    mismatched.dequantize_scale = kXScale * 1.5f;
    Session device = session_of(qdq_conv(mismatched), openvino());
    Session cpu = session_of(qdq_conv(mismatched), SessionOptions());
    Session matched = session_of(qdq_conv(), SessionOptions());
    Tensor x = inputs_of({1, kC, kHW, kHW}, 4);
    Tensor want = cpu.run({{"x", x}})[0];
    expect_within_one_step(device.run({{"x", x}})[0], want);
    // The mismatch changes the answer (so the comparison above would catch a fusion that ignored it).
    Tensor plain = matched.run({{"x", x}})[0];
    int64_t changed = 0;
    for (int64_t i = 0; i < want.element_count(); ++i) changed += want.data<float>()[i] != plain.data<float>()[i];
    EXPECT_GT(changed, want.element_count() / 4);
}

// A zero point that is a graph input is not known when OpenVINO compiles: no int8 kernel, float compute, the same
// results.
TEST(OpenVINOQdq, ZeroPointFromAGraphInputIsNotFused) {
    QdqConv dynamic_zero;
    dynamic_zero.zero_point_input = true;
    Session device = session_of(qdq_conv(dynamic_zero), openvino());
    Session cpu = session_of(qdq_conv(dynamic_zero), SessionOptions());
    EXPECT_EQ(description(device).find("in int8"), std::string::npos) << description(device);
    Tensor x = inputs_of({1, kC, kHW, kHW}, 5);
    for (uint8_t zero : {uint8_t{128}, uint8_t{90}}) {
        Tensor z = Tensor::from_vector<uint8_t>(DType::UInt8, {}, {zero});
        expect_within_one_step(device.run({{"x", x}, {"x_zero", z}})[0], cpu.run({{"x", x}, {"x_zero", z}})[0]);
    }
}

// ---- QOperator models ----

TEST(OpenVINOQdq, QLinearMatMulAndPerTensorQLinearConvRunOnOpenVINOInInt8) {
    for (const char* op : {"QLinearMatMul", "QLinearConv"}) {
        SCOPED_TRACE(op);
        ModelBuilder model = qlinear(op, false);
        Session device = session_of(model, openvino());
        Session cpu = session_of(model, SessionOptions());
        EXPECT_EQ(assignments(device)["qlinear"].provider, kOpenVINO);
        EXPECT_NE(description(device).find("1 of 1 Convolution/FullyConnected/MatMul in int8"), std::string::npos)
            << description(device);
        Tensor x = std::string(op) == "QLinearConv" ? inputs_of({1, kC, kHW, kHW}, 6) : inputs_of({4, kC}, 6);
        expect_within_one_step(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
    }
}

// OpenVINO 2026.4's ONNX frontend checks QLinearConv's per-channel weight scales against the wrong axis and fails:
// the node stays on the CPU provider, with OpenVINO's message as the reason.
TEST(OpenVINOQdq, PerChannelQLinearConvFallsBackToTheCpuProviderWithTheReason) {
    ModelBuilder model = qlinear("QLinearConv", true);
    Session device = session_of(model, openvino());
    Session cpu = session_of(model, SessionOptions());
    NodeAssignment a = assignments(device)["qlinear"];
    if (a.provider == kOpenVINO) GTEST_SKIP() << "this OpenVINO converts per-channel QLinearConv";
    EXPECT_EQ(a.provider, "CPUExecutionProvider");
    EXPECT_NE(a.reason.find("cannot convert"), std::string::npos) << a.reason;
    // The frontend's own words, not the lines that say where OpenVINO threw.
    EXPECT_NE(a.reason.find("QLinearConv"), std::string::npos) << a.reason;
    EXPECT_EQ(a.reason.find("Exception from"), std::string::npos) << a.reason;
    EXPECT_EQ(a.reason.find('\n'), std::string::npos) << a.reason;
    Tensor x = inputs_of({1, kC, kHW, kHW}, 7);
    expect_within_one_step(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
}

// ---- bfloat16 through load_config ----

TEST(OpenVINOQdq, Bf16ThroughLoadConfigIsTheCompiledPrecision) {
    Session device = session_of(
        conv_model(),
        openvino({{"device_type", "CPU"}, {"load_config", R"({"CPU": {"INFERENCE_PRECISION_HINT": "bf16"}})"}}));
    Session cpu = session_of(conv_model(), SessionOptions());
    EXPECT_NE(description(device).find("inference precision bf16"), std::string::npos) << description(device);
    Tensor x = random_floats({1, 4, 8, 8}, 8);
    Tensor got = device.run({{"x", x}})[0], want = cpu.run({{"x", x}})[0];
    // bfloat16 keeps 8 significant bits: relative error 2^-8 per rounding, a few roundings deep.
    double worst = 0;
    for (int64_t i = 0; i < want.element_count(); ++i) {
        worst = std::max(worst, double(std::fabs(got.data<float>()[i] - want.data<float>()[i])));
    }
    EXPECT_LT(worst, 2e-2);
    EXPECT_GT(worst, 0);  // it did compute in bf16: FP32 agrees to 1e-6 here
}

}  // namespace
}  // namespace kiln::test
