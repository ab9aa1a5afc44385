// CPU kernels of the Unary family (see op_list.inc). One kernel class: the op and its attributes are read at
// creation; run() dispatches on the input dtype and runs one flat loop (float16/bfloat16 through float), split
// over threads by parallel_for for large tensors.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/double_values.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/vec_math.h"

namespace kiln::cpu {
namespace {

// y[i] = f(x[i]) in the compute type, stored back in x's dtype (kBoolOut: stored as bool).
template <uint32_t kAllowed, bool kBoolOut = false, typename F>
void map_elements(const KernelContext& ctx, int64_t cost, F f) {
    const Tensor& x = *ctx.input(0);
    Tensor& y = *ctx.output(0);
    int64_t n = x.element_count();
    dispatch_dtype<kAllowed>(x.dtype(), ctx.node, [&](auto traits) {
        using Tr = decltype(traits);
        using S = typename Tr::Storage;
        using C = typename Tr::Compute;
        const S* in = x.data<S>();
        if constexpr (kBoolOut) {
            uint8_t* out = y.data<uint8_t>();
            parallel_for(
                n, ctx.threads,
                [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) out[i] = f(Tr::load(in[i])) ? 1 : 0;
                },
                cost);
        } else {
            S* out = y.data<S>();
            parallel_for(
                n, ctx.threads,
                [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) out[i] = Tr::store(static_cast<C>(f(Tr::load(in[i]))));
                },
                cost);
        }
    });
}

void copy_tensor(const Tensor& x, Tensor& y) {
    if (x.raw_data() == y.raw_data()) return;
    if (x.dtype() == DType::String) {
        const std::string* in = x.data<std::string>();
        std::string* out = y.data<std::string>();
        std::copy(in, in + x.element_count(), out);
        return;
    }
    std::memcpy(y.raw_data(), x.raw_data(), x.byte_size());
}

template <typename C>
constexpr C lowest_of() {
    if constexpr (std::is_floating_point_v<C>) {
        return -std::numeric_limits<C>::infinity();
    } else {
        return std::numeric_limits<C>::lowest();
    }
}

template <typename C>
constexpr C highest_of() {
    if constexpr (std::is_floating_point_v<C>) {
        return std::numeric_limits<C>::infinity();
    } else {
        return std::numeric_limits<C>::max();
    }
}

// erf in the compute type: the vectorisable approximation for float (error < 2e-7), libm for double.
template <typename C>
C erf_of(C v) {
    if constexpr (std::is_same_v<C, float>) {
        return erf_approx(v);
    } else {
        return std::erf(v);
    }
}

uint32_t allowed_dtypes(OpKind op) {
    switch (op) {
        case OpKind::Abs:
        case OpKind::Sign:
        case OpKind::Clip:
            return kNumericTypes;
        case OpKind::Neg:
        case OpKind::Relu:
            return kFloatTypes | kSignedInts;
        case OpKind::Not:
            return kBoolType;
        case OpKind::Identity:
            return ~0u;
        case OpKind::Dropout:
            return kFloatTypes;
        default:
            return kFloatTypes;
    }
}

