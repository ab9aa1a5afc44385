// Norm-family CPU kernel and shape-function tests; expected values from numpy expressions in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

Tensor vec(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(shape), v); }

void expect_values(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "at " << i;
}

TEST(NormTest, SoftmaxAlongAxisIsStable) {
    // x = [[1, 2], [1000, 1001]] along axis 0: np.exp(x - x.max(0)) / sum -> column-wise, the big values win.
    Tensor x = vec({2, 2}, {1, 2, 1000, 1001});
    auto y = test::OpCase("Softmax").input(x).attr_int("axis", 0).run()[0];
    expect_values(y, {0, 0, 1, 1});
    // default axis -1: softmax([1000, 1001]) = [1 / (1 + e), e / (1 + e)] = [0.26894142, 0.73105858]
    auto z = test::OpCase("Softmax").input(x).threads(2).run()[0];
    expect_values(z, {0.26894142f, 0.73105858f, 0.26894142f, 0.73105858f});
}

TEST(NormTest, LogSoftmaxAndHardmax) {
    // log_softmax([0, ln 3]) = [ln(1/4), ln(3/4)] = [-1.3862944, -0.2876821]
    auto y = test::OpCase("LogSoftmax").input(vec({1, 2}, {0, std::log(3.f)})).run()[0];
    expect_values(y, {-1.3862944f, -0.2876821f});
    // Hardmax picks the first maximum: [[3, 1, 3]] -> [[1, 0, 0]]
    auto h = test::OpCase("Hardmax").input(vec({1, 3}, {3, 1, 3})).run()[0];
    expect_values(h, {1, 0, 0});
}

TEST(NormTest, BatchNormalizationInference) {
    // (x - mean) / sqrt(var + eps) * scale + b with mean [1, 2], var [4, 1], scale [2, 1], b [0, 1], eps 0
    // x = [[[1, 3]], [[2, 4]]] (N=1, C=2, L=2) -> [[0, 1], [1, 3]]
    auto y = test::OpCase("BatchNormalization")
                 .input(vec({1, 2, 2}, {1, 3, 2, 4}))
                 .input(vec({2}, {2, 1}))
                 .input(vec({2}, {0, 1}))
                 .input(vec({2}, {1, 2}))
                 .input(vec({2}, {4, 1}))
                 .attr_float("epsilon", 0.f)
                 .run()[0];
    expect_values(y, {0, 2, 1, 3});
}

TEST(NormTest, BatchNormalizationTrainingUsesBatchStatistics) {
    // x = [1, 2]: batch mean 1.5, population var 0.25 (np.var); y = (x - 1.5) / np.sqrt(0.25 + 1e-5);
    // running_mean = 0 * 0.9 + 1.5 * 0.1, running_var = 1 * 0.9 + 0.25 * 0.1
    auto out = test::OpCase("BatchNormalization")
                   .input(vec({1, 1, 2}, {1, 2}))
                   .input(vec({1}, {1}))
                   .input(vec({1}, {0}))
                   .input(vec({1}, {0}))
                   .input(vec({1}, {1}))
                   .attr_int("training_mode", 1)
                   .outputs(3)
                   .run();
    EXPECT_NEAR(out[0].data<float>()[0], -0.99998f, 1e-5f);
    EXPECT_NEAR(out[0].data<float>()[1], 0.99998f, 1e-5f);
    EXPECT_NEAR(out[1].data<float>()[0], 0.15f, 1e-6f);
    EXPECT_NEAR(out[2].data<float>()[0], 0.925f, 1e-6f);
}

// Per-channel inputs that do not hold one value per channel: refused by shape inference when the shapes are declared
// (here), by the kernel when they are not (found by fuzz/model_loader_fuzz: a training-mode node whose input_mean was
// empty read through a null pointer; SymbolicInputs below).
TEST(NormTest, BatchNormalizationRefusesPerChannelInputsOfAnotherSize) {
    for (int64_t training : {0, 1}) {
        test::expect_error(
            [&] {
                test::OpCase("BatchNormalization")
                    .input(vec({1, 2, 2}, {1, 3, 2, 4}))
                    .input(vec({2}, {2, 1}))
                    .input(vec({2}, {0, 1}))
                    .input(vec({0}, {}))
                    .input(vec({2}, {4, 1}))
                    .attr_int("training_mode", training)
                    .outputs(training ? 3 : 1)
                    .run();
            },
            ErrorCode::InvalidArgument, {"BatchNormalization", "input_mean [0] does not match 2 channels"});
    }
}

TEST(NormTest, InstanceNormalization) {
    // per (n, c): x = [1, 3] -> mean 2, var 1 -> [-1, 1] * scale 2 + b 1 -> [-1, 3]
    auto y = test::OpCase("InstanceNormalization")
                 .input(vec({1, 1, 2}, {1, 3}))
                 .input(vec({1}, {2}))
                 .input(vec({1}, {1}))
                 .attr_float("epsilon", 0.f)
                 .run()[0];
    expect_values(y, {-1, 3});
}

TEST(NormTest, LayerNormalizationWithStatistics) {
    // rows [1, 3] and [2, 6] over axis -1: means [2, 4], inv std [1, 0.5]; scale [1, 2], bias [0, 1]
    // -> [[-1, 3], [-1, 3]]
    auto out = test::OpCase("LayerNormalization")
                   .input(vec({2, 2}, {1, 3, 2, 6}))
                   .input(vec({2}, {1, 2}))
                   .input(vec({2}, {0, 1}))
                   .attr_float("epsilon", 0.f)
                   .outputs(3)
                   .run();
    expect_values(out[0], {-1, 3, -1, 3});
    ASSERT_EQ(out[1].shape(), (Shape{2, 1}));
    expect_values(out[1], {2, 4});
    expect_values(out[2], {1, 0.5f});
}

TEST(NormTest, LpNormalization) {
    // [3, 4] / 5 for p=2; [1, 3] / 4 for p=1
    expect_values(test::OpCase("LpNormalization").input(vec({1, 2}, {3, 4})).run()[0], {0.6f, 0.8f});
    expect_values(test::OpCase("LpNormalization").input(vec({1, 2}, {1, 3})).attr_int("p", 1).run()[0], {0.25f, 0.75f});
}

TEST(NormTest, BadAxisIsAnError) {
    EXPECT_THROW(test::OpCase("Softmax").input(vec({1, 2}, {0, 1})).attr_int("axis", 2).run(), Error);
}

}  // namespace
}  // namespace kiln
