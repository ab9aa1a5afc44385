// Cast and CastLike: every pair among float, double, float16, bfloat16, the four float8 types, float8e8m0,
// float4e2m1, int2/int4/int8..int64, uint2/uint4/uint8..uint64, bool and string. Numbers -> string formats like
// numpy's astype(str) (what the ONNX reference does); string -> number parses decimal and scientific notation, INF /
// -INF / NaN in any case.
// Conversion rules follow the Cast spec: float -> integer truncates (wrapping like a cast through int64 when out of
// range), integer -> narrower integer keeps the low bits (int4 / int2 included), anything -> bool is "non-zero",
// float8 rounds to nearest even and saturates (or gives NaN/Inf when saturate = 0), float4e2m1 rounds to nearest
// even and always saturates, float8e8m0 follows round_mode and saturate. Packed types (4 or 2 bits) are unpacked to
// one byte per element around the conversion (encodings in quant_formats.h).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "common/half.h"
#include "common/parallel.h"
#include "providers/cpu/layout_kernels.h"
#include "providers/cpu/quant_formats.h"

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
struct E8M0 {
    uint8_t bits;
};
// One element of a packed type (int4, uint4, int2, uint2, float4e2m1), unpacked: its raw bits in a byte.
template <DType kType>
struct SubByte {
    uint8_t bits;
};
template <typename T>
struct SubByteType {
    static constexpr bool kPacked = false;
    static constexpr DType kDType = DType::Undefined;
};
template <DType kType>
struct SubByteType<SubByte<kType>> {
    static constexpr bool kPacked = true;
    static constexpr DType kDType = kType;
};

struct CastOptions {
    bool saturate = true;                  // float8 / float8e8m0 out-of-range behaviour
    E8M0Round round_mode = E8M0Round::Up;  // float8e8m0 rounding
};

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

inline float load(E8M0 s) { return e8m0_to_float(s.bits); }

template <DType kType>
auto load(SubByte<kType> s) {
    if constexpr (kType == DType::Float4E2M1) {
        return f4_to_float(s.bits);
    } else if constexpr (kType == DType::Int4 || kType == DType::Int2) {
        return static_cast<int8_t>(sign_extend(s.bits, dtype_bits(kType)));
    } else {
        return s.bits;  // uint4 / uint2: the bits are the value
    }
}

// A destination element from an arithmetic value.
template <typename D, typename A>
D store(A a, const CastOptions& opt) {
    if constexpr (std::is_same_v<D, F16>) {
        return F16{float_to_half(static_cast<float>(a))};
    } else if constexpr (std::is_same_v<D, BF16>) {
        return BF16{float_to_bf16(static_cast<float>(a))};
    } else if constexpr (std::is_same_v<D, Bool8>) {
        return Bool8{static_cast<uint8_t>(a != 0)};
    } else if constexpr (std::is_same_v<D, E8M0>) {
        return E8M0{float_to_e8m0(static_cast<float>(a), opt.saturate, opt.round_mode)};
    } else if constexpr (SubByteType<D>::kPacked) {
        constexpr DType kType = SubByteType<D>::kDType;
        if constexpr (kType == DType::Float4E2M1) {
            return D{float_to_f4(static_cast<float>(a))};
        } else {
            // Integers keep their low bits (two's complement), floats truncate first like the other integer casts.
            int64_t v = store<int64_t>(a, opt);
            return D{static_cast<uint8_t>(static_cast<uint64_t>(v) & ((1u << dtype_bits(kType)) - 1))};
        }
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
        return D{float_to_f8(static_cast<float>(a), f8_format(F8Type<D>::value), opt.saturate)};
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
    } else if constexpr (SubByteType<S>::kPacked && SubByteType<S>::kDType != DType::Float4E2M1) {
        return std::to_string(static_cast<int>(load(s)));
    } else {
        float f = load(s);
        return shortest_float(f, 9, 6, [&](double d) { return static_cast<float>(d) == f; });
    }
}

template <typename D>
D from_string(const ir::Node& node, const std::string& text, const CastOptions& opt) {
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
    return store<D>(v, opt);
}

// ---- the kernel ------------------------------------------------------------------------------------------------

template <typename D, typename S>
void convert(const S* src, D* dst, int64_t n, int threads, const CastOptions& opt) {
    parallel_for(
        n, threads,
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) dst[i] = store<D>(load(src[i]), opt);
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
        case DType::Float8E8M0:
            fn(E8M0());
            break;
        case DType::Int4:
            fn(SubByte<DType::Int4>());
            break;
        case DType::UInt4:
            fn(SubByte<DType::UInt4>());
            break;
        case DType::Int2:
            fn(SubByte<DType::Int2>());
            break;
        case DType::UInt2:
            fn(SubByte<DType::UInt2>());
            break;
        case DType::Float4E2M1:
            fn(SubByte<DType::Float4E2M1>());
            break;
        default:
            fail(ErrorCode::NotImplemented, node.describe(), ": Cast of ", dtype_name(dtype), " not supported");
    }
}

E8M0Round parse_round_mode(const ir::Node& node) {
    std::string mode = node.attr_string("round_mode", "up");
    if (mode == "up") return E8M0Round::Up;
    if (mode == "down") return E8M0Round::Down;
    if (mode == "nearest") return E8M0Round::Nearest;
    fail(ErrorCode::InvalidModel, node.describe(), ": round_mode must be 'up', 'down' or 'nearest', got '", mode, "'");
}

class CastKernel final : public Kernel {
  public:
    explicit CastKernel(const ir::Node& node) {
        opt_.saturate = node.attr_int("saturate", 1) != 0;
        opt_.round_mode = parse_round_mode(node);
    }

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
                // Packed types go through one unpacked byte per element.
                std::vector<S> src_unpacked;
                std::vector<D> dst_unpacked;
                const S* src;
                D* dst;
                if constexpr (SubByteType<S>::kPacked) {
                    src_unpacked.resize(static_cast<size_t>(n));
                    unpack_bits(in.raw_data(), n, dtype_bits(in.dtype()),
                                reinterpret_cast<uint8_t*>(src_unpacked.data()));
                    src = src_unpacked.data();
                } else {
                    src = in.data<S>();
                }
                if constexpr (SubByteType<D>::kPacked) {
                    dst_unpacked.resize(static_cast<size_t>(n));
                    dst = dst_unpacked.data();
                } else {
                    dst = out.data<D>();
                }
                if constexpr (std::is_same_v<S, std::string> && std::is_same_v<D, std::string>) {
                    std::copy_n(src, n, dst);
                } else if constexpr (std::is_same_v<S, std::string>) {
                    for (int64_t i = 0; i < n; ++i) dst[i] = from_string<D>(ctx.node, src[i], opt_);
                } else if constexpr (std::is_same_v<D, std::string>) {
                    for (int64_t i = 0; i < n; ++i) dst[i] = to_string_value(src[i]);
                } else {
                    convert(src, dst, n, ctx.threads, opt_);
                }
                if constexpr (SubByteType<D>::kPacked) {
                    pack_bits(reinterpret_cast<const uint8_t*>(dst_unpacked.data()), n, dtype_bits(out.dtype()),
                              out.raw_data());
                }
            });
        });
    }

  private:
    CastOptions opt_;
};

}  // namespace

std::unique_ptr<Kernel> create_cast(const ir::Node& node) { return std::make_unique<CastKernel>(node); }

}  // namespace kiln::cpu::layout
