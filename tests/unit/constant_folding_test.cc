// Tests of the ConstantFolding pass on the CPU provider: nodes whose inputs are all constants are evaluated once,
// DequantizeLinear of a constant int8 weight included (kept until after partitioning for the device providers: see
// openvino_qdq_test), and the result is the same as computing them at run time (here bit for bit: the same kernels).
// Each model runs with all optimisations and with none; the node counts show what was folded.
#include <gtest/gtest.h>

#include "kiln/session.h"
#include "support/model_builder.h"
#include "support/pass_check.h"

namespace kiln::test {
namespace {

void int8_initializer(ModelBuilder& b, const std::string& name, std::vector<int64_t> dims,
                      const std::vector<int8_t>& values) {
    auto* t = b.graph().add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::INT8);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size()));
}

// y = MatMul(x, DequantizeLinear(w int8, per-column scales, zero points)) + (c1 + c2).
ModelBuilder dequantized_weight_model(bool weight_is_input) {
    ModelBuilder b(21);
    b.input("x", {3, 4}).output("y", {3, 5});
    std::vector<int8_t> w(20);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
    if (weight_is_input) {
        b.input("w", {4, 5}, ::onnx::TensorProto::INT8);
    } else {
        int8_initializer(b, "w", {4, 5}, w);
    }
    b.initializer_floats("scale", {5}, {0.01f, 0.02f, 0.005f, 0.03f, 0.015f});
    int8_initializer(b, "zero", {5}, {0, 3, -2, 0, 1});
    b.initializer_floats("c1", {5}, {1, 2, 3, 4, 5});
    b.initializer_floats("c2", {5}, {0.5f, 0.25f, 0, -1, 2});
    attr_int(b.node("DequantizeLinear", {"w", "scale", "zero"}, {"wd"}, "dequantize"), "axis", 1);
    b.node("MatMul", {"x", "wd"}, {"m"}, "mat_mul");
    b.node("Add", {"c1", "c2"}, {"c"}, "add_constants");
    b.node("Add", {"m", "c"}, {"y"}, "add");
    return b;
}

TEST(ConstantFolding, FoldsDequantizeLinearOfAConstantWeightOnTheCpuProvider) {
    Tensor x = Tensor::from_vector<float>(DType::Float, {3, 4}, random_values(12, 5));
    // dequantize and add_constants folded; mat_mul and add stay (MatMul+Add may fuse into one node).
    Session plain = session_of(dequantized_weight_model(false), GraphOptimizationLevel::DisableAll);
    Session basic = session_of(dequantized_weight_model(false), GraphOptimizationLevel::Basic);
    EXPECT_EQ(plain.node_assignments().size(), 4u);
    EXPECT_EQ(basic.node_assignments().size(), 2u);
    expect_pass_effect(dequantized_weight_model(false), {{"x", x}}, 4, 1, 1, 0.f);
}

TEST(ConstantFolding, LeavesDequantizeLinearOfAGraphInput) {
    Tensor x = Tensor::from_vector<float>(DType::Float, {3, 4}, random_values(12, 6));
    Tensor w = Tensor::from_vector<int8_t>(DType::Int8, {4, 5}, std::vector<int8_t>(20, 7));
    Session basic = session_of(dequantized_weight_model(true), GraphOptimizationLevel::Basic);
    EXPECT_EQ(basic.node_assignments().size(), 3u);  // only add_constants folded
    expect_pass_effect(dequantized_weight_model(true), {{"x", x}, {"w", w}}, 4, 3, 1, 0.f);
}

}  // namespace
}  // namespace kiln::test
