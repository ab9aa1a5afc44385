// Sanity cases of the Quant family's shape functions and CPU kernels. Expected values come from numpy (the
// expression that produced each is in the comment next to it); several reuse the ONNX backend tests' data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_error;
using test::OpCase;

template <typename T>
std::vector<T> values(const Tensor& t) {
    return std::vector<T>(t.data<T>(), t.data<T>() + t.element_count());
}

std::vector<uint8_t> bytes(const Tensor& t) {
    const auto* p = static_cast<const uint8_t*>(t.raw_data());
    return std::vector<uint8_t>(p, p + t.byte_size());
}

// A packed (sub-byte) tensor from its raw bytes.
Tensor packed(DType dtype, Shape shape, const std::vector<uint8_t>& raw) {
    Tensor t(dtype, std::move(shape));
    EXPECT_EQ(t.byte_size(), raw.size());
    std::copy(raw.begin(), raw.end(), static_cast<uint8_t*>(t.raw_data()));
    return t;
}

Tensor scalar_f(float v) { return Tensor::from_vector<float>(DType::Float, {}, {v}); }
Tensor scalar_u8(uint8_t v) { return Tensor::from_vector<uint8_t>(DType::UInt8, {}, {v}); }

TEST(QuantTest, QuantizeLinearPerTensorUInt8) {
    // np.clip(np.rint(x / 2) + 128, 0, 255) -> [128, 129, 130, 255, 1, 0]
    Tensor x = Tensor::from_vector<float>(DType::Float, {6}, {0, 2, 3, 1000, -254, -1000});
    auto y = OpCase("QuantizeLinear").input(x).input(scalar_f(2)).input(scalar_u8(128)).run()[0];
    EXPECT_EQ(y.dtype(), DType::UInt8);
    EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{128, 129, 130, 255, 1, 0}));
    // Without a zero point: uint8, zero point 0: np.clip(np.rint([-1, 2.5, 3.5] / 1), 0, 255) -> [0, 2, 4]
    Tensor z = Tensor::from_vector<float>(DType::Float, {3}, {-1.0f, 2.5f, 3.5f});
    auto u = OpCase("QuantizeLinear").input(z).input(scalar_f(1)).run()[0];
    EXPECT_EQ(values<uint8_t>(u), (std::vector<uint8_t>{0, 2, 4}));
}

TEST(QuantTest, QuantizeLinearPerAxisInt4Packed) {
    // np.clip(np.rint(x / [[2], [3], [4]]) + 1, -8, 7) -> [1, 2, 3, 5, -8, -6, 3, 4, 4, 5, 5, 7], packed in pairs
    Tensor x = Tensor::from_vector<float>(DType::Float, {3, 4}, {0, 2.5f, 4.8f, 8.6f, -30, -20, 6, 9, 12, 15, 16, 40});
    Tensor scale = Tensor::from_vector<float>(DType::Float, {3}, {2, 3, 4});
    Tensor zp = packed(DType::Int4, {3}, {0x11, 0x01});
    auto y = OpCase("QuantizeLinear").input(x).input(scale).input(zp).attr_int("axis", 0).run()[0];
    EXPECT_EQ(y.dtype(), DType::Int4);
    EXPECT_EQ(bytes(y), (std::vector<uint8_t>{0x21, 0x53, 0xA8, 0x43, 0x54, 0x75}));
}

TEST(QuantTest, QuantizeLinearBlockedAndOutputDtype) {
    // ONNX test_quantizelinear_blocked_symmetric: np.clip(np.rint(x / np.repeat(s, 2, axis=1)), -32768, 32767)
    Tensor x = Tensor::from_vector<float>(DType::Float, {3, 4}, {6, -8, -10, 5, 1, 8, 4, 5, 0, 20, 10, 4});
    Tensor s = Tensor::from_vector<float>(DType::Float, {3, 2}, {1.5f, 2.5f, 3.0f, 4.9f, 5.1f, 6.9f});
    auto y = OpCase("QuantizeLinear")
                 .input(x)
                 .input(s)
                 .attr_int("axis", 1)
                 .attr_int("block_size", 2)
                 .attr_int("output_dtype", static_cast<int64_t>(DType::Int16))
                 .run()[0];
    EXPECT_EQ(y.dtype(), DType::Int16);
    EXPECT_EQ(values<int16_t>(y), (std::vector<int16_t>{4, -5, -4, 2, 0, 3, 1, 1, 0, 4, 1, 1}));
    // A blocked scale that does not fit (ceil(4 / 2) = 2 blocks, 3 given): InvalidArgument naming the node.
    Tensor bad = Tensor::from_vector<float>(DType::Float, {3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1});
    expect_error(
        [&] { OpCase("QuantizeLinear").input(x).input(bad).attr_int("axis", 1).attr_int("block_size", 2).run(); },
        ErrorCode::InvalidArgument, {"QuantizeLinear", "block"});
}

