// CPU kernels of the Index family's scatters: ScatterElements and ScatterND (reduction none/add/mul/max/min) and
// TensorScatter (KV-cache update, linear or circular). The output starts as a copy of the data; updates are applied
// in index order, so with duplicate indices and no reduction the last update wins (as the ONNX reference).
#include <algorithm>
#include <cmath>

#include "ops/shape_util.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/index_kernels.h"

namespace kiln::cpu::index {
namespace {

enum class Reduction { None, Add, Mul, Max, Min };

Reduction parse_reduction(const ir::Node& node) {
    std::string r = node.attr_string("reduction", "none");
    if (r == "none") return Reduction::None;
    if (r == "add") return Reduction::Add;
    if (r == "mul") return Reduction::Mul;
    if (r == "max") return Reduction::Max;
    if (r == "min") return Reduction::Min;
    fail(ErrorCode::InvalidModel, node.describe(), ": unknown reduction '", r, "'");
}

// output = data; then for each j: output[offsets[j] .. + slice) (op)= updates[j * slice .. + slice).
void apply_updates(const KernelContext& ctx, Reduction reduction, const std::vector<int64_t>& offsets, int64_t slice) {
    const Tensor& data = *ctx.input(0);
    const Tensor& updates = *ctx.input(2);
    Tensor& out = *ctx.output(0);
    KILN_CHECK(updates.dtype() == data.dtype(), InvalidArgument, ctx.node.describe(), ": updates dtype ",
               dtype_name(updates.dtype()), " differs from data ", dtype_name(data.dtype()));
    copy_tensor_data(ctx.node, data, out);
    int64_t count = static_cast<int64_t>(offsets.size());
    if (reduction == Reduction::None) {
        dispatch_by_size(ctx.node, data.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = updates.data<T>();
            T* dst = out.data<T>();
            for (int64_t j = 0; j < count; ++j) copy_elements(src + j * slice, slice, dst + offsets[j]);
        });
        return;
    }
    dispatch_dtype<kNumericTypes>(data.dtype(), ctx.node, [&](auto traits) {
        using Tr = decltype(traits);
        using S = typename Tr::Storage;
        using C = typename Tr::Compute;
        const S* src = updates.data<S>();
        S* dst = out.data<S>();
        for (int64_t j = 0; j < count; ++j) {
            S* d = dst + offsets[j];
            const S* u = src + j * slice;
            for (int64_t i = 0; i < slice; ++i) {
                C a = Tr::load(d[i]), b = Tr::load(u[i]);
                C v;
                switch (reduction) {
                    case Reduction::Add:
                        v = static_cast<C>(a + b);
                        break;
                    case Reduction::Mul:
                        v = static_cast<C>(a * b);
                        break;
                    case Reduction::Max:
                        v = std::max(a, b);
                        break;
                    default:
                        v = std::min(a, b);
                        break;
                }
                d[i] = Tr::store(v);
            }
        }
    });
}

class ScatterElementsKernel final : public Kernel {
  public:
    explicit ScatterElementsKernel(const ir::Node& node)
        : axis_(node.attr_int("axis", 0)), reduction_(parse_reduction(node)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& data = *ctx.input(0);
        const Tensor& indices = *ctx.input(1);
        const Tensor& updates = *ctx.input(2);
        const Shape& ds = data.shape();
        const Shape& is = indices.shape();
        int64_t r = static_cast<int64_t>(ds.size());
        int64_t axis = ops::normalize_axis(ctx.node, axis_, r);
        KILN_CHECK(static_cast<int64_t>(is.size()) == r && updates.shape() == is, InvalidArgument, ctx.node.describe(),
                   ": indices ", shape_to_string(is), " and updates ", shape_to_string(updates.shape()),
                   " must have one shape of the rank of data ", shape_to_string(ds));
        for (int64_t k = 0; k < r; ++k) {
            KILN_CHECK(k == axis || is[k] <= ds[k], InvalidArgument, ctx.node.describe(), ": indices shape ",
                       shape_to_string(is), " exceeds data shape ", shape_to_string(ds), " outside axis ", axis);
        }
        std::vector<int64_t> idx = index_values(ctx.node, indices, "indices");
        std::vector<int64_t> strides(r, 1);
        for (int64_t k = r - 2; k >= 0; --k) strides[k] = strides[k + 1] * ds[k + 1];
        int64_t dim = ds[axis];
        std::vector<int64_t> offsets(idx.size());
        std::vector<int64_t> pos(r, 0);
        int64_t base = 0;  // data offset of pos without the axis coordinate
        for (size_t i = 0; i < idx.size(); ++i) {
            int64_t v = idx[i];
            KILN_CHECK(v >= -dim && v < dim, InvalidArgument, ctx.node.describe(), ": index ", v,
                       " is out of range for axis ", axis, " of size ", dim);
            offsets[i] = base + (v < 0 ? v + dim : v) * strides[axis];
            for (int64_t k = r - 1; k >= 0; --k) {
                if (++pos[k] < is[k]) {
                    if (k != axis) base += strides[k];
                    break;
                }
                if (k != axis) base -= strides[k] * (is[k] - 1);
                pos[k] = 0;
            }
        }
        apply_updates(ctx, reduction_, offsets, 1);
    }

