// Tests of the FuseConvActivation pass: Conv [+ Add(Z)] [+ activation] -> FusedConv. Each model runs with all
// optimisations and with none; outputs must agree and the node count must drop only where the pass may fire.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kiln/session.h"
#include "support/model_builder.h"
#include "support/pass_check.h"

namespace kiln::test {
namespace {

Tensor random_input(Shape shape) {
    Tensor x(DType::Float, std::move(shape));
    for (int64_t i = 0; i < x.element_count(); ++i) x.data<float>()[i] = std::sin(0.37f * i) * 2.f;
    return x;
}

// Runs `b` unoptimised and fully optimised (on `threads` threads); expects equal outputs and the node counts.
void expect_fusion(const ModelBuilder& b, const Tensor& x, size_t plain_nodes, size_t fused_nodes, int threads = 1) {
    expect_pass_effect(b, {{"x", x}}, plain_nodes, fused_nodes, threads);
}

// x [1, 8, 20, 20] -> Conv 3x3 (16 channels) + Conv 1x1 shortcut -> Add -> Relu: a ResNet block's tail.
ModelBuilder residual_model() {
    ModelBuilder b(17);
    b.input("x", {1, 8, 20, 20}).output("y", {1, 16, 20, 20});
    b.initializer_floats("w", {16, 8, 3, 3}, random_values(16 * 8 * 9, 1));
    b.initializer_floats("bias", {16}, random_values(16, 2));
    b.initializer_floats("ws", {16, 8, 1, 1}, random_values(16 * 8, 3));
    attr_ints(b.node("Conv", {"x", "w", "bias"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
    b.node("Conv", {"x", "ws"}, {"s"}, "shortcut");
    b.node("Add", {"c", "s"}, {"a"}, "add");
    b.node("Relu", {"a"}, {"y"}, "relu");
    return b;
}

TEST(PassFuseConvActivation, FusesResidualAddAndRelu) {
    expect_fusion(residual_model(), random_input({1, 8, 20, 20}), 4, 2);
}

TEST(PassFuseConvActivation, FusesResidualAddAndReluOnTwoThreads) {
    expect_fusion(residual_model(), random_input({1, 8, 20, 20}), 4, 2, 2);
}

// x -> Conv (no bias, 3 input channels in 3 groups = depthwise) -> `activation` -> y.
ModelBuilder conv_activation_model(const std::string& activation, bool depthwise) {
    ModelBuilder b(17);
    b.input("x", {1, 3, 7, 7}).output("y", {1, 3, 7, 7});
    b.initializer_floats("w", {3, depthwise ? 1 : 3, 3, 3}, random_values(depthwise ? 27 : 81, 4));
    b.initializer_floats("lo", {}, {-0.5f});
    b.initializer_floats("hi", {}, {0.75f});
    auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
    attr_ints(conv, "pads", {1, 1, 1, 1});
    if (depthwise) attr_int(conv, "group", 3);
    if (activation == "Clip") {
        b.node("Clip", {"c", "lo", "hi"}, {"y"}, "act");
    } else {
        auto& act = b.node(activation, {"c"}, {"y"}, "act");
        if (activation == "LeakyRelu") attr_float(act, "alpha", 0.3f);
    }
    return b;
}

TEST(PassFuseConvActivation, FusesEachActivation) {
    for (const char* act : {"Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid"}) {
        for (bool depthwise : {false, true}) {
            SCOPED_TRACE(std::string(act) + (depthwise ? " depthwise" : ""));
            expect_fusion(conv_activation_model(act, depthwise), random_input({1, 3, 7, 7}), 2, 1);
        }
    }
}

TEST(PassFuseConvActivation, DoesNotFireWhenConvOutputIsAGraphOutputOrReadTwice) {
    ModelBuilder exposed = conv_activation_model("Relu", false);
    exposed.output("c", {1, 3, 7, 7});
    expect_fusion(exposed, random_input({1, 3, 7, 7}), 2, 2);

    ModelBuilder twice = conv_activation_model("Relu", false);
    twice.output("z", {1, 3, 7, 7});
    twice.node("Sigmoid", {"c"}, {"z"}, "other_reader");
    expect_fusion(twice, random_input({1, 3, 7, 7}), 3, 3);
}

TEST(PassFuseConvActivation, DoesNotTakeABroadcastAddend) {
    ModelBuilder b(17);
    b.input("x", {1, 3, 7, 7}).output("y", {1, 3, 7, 7});
    b.initializer_floats("w", {3, 3, 3, 3}, random_values(81, 5));
    b.initializer_floats("per_channel", {1, 3, 1, 1}, {0.5f, -1.f, 2.f});
    attr_ints(b.node("Conv", {"x", "w"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
    b.node("Add", {"c", "per_channel"}, {"y"}, "add");
    expect_fusion(b, random_input({1, 3, 7, 7}), 2, 2);
}

}  // namespace
}  // namespace kiln::test
