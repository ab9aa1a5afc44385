// Training-family CPU kernel tests (ai.onnx.preview.training Adagrad, Adam, Momentum). Expected values come from
// onnx.reference's update functions (onnx/reference/ops/aionnx_preview_training), called as in the comments with
// f = lambda *v: np.array(v, np.float32), r = np.array(0.1, np.float32), t = np.array(3, np.int64).
#include <gtest/gtest.h>

#include <vector>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_error;
using test::OpCase;
using test::values_of;

Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(s), v); }
Tensor rate() { return f32({}, {0.1f}); }
Tensor step(int64_t t) { return Tensor::from_vector<int64_t>(DType::Int64, {}, {t}); }

void expect_values(const Tensor& t, std::vector<float> expected) {
    auto v = values_of<float>(t);
    ASSERT_EQ(v.size(), expected.size());
    for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], expected[i], 1e-5f) << "element " << i;
}

TEST(TrainingTest, Adagrad) {
    // _apply_adagrad(r, t, f(1, -2), f(.5, .25), f(.1, .2), 0.01, 1e-5, 0.1)
    auto out = OpCase("Adagrad")
                   .input(rate())
                   .input(step(3))
                   .input(f32({2}, {1, -2}))
                   .input(f32({2}, {.5f, .25f}))
                   .input(f32({2}, {.1f, .2f}))
                   .attr_float("norm_coefficient", 0.01f)
                   .attr_float("epsilon", 1e-5f)
                   .attr_float("decay_factor", 0.1f)
                   .outputs(2)
                   .run();
    expect_values(out[0], {0.93462557f, -2.0351806f});
    expect_values(out[1], {0.36009997f, 0.2529f});
}

TEST(TrainingTest, AdagradInDouble) {
    // _apply_adagrad(r, t, np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([0.1, 0.2]), 0.01, 1e-5, 0.1)
    // with r = np.array(0.1) (float64; the float attributes differ from these doubles by ~1e-10): x' = [0.93462555,
    // -2.03518045], h' = [0.3601, 0.2529]
    auto d = [](std::vector<double> v) {
        return Tensor::from_vector<double>(DType::Double, {static_cast<int64_t>(v.size())}, v);
    };
    auto out = OpCase("Adagrad")
                   .input(Tensor::from_vector<double>(DType::Double, {}, {0.1}))
                   .input(step(3))
                   .input(d({1, -2}))
                   .input(d({.5, .25}))
                   .input(d({.1, .2}))
                   .attr_float("norm_coefficient", 0.01f)
                   .attr_float("epsilon", 1e-5f)
                   .attr_float("decay_factor", 0.1f)
                   .outputs(2)
                   .run();
    ASSERT_EQ(out[0].dtype(), DType::Double);
    auto x = values_of<double>(out[0]);
    auto h = values_of<double>(out[1]);
    EXPECT_NEAR(x[0], 0.93462555, 1e-6);
    EXPECT_NEAR(x[1], -2.03518045, 1e-6);
    EXPECT_NEAR(h[0], 0.3601, 1e-6);
    EXPECT_NEAR(h[1], 0.2529, 1e-6);
}

TEST(TrainingTest, AdamWithAndWithoutBiasCorrection) {
    // _apply_adam(r, t, f(1, -2), f(.5, .25), f(.1, -.2), f(.3, .4), 0.01, 0.1, 0.9, 0.99, 1e-6)
    auto out = OpCase("Adam")
                   .input(rate())
                   .input(step(3))
                   .input(f32({2}, {1, -2}))
                   .input(f32({2}, {.5f, .25f}))
                   .input(f32({2}, {.1f, -.2f}))
                   .input(f32({2}, {.3f, .4f}))
                   .attr_float("norm_coefficient", 0.01f)
                   .attr_float("norm_coefficient_post", 0.1f)
                   .attr_float("alpha", 0.9f)
                   .attr_float("beta", 0.99f)
                   .outputs(3)
                   .run();
    expect_values(out[0], {0.88525634f, -1.78573012f});
    expect_values(out[1], {0.141f, -0.157f});
    expect_values(out[2], {0.29960102f, 0.396529f});
    // t = 0: no bias correction; defaults alpha 0.9, beta 0.999... given as 0.99 here:
    // _apply_adam(r, np.array(0), f(1), f(.5), f(.1), f(.3), 0, 0, 0.9, 0.99, 1e-6)
    auto first = OpCase("Adam")
                     .input(rate())
                     .input(step(0))
                     .input(f32({1}, {1}))
                     .input(f32({1}, {.5f}))
                     .input(f32({1}, {.1f}))
                     .input(f32({1}, {.3f}))
                     .attr_float("beta", 0.99f)
                     .outputs(3)
                     .run();
    expect_values(first[0], {0.97441834f});
    expect_values(first[1], {0.14f});
    expect_values(first[2], {0.29950002f});
}