  private:
    int64_t axis_;
    Reduction reduction_;
};

class ScatterNDKernel final : public Kernel {
  public:
    explicit ScatterNDKernel(const ir::Node& node) : reduction_(parse_reduction(node)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& data = *ctx.input(0);
        const Tensor& indices = *ctx.input(1);
        const Shape& ds = data.shape();
        const Shape& is = indices.shape();
        KILN_CHECK(!ds.empty() && !is.empty(), InvalidArgument, ctx.node.describe(),
                   ": data and indices must have rank >= 1");
        size_t m = static_cast<size_t>(is.back());
        KILN_CHECK(m >= 1 && m <= ds.size(), InvalidArgument, ctx.node.describe(), ": indices' last dim ", m,
                   " must be in [1, ", ds.size(), "]");
        Shape want(is.begin(), is.end() - 1);
        want.insert(want.end(), ds.begin() + m, ds.end());
        KILN_CHECK(ctx.input(2)->shape() == want, InvalidArgument, ctx.node.describe(), ": updates shape ",
                   shape_to_string(ctx.input(2)->shape()), " must be ", shape_to_string(want));
        int64_t slice = dims_product(ds, m, ds.size());
        std::vector<int64_t> idx = index_values(ctx.node, indices, "indices");
        int64_t tuples = dims_product(is, 0, is.size() - 1);
        std::vector<int64_t> offsets(tuples);
        for (int64_t t = 0; t < tuples; ++t) {
            int64_t off = 0;
            for (size_t k = 0; k < m; ++k) {
                int64_t dim = ds[k], v = idx[t * m + k];
                KILN_CHECK(v >= -dim && v < dim, InvalidArgument, ctx.node.describe(), ": index ", v,
                           " is out of range for data dim ", k, " of size ", dim);
                off = off * dim + (v < 0 ? v + dim : v);
            }
            offsets[t] = off * slice;
        }
        apply_updates(ctx, reduction_, offsets, slice);
    }

  private:
    Reduction reduction_;
};

// TensorScatter: present = past; present[p..., w[p0] + s, ...] = update[p..., s, ...] along `axis` for every
// prefix p (p0 the batch index), the cache position taken modulo its length in circular mode.
class TensorScatterKernel final : public Kernel {
  public:
    explicit TensorScatterKernel(const ir::Node& node)
        : axis_(node.attr_int("axis", -2)), circular_(node.attr_string("mode", "linear") == "circular") {}

    void run(KernelContext& ctx) const override {
        const Tensor& past = *ctx.input(0);
        const Tensor& update = *ctx.input(1);
        Tensor& out = *ctx.output(0);
        const Shape& ps = past.shape();
        const Shape& us = update.shape();
        size_t axis = static_cast<size_t>(ops::normalize_axis(ctx.node, axis_, static_cast<int64_t>(ps.size())));
        KILN_CHECK(axis != 0 && us.size() == ps.size() && update.dtype() == past.dtype(), InvalidArgument,
                   ctx.node.describe(), ": update ", shape_to_string(us), " does not fit past_cache ",
                   shape_to_string(ps));
        for (size_t i = 0; i < ps.size(); ++i) {
            KILN_CHECK(i == axis ? us[i] <= ps[i] : us[i] == ps[i], InvalidArgument, ctx.node.describe(), ": update ",
                       shape_to_string(us), " does not fit past_cache ", shape_to_string(ps), " (dim ", i, ")");
        }
        int64_t batch = ps[0];
        std::vector<int64_t> write(batch, 0);
        if (const Tensor* wi = ctx.input(2)) {
            write = index_values(ctx.node, *wi, "write_indices");
            KILN_CHECK(static_cast<int64_t>(write.size()) == batch, InvalidArgument, ctx.node.describe(),
                       ": write_indices has ", write.size(), " entries for a batch of ", batch);
        }
        int64_t max_len = ps[axis], seq = us[axis];
        int64_t prefixes = dims_product(ps, 0, axis);
        int64_t per_batch = prefixes / std::max<int64_t>(batch, 1);
        int64_t inner = dims_product(ps, axis + 1, ps.size());
        for (int64_t b = 0; b < batch; ++b) {
            int64_t w = write[b];
            if (circular_) {
                KILN_CHECK(max_len > 0 || seq == 0, InvalidArgument, ctx.node.describe(),
                           ": circular write into an empty cache");
            } else {
                KILN_CHECK(w >= 0 && w <= max_len - seq, InvalidArgument, ctx.node.describe(), ": write index ", w,
                           " plus ", seq, " updates exceeds the cache length ", max_len, " (batch ", b, ")");
            }
        }
        copy_tensor_data(ctx.node, past, out);
        dispatch_by_size(ctx.node, past.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = update.data<T>();
            T* dst = out.data<T>();
            for (int64_t p = 0; p < prefixes; ++p) {
                int64_t w = write[p / per_batch];
                for (int64_t s = 0; s < seq; ++s) {
                    int64_t pos = circular_ ? ((w % max_len + s) % max_len + max_len) % max_len : w + s;
                    copy_elements(src + (p * seq + s) * inner, inner, dst + (p * max_len + pos) * inner);
                }
            }
        });
    }

  private:
    int64_t axis_;
    bool circular_;
};

}  // namespace

std::unique_ptr<Kernel> create_scatter(const ir::Node& node) {
    switch (node.op) {
        case OpKind::ScatterElements:
            return std::make_unique<ScatterElementsKernel>(node);
        case OpKind::ScatterND:
            return std::make_unique<ScatterNDKernel>(node);
        case OpKind::TensorScatter:
            return std::make_unique<TensorScatterKernel>(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a scatter op");
    }
}

}  // namespace kiln::cpu::index
