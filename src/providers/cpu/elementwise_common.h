// Shared by the elementwise and reduction kernels: per-dtype storage/compute traits, a dispatch from a runtime
// DType to those traits (instantiating only the dtypes an op allows), and a vectorisable float exp.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "common/half.h"
#include "ir/graph.h"
#include "kiln/dtype.h"
#include "kiln/error.h"

namespace kiln::cpu {

// Storage is the element type in memory; Compute the type arithmetic runs in (float for float16/bfloat16).
template <DType D>
struct DTypeTraits;

#define KILN_NATIVE_DTYPE_TRAITS(D, T)                \
    template <>                                       \
    struct DTypeTraits<DType::D> {                    \
        using Storage = T;                            \
        using Compute = T;                            \
        static constexpr DType kDType = DType::D;     \
        static Compute load(Storage v) { return v; }  \
        static Storage store(Compute v) { return v; } \
    };
KILN_NATIVE_DTYPE_TRAITS(Float, float)
KILN_NATIVE_DTYPE_TRAITS(Double, double)
KILN_NATIVE_DTYPE_TRAITS(Int8, int8_t)
KILN_NATIVE_DTYPE_TRAITS(Int16, int16_t)
KILN_NATIVE_DTYPE_TRAITS(Int32, int32_t)
KILN_NATIVE_DTYPE_TRAITS(Int64, int64_t)
KILN_NATIVE_DTYPE_TRAITS(UInt8, uint8_t)
KILN_NATIVE_DTYPE_TRAITS(UInt16, uint16_t)
KILN_NATIVE_DTYPE_TRAITS(UInt32, uint32_t)
KILN_NATIVE_DTYPE_TRAITS(UInt64, uint64_t)
KILN_NATIVE_DTYPE_TRAITS(Bool, uint8_t)
#undef KILN_NATIVE_DTYPE_TRAITS

template <>
struct DTypeTraits<DType::Float16> {
    using Storage = uint16_t;
    using Compute = float;
    static constexpr DType kDType = DType::Float16;
    static Compute load(Storage v) { return half_to_float(v); }
    static Storage store(Compute v) { return float_to_half(v); }
};

template <>
struct DTypeTraits<DType::BFloat16> {
    using Storage = uint16_t;
    using Compute = float;
    static constexpr DType kDType = DType::BFloat16;
    static Compute load(Storage v) { return bf16_to_float(v); }
    static Storage store(Compute v) { return float_to_bf16(v); }
};

constexpr uint32_t dtype_bit(DType d) { return 1u << static_cast<int>(d); }

constexpr uint32_t kFloatTypes =
    dtype_bit(DType::Float) | dtype_bit(DType::Double) | dtype_bit(DType::Float16) | dtype_bit(DType::BFloat16);
constexpr uint32_t kSignedInts =
    dtype_bit(DType::Int8) | dtype_bit(DType::Int16) | dtype_bit(DType::Int32) | dtype_bit(DType::Int64);
constexpr uint32_t kUnsignedInts =
    dtype_bit(DType::UInt8) | dtype_bit(DType::UInt16) | dtype_bit(DType::UInt32) | dtype_bit(DType::UInt64);
constexpr uint32_t kIntTypes = kSignedInts | kUnsignedInts;
constexpr uint32_t kNumericTypes = kFloatTypes | kIntTypes;
constexpr uint32_t kBoolType = dtype_bit(DType::Bool);

inline bool dtype_allowed(DType d, uint32_t allowed) {
    int i = static_cast<int>(d);
    return i >= 0 && i < 32 && (allowed & (1u << i)) != 0;
}

// NotImplemented naming the node and dtype unless `d` is in `allowed`. Undefined (not yet known) passes.
inline void check_dtype(const ir::Node& node, DType d, uint32_t allowed, const char* what = "input") {
    if (d == DType::Undefined) return;
    KILN_CHECK(dtype_allowed(d, allowed), NotImplemented, node.describe(), ": ", what, " dtype ", dtype_name(d),
               " is not supported");
}

// Calls f(DTypeTraits<d>{}) for d in kAllowed; NotImplemented naming the node otherwise. Only the allowed
// dtypes are instantiated.
template <uint32_t kAllowed, typename F>
void dispatch_dtype(DType d, const ir::Node& node, F&& f) {
    switch (d) {
#define KILN_DISPATCH_CASE(D)                                  \
    case DType::D:                                             \
        if constexpr ((kAllowed & dtype_bit(DType::D)) != 0) { \
            f(DTypeTraits<DType::D>{});                        \
            return;                                            \
        }                                                      \
        break;
        KILN_DISPATCH_CASE(Float)
        KILN_DISPATCH_CASE(Double)
        KILN_DISPATCH_CASE(Float16)
        KILN_DISPATCH_CASE(BFloat16)
        KILN_DISPATCH_CASE(Int8)
        KILN_DISPATCH_CASE(Int16)
        KILN_DISPATCH_CASE(Int32)
        KILN_DISPATCH_CASE(Int64)
        KILN_DISPATCH_CASE(UInt8)
        KILN_DISPATCH_CASE(UInt16)
        KILN_DISPATCH_CASE(UInt32)
        KILN_DISPATCH_CASE(UInt64)
        KILN_DISPATCH_CASE(Bool)
#undef KILN_DISPATCH_CASE
        default:
            break;
    }
    fail(ErrorCode::NotImplemented, node.describe(), ": dtype ", dtype_name(d), " is not supported");
}

// exp for float without branches, so that loops calling it vectorise (Cephes polynomial, ~1 ulp over the
// normal range; inputs below -86.6 give 0, NaN stays NaN).
inline float fast_expf(float x) {
    constexpr float kLog2e = 1.44269504088896341f;
    float c = std::fmin(std::fmax(x, -86.6f), 88.72f);
    float n = std::nearbyint(c * kLog2e);
    float r = c - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    int32_t e = static_cast<int32_t>(n) + 126;
    uint32_t bits = static_cast<uint32_t>(e) << 23;
    float scale;
    std::memcpy(&scale, &bits, 4);
    y = y * scale * 2.0f;
    y = x > 88.72f ? std::numeric_limits<float>::infinity() : y;
    y = x < -86.6f ? 0.0f : y;
    return x != x ? x : y;
}

template <typename C>
inline C exp_of(C v) {
    if constexpr (std::is_same_v<C, float>) {
        return fast_expf(v);
    } else {
        return std::exp(v);
    }
}

}  // namespace kiln::cpu
