// CPU kernel of Resize (see op_list.inc), newest form (X, roi, scales, sizes). nearest: one gather through
// per-axis index tables; linear / cubic (with antialias and exclude_outside): separable passes, one per resized
// axis, each output coordinate a short list of (input index, weight) pairs. Coordinates follow the ONNX reference
// (double precision); values are computed in float.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "ops/resize_scales.h"
#include "ops/shape_util.h"
#include "providers/cpu/coordinate.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

enum class Mode { Nearest, Linear, Cubic };
enum class Coord { HalfPixel, HalfPixelSymmetric, PytorchHalfPixel, AlignCorners, Asymmetric, TfCropAndResize };
enum class NearestMode { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };

// The taps of one output coordinate along one axis; `extrapolate`: the output is extrapolation_value.
struct AxisTable {
    int64_t taps = 1;               // taps per output coordinate
    std::vector<int64_t> index;     // out * taps input indices (clamped into range)
    std::vector<float> weight;      // out * taps weights
    std::vector<char> extrapolate;  // per output coordinate
};

double cubic_weight(double x, double a) {
    x = std::fabs(x);
    if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
}

class ResizeKernel : public Kernel {
  public:
    explicit ResizeKernel(const ir::Node& node)
        : cubic_a_(node.attr_float("cubic_coeff_a", -0.75f)),
          exclude_outside_(node.attr_int("exclude_outside", 0) != 0),
          antialias_(node.attr_int("antialias", 0) != 0),
          extrapolation_value_(node.attr_float("extrapolation_value", 0.f)) {
        std::string mode = node.attr_string("mode", "nearest");
        if (mode == "nearest") {
            mode_ = Mode::Nearest;
        } else if (mode == "linear") {
            mode_ = Mode::Linear;
        } else if (mode == "cubic") {
            mode_ = Mode::Cubic;
        } else {
            fail(ErrorCode::InvalidModel, node.describe(), ": unknown mode '", mode, "'");
        }
        std::string c = node.attr_string("coordinate_transformation_mode", "half_pixel");
        if (c == "half_pixel") {
            coord_ = Coord::HalfPixel;
        } else if (c == "half_pixel_symmetric") {
            coord_ = Coord::HalfPixelSymmetric;
        } else if (c == "pytorch_half_pixel") {
            coord_ = Coord::PytorchHalfPixel;
        } else if (c == "align_corners") {
            coord_ = Coord::AlignCorners;
        } else if (c == "asymmetric") {
            coord_ = Coord::Asymmetric;
        } else if (c == "tf_crop_and_resize") {
            coord_ = Coord::TfCropAndResize;
        } else {
            fail(ErrorCode::InvalidModel, node.describe(), ": unknown coordinate_transformation_mode '", c, "'");
        }
        std::string nm = node.attr_string("nearest_mode", "round_prefer_floor");
        if (nm == "round_prefer_floor") {
            nearest_ = NearestMode::RoundPreferFloor;
        } else if (nm == "round_prefer_ceil") {
            nearest_ = NearestMode::RoundPreferCeil;
        } else if (nm == "floor") {
            nearest_ = NearestMode::Floor;
        } else if (nm == "ceil") {
            nearest_ = NearestMode::Ceil;
        } else {
            fail(ErrorCode::InvalidModel, node.describe(), ": unknown nearest_mode '", nm, "'");
        }
        KILN_CHECK(!(antialias_ && mode_ == Mode::Nearest), InvalidModel, node.describe(),
                   ": antialias is not defined for mode 'nearest'");
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        Tensor& yt = *ctx.output(0);
        DType dt = xt.dtype();
        KILN_CHECK(dt == DType::Float || dt == DType::Double || dt == DType::Float16 || dt == DType::BFloat16 ||
                       dt == DType::Int8 || dt == DType::UInt8,
                   NotImplemented, node.describe(), ": Resize on ", dtype_name(dt), " is not implemented");
        const Shape& xs = xt.shape();
        const Shape& ys = yt.shape();
        int64_t rank = static_cast<int64_t>(xs.size());
        std::vector<int64_t> axes = ops::resize_axes(node, rank);
        auto non_empty = [&](size_t i) { return ctx.input(i) && ctx.input(i)->element_count() > 0; };
        std::vector<double> scales;
        std::vector<int64_t> sizes;
        if (non_empty(2)) scales = ops::tensor_to_doubles(*ctx.input(2));
        if (non_empty(3)) sizes = ops::tensor_to_int64s(*ctx.input(3));
        ops::ResizeGeometry geo = ops::resize_geometry(node, xs, axes, scales, sizes);
        // roi per full dim (start, end); only tf_crop_and_resize reads it.
        std::vector<double> roi_start(rank, 0.0), roi_end(rank, 1.0);
        bool have_roi = false;
        if (coord_ == Coord::TfCropAndResize && non_empty(1)) {
            std::vector<double> roi = ops::tensor_to_doubles(*ctx.input(1));
            KILN_CHECK(roi.size() == 2 * axes.size(), InvalidArgument, node.describe(), ": roi has ", roi.size(),
                       " entries, expected ", 2 * axes.size());
            for (size_t i = 0; i < axes.size(); ++i) {
                roi_start[axes[i]] = roi[i];
                roi_end[axes[i]] = roi[axes.size() + i];
            }
            have_roi = true;
        }
        std::vector<AxisTable> tables(rank);
        std::vector<bool> active(rank, false);
        // An empty output (a size or scale of 0) has nothing to sample: its scale would give no finite filter.
        for (int64_t a : yt.element_count() > 0 ? axes : std::vector<int64_t>{}) {
            bool identity = std::fabs(geo.scales[a] - 1.0) < 1e-12 && ys[a] == xs[a] &&
                            (!have_roi || (roi_start[a] == 0.0 && roi_end[a] == 1.0));
            if (identity) continue;
            active[a] = true;
            tables[a] = make_table(xs[a], ys[a], geo.scales[a], roi_start[a], roi_end[a]);
        }

        FloatView x(&xt);
        FloatOut y(yt);
        if (yt.element_count() > 0) {
            if (mode_ == Mode::Nearest) {
                gather_nearest(x.data(), xs, ys, tables, active, y.data(), ctx.threads);
            } else {
                separable(x.data(), xs, ys, tables, active, y.data(), ctx.threads);
            }
        }
        if (dt == DType::Int8 || dt == DType::UInt8) {  // round like a float -> int cast of a rounded value
            for (int64_t i = 0; i < yt.element_count(); ++i) y.data()[i] = std::nearbyint(y.data()[i]);
        }
        y.finish();
    }

