// Pad: constant / reflect / edge / wrap, with negative pads (which crop before the mode pads what is left, as
// onnxruntime does). Each axis gets a map from output index to input index (-1: the constant); rows that map to
// -1 on an outer axis are filled whole.
#include <algorithm>
#include <numeric>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/layout_kernels.h"

namespace kiln::cpu::layout {
namespace {

enum class PadMode { Constant, Reflect, Edge, Wrap };

// Source index for output index i on an axis of input size `dim`, padded by `begin`/`end` (either may be negative).
std::vector<int64_t> axis_map(PadMode mode, int64_t dim, int64_t begin, int64_t end, int64_t out_dim) {
    int64_t crop = std::max<int64_t>(-begin, 0);
    int64_t kept = dim - crop - std::max<int64_t>(-end, 0);  // input extent left after cropping
    int64_t lead = std::max<int64_t>(begin, 0);
    std::vector<int64_t> map(out_dim);
    for (int64_t i = 0; i < out_dim; ++i) {
        int64_t j = i - lead;  // in cropped coordinates
        if (j >= 0 && j < kept) {
            map[i] = crop + j;
            continue;
        }
        switch (mode) {
            case PadMode::Constant:
                map[i] = -1;
                break;
            case PadMode::Edge:
                map[i] = crop + std::clamp<int64_t>(j, 0, kept - 1);
                break;
            case PadMode::Wrap:
                map[i] = crop + ((j % kept) + kept) % kept;
                break;
            case PadMode::Reflect: {
                if (kept == 1) {
                    map[i] = crop;
                    break;
                }
                int64_t period = 2 * (kept - 1);
                int64_t m = ((j % period) + period) % period;
                map[i] = crop + (m < kept ? m : period - m);
                break;
            }
        }
    }
    return map;
}

class PadKernel final : public Kernel {
  public:
    explicit PadKernel(const ir::Node& node) {
        std::string mode = node.attr_string("mode", "constant");
        if (mode == "constant")
            mode_ = PadMode::Constant;
        else if (mode == "reflect")
            mode_ = PadMode::Reflect;
        else if (mode == "edge")
            mode_ = PadMode::Edge;
        else if (mode == "wrap")
            mode_ = PadMode::Wrap;
        else
            fail(ErrorCode::InvalidModel, node.describe(), ": unknown mode '", mode, "'");
    }

    void run(KernelContext& ctx) const override {
        const Tensor& in = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        int64_t r = static_cast<int64_t>(in.rank());
        std::vector<int64_t> pads = ops::tensor_to_int64s(*ctx.input(1));
        std::vector<int64_t> axes(r);
        std::iota(axes.begin(), axes.end(), 0);
        if (ctx.input(3)) axes = ops::tensor_to_int64s(*ctx.input(3));
        size_t n = axes.size();
        std::vector<int64_t> begin(r, 0), end(r, 0);
        for (size_t i = 0; i < n; ++i) {
            int64_t a = ops::normalize_axis(ctx.node, axes[i], r);
            begin[a] = pads[i];
            end[a] = pads[n + i];
        }
        if (out.element_count() == 0) return;
        std::vector<std::vector<int64_t>> maps;
        for (int64_t a = 0; a < r; ++a) {
            maps.push_back(axis_map(mode_, in.shape()[a], begin[a], end[a], out.shape()[a]));
        }
        const Tensor* value = ctx.input(2);
        KILN_CHECK(!value || value->element_count() <= 1, InvalidArgument, ctx.node.describe(),
                   ": constant_value must be a scalar");
        if (value && value->element_count() == 0) value = nullptr;
        KILN_CHECK(!value || value->dtype() == in.dtype(), InvalidArgument, ctx.node.describe(),
                   ": constant_value has type ", dtype_name(value ? value->dtype() : in.dtype()), ", data has ",
                   dtype_name(in.dtype()));
        std::vector<int64_t> in_strides = contiguous_strides(in.shape());
        dispatch_by_size(ctx.node, in.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T fill = value ? value->data<T>()[0] : T{};
            const T* src = in.data<T>();
            T* dst = out.data<T>();
            if (r == 0) {
                dst[0] = src[0];
                return;
            }
            int64_t inner = out.shape()[r - 1];
            int64_t rows = out.element_count() / inner;
            const std::vector<int64_t>& last = maps[r - 1];
            parallel_for(
                rows, ctx.threads,
                [&](int64_t b, int64_t e) {
                    for (int64_t row = b; row < e; ++row) {
                        T* d = dst + row * inner;
                        int64_t off = 0, rest = row;
                        bool constant = false;
                        for (int64_t k = r - 2; k >= 0; --k) {
                            int64_t ik = rest % out.shape()[k];
                            rest /= out.shape()[k];
                            int64_t s = maps[k][ik];
                            if (s < 0) constant = true;
                            off += s * in_strides[k];
                        }
                        if (constant) {
                            std::fill_n(d, inner, fill);
                            continue;
                        }
                        const T* s = src + off;
                        for (int64_t j = 0; j < inner; ++j) d[j] = last[j] < 0 ? fill : s[last[j]];
                    }
                },
                inner);
        });
    }

  private:
    PadMode mode_ = PadMode::Constant;
};

}  // namespace

std::unique_ptr<Kernel> create_pad(const ir::Node& node) { return std::make_unique<PadKernel>(node); }

}  // namespace kiln::cpu::layout
