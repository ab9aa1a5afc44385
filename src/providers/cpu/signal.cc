// CPU kernels of the Signal family (see op_list.inc): DFT (forward, inverse, one-sided real FFT and its inverse),
// STFT, the Blackman / Hamming / Hann windows and MelWeightMatrix. Transforms run in double: radix-2 FFT when the
// length is a power of two, a direct DFT over a twiddle table otherwise. Float16 / bfloat16 / float / double data.
#include <cmath>
#include <complex>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/double_values.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

using Complex = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;

int64_t scalar_value(const ir::Node& node, const Tensor& t, const char* what) {
    KILN_CHECK(t.element_count() == 1, InvalidArgument, node.describe(), ": ", what, " must hold one value");
    return ops::tensor_to_int64s(t)[0];
}

// A transform plan of length n: bins k of sum_j in[j] * exp(sign * 2 pi i j k / n).
class Dft {
  public:
    Dft(int64_t n, bool inverse) : n_(n), pow2_(n > 0 && (n & (n - 1)) == 0) {
        double sign = inverse ? 1.0 : -1.0;
        twiddle_.resize(n);
        for (int64_t k = 0; k < n; ++k) {
            double a = sign * 2.0 * kPi * static_cast<double>(k) / static_cast<double>(n);
            twiddle_[k] = Complex(std::cos(a), std::sin(a));
        }
    }

    // in: n values; out: the first `bins` (<= n) bins. `work` is scratch of n values.
    void run(const Complex* in, Complex* out, int64_t bins, std::vector<Complex>& work) const {
        if (!pow2_) {
            for (int64_t k = 0; k < bins; ++k) {
                Complex s = 0;
                int64_t idx = 0;
                for (int64_t j = 0; j < n_; ++j) {
                    s += in[j] * twiddle_[idx];
                    idx += k;
                    if (idx >= n_) idx -= n_;
                }
                out[k] = s;
            }
            return;
        }
        work.assign(in, in + n_);
        int bits = 0;
        while ((int64_t{1} << bits) < n_) ++bits;
        for (int64_t i = 0; i < n_; ++i) {
            int64_t r = 0;
            for (int b = 0; b < bits; ++b)
                if (i & (int64_t{1} << b)) r |= int64_t{1} << (bits - 1 - b);
            if (r > i) std::swap(work[i], work[r]);
        }
        for (int64_t len = 2; len <= n_; len <<= 1) {
            int64_t step = n_ / len;
            for (int64_t i = 0; i < n_; i += len) {
                for (int64_t j = 0; j < len / 2; ++j) {
                    Complex u = work[i + j], v = work[i + j + len / 2] * twiddle_[j * step];
                    work[i + j] = u + v;
                    work[i + j + len / 2] = u - v;
                }
            }
        }
        for (int64_t k = 0; k < bins; ++k) out[k] = work[k];
    }

  private:
    int64_t n_;
    bool pow2_;
    std::vector<Complex> twiddle_;
};

