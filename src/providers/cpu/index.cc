// CPU kernels of the Index family (see op_list.inc). This file: the family's dispatch and Compress, CumProd,
// CumSum, GatherND, NonZero, OneHot, ReverseSequence. Scatters live in index_scatter.cc, TopK and Unique in
// index_sort.cc.
#include <algorithm>
#include <cmath>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/index_kernels.h"

namespace kiln::cpu {
namespace index {

std::vector<int64_t> index_values(const ir::Node& node, const Tensor& t, const char* what) {
    KILN_CHECK(t.dtype() == DType::Int64 || t.dtype() == DType::Int32, InvalidArgument, node.describe(), ": ", what,
               " must be int32 or int64, got ", dtype_name(t.dtype()));
    return ops::tensor_to_int64s(t);
}

void copy_tensor_data(const ir::Node& node, const Tensor& in, Tensor& out) {
    KILN_CHECK(in.dtype() == out.dtype() && in.element_count() == out.element_count(), Internal, node.describe(),
               ": copy between mismatched tensors");
    if (in.raw_data() == out.raw_data()) return;
    dispatch_by_size(node, in.dtype(), [&](auto tag) {
        using T = decltype(tag);
        copy_elements(in.data<T>(), in.element_count(), out.data<T>());
    });
}

namespace {

// Compress: keeps the slices along `axis` (or the elements of the flattened input) whose condition is true.
class CompressKernel final : public Kernel {
  public:
    explicit CompressKernel(const ir::Node& node)
        : has_axis_(node.has_attribute("axis")), axis_(node.attr_int("axis", 0)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        const Tensor& cond = *ctx.input(1);
        Tensor& out = *ctx.output(0);
        int64_t outer = 1, dim = x.element_count(), inner = 1;
        if (has_axis_) {
            size_t axis = static_cast<size_t>(ops::normalize_axis(ctx.node, axis_, static_cast<int64_t>(x.rank())));
            outer = dims_product(x.shape(), 0, axis);
            dim = x.shape()[axis];
            inner = dims_product(x.shape(), axis + 1, x.rank());
        }
        std::vector<int64_t> c = ops::tensor_to_int64s(cond);
        std::vector<int64_t> keep;
        for (size_t i = 0; i < c.size(); ++i) {
            if (!c[i]) continue;
            KILN_CHECK(static_cast<int64_t>(i) < dim, InvalidArgument, ctx.node.describe(),
                       ": condition is true at position ", i, " beyond the axis length ", dim);
            keep.push_back(static_cast<int64_t>(i));
        }
        int64_t m = static_cast<int64_t>(keep.size());
        KILN_CHECK(out.element_count() == outer * m * inner, Internal, ctx.node.describe(),
                   ": output size does not match the condition");
        dispatch_by_size(ctx.node, x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = x.data<T>();
            T* dst = out.data<T>();
            for (int64_t o = 0; o < outer; ++o) {
                for (int64_t j = 0; j < m; ++j) {
                    copy_elements(src + (o * dim + keep[j]) * inner, inner, dst + (o * m + j) * inner);
                }
            }
        });
    }

  private:
    bool has_axis_;
    int64_t axis_;
};

// CumSum / CumProd along the axis given by input 1, optionally exclusive and/or reversed.
class CumulativeKernel final : public Kernel {
  public:
    explicit CumulativeKernel(const ir::Node& node)
        : product_(node.op == OpKind::CumProd),
          exclusive_(node.attr_int("exclusive", 0) != 0),
          reverse_(node.attr_int("reverse", 0) != 0) {
        if (const ir::Value* x = node.input(0)) check_dtype(node, x->type.dtype, kNumericTypes);
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        const Tensor& axis_t = *ctx.input(1);
        std::vector<int64_t> av = index_values(ctx.node, axis_t, "axis");
        KILN_CHECK(av.size() == 1, InvalidArgument, ctx.node.describe(), ": axis must be a scalar");
        int64_t r = static_cast<int64_t>(x.rank());
        KILN_CHECK(r >= 1, InvalidArgument, ctx.node.describe(), ": x must have rank >= 1");
        size_t axis = static_cast<size_t>(ops::normalize_axis(ctx.node, av[0], r));
        int64_t outer = dims_product(x.shape(), 0, axis), n = x.shape()[axis];
        int64_t inner = dims_product(x.shape(), axis + 1, x.rank());
        if (x.element_count() == 0) return;
        dispatch_dtype<kNumericTypes>(x.dtype(), ctx.node, [&](auto traits) {
            using Tr = decltype(traits);
            using S = typename Tr::Storage;
            using C = typename Tr::Compute;
            const S* src = x.data<S>();
            S* dst = y.data<S>();
            parallel_for(
                outer, ctx.threads,
                [&](int64_t begin, int64_t end) {
                    std::vector<C> acc(inner);
                    for (int64_t o = begin; o < end; ++o) {
                        std::fill(acc.begin(), acc.end(), product_ ? C(1) : C(0));
                        for (int64_t s = 0; s < n; ++s) {
                            int64_t j = reverse_ ? n - 1 - s : s;
                            const S* in = src + (o * n + j) * inner;
                            S* out = dst + (o * n + j) * inner;
                            for (int64_t i = 0; i < inner; ++i) {
                                C v = Tr::load(in[i]);
                                if (exclusive_) out[i] = Tr::store(acc[i]);
                                acc[i] = product_ ? static_cast<C>(acc[i] * v) : static_cast<C>(acc[i] + v);
                                if (!exclusive_) out[i] = Tr::store(acc[i]);
                            }
                        }
                    }
                },
                n * inner);
        });
    }

