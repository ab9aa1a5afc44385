// Index-driven and block copies: Gather, GatherElements, Concat, Split, Trilu.
#include <algorithm>
#include <cstring>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/layout_kernels.h"

namespace kiln::cpu::layout {
namespace {

int64_t product(const Shape& s, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end; ++i) p *= s[i];
    return p;
}

template <typename T>
void copy_block(const T* src, int64_t n, T* dst) {
    if constexpr (std::is_trivially_copyable_v<T>) {
        std::memcpy(dst, src, n * sizeof(T));
    } else {
        std::copy_n(src, n, dst);
    }
}

// Indices as int64, each checked against [-dim, dim) and made non-negative; InvalidArgument naming the node and
// the index otherwise.
std::vector<int64_t> checked_indices(const ir::Node& node, const Tensor& indices, int64_t dim) {
    KILN_CHECK(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32, InvalidArgument, node.describe(),
               ": indices must be int32 or int64, got ", dtype_name(indices.dtype()));
    std::vector<int64_t> idx = ops::tensor_to_int64s(indices);
    for (int64_t& i : idx) {
        KILN_CHECK(i >= -dim && i < dim, InvalidArgument, node.describe(), ": index ", i,
                   " is out of range for an axis of size ", dim);
        if (i < 0) i += dim;
    }
    return idx;
}

class GatherKernel final : public Kernel {
  public:
    explicit GatherKernel(const ir::Node& node) : axis_(node.attr_int("axis", 0)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& data = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        int64_t r = static_cast<int64_t>(data.rank());
        size_t axis = static_cast<size_t>(ops::normalize_axis(ctx.node, axis_, r));
        int64_t dim = data.shape()[axis];
        std::vector<int64_t> idx = checked_indices(ctx.node, *ctx.input(1), dim);
        int64_t outer = product(data.shape(), 0, axis), inner = product(data.shape(), axis + 1, r);
        int64_t m = static_cast<int64_t>(idx.size());
        if (out.element_count() == 0) return;
        dispatch_by_size(ctx.node, data.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = data.data<T>();
            T* dst = out.data<T>();
            parallel_for(
                outer * m, ctx.threads,
                [&](int64_t begin, int64_t end) {
                    for (int64_t t = begin; t < end; ++t) {
                        int64_t o = t / m, j = t % m;
                        copy_block(src + (o * dim + idx[j]) * inner, inner, dst + t * inner);
                    }
                },
                inner);
        });
    }

  private:
    int64_t axis_;
};

class GatherElementsKernel final : public Kernel {
  public:
    explicit GatherElementsKernel(const ir::Node& node) : axis_(node.attr_int("axis", 0)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& data = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        int64_t r = static_cast<int64_t>(data.rank());
        int64_t axis = ops::normalize_axis(ctx.node, axis_, r);
        const Shape& ishape = ctx.input(1)->shape();
        for (int64_t k = 0; k < r; ++k) {
            KILN_CHECK(k == axis || ishape[k] <= data.shape()[k], InvalidArgument, ctx.node.describe(),
                       ": indices shape ", shape_to_string(ishape), " exceeds data shape ",
                       shape_to_string(data.shape()), " outside axis ", axis);
        }
        std::vector<int64_t> idx = checked_indices(ctx.node, *ctx.input(1), data.shape()[axis]);
        std::vector<int64_t> dstrides = contiguous_strides(data.shape());
        int64_t n = out.element_count();
        if (n == 0) return;
        dispatch_by_size(ctx.node, data.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = data.data<T>();
            T* dst = out.data<T>();
            std::vector<int64_t> pos(r, 0);
            int64_t base = 0;  // data offset of pos without the axis coordinate
            for (int64_t i = 0; i < n; ++i) {
                dst[i] = src[base + idx[i] * dstrides[axis]];
                for (int64_t k = r - 1; k >= 0; --k) {
                    if (++pos[k] < ishape[k]) {
                        if (k != axis) base += dstrides[k];
                        break;
                    }
                    if (k != axis) base -= dstrides[k] * (ishape[k] - 1);
                    pos[k] = 0;
                }
            }
        });
    }

  private:
    int64_t axis_;
};

