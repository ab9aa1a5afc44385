// Pool-family CPU kernel and shape-function tests; expected values from numpy expressions in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "support/op_runner.h"

namespace kiln {
namespace {

Tensor arange(Shape shape) {
    Tensor t(DType::Float, std::move(shape));
    std::iota(t.data<float>(), t.data<float>() + t.element_count(), 0.f);
    return t;
}

void expect_values(const Tensor& t, const std::vector<float>& want) {
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], 1e-5) << "at " << i;
}

TEST(PoolTest, MaxPoolWithIndices) {
    // x = np.arange(16).reshape(1, 1, 4, 4); 2x2 stride 2: x.reshape(2, 2, 2, 2).max((1, 3)) -> [5, 7, 13, 15]
    for (int threads : {1, 2}) {
        auto out = test::OpCase("MaxPool")
                       .input(arange({1, 1, 4, 4}))
                       .attr_ints("kernel_shape", {2, 2})
                       .attr_ints("strides", {2, 2})
                       .outputs(2)
                       .threads(threads)
                       .run();
        ASSERT_EQ(out[0].shape(), (Shape{1, 1, 2, 2}));
        expect_values(out[0], {5, 7, 13, 15});
        ASSERT_EQ(out[1].dtype(), DType::Int64);
        EXPECT_EQ(out[1].data<int64_t>()[0], 5);
        EXPECT_EQ(out[1].data<int64_t>()[3], 15);
    }
}

TEST(PoolTest, MaxPoolCeilModeAndDilation) {
    // 5x5, kernel 2, stride 2, ceil_mode: ceil((5 - 2) / 2) + 1 = 3 per dim; last window holds only column 4.
    auto out = test::OpCase("MaxPool")
                   .input(arange({1, 1, 5, 5}))
                   .attr_ints("kernel_shape", {2, 2})
                   .attr_ints("strides", {2, 2})
                   .attr_int("ceil_mode", 1)
                   .run();
    ASSERT_EQ(out[0].shape(), (Shape{1, 1, 3, 3}));
    expect_values(out[0], {6, 8, 9, 16, 18, 19, 21, 23, 24});
    // dilation 2, kernel 2 over 4x4: x[:, :, [0,2]][..., [0,2]].max() etc -> [[10, 11], [14, 15]]
    auto d = test::OpCase("MaxPool")
                 .input(arange({1, 1, 4, 4}))
                 .attr_ints("kernel_shape", {2, 2})
                 .attr_ints("dilations", {2, 2})
                 .run();
    expect_values(d[0], {10, 11, 14, 15});
}

TEST(PoolTest, AveragePoolPadding) {
    // x = np.arange(9).reshape(3, 3), kernel 2, stride 2, pads 1: windows rows/cols {-1,0} and {1,2}.
    // count_include_pad=1: [0/4, (1+2)/4, (3+6)/4, (4+5+7+8)/4]; =0: [0/1, 3/2, 9/2, 24/4]
    auto inc = test::OpCase("AveragePool")
                   .input(arange({1, 1, 3, 3}))
                   .attr_ints("kernel_shape", {2, 2})
                   .attr_ints("strides", {2, 2})
                   .attr_ints("pads", {1, 1, 1, 1})
                   .attr_int("count_include_pad", 1)
                   .run();
    expect_values(inc[0], {0, 0.75f, 2.25f, 6});
    auto exc = test::OpCase("AveragePool")
                   .input(arange({1, 1, 3, 3}))
                   .attr_ints("kernel_shape", {2, 2})
                   .attr_ints("strides", {2, 2})
                   .attr_ints("pads", {1, 1, 1, 1})
                   .run();
    expect_values(exc[0], {0, 1.5f, 4.5f, 6});
}

TEST(PoolTest, SameUpperOneDimensional) {
    // x = [0, 1, 2, 3, 4], kernel 2, stride 1, SAME_UPPER (pad end 1): mean of [0,1],[1,2],[2,3],[3,4],[4]
    auto out = test::OpCase("AveragePool")
                   .input(arange({1, 1, 5}))
                   .attr_ints("kernel_shape", {2})
                   .attr_string("auto_pad", "SAME_UPPER")
                   .run();
    ASSERT_EQ(out[0].shape(), (Shape{1, 1, 5}));
    expect_values(out[0], {0.5f, 1.5f, 2.5f, 3.5f, 4});
}

TEST(PoolTest, LpPool) {
    // p=2 over [3, 4]: sqrt(9 + 16) = 5
    auto out = test::OpCase("LpPool")
                   .input(Tensor::from_vector<float>(DType::Float, {1, 1, 2}, {3, 4}))
                   .attr_ints("kernel_shape", {2})
                   .attr_int("p", 2)
                   .run();
    expect_values(out[0], {5});
}