  private:
    bool product_, exclusive_, reverse_;
};

// GatherND with batch_dims b: output[batch, l, ...] = data[batch, indices[batch, l, :], ...].
class GatherNDKernel final : public Kernel {
  public:
    explicit GatherNDKernel(const ir::Node& node) : batch_dims_(node.attr_int("batch_dims", 0)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& data = *ctx.input(0);
        const Tensor& indices = *ctx.input(1);
        Tensor& out = *ctx.output(0);
        const Shape& ds = data.shape();
        const Shape& is = indices.shape();
        size_t b = static_cast<size_t>(batch_dims_);
        size_t m = static_cast<size_t>(is.back());
        int64_t batches = dims_product(ds, 0, b);
        int64_t per_batch = dims_product(ds, b, ds.size());
        int64_t slice = dims_product(ds, b + m, ds.size());
        int64_t lookups = dims_product(is, b, is.size() - 1);  // index tuples per batch
        std::vector<int64_t> idx = index_values(ctx.node, indices, "indices");
        std::vector<int64_t> offsets(batches * lookups);
        for (int64_t n = 0; n < batches; ++n) {
            for (int64_t l = 0; l < lookups; ++l) {
                const int64_t* tuple = idx.data() + (n * lookups + l) * static_cast<int64_t>(m);
                int64_t off = 0;
                for (size_t k = 0; k < m; ++k) {
                    int64_t dim = ds[b + k], v = tuple[k];
                    KILN_CHECK(v >= -dim && v < dim, InvalidArgument, ctx.node.describe(), ": index ", v,
                               " is out of range for data dim ", b + k, " of size ", dim);
                    off = off * dim + (v < 0 ? v + dim : v);
                }
                offsets[n * lookups + l] = n * per_batch + off * slice;
            }
        }
        if (out.element_count() == 0) return;
        dispatch_by_size(ctx.node, data.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = data.data<T>();
            T* dst = out.data<T>();
            parallel_for(
                static_cast<int64_t>(offsets.size()), ctx.threads,
                [&](int64_t begin, int64_t end) {
                    for (int64_t t = begin; t < end; ++t) copy_elements(src + offsets[t], slice, dst + t * slice);
                },
                slice);
        });
    }

