// Conv / ConvTranspose CPU kernel and shape-function tests. Expected values come from a naive direct convolution
// (a loop over every output and every tap, no im2col / GEMM) or from small hand-checked numpy expressions.
#include <gtest/gtest.h>

#include <random>

#include "support/expect_near.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_near;
using test::random_tensor;

struct Conv2d {
    int64_t n = 1, c = 4, h = 7, w = 6, m = 6, kh = 3, kw = 3;
    int64_t sh = 1, sw = 1, dh = 1, dw = 1, group = 1;
    int64_t pt = 0, pl = 0, pb = 0, pr = 0;
};

// Direct 2-D convolution, one output element at a time.
Tensor naive_conv(const Conv2d& p, const Tensor& x, const Tensor& w, const Tensor* b) {
    int64_t oh = (p.h + p.pt + p.pb - ((p.kh - 1) * p.dh + 1)) / p.sh + 1;
    int64_t ow = (p.w + p.pl + p.pr - ((p.kw - 1) * p.dw + 1)) / p.sw + 1;
    Tensor y(DType::Float, {p.n, p.m, oh, ow});
    int64_t cg = p.c / p.group, mg = p.m / p.group;
    for (int64_t n = 0; n < p.n; ++n)
        for (int64_t m = 0; m < p.m; ++m)
            for (int64_t i = 0; i < oh; ++i)
                for (int64_t j = 0; j < ow; ++j) {
                    double acc = b ? b->data<float>()[m] : 0.0;
                    int64_t g = m / mg;
                    for (int64_t c = 0; c < cg; ++c)
                        for (int64_t a = 0; a < p.kh; ++a)
                            for (int64_t e = 0; e < p.kw; ++e) {
                                int64_t ih = i * p.sh - p.pt + a * p.dh, iw = j * p.sw - p.pl + e * p.dw;
                                if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
                                acc += x.data<float>()[((n * p.c + g * cg + c) * p.h + ih) * p.w + iw] *
                                       w.data<float>()[((m * cg + c) * p.kh + a) * p.kw + e];
                            }
                    y.data<float>()[((n * p.m + m) * oh + i) * ow + j] = static_cast<float>(acc);
                }
    return y;
}

void check_conv(const Conv2d& p, int threads) {
    Tensor x = random_tensor({p.n, p.c, p.h, p.w}, 1);
    Tensor w = random_tensor({p.m, p.c / p.group, p.kh, p.kw}, 2);
    Tensor b = random_tensor({p.m}, 3);
    auto out = test::OpCase("Conv")
                   .input(x)
                   .input(w)
                   .input(b)
                   .attr_ints("strides", {p.sh, p.sw})
                   .attr_ints("dilations", {p.dh, p.dw})
                   .attr_ints("pads", {p.pt, p.pl, p.pb, p.pr})
                   .attr_int("group", p.group)
                   .threads(threads)
                   .run();
    expect_near(out[0], naive_conv(p, x, w, &b));
}

TEST(ConvTest, MatchesDirectConvolution) {
    for (int threads : {1, 2}) {
        Conv2d p;
        check_conv(p, threads);  // plain 3x3
        p.pt = p.pl = p.pb = p.pr = 1;
        check_conv(p, threads);  // padded
        p.sh = 2;
        p.sw = 3;
        check_conv(p, threads);  // strided
        p.dh = 2;
        p.sh = p.sw = 1;
        check_conv(p, threads);  // dilated, asymmetric kernel span
        Conv2d g;
        g.group = 2;
        g.n = 3;
        check_conv(g, threads);  // grouped, batch
        Conv2d pw;
        pw.kh = pw.kw = 1;
        check_conv(pw, threads);  // 1x1 pointwise (plain GEMM path)
        pw.sh = pw.sw = 2;
        check_conv(pw, threads);  // 1x1 strided (im2col path)
        Conv2d dw;
        dw.c = dw.m = dw.group = 5;
        dw.pt = dw.pl = dw.pb = dw.pr = 1;
        check_conv(dw, threads);  // depthwise
        dw.sh = dw.sw = 2;
        dw.dw = 2;
        check_conv(dw, threads);  // depthwise, strided and dilated
    }
}

TEST(ConvTest, AutoPadSameUpperMatchesExplicitPads) {
    // Input 7x6, kernel 3, stride 2: SAME_UPPER output ceil(7/2) x ceil(6/2) = 4x3; total pads 2 and 1 -> begin 1, 0.
    Conv2d p;
    p.sh = p.sw = 2;
    p.pt = 1;
    p.pb = 1;
    p.pl = 0;
    p.pr = 1;
    Tensor x = random_tensor({1, 4, 7, 6}, 4), w = random_tensor({6, 4, 3, 3}, 5);
    auto out =
        test::OpCase("Conv").input(x).input(w).attr_string("auto_pad", "SAME_UPPER").attr_ints("strides", {2, 2}).run();
    expect_near(out[0], naive_conv(p, x, w, nullptr));
}