TEST(QuantTest, QuantizeLinearFloat8Saturates) {
    // ml_dtypes: saturate_cast(np.array([0, 1, 2, 1e5, 200]) / 2, float8_e4m3fn).view(np.uint8)
    //   -> [0, 0x30, 0x38, 0x7E, 0x6C] (0, 0.5, 1, 448, 96)
    Tensor x = Tensor::from_vector<float>(DType::Float, {5}, {0, 1, 2, 100000, 200});
    Tensor zp = Tensor::from_vector<uint8_t>(DType::Float8E4M3FN, {1}, {0});
    auto y = OpCase("QuantizeLinear").input(x).input(scalar_f(2)).input(zp).run()[0];
    EXPECT_EQ(y.dtype(), DType::Float8E4M3FN);
    EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{0x00, 0x30, 0x38, 0x7E, 0x6C}));
}

TEST(QuantTest, DequantizeLinearPerTensorAxisAndInt2) {
    // (np.array([0, 3, 128, 255]) - 128) * 2 -> [-256, -250, 0, 254]
    Tensor x = Tensor::from_vector<uint8_t>(DType::UInt8, {4}, {0, 3, 128, 255});
    auto y = OpCase("DequantizeLinear").input(x).input(scalar_f(2)).input(scalar_u8(128)).run()[0];
    EXPECT_EQ(values<float>(y), (std::vector<float>{-256, -250, 0, 254}));
    // Per axis 1: (np.array([[1, 2], [3, 4]]) - [1, 0]) * [0.5, 2] -> [[0, 4], [1, 8]]
    Tensor x2 = Tensor::from_vector<int8_t>(DType::Int8, {2, 2}, {1, 2, 3, 4});
    Tensor s2 = Tensor::from_vector<float>(DType::Float, {2}, {0.5f, 2.0f});
    Tensor z2 = Tensor::from_vector<int8_t>(DType::Int8, {2}, {1, 0});
    auto y2 = OpCase("DequantizeLinear").input(x2).input(s2).input(z2).run()[0];
    EXPECT_EQ(values<float>(y2), (std::vector<float>{0, 4, 1, 8}));
    // int2 [0, 1, -1, -2] (packed 0xB4), zero point 1: ([0, 1, -1, -2] - 1) * 2 -> [-2, 0, -4, -6]
    Tensor x3 = packed(DType::Int2, {4}, {0xB4});
    Tensor z3 = packed(DType::Int2, {1}, {0x01});
    auto y3 = OpCase("DequantizeLinear").input(x3).input(scalar_f(2)).input(z3).attr_int("axis", 0).run()[0];
    EXPECT_EQ(values<float>(y3), (std::vector<float>{-2, 0, -4, -6}));
    // A per-axis scale of the wrong length: InvalidArgument.
    Tensor s3 = Tensor::from_vector<float>(DType::Float, {3}, {1, 2, 3});
    expect_error([&] { OpCase("DequantizeLinear").input(x2).input(s3).run(); }, ErrorCode::InvalidArgument,
                 {"DequantizeLinear", "scale"});
}

TEST(QuantTest, DynamicQuantizeLinear) {
    // ONNX reference: scale = (2 - -3) / 255, zp = rint(0 - -3 / scale) = 153, y = clip(rint(x / scale) + 153)
    Tensor x = Tensor::from_vector<float>(DType::Float, {6}, {0, 2, -3, -2.5f, 1.34f, 0.5f});
    auto out = OpCase("DynamicQuantizeLinear").input(x).outputs(3).run();
    EXPECT_EQ(values<uint8_t>(out[0]), (std::vector<uint8_t>{153, 255, 0, 26, 221, 179}));
    EXPECT_FLOAT_EQ(out[1].data<float>()[0], 5.0f / 255.0f);
    EXPECT_EQ(out[2].data<uint8_t>()[0], 153);
}

