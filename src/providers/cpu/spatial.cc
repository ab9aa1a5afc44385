// CPU kernels of the Spatial family (see op_list.inc). This file: AffineGrid, CenterCropPad (any dtype), Col2Im,
// MaxRoiPool, MaxUnpool (any numeric dtype), NonMaxSuppression and RoiAlign, plus the family's dispatch; GridSample
// and DeformConv are in spatial_sample.cc, Einsum in spatial_einsum.cc. Float math runs in float32 (float16,
// bfloat16 and double converted through FloatView / FloatOut).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/alloc_limit.h"
#include "common/parallel.h"
#include "ops/conv_window.h"
#include "ops/shape_util.h"
#include "ops/spatial_algo.h"
#include "providers/cpu/coordinate.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/spatial_kernels.h"

namespace kiln::cpu {
namespace {

void check_float(const ir::Node& node, DType t, const char* what = "input") {
    KILN_CHECK(t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16, NotImplemented,
               node.describe(), ": ", what, " dtype ", dtype_name(t), " is not supported");
}

// Bytes per element of a fixed-size dtype; NotImplemented naming the node for strings and sub-byte types.
size_t element_bytes(const ir::Node& node, DType t) {
    int bits = dtype_bits(t);
    KILN_CHECK(bits >= 8 && bits % 8 == 0, NotImplemented, node.describe(), ": dtype ", dtype_name(t),
               " is not supported");
    return static_cast<size_t>(bits / 8);
}

// ---- AffineGrid ----

class AffineGridKernel : public Kernel {
  public:
    explicit AffineGridKernel(const ir::Node& node) : align_corners_(node.attr_int("align_corners", 0) != 0) {}

    void run(KernelContext& ctx) const override {
        const Tensor& tt = *ctx.input(0);
        Tensor& yt = *ctx.output(0);
        check_float(ctx.node, tt.dtype(), "theta");
        const Shape& ys = yt.shape();
        int64_t nd = ys.back();
        int64_t n = ys[0];
        // Spatial sizes in (D,) H, W order; coordinates are (x, y[, z]): x along W.
        std::vector<int64_t> sizes(ys.begin() + 1, ys.end() - 1);
        std::vector<std::vector<float>> base(nd);
        for (int64_t d = 0; d < nd; ++d) {
            int64_t s = sizes[d];
            base[d].resize(s);
            for (int64_t i = 0; i < s; ++i) {
                if (align_corners_) {
                    base[d][i] = s > 1 ? -1.f + 2.f * static_cast<float>(i) / static_cast<float>(s - 1) : -1.f;
                } else {
                    base[d][i] = -1.f + (2.f * static_cast<float>(i) + 1.f) / static_cast<float>(s);
                }
            }
        }
        int64_t points = 1;
        for (int64_t s : sizes) points *= s;
        FloatView theta(&tt);
        FloatOut y(yt);
        for (int64_t b = 0; b < n; ++b) {
            const float* th = theta.data() + b * nd * (nd + 1);
            float* out = y.data() + b * points * nd;
            std::vector<int64_t> idx(nd, 0);
            std::vector<float> coord(nd + 1, 1.f);
            for (int64_t p = 0; p < points; ++p) {
                for (int64_t c = 0; c < nd; ++c) coord[c] = base[nd - 1 - c][idx[nd - 1 - c]];
                for (int64_t r = 0; r < nd; ++r) {
                    float acc = 0.f;
                    for (int64_t c = 0; c <= nd; ++c) acc += th[r * (nd + 1) + c] * coord[c];
                    out[p * nd + r] = acc;
                }
                for (int64_t d = nd; d-- > 0;) {
                    if (++idx[d] < sizes[d]) break;
                    idx[d] = 0;
                }
            }
        }
        y.finish();
    }

