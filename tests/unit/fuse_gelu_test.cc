// Tests of the FuseGelu pass: the erf form of GELU in elementwise ops -> one Gelu node. Each model runs with all
// optimisations and with none; outputs must agree and the node count must drop only where the pass may fire.
#include <gtest/gtest.h>

#include <cmath>

#include "kiln/session.h"
#include "support/model_builder.h"
#include "support/pass_check.h"

namespace kiln::test {
namespace {

void expect_fusion(const ModelBuilder& b, size_t plain_nodes, size_t fused_nodes) {
    Tensor x(DType::Float, {4, 33});
    for (int64_t i = 0; i < x.element_count(); ++i) x.data<float>()[i] = 0.11f * static_cast<float>(i - 60);
    expect_pass_effect(b, {{"x", x}}, plain_nodes, fused_nodes, 1, 1e-6f);
}

// y = (x * (erf(x / sqrt 2) + 1)) * 0.5, or with `scale_first`: x * ((erf(x * (1/sqrt 2)) + 1) * 0.5).
ModelBuilder gelu_model(bool scale_first) {
    ModelBuilder b(17);
    b.input("x", {4, 33}).output("y", {4, 33});
    b.initializer_floats("sqrt2", {}, {1.4142135f});
    b.initializer_floats("inv_sqrt2", {}, {0.70710678f});
    b.initializer_floats("one", {}, {1.f});
    b.initializer_floats("half", {}, {0.5f});
    if (scale_first) {
        b.node("Mul", {"inv_sqrt2", "x"}, {"d"}, "scale");
    } else {
        b.node("Div", {"x", "sqrt2"}, {"d"}, "scale");
    }
    b.node("Erf", {"d"}, {"e"}, "erf");
    b.node("Add", {"one", "e"}, {"a"}, "add");
    if (scale_first) {
        b.node("Mul", {"a", "half"}, {"m"}, "mul1");
        b.node("Mul", {"x", "m"}, {"y"}, "mul2");
    } else {
        b.node("Mul", {"x", "a"}, {"m"}, "mul1");
        b.node("Mul", {"m", "half"}, {"y"}, "mul2");
    }
    return b;
}

TEST(PassFuseGelu, FusesBothOperandOrders) {
    expect_fusion(gelu_model(false), 5, 1);
    expect_fusion(gelu_model(true), 5, 1);
}

TEST(PassFuseGelu, DoesNotFireWhenAnIntermediateIsAGraphOutputOrReadTwice) {
    ModelBuilder exposed = gelu_model(false);
    exposed.output("e", {4, 33});
    expect_fusion(exposed, 5, 5);

    ModelBuilder twice = gelu_model(false);
    twice.output("z", {4, 33});
    twice.node("Relu", {"a"}, {"z"}, "other_reader");
    expect_fusion(twice, 6, 6);
}

TEST(PassFuseGelu, DoesNotFireOnAnotherConstant) {
    ModelBuilder b = gelu_model(false);
    b.graph().mutable_initializer(3)->set_float_data(0, 0.25f);  // "half" is 0.25 here
    expect_fusion(b, 5, 5);
}

}  // namespace
}  // namespace kiln::test