class DftKernel : public Kernel {
  public:
    explicit DftKernel(const ir::Node& node)
        : inverse_(node.attr_int("inverse", 0) != 0), onesided_(node.attr_int("onesided", 0) != 0) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        check_float(node, x.dtype(), "input");
        const Shape& xs = x.shape();
        int64_t rank = static_cast<int64_t>(xs.size());
        int64_t axis = ctx.input(2) ? scalar_value(node, *ctx.input(2), "axis") : -2;
        if (axis < 0) axis += rank;
        KILN_CHECK(axis >= 0 && axis < rank - 1, InvalidArgument, node.describe(), ": axis out of range");
        int64_t n_in = xs[axis];
        int64_t n = ctx.input(1) ? scalar_value(node, *ctx.input(1), "dft_length")
                                 : (inverse_ && onesided_ ? 2 * (n_in - 1) : n_in);
        KILN_CHECK(n > 0, InvalidArgument, node.describe(), ": dft_length must be positive, got ", n);
        int64_t comps = xs.back();
        int64_t out_comps = y.shape().back();
        int64_t out_len = y.shape()[axis];
        int64_t outer = 1, inner = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= xs[d];
        for (int64_t d = axis + 1; d < rank - 1; ++d) inner *= xs[d];
        std::vector<double> in = ops::tensor_to_doubles(x);
        std::vector<double> out(y.element_count(), 0.0);
        Dft plan(n, inverse_);
        bool irfft = inverse_ && onesided_;
        double scale = inverse_ ? 1.0 / static_cast<double>(n) : 1.0;
        parallel_for(
            outer * inner, ctx.threads,
            [&](int64_t l0, int64_t l1) {
                std::vector<Complex> line(n), res(n), work;
                for (int64_t l = l0; l < l1; ++l) {
                    int64_t o = l / inner, i = l % inner;
                    auto at = [&](int64_t j) {
                        const double* p = in.data() + ((o * n_in + j) * inner + i) * comps;
                        return Complex(p[0], comps == 2 ? p[1] : 0.0);
                    };
                    if (irfft) {  // Hermitian extension of the one-sided spectrum
                        for (int64_t k = 0; k < n; ++k) {
                            int64_t src = k <= n / 2 ? k : n - k;
                            Complex v = src < n_in ? at(src) : Complex(0);
                            line[k] = k <= n / 2 ? v : std::conj(v);
                        }
                    } else {
                        for (int64_t j = 0; j < n; ++j) line[j] = j < n_in ? at(j) : Complex(0);
                    }
                    plan.run(line.data(), res.data(), out_len, work);
                    for (int64_t k = 0; k < out_len; ++k) {
                        double* q = out.data() + ((o * out_len + k) * inner + i) * out_comps;
                        q[0] = res[k].real() * scale;
                        if (out_comps == 2) q[1] = res[k].imag() * scale;
                    }
                }
            },
            n * n);
        store_values(node, y, out);
    }

  private:
    bool inverse_, onesided_;
};

class StftKernel : public Kernel {
  public:
    explicit StftKernel(const ir::Node& node) : onesided_(node.attr_int("onesided", 1) != 0) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        check_float(node, x.dtype(), "signal");
        const Shape& xs = x.shape();
        const Shape& ys = y.shape();
        int64_t batch = xs[0], len = xs[1], comps = xs[2];
        int64_t step = scalar_value(node, *ctx.input(1), "frame_step");
        int64_t frames = ys[1], bins = ys[2];
        int64_t fl = ctx.input(3) ? scalar_value(node, *ctx.input(3), "frame_length")
                                  : (ctx.input(2) ? ctx.input(2)->element_count() : len);
        std::vector<double> window(fl, 1.0);
        if (ctx.input(2)) {
            KILN_CHECK(ctx.input(2)->element_count() == fl, InvalidArgument, node.describe(), ": window length ",
                       ctx.input(2)->element_count(), " differs from frame_length ", fl);
            window = ops::tensor_to_doubles(*ctx.input(2));
        }
        KILN_CHECK(step > 0 && (frames - 1) * step + fl <= len, InvalidArgument, node.describe(),
                   ": frames exceed the signal");
        std::vector<double> in = ops::tensor_to_doubles(x);
        std::vector<double> out(y.element_count(), 0.0);
        Dft plan(fl, false);
        parallel_for(
            batch * frames, ctx.threads,
            [&](int64_t f0, int64_t f1) {
                std::vector<Complex> line(fl), res(fl), work;
                for (int64_t f = f0; f < f1; ++f) {
                    int64_t b = f / frames, start = (f % frames) * step;
                    for (int64_t j = 0; j < fl; ++j) {
                        const double* p = in.data() + (b * len + start + j) * comps;
                        line[j] = Complex(p[0], comps == 2 ? p[1] : 0.0) * window[j];
                    }
                    plan.run(line.data(), res.data(), bins, work);
                    double* q = out.data() + f * bins * 2;
                    for (int64_t k = 0; k < bins; ++k) {
                        q[2 * k] = res[k].real();
                        q[2 * k + 1] = res[k].imag();
                    }
                }
            },
            fl * fl);
        store_values(node, y, out);
        (void)onesided_;  // the output's bin count (from the shape function) already reflects it
    }

  private:
    bool onesided_;
};