  private:
    bool align_corners_;
};

// ---- CenterCropPad ----

class CenterCropPadKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        const Shape& xs = x.shape();
        const Shape& ys = y.shape();
        size_t rank = xs.size();
        // in index = out index + offset[d] (crop: positive, pad: negative).
        std::vector<int64_t> offset(rank);
        for (size_t d = 0; d < rank; ++d) offset[d] = ys[d] <= xs[d] ? (xs[d] - ys[d]) / 2 : -((ys[d] - xs[d]) / 2);
        bool strings = x.dtype() == DType::String;
        size_t bytes = strings ? 0 : element_bytes(ctx.node, x.dtype());
        if (y.element_count() == 0) return;
        std::vector<int64_t> xstride(rank, 1);
        for (size_t d = rank; d-- > 1;) xstride[d - 1] = xstride[d] * xs[d];
        int64_t row = rank ? ys[rank - 1] : 1;
        int64_t rows = y.element_count() / row;
        std::vector<int64_t> idx(rank, 0);
        const char* src = static_cast<const char*>(x.raw_data());
        char* dst = static_cast<char*>(y.raw_data());
        for (int64_t r = 0; r < rows; ++r) {
            bool inside = true;
            int64_t base = 0;
            for (size_t d = 0; d + 1 < rank; ++d) {
                int64_t i = idx[d] + offset[d];
                if (i < 0 || i >= xs[d]) inside = false;
                base += i * xstride[d];
            }
            for (int64_t j = 0; j < row; ++j) {
                int64_t o = r * row + j;
                int64_t i = rank ? j + offset[rank - 1] : 0;
                bool ok = inside && (rank == 0 || (i >= 0 && i < xs[rank - 1]));
                if (strings) {
                    y.data<std::string>()[o] = ok ? x.data<std::string>()[base + i] : std::string();
                } else if (ok) {
                    std::memcpy(dst + o * bytes, src + (base + i) * bytes, bytes);
                } else {
                    std::memset(dst + o * bytes, 0, bytes);
                }
            }
            for (size_t d = rank < 2 ? 0 : rank - 1; d-- > 0;) {  // the next row: all dims but the last
                if (++idx[d] < ys[d]) break;
                idx[d] = 0;
            }
        }
    }
};

// ---- Col2Im ----

class Col2ImKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        Tensor& yt = *ctx.output(0);
        check_float(node, xt.dtype());
        std::vector<int64_t> img = ops::tensor_to_int64s(*ctx.input(1));
        std::vector<int64_t> blk = ops::tensor_to_int64s(*ctx.input(2));
        size_t nd = img.size();
        ops::Window w = ops::read_window(node, nd, blk);
        std::vector<int64_t> cols(nd);
        for (size_t d = 0; d < nd; ++d) cols[d] = ops::resolve_window_dim(node, w, d, img[d]);
        int64_t kernel = 1, blocks = 1, image = 1;
        for (size_t d = 0; d < nd; ++d) kernel *= blk[d], blocks *= cols[d], image *= img[d];
        const int64_t planes = yt.shape()[0] * yt.shape()[1];
        FloatView x(&xt);
        FloatOut y(yt);
        parallel_for(
            planes, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                std::vector<int64_t> k(nd), b(nd);
                for (int64_t p = p0; p < p1; ++p) {
                    float* out = y.data() + p * image;
                    std::fill(out, out + image, 0.f);
                    const float* in = x.data() + p * kernel * blocks;
                    for (int64_t kc = 0; kc < kernel; ++kc) {
                        for (int64_t t = kc, d = static_cast<int64_t>(nd); d-- > 0;) k[d] = t % blk[d], t /= blk[d];
                        for (int64_t bc = 0; bc < blocks; ++bc) {
                            int64_t off = 0;
                            bool inside = true;
                            for (int64_t t = bc, d = static_cast<int64_t>(nd); d-- > 0;)
                                b[d] = t % cols[d], t /= cols[d];
                            for (size_t d = 0; d < nd; ++d) {
                                int64_t i = b[d] * w.strides[d] - w.pads[d] + k[d] * w.dilations[d];
                                if (i < 0 || i >= img[d]) {
                                    inside = false;
                                    break;
                                }
                                off = off * img[d] + i;
                            }
                            if (inside) out[off] += in[kc * blocks + bc];
                        }
                    }
                }
            },
            kernel * blocks);
        y.finish();
    }
};

