// Cast and CastLike: every pair among float, double, float16, bfloat16, the four float8 types, int8..int64,
// uint8..uint64, bool and string. Numbers -> string formats like numpy's astype(str) (what the ONNX reference
// does); string -> number parses decimal and scientific notation, INF / -INF / NaN in any case.
// Conversion rules follow the Cast spec: float -> integer truncates (wrapping like a cast through int64 when out of
// range), integer -> narrower integer keeps the low bits, anything -> bool is "non-zero", float8 rounds to nearest
// even and saturates (or gives NaN/Inf when saturate = 0).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

#include "common/half.h"
#include "common/parallel.h"
#include "providers/cpu/layout_kernels.h"

namespace kiln::cpu::layout {
namespace {

// Storage wrappers for the types that C++ has no arithmetic type for.
struct F16 {
    uint16_t bits;
};
struct BF16 {
    uint16_t bits;
};
struct Bool8 {
    uint8_t v;
};
template <DType kType>
struct F8 {
    uint8_t bits;
};
template <typename T>
struct F8Type {};
template <DType kType>
struct F8Type<F8<kType>> {
    static constexpr DType value = kType;
};

// ---- float8 ----------------------------------------------------------------------------------------------------

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

float f8_to_float(uint8_t b, const F8Format& f) {
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
uint8_t encode_finite(double r, const F8Format& f);

uint8_t float_to_f8(float x, const F8Format& f, bool saturate) {
    const uint8_t nan = f.fnuz ? 0x80 : 0x7F;
    if (std::isnan(x)) return nan;
    bool neg = std::signbit(x);
    uint8_t sign = (neg && !f.fnuz) ? 0x80 : 0;
    double a = std::fabs(static_cast<double>(x));
    auto overflow = [&]() -> uint8_t {
        if (saturate) return (neg ? 0x80 : 0) | encode_finite(f.max, f);
        if (f.has_inf) return sign | static_cast<uint8_t>(((1 << f.exp_bits) - 1) << f.mant_bits);
        return f.fnuz ? nan : static_cast<uint8_t>(sign | nan);
    };
    if (std::isinf(a)) return overflow();
    if (a == 0) return sign;
    // Round to nearest even on the float8 grid (exact in double).
    int e;
    std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    int exp = std::max(e - 1, 1 - f.bias);
    double quantum = std::ldexp(1.0, exp - f.mant_bits);
    double r = std::nearbyint(a / quantum) * quantum;
    if (r > f.max) return overflow();
    if (r == 0) return f.fnuz ? 0 : sign;
    return (neg ? 0x80 : 0) | encode_finite(r, f);
}

uint8_t encode_finite(double r, const F8Format& f) {
    int e;
    std::frexp(r, &e);
    int exp = e - 1;
    if (exp < 1 - f.bias) {  // subnormal
        return static_cast<uint8_t>(std::ldexp(r, f.bias - 1 + f.mant_bits));
    }
    int mant = static_cast<int>(std::ldexp(r, f.mant_bits - exp)) - (1 << f.mant_bits);
    return static_cast<uint8_t>(((exp + f.bias) << f.mant_bits) | mant);
}

// ---- loading and storing ---------------------------------------------------------------------------------------

// The arithmetic value of a source element.
template <typename S>
auto load(S s) {
    if constexpr (std::is_same_v<S, F16>) {
        return half_to_float(s.bits);
    } else if constexpr (std::is_same_v<S, BF16>) {
        return bf16_to_float(s.bits);
    } else if constexpr (std::is_same_v<S, Bool8>) {
        return static_cast<uint8_t>(s.v != 0);
    } else {
        return s;
    }
}

template <DType kType>
float load(F8<kType> s) {
    return f8_to_float(s.bits, f8_format(kType));
}

// A destination element from an arithmetic value.
template <typename D, typename A>
D store(A a, bool saturate) {
    if constexpr (std::is_same_v<D, F16>) {
        return F16{float_to_half(static_cast<float>(a))};
    } else if constexpr (std::is_same_v<D, BF16>) {
        return BF16{float_to_bf16(static_cast<float>(a))};
    } else if constexpr (std::is_same_v<D, Bool8>) {
        return Bool8{static_cast<uint8_t>(a != 0)};
    } else if constexpr (std::is_floating_point_v<D>) {
        return static_cast<D>(a);
    } else if constexpr (std::is_integral_v<D>) {
        if constexpr (std::is_floating_point_v<A>) {
            // Out-of-range float -> integer is undefined in the spec; go through int64 so the result is defined
            // here (and wraps like numpy for values within int64).
            if (std::isnan(a)) return D(0);
            if constexpr (std::is_same_v<D, uint64_t>) {
                if (a >= 9.2233720368547758e18) {
                    return a < 1.8446744073709552e19 ? static_cast<uint64_t>(a) : std::numeric_limits<uint64_t>::max();
                }
            }
            if (a >= 9.2233720368547758e18) return static_cast<D>(std::numeric_limits<int64_t>::max());
            if (a <= -9.2233720368547758e18) return static_cast<D>(std::numeric_limits<int64_t>::min());
            return static_cast<D>(static_cast<int64_t>(a));
        } else {
            return static_cast<D>(a);
        }
    } else {
        return D{float_to_f8(static_cast<float>(a), f8_format(F8Type<D>::value), saturate)};
    }
}

// ---- strings ---------------------------------------------------------------------------------------------------

// numpy's str() of a float `v` whose shortest round-trip digits are given in scientific form "d.ddde+XX":
// positional when 1e-4 <= |v| < 10^max_exp (16 for double, 6 for float, 3 for float16), else scientific.
std::string numpy_style(const char* sci, double v, int max_exp) {
    std::string digits;
    const char* p = sci;
    if (*p == '-') ++p;
    for (; *p && *p != 'e'; ++p) {
        if (*p != '.') digits.push_back(*p);
    }
    int exp = *p == 'e' ? std::atoi(p + 1) : 0;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    std::string out;
    if (std::signbit(v)) out.push_back('-');
    double a = std::fabs(v);
    if (a == 0) return out.append("0.0");
    if (a >= 1e-4 && a < std::pow(10.0, max_exp)) {
        int n = static_cast<int>(digits.size());
        if (exp < 0) {
            out.append("0.").append(static_cast<size_t>(-exp - 1), '0').append(digits);
        } else if (n <= exp + 1) {
            out.append(digits).append(static_cast<size_t>(exp + 1 - n), '0').append(".0");
        } else {
            out.append(digits, 0, exp + 1).append(".").append(digits, exp + 1, std::string::npos);
        }
        return out;
    }
    out.push_back(digits[0]);
    if (digits.size() > 1) out.append(".").append(digits, 1, std::string::npos);
    char buf[16];
    std::snprintf(buf, sizeof(buf), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out.append(buf);
}

// Shortest digits (at most max_digits) that `round_trips` maps back to the same value, formatted like numpy.
template <typename RoundTrip>
std::string shortest_float(double v, int max_digits, int max_exp, RoundTrip round_trips) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[64];
    for (int digits = 1; digits <= max_digits; ++digits) {
        std::snprintf(buf, sizeof(buf), "%.*e", digits - 1, v);
        if (round_trips(std::strtod(buf, nullptr))) break;
    }
    return numpy_style(buf, v, max_exp);
}

template <typename S>
std::string to_string_value(S s) {
    if constexpr (std::is_same_v<S, Bool8>) {
        return s.v ? "True" : "False";
    } else if constexpr (std::is_same_v<S, F16>) {
        return shortest_float(half_to_float(s.bits), 5, 3,
                              [&](double d) { return float_to_half(static_cast<float>(d)) == s.bits; });
    } else if constexpr (std::is_same_v<S, BF16>) {
        return shortest_float(bf16_to_float(s.bits), 4, 3,
                              [&](double d) { return float_to_bf16(static_cast<float>(d)) == s.bits; });
    } else if constexpr (std::is_same_v<S, float>) {
        return shortest_float(s, 9, 6, [&](double d) { return static_cast<float>(d) == s; });
    } else if constexpr (std::is_same_v<S, double>) {
        return shortest_float(s, 17, 16, [&](double d) { return d == s; });
    } else if constexpr (std::is_integral_v<S>) {
        return std::to_string(s);
    } else {
        float f = load(s);
        return shortest_float(f, 9, 6, [&](double d) { return static_cast<float>(d) == f; });
    }
}

template <typename D>
D from_string(const ir::Node& node, const std::string& text, bool saturate) {
    const char* c = text.c_str();
    char* end = nullptr;
    if constexpr (std::is_integral_v<D>) {
        errno = 0;
        if constexpr (std::is_unsigned_v<D>) {
            if (text.find('-') == std::string::npos) {
                unsigned long long u = std::strtoull(c, &end, 10);
                if (end != c && *end == 0 && errno == 0) return static_cast<D>(u);
            }
        }
        long long i = std::strtoll(c, &end, 10);
        if (end != c && *end == 0 && errno == 0) return static_cast<D>(i);
    }
    double v = std::strtod(c, &end);  // accepts INF, -inf, +Inf, NaN, 1e-5, ...
    KILN_CHECK(end != c, InvalidArgument, node.describe(), ": cannot parse '", text, "' as a number");
    return store<D>(v, saturate);
}

// ---- the kernel ------------------------------------------------------------------------------------------------

template <typename D, typename S>
void convert(const S* src, D* dst, int64_t n, int threads, bool saturate) {
    parallel_for(
        n, threads,
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) dst[i] = store<D>(load(src[i]), saturate);
        },
        4);
}

// Calls fn(T{}) with the element type used for `dtype` in conversions.
template <typename Fn>
void dispatch_cast_type(const ir::Node& node, DType dtype, Fn&& fn) {
    switch (dtype) {
        case DType::Float:
            fn(float());
            break;
        case DType::Double:
            fn(double());
            break;
        case DType::Float16:
            fn(F16());
            break;
        case DType::BFloat16:
            fn(BF16());
            break;
        case DType::Float8E4M3FN:
            fn(F8<DType::Float8E4M3FN>());
            break;
        case DType::Float8E4M3FNUZ:
            fn(F8<DType::Float8E4M3FNUZ>());
            break;
        case DType::Float8E5M2:
            fn(F8<DType::Float8E5M2>());
            break;
        case DType::Float8E5M2FNUZ:
            fn(F8<DType::Float8E5M2FNUZ>());
            break;
        case DType::Int8:
            fn(int8_t());
            break;
        case DType::Int16:
            fn(int16_t());
            break;
        case DType::Int32:
            fn(int32_t());
            break;
        case DType::Int64:
            fn(int64_t());
            break;
        case DType::UInt8:
            fn(uint8_t());
            break;
        case DType::UInt16:
            fn(uint16_t());
            break;
        case DType::UInt32:
            fn(uint32_t());
            break;
        case DType::UInt64:
            fn(uint64_t());
            break;
        case DType::Bool:
            fn(Bool8());
            break;
        case DType::String:
            fn(std::string());
            break;
        default:
            fail(ErrorCode::NotImplemented, node.describe(), ": Cast of ", dtype_name(dtype), " not supported");
    }
}

class CastKernel final : public Kernel {
  public:
    explicit CastKernel(const ir::Node& node) : saturate_(node.attr_int("saturate", 1) != 0) {}