class UnaryKernel final : public Kernel {
  public:
    explicit UnaryKernel(const ir::Node& node) : op_(node.op) {
        switch (op_) {
            case OpKind::Celu:
            case OpKind::Elu:
            case OpKind::ThresholdedRelu:
                alpha_ = node.attr_float("alpha", 1.0f);
                break;
            case OpKind::LeakyRelu:
                alpha_ = node.attr_float("alpha", 0.01f);
                break;
            case OpKind::Selu:
                alpha_ = node.attr_float("alpha", 1.67326319217681884765625f);
                gamma_ = node.attr_float("gamma", 1.05070102214813232421875f);
                break;
            case OpKind::HardSigmoid:
                alpha_ = node.attr_float("alpha", 0.2f);
                beta_ = node.attr_float("beta", 0.5f);
                break;
            case OpKind::Gelu: {
                std::string approximate = node.attr_string("approximate", "none");
                KILN_CHECK(approximate == "none" || approximate == "tanh", InvalidModel, node.describe(),
                           ": approximate must be 'none' or 'tanh', got '", approximate, "'");
                gelu_tanh_ = approximate == "tanh";
                break;
            }
            case OpKind::Dropout:
                dropout_random_.emplace(node);
                break;
            case OpKind::IsInf:
                detect_negative_ = node.attr_int("detect_negative", 1) != 0;
                detect_positive_ = node.attr_int("detect_positive", 1) != 0;
                break;
            default:
                break;
        }
        if (op_ == OpKind::Celu) KILN_CHECK(alpha_ != 0, InvalidModel, node.describe(), ": alpha must not be 0");
        const ir::Value* x = node.input(0);
        KILN_CHECK(x != nullptr, InvalidModel, node.describe(), ": input 0 is required");
        check_dtype(node, x->type.dtype, allowed_dtypes(op_));
    }

    void run(KernelContext& ctx) const override;

  private:
    void run_clip(KernelContext& ctx) const;
    void run_dropout(KernelContext& ctx) const;

    OpKind op_;
    float alpha_ = 0, beta_ = 0, gamma_ = 0;
    bool gelu_tanh_ = false;
    bool detect_negative_ = true, detect_positive_ = true;
    std::optional<RandomSource> dropout_random_;  // Dropout: the generator for training mode
};

void UnaryKernel::run_clip(KernelContext& ctx) const {
    const Tensor* lo_t = ctx.input(1);
    const Tensor* hi_t = ctx.input(2);
    for (const Tensor* t : {lo_t, hi_t}) {
        if (!t) continue;
        KILN_CHECK(t->element_count() == 1 && t->dtype() == ctx.input(0)->dtype(), InvalidArgument, ctx.node.describe(),
                   ": min and max must be scalars of the input's dtype");
    }
    const Tensor& x = *ctx.input(0);
    Tensor& y = *ctx.output(0);
    int64_t n = x.element_count();
    dispatch_dtype<kNumericTypes>(x.dtype(), ctx.node, [&](auto traits) {
        using Tr = decltype(traits);
        using S = typename Tr::Storage;
        using C = typename Tr::Compute;
        C lo = lo_t ? Tr::load(lo_t->data<S>()[0]) : lowest_of<C>();
        C hi = hi_t ? Tr::load(hi_t->data<S>()[0]) : highest_of<C>();
        const S* in = x.data<S>();
        S* out = y.data<S>();
        parallel_for(n, ctx.threads, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                C v = Tr::load(in[i]);
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                out[i] = Tr::store(v);
            }
        });
    });
}

// Inference (training_mode absent or false, or ratio 0): the output is the input and the mask all true. Training:
// each element is kept with probability 1 - ratio and scaled by 1 / (1 - ratio), as ONNX defines it; the mask says
// which were kept. Random numbers from the node's seed attribute when it has one.
void UnaryKernel::run_dropout(KernelContext& ctx) const {
    const Tensor* training = ctx.input(2);
    double ratio = 0.5;
    if (const Tensor* r = ctx.input(1)) {
        auto values = ops::tensor_to_doubles(*r);
        if (!values.empty()) ratio = values[0];
    }
    bool train = training && training->element_count() > 0 && training->data<uint8_t>()[0] != 0 && ratio != 0;
    if (!train) {
        copy_tensor(*ctx.input(0), *ctx.output(0));
        if (Tensor* mask = ctx.output(1)) std::memset(mask->raw_data(), 1, mask->byte_size());
        return;
    }
    KILN_CHECK(ratio > 0 && ratio < 1, InvalidArgument, ctx.node.describe(), ": ratio must be in [0, 1), got ", ratio);
    const Tensor& x = *ctx.input(0);
    check_float(ctx.node, x.dtype(), "input");
    std::vector<double> v = ops::tensor_to_doubles(x);
    std::vector<uint8_t> keep(v.size());
    auto g = dropout_random_->engine();
    const double scale = 1.0 / (1.0 - ratio);
    for (size_t i = 0; i < v.size(); ++i) {
        keep[i] = uniform01(g) >= ratio;
        v[i] = keep[i] ? v[i] * scale : 0.0;
    }
    store_values(ctx.node, *ctx.output(0), v);
    if (Tensor* mask = ctx.output(1)) std::memcpy(mask->raw_data(), keep.data(), keep.size());
}