// ---- MaxRoiPool ----

class MaxRoiPoolKernel : public Kernel {
  public:
    explicit MaxRoiPoolKernel(const ir::Node& node)
        : pooled_(node.attr_ints("pooled_shape")), scale_(node.attr_float("spatial_scale", 1.f)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& rt = *ctx.input(1);
        Tensor& yt = *ctx.output(0);
        check_float(node, xt.dtype());
        check_float(node, rt.dtype(), "rois");
        const Shape& xs = xt.shape();
        int64_t batch = xs[0], channels = xs[1], height = xs[2], width = xs[3];
        int64_t num_rois = rt.shape()[0];
        int64_t ph = pooled_[0], pw = pooled_[1];
        FloatView x(&xt), rois(&rt);
        for (int64_t r = 0; r < num_rois; ++r) {
            float bf = rois.data()[r * 5];
            KILN_CHECK(bf >= 0 && bf < static_cast<float>(batch), InvalidArgument, node.describe(), ": roi ", r,
                       " has batch index ", bf, " outside [0, ", batch, ")");
        }
        FloatOut y(yt);
        parallel_for(
            num_rois * channels, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                    int64_t r = p / channels, c = p % channels;
                    const float* roi = rois.data() + r * 5;
                    int64_t b = static_cast<int64_t>(roi[0]);
                    int64_t x1 = coordinate_to_index(std::round(roi[1] * scale_));
                    int64_t y1 = coordinate_to_index(std::round(roi[2] * scale_));
                    int64_t x2 = coordinate_to_index(std::round(roi[3] * scale_));
                    int64_t y2 = coordinate_to_index(std::round(roi[4] * scale_));
                    int64_t rh = std::max<int64_t>(y2 - y1 + 1, 1), rw = std::max<int64_t>(x2 - x1 + 1, 1);
                    float bin_h = static_cast<float>(rh) / static_cast<float>(ph);
                    float bin_w = static_cast<float>(rw) / static_cast<float>(pw);
                    const float* plane = x.data() + (b * channels + c) * height * width;
                    float* out = y.data() + p * ph * pw;
                    for (int64_t i = 0; i < ph; ++i) {
                        int64_t hs = coordinate_to_index(std::floor(static_cast<float>(i) * bin_h));
                        int64_t he = coordinate_to_index(std::ceil(static_cast<float>(i + 1) * bin_h));
                        hs = std::clamp<int64_t>(hs + y1, 0, height);
                        he = std::clamp<int64_t>(he + y1, 0, height);
                        for (int64_t j = 0; j < pw; ++j) {
                            int64_t ws = coordinate_to_index(std::floor(static_cast<float>(j) * bin_w));
                            int64_t we = coordinate_to_index(std::ceil(static_cast<float>(j + 1) * bin_w));
                            ws = std::clamp<int64_t>(ws + x1, 0, width);
                            we = std::clamp<int64_t>(we + x1, 0, width);
                            bool empty = he <= hs || we <= ws;
                            float m = empty ? 0.f : -std::numeric_limits<float>::max();
                            for (int64_t h = hs; h < he; ++h)
                                for (int64_t v = ws; v < we; ++v) m = std::max(m, plane[h * width + v]);
                            out[i * pw + j] = m;
                        }
                    }
                }
            },
            ph * pw * 16);
        y.finish();
    }

  private:
    std::vector<int64_t> pooled_;
    float scale_;
};

// ---- MaxUnpool ----

class MaxUnpoolKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& x = *ctx.input(0);
        const Tensor& it = *ctx.input(1);
        Tensor& y = *ctx.output(0);
        size_t bytes = element_bytes(node, x.dtype());
        KILN_CHECK(it.element_count() == x.element_count(), InvalidArgument, node.describe(), ": I ",
                   shape_to_string(it.shape()), " must have the shape of X ", shape_to_string(x.shape()));
        const Shape& xs = x.shape();
        const Shape& ys = y.shape();
        size_t nd = xs.size() - 2;
        ops::Window w = ops::read_window(node, nd, node.attr_ints("kernel_shape"));
        Shape inferred{xs[0], xs[1]};
        for (size_t d = 0; d < nd; ++d)
            inferred.push_back((xs[2 + d] - 1) * w.strides[d] - (w.pads[d] + w.pads[d + nd]) + w.kernel[d]);
        for (size_t d = 0; d < ys.size(); ++d)
            KILN_CHECK(ys[d] >= inferred[d], InvalidArgument, node.describe(), ": output_shape ", shape_to_string(ys),
                       " is smaller than the unpooled shape ", shape_to_string(inferred));
        int64_t total = shape_element_count(inferred);
        std::vector<int64_t> idx = ops::tensor_to_int64s(it);
        std::memset(y.raw_data(), 0, y.byte_size());
        const char* src = static_cast<const char*>(x.raw_data());
        char* dst = static_cast<char*>(y.raw_data());
        for (size_t e = 0; e < idx.size(); ++e) {
            int64_t flat = idx[e];
            KILN_CHECK(flat >= 0 && flat < total, InvalidArgument, node.describe(), ": index ", flat, " at position ",
                       e, " of I is outside [0, ", total, ")");
            int64_t off = 0, mul = 1;
            for (size_t d = ys.size(); d-- > 0;) {
                off += (flat % inferred[d]) * mul;
                flat /= inferred[d];
                mul *= ys[d];
            }
            std::memcpy(dst + off * bytes, src + e * bytes, bytes);
        }
    }
};

// ---- NonMaxSuppression ----

class NonMaxSuppressionKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        auto sel = ops::nms_run(ctx.node, *ctx.input(0), *ctx.input(1), ctx.input(2), ctx.input(3), ctx.input(4));
        Tensor& y = *ctx.output(0);
        KILN_CHECK(y.element_count() == static_cast<int64_t>(sel.size()) * 3, Internal, ctx.node.describe(),
                   ": output holds ", y.element_count() / 3, " rows but ", sel.size(), " boxes were selected");
        int64_t* out = y.data<int64_t>();
        for (size_t i = 0; i < sel.size(); ++i)
            for (int k = 0; k < 3; ++k) out[i * 3 + k] = sel[i][k];
    }
};

// ---- RoiAlign ----

// A bilinear sample inside the image: the offsets of its four neighbouring pixels in the plane and their weights.
struct RoiSample {
    int64_t pos[4];
    float w[4];
};

// One axis of a bilinear sample: the lower and upper neighbouring pixel and the weight of the upper.
struct AxisTap {
    int64_t low, high;
    double frac;
};

// The samples of one bin along one axis: positions start + (k + 0.5) * step, k in [0, count), of which those in
// [-1, extent] read the image.
struct SampleAxis {
    double start, step;
    int64_t count, extent;

    double position(int64_t k) const { return start + (static_cast<double>(k) + 0.5) * step; }

    // Sample k's neighbours, or none when it lies outside the image (NaN included).
    std::optional<AxisTap> tap(int64_t k) const {
        double p = position(k);
        if (!(p >= -1.0 && p <= static_cast<double>(extent))) return std::nullopt;
        double v = std::max(p, 0.0);
        auto low = static_cast<int64_t>(v);
        if (low >= extent - 1) return AxisTap{extent - 1, extent - 1, 0.0};
        return AxisTap{low, low + 1, v - static_cast<double>(low)};
    }

    // The k that may be inside, found directly rather than by trying every k: a huge roi asks for billions of
    // samples, of which only those over the image count (found by external_data_fuzz). One wider on each side;
    // tap() decides.
    std::pair<int64_t, int64_t> candidates() const {
        if (count <= 0 || !std::isfinite(start) || !std::isfinite(step)) return {0, 0};
        if (step == 0.0) return {0, tap(0) ? count : 0};
        double a = (-1.0 - start) / step - 0.5, b = (static_cast<double>(extent) - start) / step - 0.5;
        if (a > b) std::swap(a, b);
        double lo = std::max(0.0, std::floor(a) - 1), hi = std::min(static_cast<double>(count), std::ceil(b) + 2);
        if (!(hi > lo)) return {0, 0};
        return {static_cast<int64_t>(lo), static_cast<int64_t>(hi)};
    }
};