    void run(KernelContext& ctx) const override {
        const Tensor& in = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        int64_t n = in.element_count();
        if (in.dtype() == out.dtype()) {
            copy_tensor(in, out);
            return;
        }
        dispatch_cast_type(ctx.node, in.dtype(), [&](auto src_tag) {
            using S = decltype(src_tag);
            dispatch_cast_type(ctx.node, out.dtype(), [&](auto dst_tag) {
                using D = decltype(dst_tag);
                const S* src = in.data<S>();
                D* dst = out.data<D>();
                if constexpr (std::is_same_v<S, std::string> && std::is_same_v<D, std::string>) {
                    std::copy_n(src, n, dst);
                } else if constexpr (std::is_same_v<S, std::string>) {
                    for (int64_t i = 0; i < n; ++i) dst[i] = from_string<D>(ctx.node, src[i], saturate_);
                } else if constexpr (std::is_same_v<D, std::string>) {
                    for (int64_t i = 0; i < n; ++i) dst[i] = to_string_value(src[i]);
                } else {
                    convert(src, dst, n, ctx.threads, saturate_);
                }
            });
        });
    }

  private:
    bool saturate_;
};

}  // namespace

std::unique_ptr<Kernel> create_cast(const ir::Node& node) { return std::make_unique<CastKernel>(node); }

}  // namespace kiln::cpu::layout
