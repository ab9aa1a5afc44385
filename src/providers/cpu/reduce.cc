// CPU kernels of the Reduce family (see op_list.inc). The input shape is collapsed into runs of kept and reduced
// dims; three strategies cover the layouts:
//   rows    [outer, red]         contiguous reduction per output (LayerNorm's ReduceMean over the last axis),
//                                 16 independent accumulators so the loop vectorises;
//   columns [outer, red, inner]  accumulate whole rows of `inner` outputs at once (reduce over a leading axis);
//   general                      any other axis set, through a precomputed list of reduced-element offsets.
// Sums accumulate in float for float/float16/bfloat16, double for double, int64/uint64 for integers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

enum class ReduceOp { L1, L2, LogSum, LogSumExp, Max, Mean, Min, Prod, Sum, SumSquare };

template <typename C>
struct AccumulatorOf {
    using type =
        std::conditional_t<std::is_floating_point_v<C>, C, std::conditional_t<std::is_signed_v<C>, int64_t, uint64_t>>;
};

// init / map / combine / finalize of one reduction, accumulating in A. Tr: the dtype traits.
template <ReduceOp kOp, typename Tr>
struct Reducer {
    using C = typename Tr::Compute;
    using A = typename AccumulatorOf<C>::type;

    static A init() {
        if constexpr (kOp == ReduceOp::Prod) {
            return A(1);
        } else if constexpr (kOp == ReduceOp::Max) {
            if constexpr (std::is_floating_point_v<A>) {
                return -std::numeric_limits<A>::infinity();
            } else {
                return static_cast<A>(std::numeric_limits<C>::lowest());
            }
        } else if constexpr (kOp == ReduceOp::Min) {
            if constexpr (std::is_floating_point_v<A>) {
                return std::numeric_limits<A>::infinity();
            } else if constexpr (Tr::kDType == DType::Bool) {
                return A(1);
            } else {
                return static_cast<A>(std::numeric_limits<C>::max());
            }
        } else {
            return A(0);
        }
    }
    static A map(A v) {
        if constexpr (kOp == ReduceOp::L1) {
            if constexpr (std::is_unsigned_v<A>) {
                return v;
            } else {
                return v < A(0) ? A(0) - v : v;
            }
        } else if constexpr (kOp == ReduceOp::L2 || kOp == ReduceOp::SumSquare) {
            return v * v;
        } else {
            return v;
        }
    }
    static A combine(A acc, A v) {
        if constexpr (kOp == ReduceOp::Max) {
            return (v > acc || v != v) ? v : acc;
        } else if constexpr (kOp == ReduceOp::Min) {
            return (v < acc || v != v) ? v : acc;
        } else if constexpr (kOp == ReduceOp::Prod) {
            return acc * v;
        } else {
            return acc + v;
        }
    }
    // An integer output saturates (log 0 = -inf, a NaN from a negative sum gives 0) instead of an undefined cast.
    static C from_double(double v) {
        if constexpr (std::is_integral_v<C>) {
            if (v != v) return C(0);
            if (v <= static_cast<double>(std::numeric_limits<C>::lowest())) return std::numeric_limits<C>::lowest();
            if (v >= static_cast<double>(std::numeric_limits<C>::max())) return std::numeric_limits<C>::max();
        }
        return static_cast<C>(v);
    }
    static C finalize(A acc, int64_t count) {
        if constexpr (kOp == ReduceOp::Mean) {
            if constexpr (std::is_floating_point_v<A>) {
                return static_cast<C>(acc / static_cast<A>(count));
            } else {
                return count == 0 ? C(0) : static_cast<C>(acc / static_cast<A>(count));
            }
        } else if constexpr (kOp == ReduceOp::L2) {
            return from_double(std::sqrt(static_cast<double>(acc)));
        } else if constexpr (kOp == ReduceOp::LogSum) {
            return from_double(std::log(static_cast<double>(acc)));
        } else {
            return static_cast<C>(acc);
        }
    }
};

// Reduction of n contiguous elements with 16 independent lanes (vectorisable without reassociation).
template <typename R, typename Tr>
typename R::A reduce_contiguous(const typename Tr::Storage* x, int64_t n) {
    using A = typename R::A;
    constexpr int kLanes = 16;
    A lanes[kLanes];
    for (int j = 0; j < kLanes; ++j) lanes[j] = R::init();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (int j = 0; j < kLanes; ++j) lanes[j] = R::combine(lanes[j], R::map(static_cast<A>(Tr::load(x[i + j]))));
    }
    A acc = R::init();
    for (int j = 0; j < kLanes; ++j) acc = R::combine(acc, lanes[j]);
    for (; i < n; ++i) acc = R::combine(acc, R::map(static_cast<A>(Tr::load(x[i]))));
    return acc;
}

