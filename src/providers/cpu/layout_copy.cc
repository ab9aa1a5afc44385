// Strided copies and the kernels built on them: Transpose, Slice, Expand, Tile, DepthToSpace, SpaceToDepth.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/layout_kernels.h"

namespace kiln::cpu::layout {

std::vector<int64_t> contiguous_strides(const Shape& shape) {
    std::vector<int64_t> s(shape.size(), 1);
    for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
    return s;
}

void copy_tensor(const Tensor& in, Tensor& out) {
    if (in.raw_data() == out.raw_data() || in.element_count() == 0) return;
    if (in.dtype() == DType::String) {
        std::copy_n(in.data<std::string>(), in.element_count(), out.data<std::string>());
    } else {
        std::memcpy(out.raw_data(), in.raw_data(), in.byte_size());
    }
}

namespace {

// Drops size-1 dims and merges dims that are contiguous with each other in the input.
StridedView simplify(const StridedView& v) {
    StridedView s;
    s.offset = v.offset;
    for (size_t i = 0; i < v.shape.size(); ++i) {
        if (v.shape[i] == 1) continue;
        if (!s.shape.empty() && s.strides.back() == v.strides[i] * v.shape[i]) {
            s.shape.back() *= v.shape[i];
            s.strides.back() = v.strides[i];
            continue;
        }
        s.shape.push_back(v.shape[i]);
        s.strides.push_back(v.strides[i]);
    }
    return s;
}

template <typename T>
void copy_run(const T* src, int64_t stride, int64_t n, T* dst) {
    if (stride == 1) {
        if constexpr (std::is_trivially_copyable_v<T>) {
            std::memcpy(dst, src, n * sizeof(T));
        } else {
            std::copy_n(src, n, dst);
        }
    } else if (stride == 0) {
        std::fill_n(dst, n, *src);
    } else {
        for (int64_t j = 0; j < n; ++j) dst[j] = src[j * stride];
    }
}

// Row-wise copy: every row of the last dim is one run.
template <typename T>
void copy_rows(const T* in, T* out, const StridedView& v, int threads) {
    int r = static_cast<int>(v.shape.size());
    int64_t inner = v.shape[r - 1], inner_stride = v.strides[r - 1];
    int64_t rows = 1;
    for (int i = 0; i < r - 1; ++i) rows *= v.shape[i];
    parallel_for(
        rows, threads,
        [&](int64_t begin, int64_t end) {
            std::vector<int64_t> idx(std::max(r - 1, 0));
            int64_t off = v.offset, rest = begin;
            for (int k = r - 2; k >= 0; --k) {
                idx[k] = rest % v.shape[k];
                rest /= v.shape[k];
                off += idx[k] * v.strides[k];
            }
            for (int64_t row = begin; row < end; ++row) {
                copy_run(in + off, inner_stride, inner, out + row * inner);
                for (int k = r - 2; k >= 0; --k) {
                    if (++idx[k] < v.shape[k]) {
                        off += v.strides[k];
                        break;
                    }
                    off -= v.strides[k] * (v.shape[k] - 1);
                    idx[k] = 0;
                }
            }
        },
        inner);
}

// Tiled transpose: the input's contiguous axis `a` is not the output's last axis. For every index of the other
// dims, out[.., i (axis a), .., j (last)] = in[.., i, .., j * s_last] over tiles that keep both sides in cache.
template <typename T>
void copy_tiled(const T* in, T* out, const StridedView& v, int a, int threads) {
    constexpr int64_t kTile = 32;
    int r = static_cast<int>(v.shape.size());
    Shape out_strides = contiguous_strides(v.shape);
    int64_t rows = v.shape[a], cols = v.shape[r - 1];
    int64_t col_stride = v.strides[r - 1], row_out_stride = out_strides[a];
    std::vector<int> outer_axes;
    int64_t outer = 1;
    for (int k = 0; k < r - 1; ++k) {
        if (k == a) continue;
        outer_axes.push_back(k);
        outer *= v.shape[k];
    }
    int64_t row_tiles = (rows + kTile - 1) / kTile;
    parallel_for(
        outer * row_tiles, threads,
        [&](int64_t begin, int64_t end) {
            for (int64_t t = begin; t < end; ++t) {
                int64_t o = t / row_tiles, i0 = (t % row_tiles) * kTile;
                int64_t in_off = v.offset, out_off = 0;
                for (int q = static_cast<int>(outer_axes.size()) - 1; q >= 0; --q) {
                    int k = outer_axes[q];
                    int64_t ik = o % v.shape[k];
                    o /= v.shape[k];
                    in_off += ik * v.strides[k];
                    out_off += ik * out_strides[k];
                }
                int64_t i1 = std::min(rows, i0 + kTile);
                for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
                    int64_t j1 = std::min(cols, j0 + kTile);
                    for (int64_t i = i0; i < i1; ++i) {
                        const T* src = in + in_off + i;
                        T* dst = out + out_off + i * row_out_stride;
                        for (int64_t j = j0; j < j1; ++j) dst[j] = src[j * col_stride];
                    }
                }
            }
        },
        kTile * cols);
}

template <typename T>
void strided_copy_typed(const T* in, T* out, const StridedView& view, int threads) {
    for (int64_t d : view.shape) {
        if (d == 0) return;
    }
    StridedView v = simplify(view);
    if (v.shape.empty()) {
        out[0] = in[v.offset];
        return;
    }
    int r = static_cast<int>(v.shape.size());
    if (r >= 2 && v.strides[r - 1] != 1 && v.strides[r - 1] != 0 && v.shape[r - 1] >= 4) {
        for (int a = r - 2; a >= 0; --a) {
            if (v.strides[a] == 1 && v.shape[a] >= 4) {
                copy_tiled(in, out, v, a, threads);
                return;
            }
        }
    }
    copy_rows(in, out, v, threads);
}

}  // namespace