// Appends the inside samples of the bin spanned by ya and xa; their number is capped like an allocation.
void add_bin_samples(const SampleAxis& ya, const SampleAxis& xa, std::vector<RoiSample>& samples, const ir::Node& node,
                     int64_t roi) {
    auto [y0, y1] = ya.candidates();
    auto [x0, x1] = xa.candidates();
    int64_t more = 0;
    size_t bytes = 0;
    KILN_CHECK(!__builtin_mul_overflow(y1 - y0, x1 - x0, &more) &&
                   !__builtin_mul_overflow(static_cast<size_t>(more) + samples.size(), sizeof(RoiSample), &bytes),
               InvalidArgument, node.describe(), ": roi ", roi, " has more samples over the image than memory holds");
    if (more == 0) return;
    check_allocation(bytes, node.describe() + ": samples of roi " + std::to_string(roi));
    const int64_t w = xa.extent;
    for (int64_t iy = y0; iy < y1; ++iy) {
        std::optional<AxisTap> ty = ya.tap(iy);
        if (!ty) continue;
        for (int64_t ix = x0; ix < x1; ++ix) {
            std::optional<AxisTap> tx = xa.tap(ix);
            if (!tx) continue;
            double ly = ty->frac, lx = tx->frac, hy = 1.0 - ly, hx = 1.0 - lx;
            samples.push_back(RoiSample{
                {ty->low * w + tx->low, ty->low * w + tx->high, ty->high * w + tx->low, ty->high * w + tx->high},
                {static_cast<float>(hy * hx), static_cast<float>(hy * lx), static_cast<float>(ly * hx),
                 static_cast<float>(ly * lx)}});
        }
    }
}

