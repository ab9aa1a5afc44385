// CPU kernels of the Quant family (see op_list.inc): the dispatch, the shared element readers / writers, and
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and BitwiseNot. The integer matmul and conv kernels are in
// quant_matmul.cc and quant_conv.cc.
//
// QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point) for integer outputs; float8 / float4 outputs
// convert x / scale + zero_point with the Cast rules (float8: saturate attribute; float4: always saturates). The
// division runs in the precision of `precision` (when given) or of the scale's type.
// DequantizeLinear: y = (x - zero_point) * scale, in float32, converted to the output type.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/half.h"
#include "common/parallel.h"
#include "providers/cpu/double_values.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/quant_formats.h"
#include "providers/cpu/quant_kernels.h"

namespace kiln::cpu {
namespace quant {

std::vector<float> to_floats(const ir::Node& node, const Tensor& t, const char* what) {
    int64_t n = t.element_count();
    std::vector<float> out(static_cast<size_t>(n));
    const void* d = t.raw_data();
    auto fill = [&](auto conv) {
        for (int64_t i = 0; i < n; ++i) out[i] = conv(i);
    };
    const auto* b = static_cast<const uint8_t*>(d);
    switch (t.dtype()) {
        case DType::Float:
            fill([&](int64_t i) { return static_cast<const float*>(d)[i]; });
            break;
        case DType::Double:
            fill([&](int64_t i) { return static_cast<float>(static_cast<const double*>(d)[i]); });
            break;
        case DType::Float16:
            fill([&](int64_t i) { return half_to_float(static_cast<const uint16_t*>(d)[i]); });
            break;
        case DType::BFloat16:
            fill([&](int64_t i) { return bf16_to_float(static_cast<const uint16_t*>(d)[i]); });
            break;
        case DType::Float8E4M3FN:
        case DType::Float8E4M3FNUZ:
        case DType::Float8E5M2:
        case DType::Float8E5M2FNUZ: {
            F8Format f = f8_format(t.dtype());
            fill([&](int64_t i) { return f8_to_float(b[i], f); });
            break;
        }
        case DType::Float8E8M0:
            fill([&](int64_t i) { return e8m0_to_float(b[i]); });
            break;
        case DType::Float4E2M1:
            fill([&](int64_t i) { return f4_to_float(packed_get(d, i, 4)); });
            break;
        case DType::Int64:
            fill([&](int64_t i) { return static_cast<float>(static_cast<const int64_t*>(d)[i]); });
            break;
        default: {
            std::vector<int32_t> v = to_int32s(node, t, what);
            fill([&](int64_t i) { return static_cast<float>(v[i]); });
            break;
        }
    }
    return out;
}

std::vector<int32_t> to_int32s(const ir::Node& node, const Tensor& t, const char* what) {
    int64_t n = t.element_count();
    std::vector<int32_t> out(static_cast<size_t>(n));
    const void* d = t.raw_data();
    auto copy = [&](auto* p) {
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(p[i]);
    };
    switch (t.dtype()) {
        case DType::Int8:
            copy(static_cast<const int8_t*>(d));
            break;
        case DType::UInt8:
            copy(static_cast<const uint8_t*>(d));
            break;
        case DType::Int16:
            copy(static_cast<const int16_t*>(d));
            break;
        case DType::UInt16:
            copy(static_cast<const uint16_t*>(d));
            break;
        case DType::Int32:
            copy(static_cast<const int32_t*>(d));
            break;
        case DType::Int4:
        case DType::Int2: {
            int bits = dtype_bits(t.dtype());
            for (int64_t i = 0; i < n; ++i) out[i] = sign_extend(packed_get(d, i, bits), bits);
            break;
        }
        case DType::UInt4:
        case DType::UInt2: {
            int bits = dtype_bits(t.dtype());
            for (int64_t i = 0; i < n; ++i) out[i] = packed_get(d, i, bits);
            break;
        }
        default:
            fail(ErrorCode::NotImplemented, node.describe(), ": ", what, " of type ", dtype_name(t.dtype()),
                 " is not supported");
    }
    return out;
}

void store_floats(const ir::Node& node, const float* v, Tensor& out) {
    int64_t n = out.element_count();
    switch (out.dtype()) {
        case DType::Float:
            std::copy_n(v, n, out.data<float>());
            break;
        case DType::Double:
            for (int64_t i = 0; i < n; ++i) out.data<double>()[i] = v[i];
            break;
        case DType::Float16:
            for (int64_t i = 0; i < n; ++i) out.data<uint16_t>()[i] = float_to_half(v[i]);
            break;
        case DType::BFloat16:
            for (int64_t i = 0; i < n; ++i) out.data<uint16_t>()[i] = float_to_bf16(v[i]);
            break;
        default:
            fail(ErrorCode::NotImplemented, node.describe(), ": output type ", dtype_name(out.dtype()),
                 " is not supported");
    }
}

bool integer_range(DType t, int64_t& lo, int64_t& hi) {
    switch (t) {
        case DType::Int8:
            lo = -128, hi = 127;
            return true;
        case DType::UInt8:
            lo = 0, hi = 255;
            return true;
        case DType::Int16:
            lo = -32768, hi = 32767;
            return true;
        case DType::UInt16:
            lo = 0, hi = 65535;
            return true;
        case DType::Int4:
            lo = -8, hi = 7;
            return true;
        case DType::UInt4:
            lo = 0, hi = 15;
            return true;
        case DType::Int2:
            lo = -2, hi = 1;
            return true;
        case DType::UInt2:
            lo = 0, hi = 3;
            return true;
        default:
            return false;
    }
}

void store_ints(const int64_t* v, Tensor& out) {
    int64_t n = out.element_count();
    switch (out.dtype()) {
        case DType::Int8:
            for (int64_t i = 0; i < n; ++i) out.data<int8_t>()[i] = static_cast<int8_t>(v[i]);
            break;
        case DType::UInt8:
            for (int64_t i = 0; i < n; ++i) out.data<uint8_t>()[i] = static_cast<uint8_t>(v[i]);
            break;
        case DType::Int16:
            for (int64_t i = 0; i < n; ++i) out.data<int16_t>()[i] = static_cast<int16_t>(v[i]);
            break;
        case DType::UInt16:
            for (int64_t i = 0; i < n; ++i) out.data<uint16_t>()[i] = static_cast<uint16_t>(v[i]);
            break;
        case DType::Int32:
            for (int64_t i = 0; i < n; ++i) out.data<int32_t>()[i] = static_cast<int32_t>(v[i]);
            break;
        default: {  // packed
            std::vector<uint8_t> bits(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) bits[i] = static_cast<uint8_t>(v[i]);
            pack_bits(bits.data(), n, dtype_bits(out.dtype()), out.raw_data());
            break;
        }
    }
}

namespace {

// The elements of a float or int32 tensor as double.
std::vector<double> to_doubles(const ir::Node& node, const Tensor& t, const char* what) {
    if (t.dtype() == DType::Double) return std::vector<double>(t.data<double>(), t.data<double>() + t.element_count());
    if (t.dtype() == DType::Int32) return std::vector<double>(t.data<int32_t>(), t.data<int32_t>() + t.element_count());
    std::vector<float> f = to_floats(node, t, what);
    return std::vector<double>(f.begin(), f.end());
}

// Where each element of x finds its scale / zero point: x is seen as [outer, axis_len, inner]; the parameter index
// of element (o, a, i) is 0 (per tensor), a (per axis) or (o * blocks + a / block) * inner + i (blocked).
struct ParamLayout {
    enum class Mode { Tensor, Axis, Blocked } mode = Mode::Tensor;
    int64_t outer = 1, axis_len = 1, inner = 1, block = 1, blocks = 1;

