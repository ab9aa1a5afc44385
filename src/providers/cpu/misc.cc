// CPU kernels of the Misc family (see op_list.inc): BitCast (a byte copy between same-width types), Det (LU with
// partial pivoting in double, batched), and the random generators Bernoulli, Multinomial, RandomNormal(Like),
// RandomUniform(Like).
//
// Random ops draw from a 64-bit Mersenne Twister created afresh by every run: with the `seed` attribute the
// stream starts from that seed, so every run of the node gives the same output (kernels are shared by concurrent
// runs and must not keep generator state); without it the seed comes from std::random_device. The streams do not
// reproduce numpy's, so ONNX's node tests of these ops can only check shapes and dtypes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "common/half.h"
#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/double_values.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

class BitCastKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        KILN_CHECK(x.byte_size() == y.byte_size(), InvalidArgument, ctx.node.describe(), ": ", dtype_name(x.dtype()),
                   " and ", dtype_name(y.dtype()), " differ in width");
        if (x.byte_size() > 0) std::memcpy(y.raw_data(), x.raw_data(), x.byte_size());
    }
};

class DetKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const Tensor& xt = *ctx.input(0);
        check_float(ctx.node, xt.dtype(), "input");
        const Shape& s = xt.shape();
        int64_t n = s.back();
        std::vector<double> x = ops::tensor_to_doubles(xt);
        int64_t batch = ctx.output(0)->element_count();
        std::vector<double> det(batch);
        parallel_for(
            batch, ctx.threads,
            [&](int64_t b0, int64_t b1) {
                std::vector<double> a(n * n);
                for (int64_t b = b0; b < b1; ++b) {
                    std::copy_n(x.begin() + b * n * n, n * n, a.begin());
                    det[b] = lu_det(a.data(), n);
                }
            },
            n * n * n);
        store_values(ctx.node, *ctx.output(0), det);
    }

  private:
    // Determinant of the n x n row-major matrix `a` (overwritten) by LU with partial pivoting.
    static double lu_det(double* a, int64_t n) {
        double det = 1;
        for (int64_t k = 0; k < n; ++k) {
            int64_t p = k;
            for (int64_t i = k + 1; i < n; ++i)
                if (std::fabs(a[i * n + k]) > std::fabs(a[p * n + k])) p = i;
            if (a[p * n + k] == 0) return 0;
            if (p != k) {
                std::swap_ranges(a + p * n, a + p * n + n, a + k * n);
                det = -det;
            }
            double pivot = a[k * n + k];
            det *= pivot;
            for (int64_t i = k + 1; i < n; ++i) {
                double f = a[i * n + k] / pivot;
                if (f == 0) continue;
                for (int64_t j = k + 1; j < n; ++j) a[i * n + j] -= f * a[k * n + j];
            }
        }
        return det;
    }
};

class RandomKernel : public Kernel {
  public:
    explicit RandomKernel(const ir::Node& node)
        : source_(node),
          normal_(node.op == OpKind::RandomNormal || node.op == OpKind::RandomNormalLike),
          mean_(node.attr_float("mean", 0.f)),
          scale_(node.attr_float("scale", 1.f)),
          low_(node.attr_float("low", 0.f)),
          high_(node.attr_float("high", 1.f)) {}

    void run(KernelContext& ctx) const override {
        Tensor& y = *ctx.output(0);
        check_float(ctx.node, y.dtype(), "output");
        auto g = source_.engine();
        int64_t n = y.element_count();
        std::vector<double> v(n);
        if (normal_) {
            for (int64_t i = 0; i < n; i += 2) {  // Box-Muller, two values per pair of uniforms
                double u1 = 1.0 - uniform01(g), u2 = uniform01(g);
                double r = std::sqrt(-2.0 * std::log(u1));
                double t = 2.0 * std::numbers::pi * u2;
                v[i] = mean_ + scale_ * r * std::cos(t);
                if (i + 1 < n) v[i + 1] = mean_ + scale_ * r * std::sin(t);
            }
        } else {
            for (int64_t i = 0; i < n; ++i) v[i] = low_ + (high_ - low_) * uniform01(g);
        }
        store_values(ctx.node, y, v);
    }

  private:
    RandomSource source_;
    bool normal_;
    double mean_, scale_, low_, high_;
};

class BernoulliKernel : public Kernel {
  public:
    explicit BernoulliKernel(const ir::Node& node) : source_(node) {}

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        check_float(ctx.node, x.dtype(), "input");
        std::vector<double> p = ops::tensor_to_doubles(x);
        for (size_t i = 0; i < p.size(); ++i)
            KILN_CHECK(p[i] >= 0 && p[i] <= 1, InvalidArgument, ctx.node.describe(), ": probability ", p[i],
                       " at index ", i, " is outside [0, 1]");
        auto g = source_.engine();
        std::vector<double> v(p.size());
        for (size_t i = 0; i < p.size(); ++i) v[i] = uniform01(g) < p[i] ? 1.0 : 0.0;
        store_values(ctx.node, *ctx.output(0), v);
    }

  private:
    RandomSource source_;
};

class MultinomialKernel : public Kernel {
  public:
    explicit MultinomialKernel(const ir::Node& node) : source_(node) {}

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        check_float(ctx.node, x.dtype(), "input");
        std::vector<double> logits = ops::tensor_to_doubles(x);
        int64_t batch = x.shape()[0], classes = x.shape()[1];
        Tensor& y = *ctx.output(0);
        int64_t samples = y.shape()[1];
        auto g = source_.engine();
        std::vector<double> cdf(classes), out(batch * samples);
        for (int64_t b = 0; b < batch; ++b) {
            const double* l = logits.data() + b * classes;
            double mx = -std::numeric_limits<double>::infinity();
            for (int64_t c = 0; c < classes; ++c) mx = std::max(mx, l[c]);
            double total = 0;
            for (int64_t c = 0; c < classes; ++c) {
                total += std::isinf(mx) ? 0.0 : std::exp(l[c] - mx);
                cdf[c] = total;
            }
            KILN_CHECK(classes > 0 && std::isfinite(total) && total > 0, InvalidArgument, ctx.node.describe(),
                       ": batch row ", b, " has no finite log-probability to sample from");
            for (int64_t s = 0; s < samples; ++s) {
                double u = uniform01(g) * total;
                int64_t c = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
                out[b * samples + s] = static_cast<double>(std::min(c, classes - 1));
            }
        }
        store_values(ctx.node, y, out);
    }

  private:
    RandomSource source_;
};

}  // namespace

std::unique_ptr<Kernel> create_Misc(const ir::Node& node) {
    switch (node.op) {
        case OpKind::BitCast:
            return std::make_unique<BitCastKernel>();
        case OpKind::Det:
            return std::make_unique<DetKernel>();
        case OpKind::Bernoulli:
            return std::make_unique<BernoulliKernel>(node);
        case OpKind::Multinomial:
            return std::make_unique<MultinomialKernel>(node);
        case OpKind::RandomNormal:
        case OpKind::RandomNormalLike:
        case OpKind::RandomUniform:
        case OpKind::RandomUniformLike:
            return std::make_unique<RandomKernel>(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Misc-family op");
    }
}

}  // namespace kiln::cpu