class RoiAlignKernel : public Kernel {
  public:
    explicit RoiAlignKernel(const ir::Node& node)
        : max_mode_(node.attr_string("mode", "avg") == "max"),
          half_pixel_(node.attr_string("coordinate_transformation_mode", "half_pixel") == "half_pixel"),
          sampling_ratio_(node.attr_int("sampling_ratio", 0)),
          scale_(node.attr_float("spatial_scale", 1.f)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& rt = *ctx.input(1);
        Tensor& yt = *ctx.output(0);
        check_float(node, xt.dtype());
        check_float(node, rt.dtype(), "rois");
        const Shape& xs = xt.shape();
        const Shape& ys = yt.shape();
        int64_t batch = xs[0], channels = xs[1], height = xs[2], width = xs[3];
        int64_t num_rois = ys[0], ph = ys[2], pw = ys[3];
        std::vector<int64_t> bidx = ops::tensor_to_int64s(*ctx.input(2));
        KILN_CHECK(static_cast<int64_t>(bidx.size()) == num_rois && rt.shape()[0] == num_rois, InvalidArgument,
                   node.describe(), ": rois and batch_indices disagree on the number of rois");
        for (int64_t r = 0; r < num_rois; ++r)
            KILN_CHECK(bidx[r] >= 0 && bidx[r] < batch, InvalidArgument, node.describe(), ": batch_indices[", r,
                       "] = ", bidx[r], " is outside [0, ", batch, ")");
        FloatView x(&xt), rois(&rt);
        FloatOut y(yt);
        parallel_for(
            num_rois, ctx.threads,
            [&](int64_t r0, int64_t r1) {
                std::vector<RoiSample> samples;
                std::vector<size_t> bin_begin;
                for (int64_t r = r0; r < r1; ++r) {
                    const float* roi = rois.data() + r * 4;
                    double off = half_pixel_ ? 0.5 : 0.0;
                    double sw = roi[0] * scale_ - off, sh = roi[1] * scale_ - off;
                    double rw = roi[2] * scale_ - off - sw, rh = roi[3] * scale_ - off - sh;
                    if (!half_pixel_) rw = std::max(rw, 1.0), rh = std::max(rh, 1.0);
                    double bh = rh / static_cast<double>(ph), bw = rw / static_cast<double>(pw);
                    // Adaptive grid: ceil(extent / bins) samples per bin; a NaN roi gives none (a zero output).
                    auto grid_size = [&](double extent, int64_t bins) -> int64_t {
                        if (sampling_ratio_ > 0) return sampling_ratio_;
                        double g = std::ceil(extent / static_cast<double>(bins));
                        return g > 0.0 ? coordinate_to_index(g) : 0;
                    };
                    int64_t gh = grid_size(rh, ph), gw = grid_size(rw, pw), grid = 0;
                    KILN_CHECK(!__builtin_mul_overflow(gh, gw, &grid), InvalidArgument, node.describe(), ": roi ", r,
                               " asks for ", gh, " x ", gw, " samples per bin, more than int64 counts");
                    float count = static_cast<float>(std::max<int64_t>(grid, 1));
                    samples.clear();
                    bin_begin.assign(1, 0);
                    for (int64_t i = 0; i < ph; ++i) {
                        SampleAxis ya{sh + i * bh, bh / static_cast<double>(gh), gh, height};
                        for (int64_t j = 0; j < pw; ++j) {
                            SampleAxis xa{sw + j * bw, bw / static_cast<double>(gw), gw, width};
                            add_bin_samples(ya, xa, samples, node, r);
                            bin_begin.push_back(samples.size());
                        }
                    }
                    for (int64_t c = 0; c < channels; ++c) {
                        const float* plane = x.data() + (bidx[r] * channels + c) * height * width;
                        float* out = y.data() + (r * channels + c) * ph * pw;
                        for (int64_t b = 0; b < ph * pw; ++b) {
                            const RoiSample* first = samples.data() + bin_begin[b];
                            const RoiSample* last = samples.data() + bin_begin[b + 1];
                            // Samples outside the image (not stored) are zeros: they count in the average, and
                            // take part in the maximum.
                            bool some_outside = last - first < grid;
                            float acc = 0.f;
                            for (const RoiSample* s = first; s != last; ++s) {
                                if (max_mode_) {
                                    float v =
                                        std::max(std::max(s->w[0] * plane[s->pos[0]], s->w[1] * plane[s->pos[1]]),
                                                 std::max(s->w[2] * plane[s->pos[2]], s->w[3] * plane[s->pos[3]]));
                                    acc = (s == first && !some_outside) ? v : std::max(acc, v);
                                } else {
                                    acc += s->w[0] * plane[s->pos[0]] + s->w[1] * plane[s->pos[1]] +
                                           s->w[2] * plane[s->pos[2]] + s->w[3] * plane[s->pos[3]];
                                }
                            }
                            out[b] = max_mode_ ? acc : acc / count;
                        }
                    }
                }
            },
            channels * ph * pw * 16);
        y.finish();
    }

  private:
    bool max_mode_, half_pixel_;
    int64_t sampling_ratio_;
    float scale_;
};

}  // namespace

std::unique_ptr<Kernel> create_Spatial(const ir::Node& node) {
    switch (node.op) {
        case OpKind::AffineGrid:
            return std::make_unique<AffineGridKernel>(node);
        case OpKind::CenterCropPad:
            return std::make_unique<CenterCropPadKernel>();
        case OpKind::Col2Im:
            return std::make_unique<Col2ImKernel>();
        case OpKind::DeformConv:
            return make_deform_conv_kernel(node);
        case OpKind::Einsum:
            return make_einsum_kernel(node);
        case OpKind::GridSample:
            return make_grid_sample_kernel(node);
        case OpKind::MaxRoiPool:
            return std::make_unique<MaxRoiPoolKernel>(node);
        case OpKind::MaxUnpool:
            return std::make_unique<MaxUnpoolKernel>();
        case OpKind::NonMaxSuppression:
            return std::make_unique<NonMaxSuppressionKernel>();
        case OpKind::RoiAlign:
            return std::make_unique<RoiAlignKernel>(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Spatial-family op");
    }
}

}  // namespace kiln::cpu
