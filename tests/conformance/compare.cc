#include "compare.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "common/half.h"

namespace kiln::conformance {
namespace {

enum class Kind { Real, Complex, Signed, Unsigned, String, Other };

Kind kind_of(DType t) {
    switch (t) {
        case DType::Float:
        case DType::Double:
        case DType::Float16:
        case DType::BFloat16:
        case DType::Float8E4M3FN:
        case DType::Float8E4M3FNUZ:
        case DType::Float8E5M2:
        case DType::Float8E5M2FNUZ:
        case DType::Float4E2M1:
        case DType::Float8E8M0:
            return Kind::Real;
        case DType::Complex64:
        case DType::Complex128:
            return Kind::Complex;
        case DType::Int8:
        case DType::Int16:
        case DType::Int32:
        case DType::Int64:
        case DType::Int4:
        case DType::Int2:
            return Kind::Signed;
        case DType::UInt8:
        case DType::UInt16:
        case DType::UInt32:
        case DType::UInt64:
        case DType::UInt4:
        case DType::UInt2:
        case DType::Bool:
            return Kind::Unsigned;
        case DType::String:
            return Kind::String;
        default:
            return Kind::Other;
    }
}

// Element i of a packed sub-byte tensor (low bits first, as ONNX packs them).
uint32_t packed_bits(const Tensor& t, int64_t i, int bits) {
    const auto* p = static_cast<const uint8_t*>(t.raw_data());
    int per_byte = 8 / bits;
    return (p[i / per_byte] >> ((i % per_byte) * bits)) & ((1u << bits) - 1);
}

// A small float format: sign, `ebits` exponent bits with `bias`, `mbits` mantissa bits.
// fnuz: no negative zero, the pattern 1000...0 is NaN, no infinity. fn: all-ones is NaN, no infinity.
enum class Special { Ieee, Fn, Fnuz, None };

double decode_small_float(uint32_t v, int ebits, int mbits, int bias, Special special) {
    uint32_t sign = v >> (ebits + mbits);
    uint32_t e = (v >> mbits) & ((1u << ebits) - 1);
    uint32_t m = v & ((1u << mbits) - 1);
    uint32_t emax = (1u << ebits) - 1;
    if (special == Special::Fnuz && sign && e == 0 && m == 0) return std::nan("");
    if (special == Special::Fn && e == emax && m == (1u << mbits) - 1) return std::nan("");
    if (special == Special::Ieee && e == emax) return m ? std::nan("") : (sign ? -INFINITY : INFINITY);
    double mag = e == 0 ? std::ldexp(static_cast<double>(m), 1 - bias - mbits)
                        : std::ldexp(static_cast<double>(m + (1u << mbits)), static_cast<int>(e) - bias - mbits);
    return sign ? -mag : mag;
}

double real_at(const Tensor& t, int64_t i) {
    const void* d = t.raw_data();
    const auto* b = static_cast<const uint8_t*>(d);
    switch (t.dtype()) {
        case DType::Float:
            return static_cast<const float*>(d)[i];
        case DType::Double:
            return static_cast<const double*>(d)[i];
        case DType::Float16:
            return half_to_float(static_cast<const uint16_t*>(d)[i]);
        case DType::BFloat16:
            return bf16_to_float(static_cast<const uint16_t*>(d)[i]);
        case DType::Float8E4M3FN:
            return decode_small_float(b[i], 4, 3, 7, Special::Fn);
        case DType::Float8E4M3FNUZ:
            return decode_small_float(b[i], 4, 3, 8, Special::Fnuz);
        case DType::Float8E5M2:
            return decode_small_float(b[i], 5, 2, 15, Special::Ieee);
        case DType::Float8E5M2FNUZ:
            return decode_small_float(b[i], 5, 2, 16, Special::Fnuz);
        case DType::Float4E2M1:
            return decode_small_float(packed_bits(t, i, 4), 2, 1, 1, Special::None);
        case DType::Float8E8M0:
            return b[i] == 0xff ? std::nan("") : std::ldexp(1.0, static_cast<int>(b[i]) - 127);
        default:
            return 0;
    }
}

std::pair<double, double> complex_at(const Tensor& t, int64_t i) {
    if (t.dtype() == DType::Complex64) {
        const auto* p = static_cast<const float*>(t.raw_data());
        return {p[2 * i], p[2 * i + 1]};
    }
    const auto* p = static_cast<const double*>(t.raw_data());
    return {p[2 * i], p[2 * i + 1]};
}

int64_t signed_at(const Tensor& t, int64_t i) {
    const void* d = t.raw_data();
    switch (t.dtype()) {
        case DType::Int8:
            return static_cast<const int8_t*>(d)[i];
        case DType::Int16:
            return static_cast<const int16_t*>(d)[i];
        case DType::Int32:
            return static_cast<const int32_t*>(d)[i];
        case DType::Int64:
            return static_cast<const int64_t*>(d)[i];
        case DType::Int4: {
            int32_t v = static_cast<int32_t>(packed_bits(t, i, 4));
            return v >= 8 ? v - 16 : v;
        }
        case DType::Int2: {
            int32_t v = static_cast<int32_t>(packed_bits(t, i, 2));
            return v >= 2 ? v - 4 : v;
        }
        default:
            return 0;
    }
}

uint64_t unsigned_at(const Tensor& t, int64_t i) {
    const void* d = t.raw_data();
    switch (t.dtype()) {
        case DType::UInt8:
            return static_cast<const uint8_t*>(d)[i];
        case DType::Bool:
            return static_cast<const uint8_t*>(d)[i] != 0;
        case DType::UInt16:
            return static_cast<const uint16_t*>(d)[i];
        case DType::UInt32:
            return static_cast<const uint32_t*>(d)[i];
        case DType::UInt64:
            return static_cast<const uint64_t*>(d)[i];
        case DType::UInt4:
            return packed_bits(t, i, 4);
        case DType::UInt2:
            return packed_bits(t, i, 2);
        default:
            return 0;
    }
}

std::string index_string(const Shape& shape, int64_t flat) {
    std::vector<int64_t> idx(shape.size());
    for (size_t k = shape.size(); k-- > 0;) {
        if (shape[k] > 0) {
            idx[k] = flat % shape[k];
            flat /= shape[k];
        }
    }
    return shape_to_string(idx);
}

// Bounded, one-line rendering of a string element.
std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s.substr(0, 40)) out += (c == '\n' || c == '\r') ? ' ' : c;
    if (s.size() > 40) out += "...";
    return out + "\"";
}

