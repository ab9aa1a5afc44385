// Encodings of the low-precision element types, shared by Cast (layout_cast.cc) and the quantisation kernels
// (quant*.cc): the four float8 formats, float8e8m0, float4e2m1 and the packed sub-byte integers (int4, uint4, int2,
// uint2). Packed tensors hold 8 / bits elements per byte, the first element in the lowest bits, as ONNX packs them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kiln/dtype.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

// ---- float8 (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ) and float4 (E2M1) -----------------------------------------------

struct F8Format {
    int exp_bits, mant_bits, bias;
    bool fnuz;     // no negative zero, no infinity, NaN = 0x80
    bool has_inf;  // E5M2
    double max;    // largest finite value
};

constexpr F8Format f8_format(DType t) {
    switch (t) {
        case DType::Float8E4M3FN:
            return {4, 3, 7, false, false, 448.0};
        case DType::Float8E4M3FNUZ:
            return {4, 3, 8, true, false, 240.0};
        case DType::Float8E5M2:
            return {5, 2, 15, false, true, 57344.0};
        default:
            return {5, 2, 16, true, false, 57344.0};  // Float8E5M2FNUZ
    }
}

inline bool is_float8(DType t) {
    return t == DType::Float8E4M3FN || t == DType::Float8E4M3FNUZ || t == DType::Float8E5M2 ||
           t == DType::Float8E5M2FNUZ;
}

inline float f8_to_float(uint8_t b, const F8Format& f) {
    if (f.fnuz && b == 0x80) return std::numeric_limits<float>::quiet_NaN();
    bool neg = (b & 0x80) != 0;
    int e = (b >> f.mant_bits) & ((1 << f.exp_bits) - 1);
    int m = b & ((1 << f.mant_bits) - 1);
    int emax = (1 << f.exp_bits) - 1;
    if (!f.fnuz && !f.has_inf && e == emax && m == (1 << f.mant_bits) - 1)
        return std::numeric_limits<float>::quiet_NaN();
    if (f.has_inf && e == emax) {
        if (m != 0) return std::numeric_limits<float>::quiet_NaN();
        return neg ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    }
    double v = e == 0 ? std::ldexp(static_cast<double>(m), 1 - f.bias - f.mant_bits)
                      : std::ldexp(1.0 + std::ldexp(static_cast<double>(m), -f.mant_bits), e - f.bias);
    return static_cast<float>(neg ? -v : v);
}

// Bits (without sign) of a value already on the grid and within range.
inline uint8_t f8_encode_finite(double r, const F8Format& f) {
    int e;
    std::frexp(r, &e);
    int exp = e - 1;
    if (exp < 1 - f.bias) {  // subnormal
        return static_cast<uint8_t>(std::ldexp(r, f.bias - 1 + f.mant_bits));
    }
    int mant = static_cast<int>(std::ldexp(r, f.mant_bits - exp)) - (1 << f.mant_bits);
    return static_cast<uint8_t>(((exp + f.bias) << f.mant_bits) | mant);
}

// |a| rounded to nearest even on the grid of format f (exact in double); a > 0 and finite.
inline double small_float_round(double a, const F8Format& f) {
    int e;
    std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    int exp = std::max(e - 1, 1 - f.bias);
    double quantum = std::ldexp(1.0, exp - f.mant_bits);
    return std::nearbyint(a / quantum) * quantum;
}

// float -> float8 with the Cast rules: round to nearest even; out of range saturates, or gives NaN/Inf when
// saturate is false.
inline uint8_t float_to_f8(float x, const F8Format& f, bool saturate) {
    const uint8_t nan = f.fnuz ? 0x80 : 0x7F;
    if (std::isnan(x)) return nan;
    bool neg = std::signbit(x);
    uint8_t sign = (neg && !f.fnuz) ? 0x80 : 0;
    double a = std::fabs(static_cast<double>(x));
    auto overflow = [&]() -> uint8_t {
        if (saturate) return (neg ? 0x80 : 0) | f8_encode_finite(f.max, f);
        if (f.has_inf) return sign | static_cast<uint8_t>(((1 << f.exp_bits) - 1) << f.mant_bits);
        return f.fnuz ? nan : static_cast<uint8_t>(sign | nan);
    };
    if (std::isinf(a)) return overflow();
    if (a == 0) return sign;
    double r = small_float_round(a, f);
    if (r > f.max) return overflow();
    if (r == 0) return f.fnuz ? 0 : sign;
    return (neg ? 0x80 : 0) | f8_encode_finite(r, f);
}