  private:
    double source_coordinate(int64_t x, int64_t in, int64_t out, double scale, double rs, double re,
                             bool* extrapolate) const {
        double out_f = scale * static_cast<double>(in);
        double xd = static_cast<double>(x);
        switch (coord_) {
            case Coord::HalfPixel:
                return (xd + 0.5) / scale - 0.5;
            case Coord::HalfPixelSymmetric: {
                double adjustment = static_cast<double>(out) / out_f;
                double center = static_cast<double>(in) / 2;
                return center * (1 - adjustment) + (xd + 0.5) / scale - 0.5;
            }
            case Coord::PytorchHalfPixel:
                return out > 1 ? (xd + 0.5) / scale - 0.5 : -0.5;
            case Coord::AlignCorners:
                return out_f == 1.0 ? 0.0 : xd * static_cast<double>(in - 1) / (out_f - 1);
            case Coord::Asymmetric:
                return xd / scale;
            case Coord::TfCropAndResize: {
                double r = out_f == 1.0 ? (re - rs) * static_cast<double>(in - 1) / 2
                                        : xd * (re - rs) * static_cast<double>(in - 1) / (out_f - 1);
                r += rs * static_cast<double>(in - 1);
                if (r < 0 || r > static_cast<double>(in - 1)) *extrapolate = true;
                return r;
            }
        }
        return 0;
    }