// Where the reduction reads the input, in collapsed form.
struct ReduceLayout {
    int64_t outputs = 1;  // output elements
    int64_t count = 1;    // reduced elements per output
    enum class Kind { Rows, Columns, General } kind = Kind::General;
    int64_t outer = 1, inner = 1;  // Rows: [outer, count]; Columns: [outer, count, inner]
    std::vector<int64_t> base;     // General: input offset of each output's first element
    std::vector<int64_t> offsets;  // General: offsets of the reduced elements relative to base
};

ReduceLayout make_layout(const Shape& shape, const std::vector<bool>& reduced) {
    ReduceLayout layout;
    // Collapse into runs of (size, reduced), dropping size-1 dims.
    std::vector<int64_t> sizes;
    std::vector<bool> kinds;
    for (size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == 1) continue;
        if (!sizes.empty() && kinds.back() == reduced[d]) {
            sizes.back() *= shape[d];
        } else {
            sizes.push_back(shape[d]);
            kinds.push_back(reduced[d]);
        }
    }
    for (size_t i = 0; i < sizes.size(); ++i) (kinds[i] ? layout.count : layout.outputs) *= sizes[i];
    int reduced_runs = static_cast<int>(std::count(kinds.begin(), kinds.end(), true));
    if (reduced_runs == 0) {
        layout.kind = ReduceLayout::Kind::Rows;
        layout.outer = layout.outputs;
        return layout;
    }
    if (reduced_runs == 1) {
        size_t r = std::find(kinds.begin(), kinds.end(), true) - kinds.begin();
        layout.outer = r == 0 ? 1 : sizes[0];
        if (r + 1 == sizes.size()) {
            layout.kind = ReduceLayout::Kind::Rows;
        } else {
            layout.kind = ReduceLayout::Kind::Columns;
            layout.inner = sizes[r + 1];
        }
        return layout;
    }
    // General: strides of the collapsed dims; offsets of reduced elements; bases of kept positions.
    size_t nd = sizes.size();
    std::vector<int64_t> strides(nd);
    int64_t s = 1;
    for (size_t i = nd; i-- > 0;) {
        strides[i] = s;
        s *= sizes[i];
    }
    auto enumerate = [&](bool want, std::vector<int64_t>& out) {
        out.assign(1, 0);
        for (size_t i = 0; i < nd; ++i) {
            if (kinds[i] != want) continue;
            std::vector<int64_t> next;
            next.reserve(out.size() * sizes[i]);
            for (int64_t o : out) {
                for (int64_t k = 0; k < sizes[i]; ++k) next.push_back(o + k * strides[i]);
            }
            out = std::move(next);
        }
    };
    enumerate(true, layout.offsets);
    enumerate(false, layout.base);
    return layout;
}