class WindowKernel : public Kernel {
  public:
    explicit WindowKernel(const ir::Node& node) : periodic_(node.attr_int("periodic", 1) != 0) {}

    void run(KernelContext& ctx) const override {
        Tensor& y = *ctx.output(0);
        int64_t size = y.element_count();
        double denom = static_cast<double>(periodic_ ? size : size - 1);
        std::vector<double> v(size);
        for (int64_t k = 0; k < size; ++k) {
            double a = 2.0 * kPi * static_cast<double>(k) / denom;
            switch (ctx.node.op) {
                case OpKind::HannWindow: {
                    double s = std::sin(kPi * static_cast<double>(k) / denom);
                    v[k] = s * s;
                    break;
                }
                case OpKind::HammingWindow: {
                    constexpr double kAlpha = 25.0 / 46.0;
                    v[k] = kAlpha - (1.0 - kAlpha) * std::cos(a);
                    break;
                }
                default:  // BlackmanWindow
                    v[k] = 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2.0 * a);
            }
        }
        store_values(ctx.node, y, v);
    }

  private:
    bool periodic_;
};

class MelWeightMatrixKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        Tensor& y = *ctx.output(0);
        int64_t bins = scalar_value(node, *ctx.input(0), "num_mel_bins");
        int64_t dft_length = scalar_value(node, *ctx.input(1), "dft_length");
        int64_t sample_rate = scalar_value(node, *ctx.input(2), "sample_rate");
        KILN_CHECK(sample_rate > 0, InvalidArgument, node.describe(), ": sample_rate must be positive");
        double lower = ops::tensor_to_doubles(*ctx.input(3)).at(0);
        double upper = ops::tensor_to_doubles(*ctx.input(4)).at(0);
        int64_t spectrogram_bins = dft_length / 2 + 1;
        auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
        double low_mel = to_mel(lower), high_mel = to_mel(upper);
        double step = (high_mel - low_mel) / static_cast<double>(bins + 2);
        std::vector<int64_t> freq(bins + 2);
        for (int64_t i = 0; i < bins + 2; ++i) {
            double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * step + low_mel) / 2595.0) - 1.0);
            freq[i] = static_cast<int64_t>(
                std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate)));
        }
        std::vector<double> out(spectrogram_bins * bins, 0.0);
        auto set = [&](int64_t row, int64_t col, double v) {
            KILN_CHECK(row >= 0 && row < spectrogram_bins, InvalidArgument, node.describe(), ": mel bin edge ", row,
                       " falls outside the ", spectrogram_bins, " spectrogram bins (check the edge frequencies)");
            out[row * bins + col] = v;
        };
        for (int64_t i = 0; i < bins; ++i) {
            int64_t lo = freq[i], center = freq[i + 1], hi = freq[i + 2];
            if (center == lo) {
                set(center, i, 1.0);
            } else {
                for (int64_t j = lo; j <= center; ++j)
                    set(j, i, static_cast<double>(j - lo) / static_cast<double>(center - lo));
            }
            if (hi > center) {
                for (int64_t j = center; j < hi; ++j)
                    set(j, i, static_cast<double>(hi - j) / static_cast<double>(hi - center));
            }
        }
        store_values(node, y, out);
    }
};

}  // namespace

std::unique_ptr<Kernel> create_Signal(const ir::Node& node) {
    switch (node.op) {
        case OpKind::DFT:
            return std::make_unique<DftKernel>(node);
        case OpKind::STFT:
            return std::make_unique<StftKernel>(node);
        case OpKind::BlackmanWindow:
        case OpKind::HammingWindow:
        case OpKind::HannWindow:
            return std::make_unique<WindowKernel>(node);
        case OpKind::MelWeightMatrix:
            return std::make_unique<MelWeightMatrixKernel>();
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Signal-family op");
    }
}

}  // namespace kiln::cpu