TEST(QuantTest, MatMulInteger) {
    // (A - 12) @ B with A = [[11, 7, 3], [10, 6, 2], [9, 5, 1], [8, 4, 0]], B = [[1, 4], [2, 5], [3, 6]]
    Tensor a = Tensor::from_vector<uint8_t>(DType::UInt8, {4, 3}, {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0});
    Tensor b = Tensor::from_vector<uint8_t>(DType::UInt8, {3, 2}, {1, 4, 2, 5, 3, 6});
    auto y = OpCase("MatMulInteger").input(a).input(b).input(scalar_u8(12)).run()[0];
    EXPECT_EQ(y.dtype(), DType::Int32);
    EXPECT_EQ(y.shape(), (Shape{4, 2}));
    EXPECT_EQ(values<int32_t>(y), (std::vector<int32_t>{-38, -83, -44, -98, -50, -113, -56, -128}));
    // Per-row a_zero_point: ([[1, 2], [3, 4]] - [[1], [2]]) @ I -> [[0, 1], [1, 2]]
    Tensor a2 = Tensor::from_vector<int8_t>(DType::Int8, {2, 2}, {1, 2, 3, 4});
    Tensor eye = Tensor::from_vector<int8_t>(DType::Int8, {2, 2}, {1, 0, 0, 1});
    Tensor zp = Tensor::from_vector<int8_t>(DType::Int8, {2}, {1, 2});
    auto y2 = OpCase("MatMulInteger").input(a2).input(eye).input(zp).run()[0];
    EXPECT_EQ(values<int32_t>(y2), (std::vector<int32_t>{0, 1, 1, 2}));
    // A zero point that fits no row count: InvalidArgument.
    Tensor bad = Tensor::from_vector<int8_t>(DType::Int8, {3}, {1, 2, 3});
    expect_error([&] { OpCase("MatMulInteger").input(a2).input(eye).input(bad).run(); }, ErrorCode::InvalidArgument,
                 {"MatMulInteger", "a_zero_point"});
}

TEST(QuantTest, QLinearMatMul) {
    // ONNX test_qlinearmatmul_2D_uint8_float32:
    // np.clip(np.rint(((a - 113) @ (b - 114)) * (0.0066 * 0.00705 / 0.0107)) + 118, 0, 255)
    Tensor a = Tensor::from_vector<uint8_t>(DType::UInt8, {2, 4}, {208, 236, 0, 238, 3, 214, 255, 29});
    Tensor b =
        Tensor::from_vector<uint8_t>(DType::UInt8, {4, 3}, {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247});
    auto y = OpCase("QLinearMatMul")
                 .input(a)
                 .input(Tensor::from_vector<float>(DType::Float, {1}, {0.0066f}))
                 .input(Tensor::from_vector<uint8_t>(DType::UInt8, {1}, {113}))
                 .input(b)
                 .input(Tensor::from_vector<float>(DType::Float, {1}, {0.00705f}))
                 .input(Tensor::from_vector<uint8_t>(DType::UInt8, {1}, {114}))
                 .input(Tensor::from_vector<float>(DType::Float, {1}, {0.0107f}))
                 .input(Tensor::from_vector<uint8_t>(DType::UInt8, {1}, {118}))
                 .run()[0];
    EXPECT_EQ(y.shape(), (Shape{2, 3}));
    EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{168, 115, 255, 1, 66, 151}));
}