    int64_t index(int64_t o, int64_t a, int64_t i) const {
        switch (mode) {
            case Mode::Tensor:
                return 0;
            case Mode::Axis:
                return a;
            default:
                return (o * blocks + a / block) * inner + i;
        }
    }
};

ParamLayout param_layout(const ir::Node& node, const Shape& x, const Tensor& scale, const Tensor* zp) {
    const Shape& s = scale.shape();
    if (zp)
        KILN_CHECK(zp->shape() == s || (zp->element_count() == 1 && scale.element_count() == 1), InvalidArgument,
                   node.describe(), ": scale ", shape_to_string(s), " and zero point ", shape_to_string(zp->shape()),
                   " must have the same shape");
    ParamLayout p;
    p.outer = shape_element_count(x);
    if (scale.element_count() == 1) return p;
    int64_t rank = static_cast<int64_t>(x.size());
    KILN_CHECK(rank >= 1, InvalidArgument, node.describe(), ": scale ", shape_to_string(s),
               " needs an input of rank >= 1");
    int64_t axis = node.attr_int("axis", 1);
    KILN_CHECK(axis >= -rank && axis < rank, InvalidArgument, node.describe(), ": axis ", axis,
               " out of range for rank ", rank);
    if (axis < 0) axis += rank;
    int64_t block = node.attr_int("block_size", 0);
    p.outer = 1;
    p.inner = 1;
    for (int64_t d = 0; d < axis; ++d) p.outer *= x[d];
    for (int64_t d = axis + 1; d < rank; ++d) p.inner *= x[d];
    p.axis_len = x[axis];
    if (block <= 0) {
        KILN_CHECK(s.size() == 1 && s[0] == x[axis], InvalidArgument, node.describe(), ": per-axis scale ",
                   shape_to_string(s), " does not match axis ", axis, " of input ", shape_to_string(x));
        p.mode = ParamLayout::Mode::Axis;
        return p;
    }
    bool fits = static_cast<int64_t>(s.size()) == rank;
    for (int64_t d = 0; fits && d < rank; ++d) fits = s[d] == (d == axis ? (x[d] + block - 1) / block : x[d]);
    KILN_CHECK(fits, InvalidArgument, node.describe(), ": blocked scale ", shape_to_string(s), " does not fit input ",
               shape_to_string(x), " with axis ", axis, " and block_size ", block);
    p.mode = ParamLayout::Mode::Blocked;
    p.block = block;
    p.blocks = s[axis];
    return p;
}

// Runs fn(x_index, param_index) over every element, in parallel over (outer, axis) rows.
template <typename Fn>
void for_each_param(const ParamLayout& p, int threads, Fn&& fn) {
    parallel_for(
        p.outer * p.axis_len, threads,
        [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                int64_t o = r / p.axis_len;
                int64_t a = r % p.axis_len;
                for (int64_t i = 0; i < p.inner; ++i) fn(r * p.inner + i, p.index(o, a, i));
            }
        },
        p.inner * 4);
}

class QuantizeLinearKernel final : public Kernel {
  public:
    explicit QuantizeLinearKernel(const ir::Node& node)
        : saturate_(node.attr_int("saturate", 1) != 0), precision_(static_cast<DType>(node.attr_int("precision", 0))) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& x = *ctx.input(0);
        const Tensor& scale = *ctx.input(1);
        const Tensor* zp = ctx.input(2);
        Tensor& y = *ctx.output(0);
        ParamLayout p = param_layout(node, x.shape(), scale, zp);
        std::vector<double> xv = to_doubles(node, x, "x");
        std::vector<double> sv = to_doubles(node, scale, "y_scale");
        std::vector<float> zv = zp ? to_floats(node, *zp, "y_zero_point") : std::vector<float>(sv.size(), 0.0f);
        DType precision = precision_ != DType::Undefined ? precision_ : scale.dtype();
        auto divide = [&](int64_t i, int64_t k) { return round_to_precision(xv[i] / sv[k], precision); };
        int64_t lo, hi;
        if (integer_range(y.dtype(), lo, hi)) {
            std::vector<int64_t> out(static_cast<size_t>(x.element_count()));
            for_each_param(p, ctx.threads, [&](int64_t i, int64_t k) {
                double q = std::nearbyint(divide(i, k));  // ties to even in the default rounding mode
                if (std::isnan(q)) q = 0;
                q = std::clamp(q, -1e15, 1e15) + static_cast<double>(zv[k]);
                out[i] = static_cast<int64_t>(std::clamp(q, static_cast<double>(lo), static_cast<double>(hi)));
            });
            store_ints(out.data(), y);
        } else if (is_float8(y.dtype())) {
            F8Format f = f8_format(y.dtype());
            uint8_t* out = static_cast<uint8_t*>(y.raw_data());
            for_each_param(p, ctx.threads, [&](int64_t i, int64_t k) {
                out[i] = float_to_f8(static_cast<float>(divide(i, k) + zv[k]), f, saturate_);
            });
        } else if (y.dtype() == DType::Float4E2M1) {
            std::vector<uint8_t> bits(static_cast<size_t>(x.element_count()));
            for_each_param(p, ctx.threads, [&](int64_t i, int64_t k) {
                bits[i] = float_to_f4(static_cast<float>(divide(i, k) + zv[k]));
            });
            pack_bits(bits.data(), x.element_count(), 4, y.raw_data());
        } else {
            fail(ErrorCode::NotImplemented, node.describe(), ": output type ", dtype_name(y.dtype()),
                 " is not supported");
        }
    }

