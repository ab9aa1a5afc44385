// Tests of the FuseMatMulBias pass: MatMul(A, W) + bias [-> Gelu] -> FusedMatMul. Each model runs with all
// optimisations and with none; outputs must agree and the node count must drop only where the pass may fire.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kiln/session.h"
#include "support/model_builder.h"
#include "support/pass_check.h"

namespace kiln::test {
namespace {

void expect_fusion(const ModelBuilder& b, size_t plain_nodes, size_t fused_nodes, int threads = 1) {
    Tensor x(DType::Float, {2, 40, 64});
    std::vector<float> v = random_values(x.element_count(), 9);
    std::copy(v.begin(), v.end(), x.data<float>());
    expect_pass_effect(b, {{"x", x}}, plain_nodes, fused_nodes, threads);
}

// x [2, 40, 64] -> MatMul(W [64, 96]) -> Add(bias) [-> erf GELU] -> y.
ModelBuilder linear_model(bool gelu, std::vector<int64_t> bias_dims = {96}) {
    ModelBuilder b(17);
    b.input("x", {2, 40, 64}).output("y", {2, 40, 96});
    b.initializer_floats("w", {64, 96}, random_values(64 * 96, 1));
    int64_t bias_count = 1;
    for (int64_t d : bias_dims) bias_count *= d;
    b.initializer_floats("bias", bias_dims, random_values(bias_count, 2));
    b.node("MatMul", {"x", "w"}, {"m"}, "matmul");
    b.node("Add", {"m", "bias"}, {gelu ? "t" : "y"}, "add");
    if (gelu) {
        b.initializer_floats("sqrt2", {}, {1.4142135f});
        b.initializer_floats("one", {}, {1.f});
        b.initializer_floats("half", {}, {0.5f});
        b.node("Div", {"t", "sqrt2"}, {"d"}, "div");
        b.node("Erf", {"d"}, {"e"}, "erf");
        b.node("Add", {"e", "one"}, {"a"}, "add1");
        b.node("Mul", {"t", "a"}, {"p"}, "mul1");
        b.node("Mul", {"p", "half"}, {"y"}, "mul2");
    }
    return b;
}

TEST(PassFuseMatMulBias, FusesBias) {
    expect_fusion(linear_model(false), 2, 1);
    expect_fusion(linear_model(false), 2, 1, 2);
}

TEST(PassFuseMatMulBias, FusesBiasAndGelu) {
    expect_fusion(linear_model(true), 7, 1);
    expect_fusion(linear_model(true), 7, 1, 2);
}

TEST(PassFuseMatMulBias, DoesNotFireOnAFullBiasOrASharedProduct) {
    expect_fusion(linear_model(false, {40, 96}), 2, 2);  // not a per-column bias

    ModelBuilder twice = linear_model(false);
    twice.output("z", {2, 40, 96});
    twice.node("Relu", {"m"}, {"z"}, "other_reader");
    expect_fusion(twice, 3, 3);
}

}  // namespace
}  // namespace kiln::test