TEST(QuantTest, ConvIntegerWithPaddingAndPerChannelZeroPoint) {
    // ONNX test_convinteger_with_padding: x = np.arange(2, 11).reshape(1, 1, 3, 3), w = ones(2, 1, 2, 2),
    // x_zero_point 1, w_zero_point [0, 1], pads 1: channel 0 sums 2x2 windows of x - 1; channel 1 has w - 1 = 0.
    Tensor x = Tensor::from_vector<uint8_t>(DType::UInt8, {1, 1, 3, 3}, {2, 3, 4, 5, 6, 7, 8, 9, 10});
    Tensor w = Tensor::from_vector<uint8_t>(DType::UInt8, {2, 1, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1});
    Tensor wz = Tensor::from_vector<uint8_t>(DType::UInt8, {2}, {0, 1});
    auto y =
        OpCase("ConvInteger").input(x).input(w).input(scalar_u8(1)).input(wz).attr_ints("pads", {1, 1, 1, 1}).run()[0];
    EXPECT_EQ(y.shape(), (Shape{1, 2, 4, 4}));
    std::vector<int32_t> want = {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9};
    want.resize(32, 0);
    EXPECT_EQ(values<int32_t>(y), want);
    // A w_zero_point with 3 entries for 2 output channels: InvalidArgument.
    Tensor bad = Tensor::from_vector<uint8_t>(DType::UInt8, {3}, {0, 1, 2});
    expect_error([&] { OpCase("ConvInteger").input(x).input(w).input(scalar_u8(1)).input(bad).run(); },
                 ErrorCode::InvalidArgument, {"ConvInteger", "w_zero_point"});
}