template <ReduceOp kOp, typename Tr>
void reduce_typed(const KernelContext& ctx, const ReduceLayout& L, const Tensor& x, Tensor& y) {
    using R = Reducer<kOp, Tr>;
    using S = typename Tr::Storage;
    using A = typename R::A;
    using C = typename Tr::Compute;
    const S* in = x.data<S>();
    S* out = y.data<S>();
    const int64_t count = L.count;
    if (count == 0) {
        S v = Tr::store(kOp == ReduceOp::LogSumExp ? R::finalize(Reducer<ReduceOp::Max, Tr>::init(), 0)
                                                   : R::finalize(R::init(), 0));
        std::fill(out, out + L.outputs, v);
        return;
    }
    if constexpr (kOp == ReduceOp::LogSumExp) {
        // Per output: max over finite values, then log(sum(exp(x - max))) + max, in double for integers.
        using D = std::conditional_t<std::is_floating_point_v<C>, C, double>;
        auto at = [&](int64_t j, int64_t k) -> D {
            switch (L.kind) {
                case ReduceLayout::Kind::Rows:
                    return static_cast<D>(Tr::load(in[j * count + k]));
                case ReduceLayout::Kind::Columns: {
                    int64_t o = j / L.inner, i = j % L.inner;
                    return static_cast<D>(Tr::load(in[(o * count + k) * L.inner + i]));
                }
                default:
                    return static_cast<D>(Tr::load(in[L.base[j] + L.offsets[k]]));
            }
        };
        parallel_for(
            L.outputs, ctx.threads,
            [&](int64_t b, int64_t e) {
                for (int64_t j = b; j < e; ++j) {
                    D m = -std::numeric_limits<D>::infinity();
                    for (int64_t k = 0; k < count; ++k) {
                        D v = at(j, k);
                        if (std::isfinite(v) && v > m) m = v;
                    }
                    if (!std::isfinite(m)) m = 0;
                    D sum = 0;
                    for (int64_t k = 0; k < count; ++k) sum += std::exp(at(j, k) - m);
                    out[j] = Tr::store(static_cast<C>(std::log(sum) + m));
                }
            },
            count * 8);
        return;
    } else {
        switch (L.kind) {
            case ReduceLayout::Kind::Rows:
                parallel_for(
                    L.outer, ctx.threads,
                    [&](int64_t b, int64_t e) {
                        for (int64_t j = b; j < e; ++j) {
                            out[j] = Tr::store(R::finalize(reduce_contiguous<R, Tr>(in + j * count, count), count));
                        }
                    },
                    count);
                return;
            case ReduceLayout::Kind::Columns: {
                constexpr int64_t kBlock = 256;
                const int64_t inner = L.inner;
                const int64_t blocks = (inner + kBlock - 1) / kBlock;
                parallel_for(
                    L.outer * blocks, ctx.threads,
                    [&](int64_t b, int64_t e) {
                        A acc[kBlock];
                        for (int64_t t = b; t < e; ++t) {
                            int64_t o = t / blocks;
                            int64_t i0 = (t % blocks) * kBlock;
                            int64_t w = std::min(kBlock, inner - i0);
                            for (int64_t i = 0; i < w; ++i) acc[i] = R::init();
                            const S* base = in + o * count * inner + i0;
                            for (int64_t k = 0; k < count; ++k) {
                                const S* row = base + k * inner;
                                for (int64_t i = 0; i < w; ++i) {
                                    acc[i] = R::combine(acc[i], R::map(static_cast<A>(Tr::load(row[i]))));
                                }
                            }
                            S* dst = out + o * inner + i0;
                            for (int64_t i = 0; i < w; ++i) dst[i] = Tr::store(R::finalize(acc[i], count));
                        }
                    },
                    count * kBlock);
                return;
            }
            case ReduceLayout::Kind::General:
                parallel_for(
                    L.outputs, ctx.threads,
                    [&](int64_t b, int64_t e) {
                        for (int64_t j = b; j < e; ++j) {
                            const S* p = in + L.base[j];
                            A acc = R::init();
                            for (int64_t k = 0; k < count; ++k) {
                                acc = R::combine(acc, R::map(static_cast<A>(Tr::load(p[L.offsets[k]]))));
                            }
                            out[j] = Tr::store(R::finalize(acc, count));
                        }
                    },
                    count);
                return;
        }
    }
}

ReduceOp reduce_op_of(OpKind op) {
    switch (op) {
        case OpKind::ReduceL1:
            return ReduceOp::L1;
        case OpKind::ReduceL2:
            return ReduceOp::L2;
        case OpKind::ReduceLogSum:
            return ReduceOp::LogSum;
        case OpKind::ReduceLogSumExp:
            return ReduceOp::LogSumExp;
        case OpKind::ReduceMax:
            return ReduceOp::Max;
        case OpKind::ReduceMean:
            return ReduceOp::Mean;
        case OpKind::ReduceMin:
            return ReduceOp::Min;
        case OpKind::ReduceProd:
            return ReduceOp::Prod;
        case OpKind::ReduceSum:
            return ReduceOp::Sum;
        default:
            return ReduceOp::SumSquare;
    }
}

template <ReduceOp kOp>
void reduce_dispatch(const KernelContext& ctx, const ReduceLayout& L, const Tensor& x, Tensor& y) {
    constexpr uint32_t kAllowed =
        (kOp == ReduceOp::Max || kOp == ReduceOp::Min) ? (kNumericTypes | kBoolType) : kNumericTypes;
    dispatch_dtype<kAllowed>(x.dtype(), ctx.node,
                             [&](auto traits) { reduce_typed<kOp, decltype(traits)>(ctx, L, x, y); });
}