// numpy.isclose for one pair of reals (assert_allclose with equal_nan=True).
bool close(double a, double e, const Tolerance& tol) {
    if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e);
    if (std::isinf(a) || std::isinf(e)) return a == e;
    return std::fabs(a - e) <= tol.atol + tol.rtol * std::fabs(e);
}

}  // namespace

std::string compare_tensors(const Tensor& actual, const Tensor& expected, const Tolerance& tol) {
    if (actual.dtype() != expected.dtype())
        return str("dtype ", dtype_name(actual.dtype()), ", expected ", dtype_name(expected.dtype()));
    if (actual.shape() != expected.shape())
        return str("shape ", shape_to_string(actual.shape()), ", expected ", shape_to_string(expected.shape()));
    Kind kind = kind_of(actual.dtype());
    if (kind == Kind::Other) return str("cannot compare dtype ", dtype_name(actual.dtype()));
    int64_t n = expected.element_count();
    if (n > 0 && (actual.raw_data() == nullptr || expected.raw_data() == nullptr)) return "tensor without data";

    int64_t bad = 0, worst = -1;
    double worst_err = -1;
    std::string got, want;
    for (int64_t i = 0; i < n; ++i) {
        bool ok = true;
        double err = 0;
        switch (kind) {
            case Kind::Real: {
                double a = real_at(actual, i), e = real_at(expected, i);
                ok = close(a, e, tol);
                if (!ok) {
                    err = std::isfinite(a - e) ? std::fabs(a - e) : INFINITY;
                    if (err > worst_err) got = str(a), want = str(e);
                }
                break;
            }
            case Kind::Complex: {
                auto [ar, ai] = complex_at(actual, i);
                auto [er, ei] = complex_at(expected, i);
                bool nan_a = std::isnan(ar) || std::isnan(ai), nan_e = std::isnan(er) || std::isnan(ei);
                if (nan_a || nan_e) {
                    ok = nan_a && nan_e;
                } else {
                    err = std::hypot(ar - er, ai - ei);
                    ok = close(ar, er, tol) && close(ai, ei, tol) &&
                         (std::isinf(err) || err <= tol.atol + tol.rtol * std::hypot(er, ei));
                }
                if (!ok && !std::isfinite(err)) err = INFINITY;
                if (!ok && (nan_a || nan_e)) err = INFINITY;
                if (!ok && err > worst_err) got = str(ar, "+", ai, "j"), want = str(er, "+", ei, "j");
                break;
            }
            case Kind::Signed: {
                int64_t a = signed_at(actual, i), e = signed_at(expected, i);
                ok = a == e;
                if (!ok) {
                    err = std::fabs(static_cast<double>(a) - static_cast<double>(e));
                    if (err > worst_err) got = str(a), want = str(e);
                }
                break;
            }
            case Kind::Unsigned: {
                uint64_t a = unsigned_at(actual, i), e = unsigned_at(expected, i);
                ok = a == e;
                if (!ok) {
                    err = std::fabs(static_cast<double>(a) - static_cast<double>(e));
                    if (err > worst_err) got = str(a), want = str(e);
                }
                break;
            }
            case Kind::String: {
                const auto& a = actual.data<std::string>()[i];
                const auto& e = expected.data<std::string>()[i];
                ok = a == e;
                if (!ok && worst < 0) got = quote(a), want = quote(e), err = 1;
                break;
            }
            case Kind::Other:
                break;
        }
        if (!ok) {
            ++bad;
            if (err > worst_err) worst_err = err, worst = i;
        }
    }
    if (bad == 0) return "";
    std::ostringstream out;
    out << bad << " of " << n << " elements differ, ";
    if (kind == Kind::String)
        out << "first";
    else
        out << "max abs err " << worst_err;
    out << " at " << index_string(expected.shape(), worst) << " (got " << got << ", expected " << want << ")";
    return out.str();
}

}  // namespace kiln::conformance
