// Sanity cases of the Unary family's shape functions and CPU kernels. Expected arrays come from numpy (the line
// that produced each is in a comment).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/half.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::OpCase;

using test::values_of;

void expect_near(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(t.data<float>()[i], want[i], tol * std::max(1.0f, std::fabs(want[i]))) << "at " << i;
    }
}

const std::vector<float> kX = {-2.0f, -0.5f, 0.0f, 0.5f, 1.0f, 3.0f};  // x = np.array(kX, np.float32)

Tensor x_tensor() { return Tensor::from_vector<float>(DType::Float, {2, 3}, kX); }

TEST(UnaryTest, ReluAbsNegKeepShapeAndDtype) {
    auto relu = OpCase("Relu").input(x_tensor()).run();
    EXPECT_EQ(relu[0].shape(), (Shape{2, 3}));
    EXPECT_EQ(values_of<float>(relu[0]), (std::vector<float>{0, 0, 0, 0.5f, 1, 3}));  // np.maximum(x, 0)
    auto abs = OpCase("Abs").input(Tensor::from_vector<int32_t>(DType::Int32, {3}, {-4, 0, 7})).run();
    EXPECT_EQ(abs[0].dtype(), DType::Int32);
    EXPECT_EQ(values_of<int32_t>(abs[0]), (std::vector<int32_t>{4, 0, 7}));
    // np.negative(np.array([-128, 5], np.int8)) wraps: [-128, -5]
    auto neg = OpCase("Neg").input(Tensor::from_vector<int8_t>(DType::Int8, {2}, {-128, 5})).run();
    EXPECT_EQ(values_of<int8_t>(neg[0]), (std::vector<int8_t>{-128, -5}));
}

TEST(UnaryTest, TranscendentalsMatchNumpy) {
    // 1 / (1 + np.exp(-x))
    expect_near(OpCase("Sigmoid").input(x_tensor()).run()[0],
                {0.11920293f, 0.37754068f, 0.5f, 0.62245935f, 0.7310586f, 0.95257413f});
    // np.tanh(x)
    expect_near(OpCase("Tanh").input(x_tensor()).run()[0],
                {-0.9640276f, -0.4621172f, 0.0f, 0.4621172f, 0.7615942f, 0.9950548f});
    // np.log1p(np.exp(x))
    expect_near(OpCase("Softplus").input(x_tensor()).run()[0],
                {0.126928f, 0.47407699f, 0.69314718f, 0.97407699f, 1.31326175f, 3.04858732f});
    // np.where(x < 0, np.exp(x) - 1, x)
    expect_near(OpCase("Elu").input(x_tensor()).run()[0], {-0.86466473f, -0.39346933f, 0.0f, 0.5f, 1.0f, 3.0f});
    // x * np.clip(x / 6 + 0.5, 0, 1)
    expect_near(OpCase("HardSwish").input(x_tensor()).run()[0],
                {-0.33333331f, -0.20833333f, 0.0f, 0.29166666f, 0.66666669f, 3.0f});
    // x * np.tanh(np.log1p(np.exp(x)))
    expect_near(OpCase("Mish").input(x_tensor()).run()[0],
                {-0.25250146f, -0.22074378f, 0.0f, 0.37524518f, 0.86509842f, 2.98653507f});
}

TEST(UnaryTest, GeluBothApproximations) {
    // 0.5 * x * (1 + erf(x / sqrt(2)))
    expect_near(OpCase("Gelu").input(x_tensor()).run()[0],
                {-0.04550027f, -0.15426877f, 0.0f, 0.34573123f, 0.84134471f, 2.99595022f});
    // 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    expect_near(OpCase("Gelu").input(x_tensor()).attr_string("approximate", "tanh").run()[0],
                {-0.04540231f, -0.154286f, 0.0f, 0.345714f, 0.84119201f, 2.99636269f});
    EXPECT_THROW(OpCase("Gelu").input(x_tensor()).attr_string("approximate", "fast").run(), Error);
}

TEST(UnaryTest, ExpAndSigmoidLargeTensorAcrossThreads) {
    const int64_t n = 200000;
    std::vector<float> x(n);
    for (int64_t i = 0; i < n; ++i) x[i] = -100.0f + 200.0f * static_cast<float>(i) / n;
    auto outs = OpCase("Exp").input(Tensor::from_vector<float>(DType::Float, {n}, x)).threads(2).run();
    for (int64_t i = 0; i < n; i += 97) {
        float want = std::exp(x[i]);
        float got = outs[0].data<float>()[i];
        if (std::isinf(want)) {
            EXPECT_TRUE(std::isinf(got)) << x[i];
        } else {
            EXPECT_NEAR(got, want, 4e-7f * want + 1e-37f) << x[i];
        }
    }
    float special[] = {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::infinity(), 88.5f};
    auto s = OpCase("Exp")
                 .input(Tensor::from_vector<float>(DType::Float, {4}, std::vector<float>(special, special + 4)))
                 .run()[0];
    EXPECT_TRUE(std::isnan(s.data<float>()[0]));
    EXPECT_EQ(s.data<float>()[1], 0.0f);
    EXPECT_TRUE(std::isinf(s.data<float>()[2]));
    EXPECT_NEAR(s.data<float>()[3], std::exp(88.5f), 1e-6f * std::exp(88.5f));
}

TEST(UnaryTest, RoundHalfToEven) {
    // np.round([0.5, 1.5, 2.5, -0.5, -1.5, 2.4])
    auto out = OpCase("Round")
                   .input(Tensor::from_vector<float>(DType::Float, {6}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f}))
                   .run();
    EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{0, 2, 2, -0.0f, -2, 2}));
}