TEST(PoolTest, GlobalPools) {
    // x = np.arange(8).reshape(1, 2, 2, 2): mean((2, 3)) -> [1.5, 5.5]; max -> [3, 7]; L2 of [0..3] = sqrt(14)
    auto avg = test::OpCase("GlobalAveragePool").input(arange({1, 2, 2, 2})).run();
    ASSERT_EQ(avg[0].shape(), (Shape{1, 2, 1, 1}));
    expect_values(avg[0], {1.5f, 5.5f});
    expect_values(test::OpCase("GlobalMaxPool").input(arange({1, 2, 2, 2})).run()[0], {3, 7});
    expect_values(test::OpCase("GlobalLpPool").input(arange({1, 2, 2, 2})).run()[0],
                  {std::sqrt(14.f), std::sqrt(126.f)});
}

TEST(PoolTest, KernelLargerThanInputIsAnError) {
    EXPECT_THROW(test::OpCase("MaxPool").input(arange({1, 1, 2, 2})).attr_ints("kernel_shape", {3, 3}).run(), Error);
    EXPECT_THROW(test::OpCase("MaxPool").input(arange({1, 1, 2, 2})).attr_ints("kernel_shape", {3}).run(), Error);
}

// 2-D pooling evaluated tap by tap as the ONNX spec words it, with SAME_UPPER padding: the oracle for the kernel's
// shortcut of visiting only the taps over the input.
std::vector<float> pool_by_every_tap(const Tensor& x, bool max, bool include_pad, std::vector<int64_t> k,
                                     std::vector<int64_t> s, std::vector<int64_t> dl) {
    const int64_t in[2] = {x.shape()[2], x.shape()[3]};
    int64_t out[2], pb[2];
    for (int d = 0; d < 2; ++d) {
        out[d] = (in[d] + s[d] - 1) / s[d];
        int64_t total = std::max<int64_t>(0, (out[d] - 1) * s[d] + (k[d] - 1) * dl[d] + 1 - in[d]);
        pb[d] = total / 2;
    }
    std::vector<float> y;
    for (int64_t oh = 0; oh < out[0]; ++oh) {
        for (int64_t ow = 0; ow < out[1]; ++ow) {
            double best = -INFINITY, sum = 0;
            int64_t valid = 0, counted = 0;
            for (int64_t kh = 0; kh < k[0]; ++kh) {
                for (int64_t kw = 0; kw < k[1]; ++kw) {
                    int64_t ih = oh * s[0] - pb[0] + kh * dl[0], iw = ow * s[1] - pb[1] + kw * dl[1];
                    ++counted;  // SAME padding: every tap lies within the padded input
                    if (ih < 0 || ih >= in[0] || iw < 0 || iw >= in[1]) continue;
                    double v = x.data<float>()[ih * in[1] + iw];
                    best = std::max(best, v);
                    sum += v;
                    ++valid;
                }
            }
            y.push_back(static_cast<float>(max ? best : sum / double(include_pad ? counted : valid)));
        }
    }
    return y;
}

// A kernel far larger than the input (found by model_loader_fuzz: a MaxPool kernel of 35 million columns ran for
// minutes) costs what the input costs: only the taps over the input are visited, and count_include_pad still
// divides by every tap. Max without dilation takes the 2-D fast path, the others the general one.
TEST(PoolTest, KernelFarLargerThanTheInputWithSamePadding) {
    Tensor x = arange({1, 1, 5, 5});
    struct Case {
        const char* op;
        bool include_pad;
        std::vector<int64_t> dilations;
    };
    for (const Case& c : {Case{"MaxPool", false, {1, 1}}, Case{"MaxPool", false, {2, 3}},
                          Case{"AveragePool", true, {1, 1}}, Case{"AveragePool", false, {1, 1}}}) {
        bool max = std::string(c.op) == "MaxPool";
        std::vector<int64_t> kernel{3, 200001}, strides{2, 2};
        test::OpCase pool(c.op);
        pool.input(x)
            .attr_string("auto_pad", "SAME_UPPER")
            .attr_ints("kernel_shape", kernel)
            .attr_ints("strides", strides)
            .attr_int("count_include_pad", c.include_pad ? 1 : 0);
        if (max) pool.attr_ints("dilations", c.dilations);
        auto y = pool.run();
        ASSERT_EQ(y[0].shape(), (Shape{1, 1, 3, 3})) << c.op;
        expect_values(y[0], pool_by_every_tap(x, max, c.include_pad, kernel, strides, c.dilations));
    }
}

// 3-D, count_include_pad: every output of arange(8) under a 2^22-wide SAME kernel averages all 8 values over the
// 2^66 taps of the padded window (a count beyond int64).
TEST(PoolTest, AveragePoolCountBeyondInt64) {
    auto y = test::OpCase("AveragePool")
                 .input(arange({1, 1, 2, 2, 2}))
                 .attr_string("auto_pad", "SAME_UPPER")
                 .attr_ints("kernel_shape", {1 << 22, 1 << 22, 1 << 22})
                 .attr_int("count_include_pad", 1)
                 .run();
    ASSERT_EQ(y[0].shape(), (Shape{1, 1, 2, 2, 2}));
    for (int64_t i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(y[0].data<float>()[i], static_cast<float>(28.0 / 0x1p66)) << i;
}

}  // namespace
}  // namespace kiln