  private:
    bool saturate_;
    DType precision_;
};

class DequantizeLinearKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& x = *ctx.input(0);
        const Tensor& scale = *ctx.input(1);
        const Tensor* zp = ctx.input(2);
        Tensor& y = *ctx.output(0);
        ParamLayout p = param_layout(node, x.shape(), scale, zp);
        std::vector<float> xv = to_floats(node, x, "x");
        std::vector<float> sv = to_floats(node, scale, "x_scale");
        std::vector<float> zv = zp ? to_floats(node, *zp, "x_zero_point") : std::vector<float>(sv.size(), 0.0f);
        std::vector<float> out(xv.size());
        for_each_param(p, ctx.threads, [&](int64_t i, int64_t k) { out[i] = (xv[i] - zv[k]) * sv[k]; });
        store_floats(node, out.data(), y);
    }
};

class DynamicQuantizeLinearKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& x = *ctx.input(0);
        KILN_CHECK(x.dtype() == DType::Float, NotImplemented, node.describe(), ": x of type ", dtype_name(x.dtype()),
                   " is not supported");
        const float* xv = x.data<float>();
        int64_t n = x.element_count();
        float maxx = 0, minx = 0;
        for (int64_t i = 0; i < n; ++i) {
            maxx = std::max(maxx, xv[i]);
            minx = std::min(minx, xv[i]);
        }
        float scale = (maxx == minx ? 1.0f : maxx - minx) / 255.0f;
        float zp = std::nearbyint(std::clamp(0.0f - minx / scale, 0.0f, 255.0f));
        uint8_t* y = ctx.output(0)->data<uint8_t>();
        parallel_for(n, ctx.threads, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                float q = std::nearbyint(xv[i] / scale) + zp;
                y[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, 255.0f));
            }
        });
        if (Tensor* s = ctx.output(1)) s->data<float>()[0] = scale;
        if (Tensor* z = ctx.output(2)) z->data<uint8_t>()[0] = static_cast<uint8_t>(zp);
    }
};

class BitwiseNotKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        dispatch_dtype<kIntTypes>(x.dtype(), ctx.node, [&](auto traits) {
            using T = typename decltype(traits)::Storage;
            const T* in = x.data<T>();
            T* out = y.data<T>();
            parallel_for(x.element_count(), ctx.threads, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) out[i] = static_cast<T>(~in[i]);
            });
        });
    }
};

}  // namespace

std::unique_ptr<Kernel> create_quantize_linear(const ir::Node& node) {
    return std::make_unique<QuantizeLinearKernel>(node);
}
std::unique_ptr<Kernel> create_dequantize_linear(const ir::Node&) { return std::make_unique<DequantizeLinearKernel>(); }
std::unique_ptr<Kernel> create_dynamic_quantize_linear(const ir::Node&) {
    return std::make_unique<DynamicQuantizeLinearKernel>();
}
std::unique_ptr<Kernel> create_bitwise_not(const ir::Node&) { return std::make_unique<BitwiseNotKernel>(); }

}  // namespace quant

std::unique_ptr<Kernel> create_Quant(const ir::Node& node) {
    switch (node.op) {
        case OpKind::QuantizeLinear:
            return quant::create_quantize_linear(node);
        case OpKind::DequantizeLinear:
            return quant::create_dequantize_linear(node);
        case OpKind::DynamicQuantizeLinear:
            return quant::create_dynamic_quantize_linear(node);
        case OpKind::BitwiseNot:
            return quant::create_bitwise_not(node);
        case OpKind::MatMulInteger:
            return quant::create_matmul_integer(node);
        case OpKind::QLinearMatMul:
            return quant::create_qlinear_matmul(node);
        case OpKind::ConvInteger:
            return quant::create_conv_integer(node);
        case OpKind::QLinearConv:
            return quant::create_qlinear_conv(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Quant-family op");
    }
}

}  // namespace kiln::cpu