TEST(UnaryTest, ClipIntegerAndMissingMin) {
    // np.clip(np.array([-5, 0, 3, 9], np.int32), -1, 4)
    auto out = OpCase("Clip")
                   .input(Tensor::from_vector<int32_t>(DType::Int32, {4}, {-5, 0, 3, 9}))
                   .input(Tensor::from_vector<int32_t>(DType::Int32, {}, {-1}))
                   .input(Tensor::from_vector<int32_t>(DType::Int32, {}, {4}))
                   .run();
    EXPECT_EQ(values_of<int32_t>(out[0]), (std::vector<int32_t>{-1, 0, 3, 4}));
    // np.minimum(x, 0.7)
    auto f = OpCase("Clip")
                 .input(x_tensor())
                 .missing_input()
                 .input(Tensor::from_vector<float>(DType::Float, {}, {0.7f}))
                 .run();
    EXPECT_EQ(values_of<float>(f[0]), (std::vector<float>{-2, -0.5f, 0, 0.5f, 0.7f, 0.7f}));
}

TEST(UnaryTest, Float16ComputesThroughFloat) {
    std::vector<uint16_t> in = {float_to_half(1), float_to_half(2), float_to_half(4), float_to_half(9)};
    auto out = OpCase("Sqrt").input(Tensor::from_vector<uint16_t>(DType::Float16, {4}, in)).run();
    EXPECT_EQ(out[0].dtype(), DType::Float16);
    // np.sqrt(np.array([1, 2, 4, 9], np.float16)) -> [1, 1.414, 2, 3]
    std::vector<float> want = {1.0f, 1.4140625f, 2.0f, 3.0f};
    for (int i = 0; i < 4; ++i) EXPECT_EQ(half_to_float(out[0].data<uint16_t>()[i]), want[i]);
}

TEST(UnaryTest, IsNaNIsInfGiveBool) {
    const float inf = std::numeric_limits<float>::infinity();
    Tensor x = Tensor::from_vector<float>(DType::Float, {4}, {1.0f, inf, -inf, std::nanf("")});
    auto nan = OpCase("IsNaN").input(x).run();
    EXPECT_EQ(nan[0].dtype(), DType::Bool);
    EXPECT_EQ(values_of<uint8_t>(nan[0]), (std::vector<uint8_t>{0, 0, 0, 1}));
    // np.isposinf(x)
    auto pos = OpCase("IsInf").input(x).attr_int("detect_negative", 0).run();
    EXPECT_EQ(values_of<uint8_t>(pos[0]), (std::vector<uint8_t>{0, 1, 0, 0}));
}

TEST(UnaryTest, DropoutInferenceCopiesAndMasks) {
    auto out = OpCase("Dropout")
                   .input(x_tensor())
                   .input(Tensor::from_vector<float>(DType::Float, {}, {0.3f}))
                   .outputs(2)
                   .run();
    EXPECT_EQ(values_of<float>(out[0]), kX);
    EXPECT_EQ(out[1].dtype(), DType::Bool);
    EXPECT_EQ(values_of<uint8_t>(out[1]), std::vector<uint8_t>(6, 1));
}

// Training mode: each element kept with probability 1 - ratio and scaled by 1 / (1 - ratio) (ONNX's definition);
// the mask says which; the same seed gives the same draw. The kept share is a binomial count: 20000 draws at
// p = 0.75 have a standard deviation of 61 elements, so +-1% (200) is over 3 sigma.
TEST(UnaryTest, DropoutTrainingKeepsScaledElementsWithTheRatiosProbability) {
    const int64_t n = 20000;
    auto run = [&](int64_t seed) {
        return OpCase("Dropout")
            .input(Tensor::from_vector<float>(DType::Float, {n}, std::vector<float>(n, 3.f)))
            .input(Tensor::from_vector<float>(DType::Float, {}, {0.25f}))
            .input(Tensor::from_vector<uint8_t>(DType::Bool, {}, {1}))
            .attr_int("seed", seed)
            .outputs(2)
            .run();
    };
    auto out = run(7);
    std::vector<float> y = values_of<float>(out[0]);
    std::vector<uint8_t> mask = values_of<uint8_t>(out[1]);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (mask[i]) {
            ++kept;
            EXPECT_FLOAT_EQ(y[i], 4.f) << i;  // 3 / (1 - 0.25)
        } else {
            EXPECT_EQ(y[i], 0.f) << i;
        }
    }
    EXPECT_NEAR(static_cast<double>(kept) / n, 0.75, 0.01);
    EXPECT_EQ(values_of<uint8_t>(run(7)[1]), mask);
    EXPECT_NE(values_of<uint8_t>(run(8)[1]), mask);
    try {
        OpCase("Dropout")
            .input(x_tensor())
            .input(Tensor::from_vector<float>(DType::Float, {}, {1.0f}))
            .input(Tensor::from_vector<uint8_t>(DType::Bool, {}, {1}))
            .run();
        FAIL() << "expected InvalidArgument for ratio 1";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find("ratio"), std::string::npos) << e.what();
    }
}

TEST(UnaryTest, UnsupportedDtypeNamesNode) {
    try {
        OpCase("Exp").input(Tensor::from_vector<int32_t>(DType::Int32, {1}, {1})).run();
        FAIL() << "expected NotImplemented";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NotImplemented);
        EXPECT_NE(std::string(e.what()).find("Exp_under_test"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("int32"), std::string::npos) << e.what();
    }
    EXPECT_THROW(OpCase("Not").input(x_tensor()).run(), Error);
}

}  // namespace
}  // namespace kiln
