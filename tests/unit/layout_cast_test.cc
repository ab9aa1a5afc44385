// Sanity cases for Cast and CastLike. Expected values come from numpy (and ml_dtypes for float8); the expression
// that produced each is in the comment next to it.
#include <gtest/gtest.h>

#include <cmath>

#include "support/op_runner.h"

namespace kiln {
namespace {

using test::OpCase;

template <typename T>
std::vector<T> values(const Tensor& t) {
    return std::vector<T>(t.data<T>(), t.data<T>() + t.element_count());
}

Tensor cast(Tensor in, DType to, int64_t saturate = 1) {
    return OpCase("Cast")
        .input(std::move(in))
        .attr_int("to", static_cast<int64_t>(to))
        .attr_int("saturate", saturate)
        .run()[0];
}

TEST(LayoutCast, IntegerWrapAndFloatTruncate) {
    // np.array([300, -1, 70000], dtype=np.int32).astype(np.int8) -> [44, -1, 112]
    Tensor a = Tensor::from_vector<int32_t>(DType::Int32, {3}, {300, -1, 70000});
    EXPECT_EQ(values<int8_t>(cast(a, DType::Int8)), (std::vector<int8_t>{44, -1, 112}));
    // np.array([-1.7, 2.9, 300.0], dtype=np.float32).astype(np.uint8) -> [255, 2, 44]
    Tensor b = Tensor::from_vector<float>(DType::Float, {3}, {-1.7f, 2.9f, 300.0f});
    EXPECT_EQ(values<uint8_t>(cast(b, DType::UInt8)), (std::vector<uint8_t>{255, 2, 44}));
}

TEST(LayoutCast, BoolBothWays) {
    Tensor f = Tensor::from_vector<float>(DType::Float, {3}, {0.0f, -0.5f, 2.0f});
    EXPECT_EQ(values<uint8_t>(cast(f, DType::Bool)), (std::vector<uint8_t>{0, 1, 1}));
    Tensor b = Tensor::from_vector<uint8_t>(DType::Bool, {2}, {1, 0});
    EXPECT_EQ(values<double>(cast(b, DType::Double)), (std::vector<double>{1.0, 0.0}));
}

TEST(LayoutCast, HalfAndBFloat16) {
    // np.array([1.0, -2.0, 65504.0, 1e5], dtype=np.float32).astype(np.float16).view(np.uint16)
    Tensor f = Tensor::from_vector<float>(DType::Float, {4}, {1.0f, -2.0f, 65504.0f, 1e5f});
    EXPECT_EQ(values<uint16_t>(cast(f, DType::Float16)), (std::vector<uint16_t>{0x3c00, 0xc000, 0x7bff, 0x7c00}));
    // ml_dtypes: np.array([1.0, 3.140625], np.float32).astype(bfloat16).view(np.uint16) -> [0x3f80, 0x4049]
    Tensor g = Tensor::from_vector<float>(DType::Float, {2}, {1.0f, 3.140625f});
    Tensor bf = cast(g, DType::BFloat16);
    EXPECT_EQ(values<uint16_t>(bf), (std::vector<uint16_t>{0x3f80, 0x4049}));
    EXPECT_EQ(values<int64_t>(cast(bf, DType::Int64)), (std::vector<int64_t>{1, 3}));
}

TEST(LayoutCast, ToStringLikeNumpy) {
    // np.array([0.1, 1.0, -2.5, 1e-5, 123456789.0, 1e16, np.inf, np.nan, -0.0], np.float32).astype(np.str_)
    Tensor f = Tensor::from_vector<float>(DType::Float, {9},
                                          {0.1f, 1.0f, -2.5f, 1e-5f, 123456789.0f, 1e16f, INFINITY, NAN, -0.0f});
    EXPECT_EQ(
        values<std::string>(cast(f, DType::String)),
        (std::vector<std::string>{"0.1", "1.0", "-2.5", "1e-05", "1.2345679e+08", "1e+16", "inf", "nan", "-0.0"}));
    // np.array([1e15, 123456789.0, 0.00012]).astype(np.str_)
    Tensor d = Tensor::from_vector<double>(DType::Double, {3}, {1e15, 123456789.0, 0.00012});
    EXPECT_EQ(values<std::string>(cast(d, DType::String)),
              (std::vector<std::string>{"1000000000000000.0", "123456789.0", "0.00012"}));
    Tensor i = Tensor::from_vector<int64_t>(DType::Int64, {2}, {-7, 42});
    EXPECT_EQ(values<std::string>(cast(i, DType::String)), (std::vector<std::string>{"-7", "42"}));
}

TEST(LayoutCast, FromString) {
    Tensor s = Tensor::from_vector<std::string>(DType::String, {5}, {"3.5", "-INF", "NaN", "1e3", "+inf"});
    std::vector<float> f = values<float>(cast(s, DType::Float));
    EXPECT_EQ(f[0], 3.5f);
    EXPECT_TRUE(std::isinf(f[1]) && f[1] < 0);
    EXPECT_TRUE(std::isnan(f[2]));
    EXPECT_EQ(f[3], 1000.0f);
    EXPECT_TRUE(std::isinf(f[4]) && f[4] > 0);
    Tensor n = Tensor::from_vector<std::string>(DType::String, {2}, {"9007199254740993", "-12"});
    EXPECT_EQ(values<int64_t>(cast(n, DType::Int64)), (std::vector<int64_t>{9007199254740993, -12}));
    Tensor bad = Tensor::from_vector<std::string>(DType::String, {1}, {"hello"});
    EXPECT_THROW(cast(bad, DType::Float), Error);
}

TEST(LayoutCast, Float8SaturateAndNot) {
    // ml_dtypes: np.array([0.3, 448, 500, -1000, 1e-3, inf], np.float32).astype(float8_e4m3fn).view(np.uint8)
    //   -> [42, 126, 127, 255, 1, 127] (no saturation); ONNX saturate=1 clamps 500/-1000/inf to +-448 (126 / 254)
    Tensor f = Tensor::from_vector<float>(DType::Float, {6}, {0.3f, 448.0f, 500.0f, -1000.0f, 1e-3f, INFINITY});
    EXPECT_EQ(values<uint8_t>(cast(f, DType::Float8E4M3FN)), (std::vector<uint8_t>{42, 126, 126, 254, 1, 126}));
    EXPECT_EQ(values<uint8_t>(cast(f, DType::Float8E4M3FN, 0)), (std::vector<uint8_t>{42, 126, 127, 255, 1, 127}));
    // ...astype(float8_e5m2).view(np.uint8) -> [53, 95, 96, 228, 20, 124] (saturate=0: inf stays inf)
    EXPECT_EQ(values<uint8_t>(cast(f, DType::Float8E5M2, 0)), (std::vector<uint8_t>{53, 95, 96, 228, 20, 124}));
    // Back to float: float8_e4m3fn 42 -> 0.3125
    Tensor b = Tensor::from_vector<uint8_t>(DType::Float8E4M3FN, {2}, {42, 126});
    EXPECT_EQ(values<float>(cast(b, DType::Float)), (std::vector<float>{0.3125f, 448.0f}));
}

TEST(LayoutCast, CastLikeTakesTargetType) {
    Tensor x = Tensor::from_vector<float>(DType::Float, {2}, {1.5f, -2.5f});
    Tensor like = Tensor::from_vector<int32_t>(DType::Int32, {1}, {0});
    auto out = OpCase("CastLike").input(x).input(like).run();
    EXPECT_EQ(out[0].dtype(), DType::Int32);
    EXPECT_EQ(values<int32_t>(out[0]), (std::vector<int32_t>{1, -2}));
}

TEST(LayoutCast, UnsupportedTypeIsNotImplemented) {
    Tensor x = Tensor::from_vector<float>(DType::Float, {2}, {1.5f, -2.5f});
    try {
        cast(x, DType::Complex64);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NotImplemented);
        EXPECT_NE(std::string(e.what()).find("complex64"), std::string::npos) << e.what();
    }
}

// Raw bytes of a (packed) tensor.
std::vector<uint8_t> bytes(const Tensor& t) {
    const auto* p = static_cast<const uint8_t*>(t.raw_data());
    return std::vector<uint8_t>(p, p + t.byte_size());
}

TEST(LayoutCast, Int4AndUInt2WrapAndPackLowNibbleFirst) {
    // ml_dtypes: np.array([-9, 8, 7, -1], np.float32).astype(int4) -> [7, -8, 7, -1]; packed low nibble first
    Tensor f = Tensor::from_vector<float>(DType::Float, {4}, {-9.0f, 8.0f, 7.0f, -1.0f});
    Tensor i4 = cast(f, DType::Int4);
    EXPECT_EQ(i4.dtype(), DType::Int4);
    EXPECT_EQ(bytes(i4), (std::vector<uint8_t>{0x87, 0xF7}));
    EXPECT_EQ(values<int8_t>(cast(i4, DType::Int8)), (std::vector<int8_t>{7, -8, 7, -1}));
    // np.array([-3, 2, 3], np.float32).astype(uint2) -> [1, 2, 3]: 1 | 2 << 2 | 3 << 4 = 0x39
    Tensor g = Tensor::from_vector<float>(DType::Float, {3}, {-3.0f, 2.0f, 3.0f});
    Tensor u2 = cast(g, DType::UInt2);
    EXPECT_EQ(bytes(u2), (std::vector<uint8_t>{0x39}));
    EXPECT_EQ(values<float>(cast(u2, DType::Float)), (std::vector<float>{1.0f, 2.0f, 3.0f}));
    // int4 -> int2 keeps the low bits: [7, -8, 7, -1] -> [-1, 0, -1, -1]
    EXPECT_EQ(values<int32_t>(cast(cast(i4, DType::Int2), DType::Int32)), (std::vector<int32_t>{-1, 0, -1, -1}));
}

TEST(LayoutCast, Float4E2M1RoundsToNearestEvenAndSaturates) {
    // ml_dtypes: np.array([0.48, 0.25, 1.05, -3.5, -8, nan], np.float32).astype(float4_e2m1fn)
    //   -> [0.5, 0, 1, -4, -6, -0] (bits 1, 0, 2, 0xE, 0xF, 0x8)
    Tensor f = Tensor::from_vector<float>(DType::Float, {6}, {0.48f, 0.25f, 1.05f, -3.5f, -8.0f, NAN});
    Tensor f4 = cast(f, DType::Float4E2M1);
    EXPECT_EQ(bytes(f4), (std::vector<uint8_t>{0x01, 0xE2, 0x8F}));
    EXPECT_EQ(values<float>(cast(f4, DType::Float)), (std::vector<float>{0.5f, 0.0f, 1.0f, -4.0f, -6.0f, -0.0f}));
}

TEST(LayoutCast, Float8E8M0RoundModes) {
    // onnx.numpy_helper.to_float8e8m0(np.array([0, 0.124, 1.1, 8, 1.75], np.float32), True, mode).view(np.uint8)
    Tensor f = Tensor::from_vector<float>(DType::Float, {5}, {0.0f, 0.124f, 1.1f, 8.0f, 1.75f});
    auto e8 = [&](const char* mode) {
        return bytes(OpCase("Cast")
                         .input(f)
                         .attr_int("to", static_cast<int64_t>(DType::Float8E8M0))
                         .attr_string("round_mode", mode)
                         .run()[0]);
    };
    EXPECT_EQ(e8("up"), (std::vector<uint8_t>{0, 124, 128, 130, 128}));
    EXPECT_EQ(e8("down"), (std::vector<uint8_t>{0, 123, 127, 130, 127}));
    EXPECT_EQ(e8("nearest"), (std::vector<uint8_t>{0, 124, 127, 130, 128}));
    Tensor b = Tensor::from_vector<uint8_t>(DType::Float8E8M0, {2}, {127, 0xFF});
    std::vector<float> back = values<float>(cast(b, DType::Float));
    EXPECT_EQ(back[0], 1.0f);
    EXPECT_TRUE(std::isnan(back[1]));
}

}  // namespace
}  // namespace kiln
