// Misc-family CPU kernel and shape-function tests (BitCast, Det, random generators); expected values from the
// numpy expressions in the comments. Random ops are checked for shape, dtype, range and seed reproducibility.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/half.h"
#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_error;
using test::OpCase;
using test::values_of;

Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(s), v); }
Tensor f64(Shape s, std::vector<double> v) { return Tensor::from_vector<double>(DType::Double, std::move(s), v); }

TEST(MiscTest, BitCast) {
    // np.array([1.0, -2.0], np.float32).view(np.int32) -> [1065353216, -1073741824]
    auto y = OpCase("BitCast").input(f32({2}, {1.f, -2.f})).attr_int("to", 6).run()[0];
    EXPECT_EQ(y.dtype(), DType::Int32);
    EXPECT_EQ(values_of<int32_t>(y), (std::vector<int32_t>{1065353216, -1073741824}));
    // np.array([1.0]).view(np.int64) -> [4607182418800017408]
    auto z = OpCase("BitCast").input(f64({}, {1.0})).attr_int("to", 7).run()[0];
    EXPECT_EQ(z.shape(), Shape{});
    EXPECT_EQ(values_of<int64_t>(z), (std::vector<int64_t>{4607182418800017408}));
    expect_error([] { OpCase("BitCast").input(f32({1}, {1.f})).attr_int("to", 11).run(); }, ErrorCode::InvalidModel,
                 {"BitCast_under_test", "width"});
}

TEST(MiscTest, Det) {
    // np.linalg.det([[[1, 2], [3, 4]], [[2, 0], [0, 3]], [[1, 2], [2, 4]]]) -> [-2, 6, 0]
    auto y = OpCase("Det").input(f32({3, 2, 2}, {1, 2, 3, 4, 2, 0, 0, 3, 1, 2, 2, 4})).run()[0];
    EXPECT_EQ(y.shape(), (Shape{3}));
    auto v = values_of<float>(y);
    EXPECT_NEAR(v[0], -2.f, 1e-5f);
    EXPECT_NEAR(v[1], 6.f, 1e-5f);
    EXPECT_NEAR(v[2], 0.f, 1e-5f);
    // A zero leading pivot needs a row swap: np.linalg.det([[0, 1, 2], [1, 0, 3], [4, -3, 8]]) -> -2.0
    auto d = OpCase("Det").input(f64({3, 3}, {0, 1, 2, 1, 0, 3, 4, -3, 8})).run()[0];
    EXPECT_EQ(d.shape(), Shape{});
    EXPECT_NEAR(d.data<double>()[0], -2.0, 1e-12);
    // float16: det([[2, 1], [1, 2]]) = 3
    Tensor h(DType::Float16, {2, 2});
    for (int i = 0; i < 4; ++i) h.data<uint16_t>()[i] = float_to_half(i == 0 || i == 3 ? 2.f : 1.f);
    auto hd = OpCase("Det").input(h).run()[0];
    EXPECT_EQ(half_to_float(hd.data<uint16_t>()[0]), 3.f);
    expect_error(
        [] {
            OpCase("Det").input(f32({2, 3}, {1, 2, 3, 4, 5, 6})).run();
        },
        ErrorCode::InvalidArgument, {"Det_under_test", "square"});
}

TEST(MiscTest, RandomUniformIsSeededAndInRange) {
    auto run = [] {
        return OpCase("RandomUniform")
            .attr_ints("shape", {4, 50})
            .attr_float("low", -2.f)
            .attr_float("high", 3.f)
            .attr_float("seed", 7.f)
            .run()[0];
    };
    Tensor a = run(), b = run();
    EXPECT_EQ(a.dtype(), DType::Float);
    EXPECT_EQ(a.shape(), (Shape{4, 50}));
    EXPECT_EQ(values_of<float>(a), values_of<float>(b));  // same seed, same output
    double sum = 0;
    for (float v : values_of<float>(a)) {
        EXPECT_GE(v, -2.f);
        EXPECT_LT(v, 3.f);
        sum += v;
    }
    EXPECT_NEAR(sum / 200, 0.5, 0.3);  // mean of U(-2, 3) is 0.5; sd of the mean is about 0.1
    auto c = OpCase("RandomUniform").attr_ints("shape", {4, 50}).attr_float("seed", 8.f).run()[0];
    EXPECT_NE(values_of<float>(a), values_of<float>(c));
    expect_error([] { OpCase("RandomUniform").attr_ints("shape", {2}).attr_int("dtype", 7).run(); },
                 ErrorCode::InvalidModel, {"RandomUniform_under_test", "int64"});
}

