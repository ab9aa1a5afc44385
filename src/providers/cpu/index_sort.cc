// CPU kernels of the Index family that sort: TopK (k largest or smallest along an axis, always returned sorted;
// equal values keep the lower index first, NaN counts as larger than every number, as the ONNX reference) and
// Unique (grouping shared with the shape function, see ops::unique_groups).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/index_kernels.h"

namespace kiln::cpu::index {
namespace {

// a < b in the order where NaN is above every number (and equal to NaN).
template <typename C>
bool nan_last_less(C a, C b) {
    if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(b)) return !std::isnan(a);
        if (std::isnan(a)) return false;
    }
    return a < b;
}

class TopKKernel final : public Kernel {
  public:
    explicit TopKKernel(const ir::Node& node)
        : axis_(node.attr_int("axis", -1)), largest_(node.attr_int("largest", 1) != 0) {
        if (const ir::Value* x = node.input(0)) check_dtype(node, x->type.dtype, kNumericTypes);
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& values = *ctx.output(0);
        Tensor* indices = ctx.output(1);
        size_t axis = static_cast<size_t>(ops::normalize_axis(ctx.node, axis_, static_cast<int64_t>(x.rank())));
        int64_t n = x.shape()[axis], k = values.shape()[axis];
        KILN_CHECK(k >= 0 && k <= n, InvalidArgument, ctx.node.describe(), ": K ", k,
                   " is out of range for an axis of size ", n);
        int64_t outer = dims_product(x.shape(), 0, axis), inner = dims_product(x.shape(), axis + 1, x.rank());
        if (values.element_count() == 0) return;
        bool largest = largest_;
        dispatch_dtype<kNumericTypes>(x.dtype(), ctx.node, [&](auto traits) {
            using Tr = decltype(traits);
            using S = typename Tr::Storage;
            using C = typename Tr::Compute;
            const S* src = x.data<S>();
            S* vdst = values.data<S>();
            int64_t* idst = indices ? indices->data<int64_t>() : nullptr;
            parallel_for(
                outer * inner, ctx.threads,
                [&](int64_t begin, int64_t end) {
                    std::vector<C> v(n);
                    std::vector<int64_t> order(n);
                    for (int64_t line = begin; line < end; ++line) {
                        int64_t o = line / inner, i = line % inner;
                        const S* in = src + o * n * inner + i;
                        for (int64_t j = 0; j < n; ++j) v[j] = Tr::load(in[j * inner]);
                        std::iota(order.begin(), order.end(), int64_t{0});
                        auto better = [&](int64_t a, int64_t b) {
                            bool lt = largest ? nan_last_less(v[b], v[a]) : nan_last_less(v[a], v[b]);
                            if (lt) return true;
                            bool gt = largest ? nan_last_less(v[a], v[b]) : nan_last_less(v[b], v[a]);
                            return !gt && a < b;
                        };
                        std::partial_sort(order.begin(), order.begin() + k, order.end(), better);
                        for (int64_t j = 0; j < k; ++j) {
                            int64_t at = (o * k + j) * inner + i;
                            vdst[at] = in[order[j] * inner];
                            if (idst) idst[at] = order[j];
                        }
                    }
                },
                n * 4);
        });
    }

  private:
    int64_t axis_;
    bool largest_;
};

class UniqueKernel final : public Kernel {
  public:
    explicit UniqueKernel(const ir::Node& node)
        : has_axis_(node.has_attribute("axis")),
          axis_(node.attr_int("axis", 0)),
          sorted_(node.attr_int("sorted", 1) != 0) {}

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        int64_t axis = has_axis_ ? ops::normalize_axis(ctx.node, axis_, static_cast<int64_t>(x.rank())) : -1;
        std::vector<int64_t> first, inverse, counts;
        ops::unique_groups(ctx.node, x, axis, sorted_, first, inverse, counts);
        int64_t groups = static_cast<int64_t>(first.size());
        int64_t outer = 1, n = x.element_count(), inner = 1;
        if (axis >= 0) {
            outer = dims_product(x.shape(), 0, axis);
            n = x.shape()[axis];
            inner = dims_product(x.shape(), axis + 1, x.rank());
        }
        KILN_CHECK(y.element_count() == outer * groups * inner, Internal, ctx.node.describe(),
                   ": output Y size does not match the unique count ", groups);
        dispatch_by_size(ctx.node, x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* src = x.data<T>();
            T* dst = y.data<T>();
            for (int64_t o = 0; o < outer; ++o) {
                for (int64_t g = 0; g < groups; ++g) {
                    copy_elements(src + (o * n + first[g]) * inner, inner, dst + (o * groups + g) * inner);
                }
            }
        });
        const std::vector<int64_t>* extra[] = {&first, &inverse, &counts};
        for (size_t i = 0; i < 3; ++i) {
            Tensor* t = ctx.output(i + 1);
            if (!t) continue;
            KILN_CHECK(t->element_count() == static_cast<int64_t>(extra[i]->size()), Internal, ctx.node.describe(),
                       ": output ", i + 1, " size mismatch");
            std::copy(extra[i]->begin(), extra[i]->end(), t->data<int64_t>());
        }
    }

  private:
    bool has_axis_;
    int64_t axis_;
    bool sorted_;
};

}  // namespace

std::unique_ptr<Kernel> create_sort(const ir::Node& node) {
    switch (node.op) {
        case OpKind::TopK:
            return std::make_unique<TopKKernel>(node);
        case OpKind::Unique:
            return std::make_unique<UniqueKernel>(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a sorting op");
    }
}

}  // namespace kiln::cpu::index