void strided_copy(const ir::Node& node, DType dtype, const void* in, void* out, const StridedView& view, int threads) {
    dispatch_by_size(node, dtype, [&](auto tag) {
        using T = decltype(tag);
        strided_copy_typed(static_cast<const T*>(in), static_cast<T*>(out), view, threads);
    });
}

namespace {

class MovementKernel final : public Kernel {
  public:
    explicit MovementKernel(const ir::Node& node) {
        if (node.op == OpKind::Transpose) perm_ = node.attr_ints("perm");
        if (node.op == OpKind::DepthToSpace || node.op == OpKind::SpaceToDepth) {
            blocksize_ = node.attr("blocksize").i;
            std::string mode = node.attr_string("mode", "DCR");
            KILN_CHECK(mode == "DCR" || mode == "CRD", InvalidModel, node.describe(), ": unknown mode '", mode, "'");
            crd_ = mode == "CRD";
        }
    }

    void run(KernelContext& ctx) const override {
        const Tensor& in = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        if (out.element_count() == 0) return;
        StridedView v = view(ctx, in, out);
        strided_copy(ctx.node, in.dtype(), in.raw_data(), out.raw_data(), v, ctx.threads);
    }

  private:
    StridedView view(KernelContext& ctx, const Tensor& in, const Tensor& out) const {
        const ir::Node& node = ctx.node;
        std::vector<int64_t> in_strides = contiguous_strides(in.shape());
        StridedView v;
        switch (node.op) {
            case OpKind::Transpose: {
                int64_t r = static_cast<int64_t>(in.rank());
                std::vector<int64_t> perm = perm_;
                if (perm.empty()) {
                    for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
                }
                v.shape = out.shape();
                for (int64_t p : perm) v.strides.push_back(in_strides[p < 0 ? p + r : p]);
                return v;
            }
            case OpKind::Expand: {
                v.shape = out.shape();
                size_t offset = out.rank() - in.rank();
                v.strides.assign(out.rank(), 0);
                for (size_t i = 0; i < in.rank(); ++i) v.strides[offset + i] = in.shape()[i] == 1 ? 0 : in_strides[i];
                return v;
            }
            case OpKind::Tile: {
                for (size_t i = 0; i < in.rank(); ++i) {
                    int64_t d = in.shape()[i];
                    v.shape.push_back(d == 0 ? 0 : out.shape()[i] / d);
                    v.strides.push_back(0);
                    v.shape.push_back(d);
                    v.strides.push_back(in_strides[i]);
                }
                return v;
            }
            case OpKind::Slice:
                return slice_view(ctx, in, out, in_strides);
            case OpKind::DepthToSpace: {
                int64_t b = blocksize_, n = in.shape()[0], c = in.shape()[1] / (b * b), h = in.shape()[2],
                        w = in.shape()[3];
                Shape src = crd_ ? Shape{n, c, b, b, h, w} : Shape{n, b, b, c, h, w};
                std::vector<int64_t> perm =
                    crd_ ? std::vector<int64_t>{0, 1, 4, 2, 5, 3} : std::vector<int64_t>{0, 3, 4, 1, 5, 2};
                return permuted(src, perm);
            }
            case OpKind::SpaceToDepth: {
                int64_t b = blocksize_, n = in.shape()[0], c = in.shape()[1], h = in.shape()[2] / b,
                        w = in.shape()[3] / b;
                return permuted({n, c, h, b, w, b}, {0, 3, 5, 1, 2, 4});
            }
            default:
                fail(ErrorCode::Internal, node.describe(), ": not a movement op");
        }
    }