std::vector<Tensor> momentum(const std::string& mode, int64_t t, std::vector<float> x, std::vector<float> g,
                             std::vector<float> v, float norm) {
    Shape s{static_cast<int64_t>(x.size())};
    return OpCase("Momentum")
        .input(rate())
        .input(step(t))
        .input(f32(s, x))
        .input(f32(s, g))
        .input(f32(s, v))
        .attr_float("norm_coefficient", norm)
        .attr_float("alpha", 0.9f)
        .attr_float("beta", 0.5f)
        .attr_string("mode", mode)
        .outputs(2)
        .run();
}

TEST(TrainingTest, MomentumStandardAndNesterov) {
    // _apply_momentum(r, t, f(1, -2), f(.5, .25), f(.1, -.2), 0.01, 0.9, 0.5)
    auto out = momentum("standard", 3, {1, -2}, {.5f, .25f}, {.1f, -.2f}, 0.01f);
    expect_values(out[0], {0.9655f, -1.9935f});
    expect_values(out[1], {0.345f, -0.065f});
    // beta is 1 at the first step: _apply_momentum(r, np.array(0), f(1), f(.5), f(.1), 0, 0.9, 0.5)
    auto first = momentum("standard", 0, {1}, {.5f}, {.1f}, 0.f);
    expect_values(first[0], {0.941f});
    expect_values(first[1], {0.59f});
    // _apply_nesterov(r, t, f(1, -2), f(.5, .25), f(.1, -.2), 0.01, 0.9, 0.5)
    auto nesterov = momentum("nesterov", 3, {1, -2}, {.5f, .25f}, {.1f, -.2f}, 0.01f);
    expect_values(nesterov[0], {0.91795f, -2.01715f});
    expect_values(nesterov[1], {0.345f, -0.065f});
    expect_error([] { momentum("heavy", 3, {1}, {1}, {1}, 0.f); }, ErrorCode::InvalidModel,
                 {"Momentum_under_test", "heavy"});
}

TEST(TrainingTest, SeveralTensorsAreUpdatedIndependently) {
    // Momentum over X1 [1] and X2 [2]: outputs X1', X2', V1', V2'; each equals the single-tensor update.
    auto out = OpCase("Momentum")
                   .input(rate())
                   .input(step(3))
                   .input(f32({1}, {1}))
                   .input(f32({2}, {1, -2}))
                   .input(f32({1}, {.5f}))
                   .input(f32({2}, {.5f, .25f}))
                   .input(f32({1}, {.1f}))
                   .input(f32({2}, {.1f, -.2f}))
                   .attr_float("norm_coefficient", 0.01f)
                   .attr_float("alpha", 0.9f)
                   .attr_float("beta", 0.5f)
                   .attr_string("mode", "standard")
                   .outputs(4)
                   .run();
    ASSERT_EQ(out.size(), 4u);
    expect_values(out[0], {0.9655f});
    expect_values(out[1], {0.9655f, -1.9935f});
    expect_values(out[2], {0.345f});
    expect_values(out[3], {0.345f, -0.065f});
}

TEST(TrainingTest, MismatchedGroupsAreRejected) {
    // 6 inputs after R and T is not a multiple of Adam's 4 groups.
    expect_error(
        [] {
            OpCase("Adam")
                .input(rate())
                .input(step(1))
                .input(f32({1}, {1}))
                .input(f32({1}, {1}))
                .input(f32({1}, {1}))
                .outputs(3)
                .run();
        },
        ErrorCode::InvalidModel, {"Adam_under_test", "groups"});
    // A gradient whose shape differs from its tensor's.
    expect_error(
        [] {
            OpCase("Adagrad")
                .input(rate())
                .input(step(1))
                .input(f32({2}, {1, 2}))
                .input(f32({1}, {1}))
                .input(f32({2}, {1, 2}))
                .outputs(2)
                .run();
        },
        ErrorCode::InvalidArgument, {"Adagrad_under_test", "gradient 0"});
}

}  // namespace
}  // namespace kiln