    AxisTable make_table(int64_t in, int64_t out, double scale, double rs, double re) const {
        AxisTable t;
        double aa_scale = antialias_ ? std::min(scale, 1.0) : 1.0;
        int64_t start = 0;  // first tap offset relative to floor(x)
        switch (mode_) {
            case Mode::Nearest:
                t.taps = 1;
                break;
            case Mode::Linear:
                start = antialias_ ? static_cast<int64_t>(std::floor(-1 / aa_scale)) + 1 : 0;
                t.taps = 2 - 2 * start;
                break;
            case Mode::Cubic:
                start = antialias_ ? static_cast<int64_t>(std::floor(-2 / aa_scale)) + 1 : -1;
                t.taps = 2 - 2 * start;
                break;
        }
        t.index.assign(out * t.taps, 0);
        t.weight.assign(out * t.taps, 0.f);
        t.extrapolate.assign(out, 0);
        std::vector<double> w(t.taps);
        for (int64_t o = 0; o < out; ++o) {
            bool extra = false;
            double xo = source_coordinate(o, in, out, scale, rs, re, &extra);
            t.extrapolate[o] = extra;
            double fl = std::floor(xo);
            double r = xo - fl;
            int64_t base = coordinate_to_index(fl);
            int64_t* idx = t.index.data() + o * t.taps;
            float* wt = t.weight.data() + o * t.taps;
            if (mode_ == Mode::Nearest) {
                int64_t i = base;
                if (r > 0) {
                    bool up = false;
                    switch (nearest_) {
                        case NearestMode::RoundPreferFloor:
                            up = r > 0.5;
                            break;
                        case NearestMode::RoundPreferCeil:
                            up = r >= 0.5;
                            break;
                        case NearestMode::Floor:
                            up = false;
                            break;
                        case NearestMode::Ceil:
                            up = true;
                            break;
                    }
                    i = base + (up ? 1 : 0);
                }
                idx[0] = std::clamp<int64_t>(i, 0, in - 1);
                wt[0] = 1.f;
                continue;
            }
            double sum = 0;
            for (int64_t k = 0; k < t.taps; ++k) {
                int64_t j = start + k;
                if (mode_ == Mode::Linear) {
                    w[k] = antialias_ ? std::clamp(1 - std::fabs((j - r) * aa_scale), 0.0, 1.0)
                                      : (j == 0 ? 1 - r : (j == 1 ? r : 0.0));
                } else {
                    w[k] = cubic_weight(antialias_ ? (j - r) * aa_scale : (j - r), cubic_a_);
                }
                sum += w[k];
            }
            if (antialias_ && sum != 0)
                for (auto& v : w) v /= sum;
            if (exclude_outside_) {
                double kept = 0;
                for (int64_t k = 0; k < t.taps; ++k) {
                    int64_t i = base + start + k;
                    if (i < 0 || i >= in) w[k] = 0;
                    kept += w[k];
                }
                if (kept != 0)
                    for (auto& v : w) v /= kept;
            }
            for (int64_t k = 0; k < t.taps; ++k) {
                idx[k] = std::clamp<int64_t>(base + start + k, 0, in - 1);
                wt[k] = static_cast<float>(w[k]);
            }
        }
        return t;
    }