TEST(QuantTest, ConvIntegerGroupsStridesDilationsMatchNaiveLoops) {
    // x [2, 4, 9, 8] int8, w [6, 2, 3, 2] int8, group 2, strides [2, 1], dilations [1, 2], pads [1, 0, 2, 1]; the
    // expected values come from the direct 7-deep loop below (numpy-free: the definition of the convolution).
    Shape xs{2, 4, 9, 8}, ws{6, 2, 3, 2};
    Tensor x(DType::Int8, xs), w(DType::Int8, ws);
    for (int64_t i = 0; i < x.element_count(); ++i) x.data<int8_t>()[i] = static_cast<int8_t>((i * 37) % 251 - 125);
    for (int64_t i = 0; i < w.element_count(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>((i * 11) % 23 - 11);
    Tensor xz = Tensor::from_vector<int8_t>(DType::Int8, {}, {3});
    auto y = OpCase("ConvInteger")
                 .input(x)
                 .input(w)
                 .input(xz)
                 .attr_int("group", 2)
                 .attr_ints("strides", {2, 1})
                 .attr_ints("dilations", {1, 2})
                 .attr_ints("pads", {1, 0, 2, 1})
                 .threads(4)
                 .run()[0];
    // out = (9 + 1 + 2 - 3) / 2 + 1 = 5, (8 + 0 + 1 - 3) / 1 + 1 = 7
    ASSERT_EQ(y.shape(), (Shape{2, 6, 5, 7}));
    const int8_t* xv = x.data<int8_t>();
    const int8_t* wv = w.data<int8_t>();
    for (int64_t n = 0; n < 2; ++n)
        for (int64_t m = 0; m < 6; ++m)
            for (int64_t oh = 0; oh < 5; ++oh)
                for (int64_t ow = 0; ow < 7; ++ow) {
                    int32_t acc = 0;
                    for (int64_t c = 0; c < 2; ++c)
                        for (int64_t kh = 0; kh < 3; ++kh)
                            for (int64_t kw = 0; kw < 2; ++kw) {
                                int64_t ih = oh * 2 - 1 + kh, iw = ow - 0 + kw * 2;
                                if (ih < 0 || ih >= 9 || iw < 0 || iw >= 8) continue;
                                int64_t ci = (m / 3) * 2 + c;
                                acc += (xv[((n * 4 + ci) * 9 + ih) * 8 + iw] - 3) * wv[((m * 2 + c) * 3 + kh) * 2 + kw];
                            }
                    ASSERT_EQ(y.data<int32_t>()[((n * 6 + m) * 5 + oh) * 7 + ow], acc) << n << " " << m << " " << oh;
                }
}

TEST(QuantTest, MatMulIntegerBatchBroadcastAndVector) {
    // A [2, 1, 2, 3] x B [3, 3, 2] -> [2, 3, 2, 2]; B's batch broadcasts against A's; np.matmul(A - 1, B)
    Tensor a(DType::UInt8, {2, 1, 2, 3}), b(DType::Int8, {3, 3, 2});
    for (int64_t i = 0; i < a.element_count(); ++i) a.data<uint8_t>()[i] = static_cast<uint8_t>(i * 7 % 13);
    for (int64_t i = 0; i < b.element_count(); ++i) b.data<int8_t>()[i] = static_cast<int8_t>(i % 5 - 2);
    auto y = OpCase("MatMulInteger").input(a).input(b).input(scalar_u8(1)).threads(3).run()[0];
    ASSERT_EQ(y.shape(), (Shape{2, 3, 2, 2}));
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j)
            for (int64_t r = 0; r < 2; ++r)
                for (int64_t c = 0; c < 2; ++c) {
                    int32_t acc = 0;
                    for (int64_t k = 0; k < 3; ++k)
                        acc += (a.data<uint8_t>()[(i * 2 + r) * 3 + k] - 1) * b.data<int8_t>()[(j * 3 + k) * 2 + c];
                    EXPECT_EQ(y.data<int32_t>()[((i * 3 + j) * 2 + r) * 2 + c], acc);
                }
    // 1-D A: [3] x [3, 2] -> [2]; np.array([1, 2, 3]) @ [[1, 0], [0, 1], [1, 1]] -> [4, 5]
    Tensor v = Tensor::from_vector<uint8_t>(DType::UInt8, {3}, {1, 2, 3});
    Tensor m = Tensor::from_vector<uint8_t>(DType::UInt8, {3, 2}, {1, 0, 0, 1, 1, 1});
    auto yv = OpCase("MatMulInteger").input(v).input(m).run()[0];
    EXPECT_EQ(yv.shape(), (Shape{2}));
    EXPECT_EQ(values<int32_t>(yv), (std::vector<int32_t>{4, 5}));
}

TEST(QuantTest, QLinearConvPointwiseWithBias) {
    // 1x1 conv: acc = (x - 10) * (3 - 1) = [0, 20, 40, 60]; y = rint((acc + 4) * (0.5 * 1 / 2)) + 5 -> [6, 11, 16, 21]
    Tensor x = Tensor::from_vector<uint8_t>(DType::UInt8, {1, 1, 2, 2}, {10, 20, 30, 40});
    Tensor w = Tensor::from_vector<uint8_t>(DType::UInt8, {1, 1, 1, 1}, {3});
    auto run = [&](Tensor bias) {
        return OpCase("QLinearConv")
            .input(x)
            .input(scalar_f(0.5f))
            .input(scalar_u8(10))
            .input(w)
            .input(Tensor::from_vector<float>(DType::Float, {1}, {1.0f}))
            .input(Tensor::from_vector<uint8_t>(DType::UInt8, {1}, {1}))
            .input(scalar_f(2.0f))
            .input(scalar_u8(5))
            .input(std::move(bias))
            .run()[0];
    };
    auto y = run(Tensor::from_vector<int32_t>(DType::Int32, {1}, {4}));
    EXPECT_EQ(y.dtype(), DType::UInt8);
    EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{6, 11, 16, 21}));
    // A bias with the wrong length: InvalidArgument.
    expect_error(
        [&] {
            run(Tensor::from_vector<int32_t>(DType::Int32, {2}, {4, 4}));
        },
        ErrorCode::InvalidArgument, {"QLinearConv", "bias"});
}

TEST(QuantTest, BitwiseNot) {
    // np.bitwise_not(np.array([0, -1, 5], np.int8)) -> [-1, 0, -6]
    Tensor a = Tensor::from_vector<int8_t>(DType::Int8, {3}, {0, -1, 5});
    EXPECT_EQ(values<int8_t>(OpCase("BitwiseNot").input(a).run()[0]), (std::vector<int8_t>{-1, 0, -6}));
    // np.bitwise_not(np.array([0, 65535, 4660], np.uint16)) -> [65535, 0, 60875]
    Tensor b = Tensor::from_vector<uint16_t>(DType::UInt16, {3}, {0, 65535, 4660});
    EXPECT_EQ(values<uint16_t>(OpCase("BitwiseNot").input(b).run()[0]), (std::vector<uint16_t>{65535, 0, 60875}));
    Tensor f = Tensor::from_vector<float>(DType::Float, {1}, {1.0f});
    expect_error([&] { OpCase("BitwiseNot").input(f).run(); }, ErrorCode::NotImplemented, {"BitwiseNot", "float"});
}

}  // namespace
}  // namespace kiln