    static StridedView permuted(const Shape& src, const std::vector<int64_t>& perm) {
        std::vector<int64_t> s = contiguous_strides(src);
        StridedView v;
        for (int64_t p : perm) {
            v.shape.push_back(src[p]);
            v.strides.push_back(s[p]);
        }
        return v;
    }

    // Starts and steps come from the input values; the counts were derived by the shape function.
    static StridedView slice_view(KernelContext& ctx, const Tensor& in, const Tensor& out,
                                  const std::vector<int64_t>& in_strides) {
        const ir::Node& node = ctx.node;
        int64_t r = static_cast<int64_t>(in.rank());
        std::vector<int64_t> starts = ops::tensor_to_int64s(*ctx.input(1));
        std::vector<int64_t> axes(starts.size()), steps(starts.size(), 1);
        std::iota(axes.begin(), axes.end(), 0);
        if (ctx.input(3)) axes = ops::tensor_to_int64s(*ctx.input(3));
        if (ctx.input(4)) steps = ops::tensor_to_int64s(*ctx.input(4));
        StridedView v;
        v.shape = out.shape();
        v.strides = in_strides;
        for (size_t i = 0; i < starts.size(); ++i) {
            int64_t axis = ops::normalize_axis(node, axes[i], r);
            int64_t dim = in.shape()[axis], step = steps[i], start = starts[i];
            if (start < 0) start += dim;
            start = step > 0 ? std::clamp<int64_t>(start, 0, dim) : std::clamp<int64_t>(start, 0, dim - 1);
            if (out.shape()[axis] > 0) v.offset += start * in_strides[axis];
            // With one element taken along the axis its stride is never used (and step may be any size: the
            // product could overflow int64); with more, |step| < dim keeps the product in range.
            v.strides[axis] = out.shape()[axis] > 1 ? in_strides[axis] * step : 0;
        }
        return v;
    }

    std::vector<int64_t> perm_;
    int64_t blocksize_ = 0;
    bool crd_ = false;
};

}  // namespace

std::unique_ptr<Kernel> create_movement(const ir::Node& node) { return std::make_unique<MovementKernel>(node); }

}  // namespace kiln::cpu::layout