    void gather_nearest(const float* x, const Shape& xs, const Shape& ys, const std::vector<AxisTable>& tables,
                        const std::vector<bool>& active, float* y, int threads) const {
        const size_t rank = xs.size();
        std::vector<int64_t> in_stride(rank, 1);
        for (size_t d = rank - 1; d-- > 0;) in_stride[d] = in_stride[d + 1] * xs[d + 1];
        // Per dim: output coordinate -> input offset (or -1: extrapolate).
        std::vector<std::vector<int64_t>> offset(rank);
        for (size_t d = 0; d < rank; ++d) {
            offset[d].resize(ys[d]);
            for (int64_t o = 0; o < ys[d]; ++o) {
                if (!active[d]) {
                    offset[d][o] = o * in_stride[d];
                } else {
                    offset[d][o] = tables[d].extrapolate[o] ? -1 : tables[d].index[o] * in_stride[d];
                }
            }
        }
        const int64_t last = ys[rank - 1];
        int64_t rows = 1;
        for (size_t d = 0; d + 1 < rank; ++d) rows *= ys[d];
        const float ev = extrapolation_value_;
        parallel_for(
            rows, threads,
            [&](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) {
                    int64_t rem = r, base = 0;
                    bool extra = false;
                    for (size_t d = rank - 1; d-- > 0;) {
                        int64_t o = rem % ys[d];
                        rem /= ys[d];
                        int64_t off = offset[d][o];
                        if (off < 0) extra = true;
                        base += off;
                    }
                    float* yr = y + r * last;
                    if (extra) {
                        std::fill(yr, yr + last, ev);
                        continue;
                    }
                    const float* xr = x + base;
                    const int64_t* lo = offset[rank - 1].data();
                    for (int64_t j = 0; j < last; ++j) yr[j] = lo[j] < 0 ? ev : xr[lo[j]];
                }
            },
            last);
    }

    void separable(const float* x, const Shape& xs, const Shape& ys, const std::vector<AxisTable>& tables,
                   const std::vector<bool>& active, float* y, int threads) const {
        const size_t rank = xs.size();
        std::vector<size_t> order;
        for (size_t d = 0; d < rank; ++d)
            if (active[d]) order.push_back(d);
        if (order.empty()) {
            std::copy(x, x + shape_element_count(xs), y);
            return;
        }
        Shape cur = xs;
        std::vector<float> a, b;
        const float* src = x;
        for (size_t step = 0; step < order.size(); ++step) {
            size_t d = order[step];
            Shape next = cur;
            next[d] = ys[d];
            float* dst;
            if (step + 1 == order.size()) {
                dst = y;
            } else {
                std::vector<float>& buf = (step % 2 == 0) ? a : b;
                buf.resize(shape_element_count(next));
                dst = buf.data();
            }
            int64_t outer = 1, inner = 1;
            for (size_t k = 0; k < d; ++k) outer *= cur[k];
            for (size_t k = d + 1; k < rank; ++k) inner *= cur[k];
            resize_axis(src, dst, outer, cur[d], ys[d], inner, tables[d], threads);
            src = dst;
            cur = next;
        }
    }

    void resize_axis(const float* src, float* dst, int64_t outer, int64_t n_in, int64_t n_out, int64_t inner,
                     const AxisTable& t, int threads) const {
        const float ev = extrapolation_value_;
        parallel_for(
            outer * n_out, threads,
            [&](int64_t q0, int64_t q1) {
                for (int64_t q = q0; q < q1; ++q) {
                    int64_t o = q / n_out, xo = q % n_out;
                    float* dr = dst + (o * n_out + xo) * inner;
                    if (t.extrapolate[xo]) {
                        std::fill(dr, dr + inner, ev);
                        continue;
                    }
                    const int64_t* idx = t.index.data() + xo * t.taps;
                    const float* wt = t.weight.data() + xo * t.taps;
                    const float* sr = src + o * n_in * inner;
                    if (inner == 1) {
                        float acc = 0.f;
                        for (int64_t k = 0; k < t.taps; ++k) acc += wt[k] * sr[idx[k]];
                        dr[0] = acc;
                        continue;
                    }
                    std::fill(dr, dr + inner, 0.f);
                    for (int64_t k = 0; k < t.taps; ++k) {
                        if (wt[k] == 0.f) continue;
                        const float* s = sr + idx[k] * inner;
                        const float w = wt[k];
                        for (int64_t i = 0; i < inner; ++i) dr[i] += w * s[i];
                    }
                }
            },
            inner * t.taps);
    }

    Mode mode_ = Mode::Nearest;
    Coord coord_ = Coord::HalfPixel;
    NearestMode nearest_ = NearestMode::RoundPreferFloor;
    float cubic_a_;
    bool exclude_outside_;
    bool antialias_;
    float extrapolation_value_;
};

}  // namespace

std::unique_ptr<Kernel> create_Resize(const ir::Node& node) { return std::make_unique<ResizeKernel>(node); }

}  // namespace kiln::cpu