TEST(MiscTest, RandomNormalLikeStatistics) {
    // dtype from the attribute (double) over the input's shape; mean 10, scale 2.
    auto y = OpCase("RandomNormalLike")
                 .input(f32({1000}, std::vector<float>(1000, 0.f)))
                 .attr_int("dtype", 11)
                 .attr_float("mean", 10.f)
                 .attr_float("scale", 2.f)
                 .attr_float("seed", 1.f)
                 .run()[0];
    EXPECT_EQ(y.dtype(), DType::Double);
    auto v = values_of<double>(y);
    double mean = 0, var = 0;
    for (double x : v) mean += x / v.size();
    for (double x : v) var += (x - mean) * (x - mean) / v.size();
    EXPECT_NEAR(mean, 10.0, 0.3);
    EXPECT_NEAR(std::sqrt(var), 2.0, 0.3);
    auto n = OpCase("RandomNormal").attr_ints("shape", {3}).attr_int("dtype", 10).run()[0];
    EXPECT_EQ(n.dtype(), DType::Float16);
    EXPECT_EQ(n.shape(), (Shape{3}));
}

TEST(MiscTest, Bernoulli) {
    // Probabilities 0 and 1 give fixed draws; dtype attribute picks the output type.
    auto y = OpCase("Bernoulli").input(f32({4}, {0, 1, 1, 0})).attr_int("dtype", 9).run()[0];
    EXPECT_EQ(y.dtype(), DType::Bool);
    EXPECT_EQ(values_of<uint8_t>(y), (std::vector<uint8_t>{0, 1, 1, 0}));
    auto d = OpCase("Bernoulli").input(f64({2}, {1, 0})).attr_float("seed", 3.f).run()[0];
    EXPECT_EQ(d.dtype(), DType::Double);
    EXPECT_EQ(values_of<double>(d), (std::vector<double>{1, 0}));
    expect_error(
        [] {
            OpCase("Bernoulli").input(f32({2}, {0.5f, 1.5f})).run();
        },
        ErrorCode::InvalidArgument, {"Bernoulli_under_test", "index 1"});
}

TEST(MiscTest, Multinomial) {
    // Row 0 puts all mass on class 2, row 1 on class 0 (exp(-1000) underflows).
    float ninf = -std::numeric_limits<float>::infinity();
    auto y = OpCase("Multinomial")
                 .input(f32({2, 3}, {ninf, -1000.f, 0.f, 0.f, -1000.f, -1000.f}))
                 .attr_int("sample_size", 5)
                 .attr_int("dtype", 7)
                 .attr_float("seed", 2.f)
                 .run()[0];
    EXPECT_EQ(y.dtype(), DType::Int64);
    EXPECT_EQ(y.shape(), (Shape{2, 5}));
    EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{2, 2, 2, 2, 2, 0, 0, 0, 0, 0}));
    auto i32 = OpCase("Multinomial").input(f32({1, 2}, {0, 0})).attr_int("sample_size", 100).run()[0];
    EXPECT_EQ(i32.dtype(), DType::Int32);
    for (int32_t c : values_of<int32_t>(i32)) EXPECT_TRUE(c == 0 || c == 1);
    expect_error(
        [&] {
            OpCase("Multinomial").input(f32({1, 2}, {ninf, ninf})).run();
        },
        ErrorCode::InvalidArgument, {"Multinomial_under_test", "row 0"});
}

}  // namespace
}  // namespace kiln