  private:
    int64_t batch_dims_;
};

// NonZero: [rank, nnz] int64 coordinates of the nonzero elements in row-major order (a scalar counts as rank 1).
class NonZeroKernel final : public Kernel {
  public:
    explicit NonZeroKernel(const ir::Node& node) {
        if (const ir::Value* x = node.input(0))
            check_dtype(node, x->type.dtype, kNumericTypes | kBoolType | dtype_bit(DType::String));
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        int64_t n = x.element_count();
        std::vector<uint8_t> nonzero(n);
        if (x.dtype() == DType::String) {
            for (int64_t i = 0; i < n; ++i) nonzero[i] = !x.data<std::string>()[i].empty();
        } else if (dtype_is_float(x.dtype())) {
            std::vector<double> v = ops::tensor_to_doubles(x);
            for (int64_t i = 0; i < n; ++i) nonzero[i] = v[i] != 0;
        } else if (dtype_is_integer(x.dtype()) || x.dtype() == DType::Bool) {
            std::vector<int64_t> v = ops::tensor_to_int64s(x);
            for (int64_t i = 0; i < n; ++i) nonzero[i] = v[i] != 0;
        } else {
            fail(ErrorCode::NotImplemented, ctx.node.describe(), ": dtype ", dtype_name(x.dtype()),
                 " is not supported");
        }
        int64_t nnz = 0;
        for (uint8_t f : nonzero) nnz += f;
        Shape shape = x.shape().empty() ? Shape{1} : x.shape();
        int64_t r = static_cast<int64_t>(shape.size());
        KILN_CHECK(out.element_count() == r * nnz, Internal, ctx.node.describe(), ": output size mismatch");
        int64_t* dst = out.data<int64_t>();
        int64_t col = 0;
        for (int64_t i = 0; i < n; ++i) {
            if (!nonzero[i]) continue;
            int64_t rem = i;
            for (int64_t d = r - 1; d >= 0; --d) {
                dst[d * nnz + col] = rem % shape[d];
                rem /= shape[d];
            }
            ++col;
        }
    }
};

// OneHot: output[..., j, ...] = on_value where j == indices[...] (negative indices wrap once), else off_value.
class OneHotKernel final : public Kernel {
  public:
    explicit OneHotKernel(const ir::Node& node) : axis_(node.attr_int("axis", -1)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& indices = *ctx.input(0);
        const Tensor& values = *ctx.input(2);
        Tensor& out = *ctx.output(0);
        KILN_CHECK(values.element_count() == 2, InvalidArgument, ctx.node.describe(),
                   ": values must hold [off_value, on_value], got shape ", shape_to_string(values.shape()));
        int64_t r = static_cast<int64_t>(indices.rank());
        int64_t axis = axis_ < 0 ? axis_ + r + 1 : axis_;
        int64_t depth = out.shape()[axis];
        int64_t outer = dims_product(indices.shape(), 0, axis);
        int64_t inner = dims_product(indices.shape(), axis, indices.rank());
        std::vector<int64_t> idx;
        if (dtype_is_float(indices.dtype())) {
            for (double d : ops::tensor_to_doubles(indices)) idx.push_back(std::isfinite(d) ? int64_t(d) : depth);
        } else {
            KILN_CHECK(dtype_is_integer(indices.dtype()), NotImplemented, ctx.node.describe(), ": indices dtype ",
                       dtype_name(indices.dtype()), " is not supported");
            idx = ops::tensor_to_int64s(indices);
        }
        dispatch_by_size(ctx.node, values.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T off = values.data<T>()[0], on = values.data<T>()[1];
            T* dst = out.data<T>();
            std::fill(dst, dst + out.element_count(), off);
            for (int64_t o = 0; o < outer; ++o) {
                for (int64_t i = 0; i < inner; ++i) {
                    int64_t v = idx[o * inner + i];
                    if (v < 0) v += depth;
                    if (v < 0 || v >= depth) continue;  // out of range: all off_value
                    dst[(o * depth + v) * inner + i] = on;
                }
            }
        });
    }

  private:
    int64_t axis_;
};

// ReverseSequence: reverses the first sequence_lens[b] steps along time_axis of every batch entry b.
class ReverseSequenceKernel final : public Kernel {
  public:
    explicit ReverseSequenceKernel(const ir::Node& node)
        : batch_axis_(node.attr_int("batch_axis", 1)), time_axis_(node.attr_int("time_axis", 0)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        std::vector<int64_t> lens = index_values(ctx.node, *ctx.input(1), "sequence_lens");
        int64_t batch = x.shape()[batch_axis_], steps = x.shape()[time_axis_];
        KILN_CHECK(static_cast<int64_t>(lens.size()) == batch, InvalidArgument, ctx.node.describe(),
                   ": sequence_lens has ", lens.size(), " entries for a batch of ", batch);
        for (int64_t len : lens) {
            KILN_CHECK(len >= 0 && len <= steps, InvalidArgument, ctx.node.describe(), ": sequence length ", len,
                       " is out of range [0, ", steps, "]");
        }
        int64_t inner = dims_product(x.shape(), 2, x.rank());
        auto offset = [&](int64_t b, int64_t t) { return (batch_axis_ == 0 ? b * steps + t : t * batch + b) * inner; };
        dispatch_by_size(ctx.node, x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = x.data<T>();
            T* dst = out.data<T>();
            for (int64_t b = 0; b < batch; ++b) {
                for (int64_t t = 0; t < steps; ++t) {
                    int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
                    copy_elements(src + offset(b, from), inner, dst + offset(b, t));
                }
            }
        });
    }

  private:
    int64_t batch_axis_, time_axis_;
};

}  // namespace
}  // namespace index

std::unique_ptr<Kernel> create_Index(const ir::Node& node) {
    using namespace index;
    switch (node.op) {
        case OpKind::Compress:
            return std::make_unique<CompressKernel>(node);
        case OpKind::CumProd:
        case OpKind::CumSum:
            return std::make_unique<CumulativeKernel>(node);
        case OpKind::GatherND:
            return std::make_unique<GatherNDKernel>(node);
        case OpKind::NonZero:
            return std::make_unique<NonZeroKernel>(node);
        case OpKind::OneHot:
            return std::make_unique<OneHotKernel>(node);
        case OpKind::ReverseSequence:
            return std::make_unique<ReverseSequenceKernel>(node);
        case OpKind::ScatterElements:
        case OpKind::ScatterND:
        case OpKind::TensorScatter:
            return create_scatter(node);
        case OpKind::TopK:
        case OpKind::Unique:
            return create_sort(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not an Index-family op");
    }
}

}  // namespace kiln::cpu