class ReduceKernel final : public Kernel {
  public:
    explicit ReduceKernel(const ir::Node& node) : op_(reduce_op_of(node.op)) {
        noop_with_empty_axes_ = node.attr_int("noop_with_empty_axes", 0) != 0;
        const ir::Value* x = node.input(0);
        KILN_CHECK(x != nullptr, InvalidModel, node.describe(), ": input 0 is required");
        bool minmax = op_ == ReduceOp::Max || op_ == ReduceOp::Min;
        check_dtype(node, x->type.dtype, minmax ? (kNumericTypes | kBoolType) : kNumericTypes);
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        std::vector<int64_t> axes;
        if (const Tensor* a = ctx.input(1)) axes = ops::tensor_to_int64s(*a);
        int64_t rank = static_cast<int64_t>(x.rank());
        if (axes.empty() && noop_with_empty_axes_) {
            std::memcpy(y.raw_data(), x.raw_data(), x.byte_size());
            return;
        }
        std::vector<bool> reduced(rank, axes.empty());
        for (int64_t a : axes) {
            if (rank > 0) reduced[ops::normalize_axis(ctx.node, a, rank)] = true;
        }
        ReduceLayout L = make_layout(x.shape(), reduced);
        KILN_CHECK(L.outputs == y.element_count(), Internal, ctx.node.describe(), ": output has ", y.element_count(),
                   " elements, expected ", L.outputs);
        switch (op_) {
#define KILN_REDUCE_CASE(K) \
    case ReduceOp::K:       \
        return reduce_dispatch<ReduceOp::K>(ctx, L, x, y);
            KILN_REDUCE_CASE(L1)
            KILN_REDUCE_CASE(L2)
            KILN_REDUCE_CASE(LogSum)
            KILN_REDUCE_CASE(LogSumExp)
            KILN_REDUCE_CASE(Max)
            KILN_REDUCE_CASE(Mean)
            KILN_REDUCE_CASE(Min)
            KILN_REDUCE_CASE(Prod)
            KILN_REDUCE_CASE(Sum)
            KILN_REDUCE_CASE(SumSquare)
#undef KILN_REDUCE_CASE
        }
    }

  private:
    ReduceOp op_;
    bool noop_with_empty_axes_ = false;
};

// ArgMax / ArgMin over one axis: [outer, count, inner] -> [outer, inner] int64. The first NaN wins (the last with
// select_last_index), as numpy.
class ArgKernel final : public Kernel {
  public:
    explicit ArgKernel(const ir::Node& node)
        : is_max_(node.op == OpKind::ArgMax),
          axis_(node.attr_int("axis", 0)),
          select_last_(node.attr_int("select_last_index", 0) != 0) {
        const ir::Value* x = node.input(0);
        KILN_CHECK(x != nullptr, InvalidModel, node.describe(), ": input 0 is required");
        check_dtype(node, x->type.dtype, kNumericTypes);
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        int64_t rank = static_cast<int64_t>(x.rank());
        int64_t axis = ops::normalize_axis(ctx.node, axis_, rank);
        int64_t outer = 1, inner = 1, count = x.shape()[axis];
        for (int64_t d = 0; d < axis; ++d) outer *= x.shape()[d];
        for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape()[d];
        if (outer * inner == 0) return;
        KILN_CHECK(count > 0, InvalidArgument, ctx.node.describe(), ": cannot reduce over axis ", axis, " of size 0");
        int64_t* out = y.data<int64_t>();
        const bool is_max = is_max_, last = select_last_;
        dispatch_dtype<kNumericTypes>(x.dtype(), ctx.node, [&](auto traits) {
            using Tr = decltype(traits);
            using S = typename Tr::Storage;
            using C = typename Tr::Compute;
            const S* in = x.data<S>();
            parallel_for(
                outer * inner, ctx.threads,
                [&](int64_t b, int64_t e) {
                    for (int64_t j = b; j < e; ++j) {
                        int64_t o = j / inner, i = j % inner;
                        const S* p = in + o * count * inner + i;
                        C best = Tr::load(p[0]);
                        int64_t best_k = 0;
                        for (int64_t k = 1; k < count; ++k) {
                            C v = Tr::load(p[k * inner]);
                            bool better = is_max ? v > best : v < best;
                            if (last && v == best) better = true;
                            if (v != v && (last || best == best)) better = true;
                            if (better) {
                                best = v;
                                best_k = k;
                            }
                        }
                        out[j] = best_k;
                    }
                },
                count);
        });
    }

  private:
    bool is_max_;
    int64_t axis_;
    bool select_last_;
};

}  // namespace

std::unique_ptr<Kernel> create_Reduce(const ir::Node& node) {
    if (node.op == OpKind::ArgMax || node.op == OpKind::ArgMin) return std::make_unique<ArgKernel>(node);
    return std::make_unique<ReduceKernel>(node);
}

}  // namespace kiln::cpu