TEST(ConvTest, OneDimensional) {
    // np.convolve(x, w[::-1], 'valid') for x = [1, 2, 3, 4], w = [1, 0, -1] -> [-2, -2]
    Tensor x = Tensor::from_vector<float>(DType::Float, {1, 1, 4}, {1, 2, 3, 4});
    Tensor w = Tensor::from_vector<float>(DType::Float, {1, 1, 3}, {1, 0, -1});
    auto out = test::OpCase("Conv").input(x).input(w).run();
    ASSERT_EQ(out[0].shape(), (Shape{1, 1, 2}));
    EXPECT_FLOAT_EQ(out[0].data<float>()[0], -2.f);
    EXPECT_FLOAT_EQ(out[0].data<float>()[1], -2.f);
}

TEST(ConvTest, ThreeDimensionalPointwiseSum) {
    // A 2x2x2 all-ones kernel over an all-ones 3x3x3 input: every output is 8; output 2x2x2.
    Tensor x = Tensor::from_vector<float>(DType::Float, {1, 1, 3, 3, 3}, std::vector<float>(27, 1.f));
    Tensor w = Tensor::from_vector<float>(DType::Float, {1, 1, 2, 2, 2}, std::vector<float>(8, 1.f));
    auto out = test::OpCase("Conv").input(x).input(w).run();
    ASSERT_EQ(out[0].shape(), (Shape{1, 1, 2, 2, 2}));
    for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(out[0].data<float>()[i], 8.f);
}

TEST(ConvTest, ChannelMismatchIsAnError) {
    Tensor x = random_tensor({1, 3, 5, 5}, 1), w = random_tensor({2, 4, 3, 3}, 2);
    try {
        test::OpCase("Conv").input(x).input(w).run();
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find("Conv_under_test"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("[2,4,3,3]"), std::string::npos) << e.what();
    }
}

TEST(ConvTest, Float16ComputesInFloat) {
    // x = [1, 2, 3] (float16), w = [1, 1]: [3, 5]
    Tensor x(DType::Float16, {1, 1, 3}), w(DType::Float16, {1, 1, 2});
    uint16_t one = 0x3c00, two = 0x4000, three = 0x4200;
    x.data<uint16_t>()[0] = one;
    x.data<uint16_t>()[1] = two;
    x.data<uint16_t>()[2] = three;
    w.data<uint16_t>()[0] = w.data<uint16_t>()[1] = one;
    auto out = test::OpCase("Conv").input(x).input(w).run();
    ASSERT_EQ(out[0].dtype(), DType::Float16);
    EXPECT_EQ(out[0].data<uint16_t>()[0], 0x4200);  // 3.0
    EXPECT_EQ(out[0].data<uint16_t>()[1], 0x4500);  // 5.0
}

TEST(ConvTransposeTest, StridedOneDimensional) {
    // x = [1, 2, 3], w = [1, 1, 1], stride 2: y[2i + k] += x[i] -> [1, 1, 3, 2, 5, 3, 3]
    Tensor x = Tensor::from_vector<float>(DType::Float, {1, 1, 3}, {1, 2, 3});
    Tensor w = Tensor::from_vector<float>(DType::Float, {1, 1, 3}, {1, 1, 1});
    auto out = test::OpCase("ConvTranspose").input(x).input(w).attr_ints("strides", {2}).run();
    ASSERT_EQ(out[0].shape(), (Shape{1, 1, 7}));
    std::vector<float> want = {1, 1, 3, 2, 5, 3, 3};
    for (int i = 0; i < 7; ++i) EXPECT_FLOAT_EQ(out[0].data<float>()[i], want[i]);
}

TEST(ConvTransposeTest, IsTheAdjointOfConv) {
    // <conv(x, w), y> == <x, conv_transpose(y, w)> for stride 2, pads 1, group 2.
    Tensor x = random_tensor({1, 4, 7, 7}, 7), w = random_tensor({6, 2, 3, 3}, 8);
    auto cy = test::OpCase("Conv")
                  .input(x)
                  .input(w)
                  .attr_ints("strides", {2, 2})
                  .attr_ints("pads", {1, 1, 1, 1})
                  .attr_int("group", 2)
                  .run()[0];
    Tensor y = random_tensor(cy.shape(), 9);
    // ConvTranspose weight is [C_in(of the transpose) = 6, C_out/group = 2, k, k]: the same tensor.
    auto tx = test::OpCase("ConvTranspose")
                  .input(y)
                  .input(w)
                  .attr_ints("strides", {2, 2})
                  .attr_ints("pads", {1, 1, 1, 1})
                  .attr_int("group", 2)
                  .attr_ints("output_shape", {7, 7})
                  .threads(2)
                  .run()[0];
    ASSERT_EQ(tx.shape(), x.shape());
    double lhs = 0, rhs = 0;
    for (int64_t i = 0; i < y.element_count(); ++i) lhs += double(cy.data<float>()[i]) * y.data<float>()[i];
    for (int64_t i = 0; i < x.element_count(); ++i) rhs += double(x.data<float>()[i]) * tx.data<float>()[i];
    EXPECT_NEAR(lhs, rhs, 1e-3);
}

}  // namespace
}  // namespace kiln