void UnaryKernel::run(KernelContext& ctx) const {
    const float alpha = alpha_, beta = beta_, gamma = gamma_;
    switch (op_) {
        case OpKind::Abs:
            return map_elements<kNumericTypes>(ctx, 1, [](auto v) {
                using C = decltype(v);
                if constexpr (std::is_unsigned_v<C>) {
                    return v;
                } else {
                    return static_cast<C>(v < 0 ? -v : v);
                }
            });
        case OpKind::Neg:
            return map_elements<kFloatTypes | kSignedInts>(ctx, 1, [](auto v) {
                using C = decltype(v);
                if constexpr (std::is_integral_v<C>) {
                    return static_cast<C>(static_cast<std::make_unsigned_t<C>>(0) -
                                          static_cast<std::make_unsigned_t<C>>(v));
                } else {
                    return -v;
                }
            });
        case OpKind::Relu:
            return map_elements<kFloatTypes | kSignedInts>(ctx, 1, [](auto v) {
                using C = decltype(v);
                return v < C(0) ? C(0) : v;
            });
        case OpKind::Sign:
            return map_elements<kNumericTypes>(ctx, 1, [](auto v) {
                using C = decltype(v);
                return v > C(0) ? C(1) : (v < C(0) ? static_cast<C>(-1) : v);
            });
        case OpKind::Acos:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::acos(v); });
        case OpKind::Acosh:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::acosh(v); });
        case OpKind::Asin:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::asin(v); });
        case OpKind::Asinh:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::asinh(v); });
        case OpKind::Atan:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::atan(v); });
        case OpKind::Atanh:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::atanh(v); });
        case OpKind::Cos:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::cos(v); });
        case OpKind::Cosh:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::cosh(v); });
        case OpKind::Sin:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::sin(v); });
        case OpKind::Sinh:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::sinh(v); });
        case OpKind::Tan:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::tan(v); });
        case OpKind::Tanh:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::tanh(v); });
        case OpKind::Ceil:
            return map_elements<kFloatTypes>(ctx, 1, [](auto v) { return std::ceil(v); });
        case OpKind::Floor:
            return map_elements<kFloatTypes>(ctx, 1, [](auto v) { return std::floor(v); });
        // Half to even in the default rounding mode.
        case OpKind::Round:
            return map_elements<kFloatTypes>(ctx, 1, [](auto v) { return std::nearbyint(v); });
        case OpKind::Erf:
            return map_elements<kFloatTypes>(ctx, 4, [](auto v) { return erf_of(v); });
        case OpKind::Exp:
            return map_elements<kFloatTypes>(ctx, 4, [](auto v) { return exp_of(v); });
        case OpKind::Log:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) { return std::log(v); });
        case OpKind::Sqrt:
            return map_elements<kFloatTypes>(ctx, 2, [](auto v) { return std::sqrt(v); });
        case OpKind::Reciprocal:
            return map_elements<kFloatTypes>(ctx, 2, [](auto v) { return decltype(v)(1) / v; });
        case OpKind::Sigmoid:
            return map_elements<kFloatTypes>(ctx, 4, [](auto v) {
                using C = decltype(v);
                C e = exp_of(-std::fabs(v));  // in (0, 1]: no overflow either side
                C r = C(1) / (C(1) + e);
                return v >= C(0) ? r : e * r;
            });
        case OpKind::Softplus:
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) {
                using C = decltype(v);
                return std::max(v, C(0)) + std::log1p(std::exp(-std::fabs(v)));
            });
        case OpKind::Softsign:
            return map_elements<kFloatTypes>(ctx, 2, [](auto v) { return v / (decltype(v)(1) + std::fabs(v)); });
        case OpKind::Mish:
            return map_elements<kFloatTypes>(ctx, 32, [](auto v) {
                using C = decltype(v);
                C sp = std::max(v, C(0)) + std::log1p(std::exp(-std::fabs(v)));
                return v * std::tanh(sp);
            });
        case OpKind::Gelu:
            if (gelu_tanh_) {
                return map_elements<kFloatTypes>(ctx, 16, [](auto v) {
                    using C = decltype(v);
                    const C k = static_cast<C>(0.7978845608028654);  // sqrt(2 / pi)
                    return C(0.5) * v * (C(1) + std::tanh(k * (v + static_cast<C>(0.044715) * v * v * v)));
                });
            }
            return map_elements<kFloatTypes>(ctx, 16, [](auto v) {
                using C = decltype(v);
                return C(0.5) * v * (C(1) + erf_of(v * static_cast<C>(0.7071067811865476)));
            });
        case OpKind::Celu:
            return map_elements<kFloatTypes>(ctx, 8, [alpha](auto v) {
                using C = decltype(v);
                C a = static_cast<C>(alpha);
                return v > C(0) ? v : a * std::expm1(v / a);  // NaN falls through to expm1 and stays NaN
            });
        case OpKind::Elu:
            return map_elements<kFloatTypes>(ctx, 8, [alpha](auto v) {
                using C = decltype(v);
                return v < C(0) ? static_cast<C>(alpha) * std::expm1(v) : v;
            });
        case OpKind::Selu:
            return map_elements<kFloatTypes>(ctx, 8, [alpha, gamma](auto v) {
                using C = decltype(v);
                C a = static_cast<C>(alpha), g = static_cast<C>(gamma);
                return v > C(0) ? g * v : g * (a * exp_of(v) - a);
            });
        case OpKind::HardSigmoid:
            return map_elements<kFloatTypes>(ctx, 1, [alpha, beta](auto v) {
                using C = decltype(v);
                C r = static_cast<C>(alpha) * v + static_cast<C>(beta);
                return r < C(0) ? C(0) : (r > C(1) ? C(1) : r);  // NaN stays NaN
            });
        case OpKind::HardSwish:
            return map_elements<kFloatTypes>(ctx, 1, [](auto v) {
                using C = decltype(v);
                C r = v / C(6) + C(0.5);
                return v * std::min(C(1), std::max(C(0), r));
            });
        case OpKind::LeakyRelu:
            return map_elements<kFloatTypes>(ctx, 1, [alpha](auto v) {
                using C = decltype(v);
                return v < C(0) ? static_cast<C>(alpha) * v : v;
            });
        case OpKind::ThresholdedRelu:
            return map_elements<kFloatTypes>(ctx, 1, [alpha](auto v) {
                using C = decltype(v);
                return v > static_cast<C>(alpha) ? v : C(0);
            });
        case OpKind::Not:
            return map_elements<kBoolType>(ctx, 1, [](auto v) { return static_cast<uint8_t>(v == 0 ? 1 : 0); });
        case OpKind::IsNaN:
            return map_elements<kFloatTypes, true>(ctx, 1, [](auto v) { return v != v; });
        case OpKind::IsInf: {
            bool neg = detect_negative_, pos = detect_positive_;
            return map_elements<kFloatTypes, true>(ctx, 1, [neg, pos](auto v) {
                using C = decltype(v);
                constexpr C inf = std::numeric_limits<C>::infinity();
                return (pos && v == inf) || (neg && v == -inf);
            });
        }
        case OpKind::Clip:
            return run_clip(ctx);
        case OpKind::Identity:
            return copy_tensor(*ctx.input(0), *ctx.output(0));
        case OpKind::Dropout:
            return run_dropout(ctx);
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not a Unary op");
    }
}

}  // namespace

std::unique_ptr<Kernel> create_Unary(const ir::Node& node) { return std::make_unique<UnaryKernel>(node); }

}  // namespace kiln::cpu
