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

// y = Relu(x) and z = c1 + c2, both graph outputs: the Add folds although its output is one.
ModelBuilder constant_output_model() {
    ModelBuilder b(21);
    b.input("x", {2, 3}).output("y", {2, 3}).output("z", {3});
    b.initializer_floats("c1", {3}, {1, 2, 3});
    b.initializer_floats("c2", {3}, {0.5f, -4, 0.25f});
    b.node("Relu", {"x"}, {"y"}, "relu");
    b.node("Add", {"c1", "c2"}, {"z"}, "add_constants");
    return b;
}

TEST(ConstantFolding, FoldsANodeWhoseOutputIsAGraphOutput) {
    Tensor x = Tensor::from_vector<float>(DType::Float, {2, 3}, random_values(6, 7));
    expect_pass_effect(constant_output_model(), {{"x", x}}, 2, 1);
    // The folded output is the caller's to change: the next run still returns the constant.
    Session basic = session_of(constant_output_model(), GraphOptimizationLevel::Basic);
    std::vector<Tensor> first = basic.run({{"x", x}});
    ASSERT_EQ(first.size(), 2u);
    for (int64_t i = 0; i < 3; ++i) first[1].data<float>()[i] = 99;
    std::vector<Tensor> second = basic.run({{"x", x}});
    EXPECT_EQ(std::vector<float>(second[1].data<float>(), second[1].data<float>() + 3),
              (std::vector<float>{1.5f, -2, 3.25f}));
}

TEST(ConstantFolding, OptionalHasElementOfNothingFoldsToFalse) {
    ModelBuilder b(18);
    b.input("x", {2}).output("y", {2}).output("has", {}, ::onnx::TensorProto::BOOL);
    b.node("Relu", {"x"}, {"y"}, "relu");
    b.node("OptionalHasElement", {}, {"has"}, "has_element");
    Session plain = session_of(b, GraphOptimizationLevel::DisableAll);
    Session basic = session_of(b, GraphOptimizationLevel::Basic);
    EXPECT_EQ(plain.node_assignments().size(), 2u);
    EXPECT_EQ(basic.node_assignments().size(), 1u);
    Tensor x = Tensor::from_vector<float>(DType::Float, {2}, {-1, 1});
    for (Session* s : {&plain, &basic}) {
        std::vector<Tensor> out = s->run({{"x", x}});
        ASSERT_EQ(out[1].dtype(), DType::Bool);
        ASSERT_EQ(out[1].element_count(), 1);
        EXPECT_EQ(out[1].data<uint8_t>()[0], 0);
    }
}

}  // namespace
}  // namespace kiln::test