// Concat and Split: rows of `outer` blocks; input/output i owns columns [col_i, col_i + width_i) of each row.
class ConcatSplitKernel final : public Kernel {
  public:
    explicit ConcatSplitKernel(const ir::Node& node) : axis_(node.attr_int("axis", 0)) {}

    void run(KernelContext& ctx) const override {
        bool concat = ctx.node.op == OpKind::Concat;
        const Tensor& whole = concat ? *ctx.output(0) : *ctx.input(0);
        int64_t r = static_cast<int64_t>(whole.rank());
        size_t axis = static_cast<size_t>(ops::normalize_axis(ctx.node, axis_, r));
        int64_t outer = product(whole.shape(), 0, axis), inner = product(whole.shape(), axis + 1, r);
        int64_t row = whole.shape()[axis] * inner;
        std::vector<const Tensor*> parts;
        if (concat) {
            for (const Tensor* t : ctx.inputs) parts.push_back(t);
        } else {
            for (const Tensor* t : ctx.outputs) parts.push_back(t);
        }
        std::vector<int64_t> cols, widths;
        int64_t col = 0;
        for (const Tensor* t : parts) {
            int64_t w = t ? t->shape()[axis] * inner : 0;
            cols.push_back(col);
            widths.push_back(w);
            col += w;
        }
        if (whole.element_count() == 0) return;
        dispatch_by_size(ctx.node, whole.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* base = const_cast<T*>(whole.data<T>());
            parallel_for(
                outer, ctx.threads,
                [&](int64_t begin, int64_t end) {
                    for (int64_t o = begin; o < end; ++o) {
                        for (size_t i = 0; i < parts.size(); ++i) {
                            if (widths[i] == 0) continue;
                            T* part = const_cast<T*>(parts[i]->data<T>()) + o * widths[i];
                            T* in_whole = base + o * row + cols[i];
                            if (concat) {
                                copy_block(part, widths[i], in_whole);
                            } else {
                                copy_block(in_whole, widths[i], part);
                            }
                        }
                    }
                },
                row);
        });
    }

  private:
    int64_t axis_;
};

class TriluKernel final : public Kernel {
  public:
    explicit TriluKernel(const ir::Node& node) : upper_(node.attr_int("upper", 1) != 0) {}

    void run(KernelContext& ctx) const override {
        const Tensor& in = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        int64_t k = 0;
        if (const Tensor* kt = ctx.input(1)) {
            KILN_CHECK(kt->element_count() == 1, InvalidArgument, ctx.node.describe(), ": k must be a scalar");
            k = ops::tensor_to_int64s(*kt)[0];
        }
        size_t r = in.rank();
        int64_t rows = in.shape()[r - 2], cols = in.shape()[r - 1];
        int64_t batch = product(in.shape(), 0, r - 2);
        if (in.element_count() == 0) return;
        dispatch_by_size(ctx.node, in.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = in.data<T>();
            T* dst = out.data<T>();
            for (int64_t b = 0; b < batch; ++b) {
                for (int64_t i = 0; i < rows; ++i) {
                    const T* s = src + (b * rows + i) * cols;
                    T* d = dst + (b * rows + i) * cols;
                    for (int64_t j = 0; j < cols; ++j) {
                        bool keep = upper_ ? j - i >= k : j - i <= k;
                        d[j] = keep ? s[j] : T{};
                    }
                }
            }
        });
    }

  private:
    bool upper_;
};

}  // namespace

std::unique_ptr<Kernel> create_gather(const ir::Node& node) {
    switch (node.op) {
        case OpKind::Gather:
            return std::make_unique<GatherKernel>(node);
        case OpKind::GatherElements:
            return std::make_unique<GatherElementsKernel>(node);
        case OpKind::Concat:
        case OpKind::Split:
            return std::make_unique<ConcatSplitKernel>(node);
        case OpKind::Trilu:
            return std::make_unique<TriluKernel>(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a gather op");
    }
}

}  // namespace kiln::cpu::layout