// float4e2m1: 1 sign, 2 exponent (bias 1), 1 mantissa bit; values 0, 0.5, 1, 1.5, 2, 3, 4, 6; no Inf or NaN.
constexpr F8Format kF4Format{2, 1, 1, false, false, 6.0};

inline float f4_to_float(uint8_t b) {
    bool neg = (b & 0x8) != 0;
    int e = (b >> 1) & 3;
    int m = b & 1;
    float v = e == 0 ? 0.5f * static_cast<float>(m) : std::ldexp(1.0f + 0.5f * static_cast<float>(m), e - 1);
    return neg ? -v : v;
}

// Round to nearest even, saturating to +-6 (infinities included); NaN gives 0x8 (what ml_dtypes and the ONNX
// test data produce).
inline uint8_t float_to_f4(float x) {
    if (std::isnan(x)) return 0x8;
    uint8_t sign = std::signbit(x) ? 0x8 : 0;
    double a = std::fabs(static_cast<double>(x));
    if (a == 0) return sign;
    double r = std::isinf(a) ? kF4Format.max : std::min(small_float_round(a, kF4Format), kF4Format.max);
    if (r == 0) return sign;
    return sign | f8_encode_finite(r, kF4Format);
}

// ---- float8e8m0: an unsigned power of two 2^(b - 127); 0xFF is NaN ---------------------------------------------

enum class E8M0Round { Up, Down, Nearest };

inline float e8m0_to_float(uint8_t b) {
    if (b == 0xFF) return std::numeric_limits<float>::quiet_NaN();
    return std::ldexp(1.0f, static_cast<int>(b) - 127);
}

// onnx.numpy_helper.to_float8e8m0: works on the float32 exponent bits (the sign is ignored).
inline uint8_t float_to_e8m0(float x, bool saturate, E8M0Round round) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    uint32_t exponent = (bits >> 23) & 0xFF;
    if (exponent == 0xFF) return 0xFF;
    bool up = false;
    if (round == E8M0Round::Nearest) {
        bool g = (bits & 0x400000) != 0;
        bool r = (bits & 0x200000) != 0;
        bool s = (bits & 0x1FFFFF) != 0;
        bool lsb = exponent > 0;
        up = g && (r || s || lsb);
    } else if (round == E8M0Round::Up) {
        up = (bits & 0x7FFFFF) != 0;
    }
    if (up && saturate && exponent == 0xFE) up = false;
    return static_cast<uint8_t>(exponent + (up ? 1 : 0));
}

// ---- packed sub-byte types -------------------------------------------------------------------------------------

inline bool is_packed(DType t) { return dtype_bits(t) > 0 && dtype_bits(t) < 8; }

// Raw bits of element i of a packed tensor (the low `bits` bits of the result).
inline uint8_t packed_get(const void* data, int64_t i, int bits) {
    const auto* p = static_cast<const uint8_t*>(data);
    int per_byte = 8 / bits;
    return static_cast<uint8_t>((p[i / per_byte] >> ((i % per_byte) * bits)) & ((1u << bits) - 1));
}

// Unpacks n elements (raw bits, one per byte).
inline void unpack_bits(const void* data, int64_t n, int bits, uint8_t* out) {
    for (int64_t i = 0; i < n; ++i) out[i] = packed_get(data, i, bits);
}

// Packs n elements (raw bits in the low bits of each byte) into `data`, which holds dtype_storage_bytes bytes;
// the unused high bits of the last byte are zero.
inline void pack_bits(const uint8_t* in, int64_t n, int bits, void* data) {
    auto* p = static_cast<uint8_t*>(data);
    int per_byte = 8 / bits;
    uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
    int64_t bytes = (n + per_byte - 1) / per_byte;
    for (int64_t b = 0; b < bytes; ++b) {
        uint8_t v = 0;
        for (int k = 0; k < per_byte; ++k) {
            int64_t i = b * per_byte + k;
            if (i < n) v |= static_cast<uint8_t>((in[i] & mask) << (k * bits));
        }
        p[b] = v;
    }
}

// Sign-extends the low `bits` bits.
inline int32_t sign_extend(uint32_t v, int bits) {
    uint32_t m = 1u << (bits - 1);
    v &= (1u << bits) - 1;
    return static_cast<int32_t>(v ^ m) - static_cast<int32_t>(m);
}

}  // namespace kiln::cpu
