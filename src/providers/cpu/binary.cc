// CPU kernels of the Binary family (see op_list.inc): elementwise ops with numpy broadcasting. The broadcast plan
// (providers/cpu/broadcast.h) turns every input pair into rows where each side advances by 0 or 1, so the inner
// loops below are plain vectorisable loops for the same-shape, scalar and row-broadcast cases.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "ops/shape_util.h"
#include "providers/cpu/broadcast.h"
#include "providers/cpu/dispatch_by_size.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

using Offsets = std::array<int64_t, kMaxBroadcastInputs>;

// y = f(a, b) over the plan. Tr: the inputs' traits; OTr: the output's (f returns something convertible to its
// compute type).
template <typename Tr, typename OTr, typename F>
void broadcast_binary(const BroadcastPlan& plan, const typename Tr::Storage* a, const typename Tr::Storage* b,
                      typename OTr::Storage* y, int threads, int64_t cost, const F& f) {
    using OC = typename OTr::Compute;
    const bool sa = plan.inner_stride[0] != 0;
    const bool sb = plan.inner_stride[1] != 0;
    for_each_row(plan, threads, cost, [&](const Offsets& o, int64_t pos, int64_t n) {
        const auto* pa = a + o[0];
        const auto* pb = b + o[1];
        auto* py = y + pos;
        if (sa && sb) {
            for (int64_t i = 0; i < n; ++i) py[i] = OTr::store(static_cast<OC>(f(Tr::load(pa[i]), Tr::load(pb[i]))));
        } else if (sa) {
            const auto vb = Tr::load(*pb);
            for (int64_t i = 0; i < n; ++i) py[i] = OTr::store(static_cast<OC>(f(Tr::load(pa[i]), vb)));
        } else if (sb) {
            const auto va = Tr::load(*pa);
            for (int64_t i = 0; i < n; ++i) py[i] = OTr::store(static_cast<OC>(f(va, Tr::load(pb[i]))));
        } else {
            const auto v = OTr::store(static_cast<OC>(f(Tr::load(*pa), Tr::load(*pb))));
            std::fill(py, py + n, v);
        }
    });
}

// y = f(input a, input b), all of one dtype in kAllowed (or bool output with kBoolOut).
template <uint32_t kAllowed, bool kBoolOut = false, typename F>
void run_pair(const KernelContext& ctx, const Tensor& a, const Tensor& b, Tensor& y, int64_t cost, const F& f) {
    BroadcastPlan plan = make_broadcast_plan(y.shape(), {&a.shape(), &b.shape()});
    dispatch_dtype<kAllowed>(a.dtype(), ctx.node, [&](auto traits) {
        using Tr = decltype(traits);
        using S = typename Tr::Storage;
        if constexpr (kBoolOut) {
            using OTr = DTypeTraits<DType::Bool>;
            broadcast_binary<Tr, OTr>(plan, a.data<S>(), b.data<S>(), y.data<uint8_t>(), ctx.threads, cost, f);
        } else {
            broadcast_binary<Tr, Tr>(plan, a.data<S>(), b.data<S>(), y.data<S>(), ctx.threads, cost, f);
        }
    });
}

template <uint32_t kAllowed, bool kBoolOut = false, typename F>
void run_binary(const KernelContext& ctx, int64_t cost, const F& f) {
    run_pair<kAllowed, kBoolOut>(ctx, *ctx.input(0), *ctx.input(1), *ctx.output(0), cost, f);
}

void copy_broadcast(const KernelContext& ctx, const Tensor& x, Tensor& y) {
    if (x.shape() == y.shape()) {
        if (x.raw_data() != y.raw_data()) std::memcpy(y.raw_data(), x.raw_data(), x.byte_size());
        return;
    }
    BroadcastPlan plan = make_broadcast_plan(y.shape(), {&x.shape()});
    auto copy = [&](auto zero) {
        using T = decltype(zero);
        const T* in = x.data<T>();
        T* out = y.data<T>();
        for_each_row(plan, ctx.threads, 1, [&](const Offsets& o, int64_t pos, int64_t n) {
            if (plan.inner_stride[0]) {
                std::memcpy(out + pos, in + o[0], n * sizeof(T));
            } else {
                std::fill(out + pos, out + pos + n, in[o[0]]);
            }
        });
    };
    switch (dtype_bits(x.dtype())) {
        case 8:
            return copy(uint8_t{});
        case 16:
            return copy(uint16_t{});
        case 32:
            return copy(uint32_t{});
        case 64:
            return copy(uint64_t{});
        default:
            fail(ErrorCode::NotImplemented, ctx.node.describe(), ": dtype ", dtype_name(x.dtype()));
    }
}

// Max, Min, Sum, Mean over 1..N inputs: the output starts as input 0 (broadcast), then folds the others in.
template <uint32_t kAllowed, typename F>
void run_variadic(const KernelContext& ctx, bool mean, const F& f) {
    Tensor& y = *ctx.output(0);
    size_t n = ctx.inputs.size();
    for (size_t i = 0; i < n; ++i) check_dtype(ctx.node, ctx.input(i)->dtype(), kAllowed);
    if (n == 2) {
        run_pair<kAllowed>(ctx, *ctx.input(0), *ctx.input(1), y, 1, f);
    } else {
        copy_broadcast(ctx, *ctx.input(0), y);
        for (size_t i = 1; i < n; ++i) run_pair<kAllowed>(ctx, y, *ctx.input(i), y, 1, f);
    }
    if (mean && n > 1) {
        dispatch_dtype<kAllowed & kFloatTypes>(y.dtype(), ctx.node, [&](auto traits) {
            using Tr = decltype(traits);
            using S = typename Tr::Storage;
            using C = typename Tr::Compute;
            S* p = y.data<S>();
            const C scale = C(1) / static_cast<C>(n);
            parallel_for(y.element_count(), ctx.threads, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) p[i] = Tr::store(Tr::load(p[i]) * scale);
            });
        });
    }
}

template <typename C>
C int_pow(C base, C exp) {
    using U = std::make_unsigned_t<C>;
    if constexpr (std::is_signed_v<C>) {
        if (exp < 0) {
            if (base == 1) return 1;
            if (base == -1) return (exp & 1) ? -1 : 1;
            return 0;
        }
    }
    U result = 1, b = static_cast<U>(base);
    for (U e = static_cast<U>(exp); e != 0; e >>= 1) {
        if (e & 1) result *= b;
        b *= b;
    }
    return static_cast<C>(result);
}

// double -> integer the way numpy's astype does on x86 for out-of-range values (the lowest value).
template <typename C>
C from_double(double v) {
    if constexpr (std::is_floating_point_v<C>) {
        return static_cast<C>(v);
    } else {
        if (!(v >= static_cast<double>(std::numeric_limits<C>::lowest()) &&
              v < static_cast<double>(std::numeric_limits<C>::max()))) {
            return std::numeric_limits<C>::lowest();
        }
        return static_cast<C>(v);
    }
}

constexpr uint32_t kPowBaseTypes = kFloatTypes | dtype_bit(DType::Int32) | dtype_bit(DType::Int64);
constexpr uint32_t kPReluTypes = kFloatTypes | dtype_bit(DType::Int32) | dtype_bit(DType::Int64) |
                                 dtype_bit(DType::UInt32) | dtype_bit(DType::UInt64);

void run_pow(const KernelContext& ctx) {
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    Tensor& y = *ctx.output(0);
    check_dtype(ctx.node, b.dtype(), kNumericTypes, "exponent");
    // A scalar exponent of 2, 1 or 0.5 (x^2 in decomposed norms): a flat loop without pow().
    if (b.element_count() == 1 && dtype_is_float(a.dtype()) && a.element_count() == y.element_count()) {
        double e = ops::tensor_to_doubles(b)[0];
        if (e == 2.0 || e == 1.0 || e == 0.5) {
            dispatch_dtype<kFloatTypes>(a.dtype(), ctx.node, [&](auto traits) {
                using Tr = decltype(traits);
                using S = typename Tr::Storage;
                const S* in = a.data<S>();
                S* out = y.data<S>();
                parallel_for(y.element_count(), ctx.threads, [&](int64_t lo, int64_t hi) {
                    if (e == 2.0) {
                        for (int64_t i = lo; i < hi; ++i) out[i] = Tr::store(Tr::load(in[i]) * Tr::load(in[i]));
                    } else if (e == 1.0) {
                        for (int64_t i = lo; i < hi; ++i) out[i] = in[i];
                    } else {
                        for (int64_t i = lo; i < hi; ++i) out[i] = Tr::store(std::sqrt(Tr::load(in[i])));
                    }
                });
            });
            return;
        }
    }
    if (a.dtype() == b.dtype()) {
        return run_pair<kPowBaseTypes>(ctx, a, b, y, 16, [](auto x, auto e) {
            using C = decltype(x);
            if constexpr (std::is_integral_v<C>) {
                return int_pow(x, e);
            } else {
                return std::pow(x, e);
            }
        });
    }
    // Mixed dtypes (numpy promotes): compute in double, store in the base's dtype.
    std::vector<double> av = ops::tensor_to_doubles(a);
    std::vector<double> bv = ops::tensor_to_doubles(b);
    BroadcastPlan plan = make_broadcast_plan(y.shape(), {&a.shape(), &b.shape()});
    dispatch_dtype<kPowBaseTypes>(a.dtype(), ctx.node, [&](auto traits) {
        using Tr = decltype(traits);
        using S = typename Tr::Storage;
        using C = typename Tr::Compute;
        S* out = y.data<S>();
        const int64_t sa = plan.inner_stride[0], sb = plan.inner_stride[1];
        for_each_row(plan, ctx.threads, 16, [&](const Offsets& o, int64_t pos, int64_t n) {
            for (int64_t i = 0; i < n; ++i) {
                out[pos + i] = Tr::store(from_double<C>(std::pow(av[o[0] + i * sa], bv[o[1] + i * sb])));
            }
        });
    });
}

template <typename T>
void where_loop(const KernelContext& ctx, const BroadcastPlan& plan, const uint8_t* c, const T* x, const T* y, T* out) {
    const int64_t sc = plan.inner_stride[0], sx = plan.inner_stride[1], sy = plan.inner_stride[2];
    for_each_row(plan, ctx.threads, 1, [&](const Offsets& o, int64_t pos, int64_t n) {
        const uint8_t* pc = c + o[0];
        const T* px = x + o[1];
        const T* py = y + o[2];
        T* po = out + pos;
        if (sc && sx && sy) {
            for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? px[i] : py[i];
        } else {
            for (int64_t i = 0; i < n; ++i) po[i] = pc[i * sc] ? px[i * sx] : py[i * sy];
        }
    });
}

void run_where(const KernelContext& ctx) {
    const Tensor& c = *ctx.input(0);
    const Tensor& x = *ctx.input(1);
    const Tensor& y = *ctx.input(2);
    Tensor& out = *ctx.output(0);
    KILN_CHECK(c.dtype() == DType::Bool, InvalidArgument, ctx.node.describe(), ": condition must be bool, got ",
               dtype_name(c.dtype()));
    BroadcastPlan plan = make_broadcast_plan(out.shape(), {&c.shape(), &x.shape(), &y.shape()});
    const uint8_t* cp = c.data<uint8_t>();
    auto run = [&](auto zero) {
        using T = decltype(zero);
        where_loop<T>(ctx, plan, cp, x.data<T>(), y.data<T>(), out.data<T>());
    };
    dispatch_by_size(ctx.node, x.dtype(), run);
}

void run_string_equal(const KernelContext& ctx) {
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    Tensor& y = *ctx.output(0);
    BroadcastPlan plan = make_broadcast_plan(y.shape(), {&a.shape(), &b.shape()});
    const std::string* pa = a.data<std::string>();
    const std::string* pb = b.data<std::string>();
    uint8_t* py = y.data<uint8_t>();
    const int64_t sa = plan.inner_stride[0], sb = plan.inner_stride[1];
    for_each_row(plan, ctx.threads, 8, [&](const Offsets& o, int64_t pos, int64_t n) {
        for (int64_t i = 0; i < n; ++i) py[pos + i] = pa[o[0] + i * sa] == pb[o[1] + i * sb] ? 1 : 0;
    });
}

class BinaryKernel final : public Kernel {
  public:
    explicit BinaryKernel(const ir::Node& node) : op_(node.op) {
        fmod_ = node.attr_int("fmod", 0) != 0;
        if (op_ == OpKind::BitShift) {
            std::string direction = node.attr_string("direction", "");
            KILN_CHECK(direction == "LEFT" || direction == "RIGHT", InvalidModel, node.describe(),
                       ": direction must be 'LEFT' or 'RIGHT', got '", direction, "'");
            shift_left_ = direction == "LEFT";
        }
        size_t first = op_ == OpKind::Where ? 1 : 0;
        const ir::Value* v = node.input(first);
        KILN_CHECK(v != nullptr, InvalidModel, node.describe(), ": input ", first, " is required");
        check_dtype(node, v->type.dtype, allowed_dtypes(op_));
    }

    void run(KernelContext& ctx) const override;

  private:
    static uint32_t allowed_dtypes(OpKind op) {
        switch (op) {
            case OpKind::Pow:
                return kPowBaseTypes;
            case OpKind::PRelu:
                return kPReluTypes;
            case OpKind::Mean:
            case OpKind::Sum:
                return kFloatTypes;
            case OpKind::BitShift:
                return kUnsignedInts;
            case OpKind::BitwiseAnd:
            case OpKind::BitwiseOr:
            case OpKind::BitwiseXor:
                return kIntTypes;
            case OpKind::Equal:
                return kNumericTypes | kBoolType | dtype_bit(DType::String);
            case OpKind::And:
            case OpKind::Or:
            case OpKind::Xor:
                return kBoolType;
            case OpKind::Where:
                return ~0u & ~dtype_bit(DType::Complex128);
            default:
                return kNumericTypes;
        }
    }

    OpKind op_;
    bool fmod_ = false;
    bool shift_left_ = true;
};

void BinaryKernel::run(KernelContext& ctx) const {
    switch (op_) {
        case OpKind::Add:
            return run_binary<kNumericTypes>(ctx, 1, [](auto a, auto b) { return a + b; });
        case OpKind::Sub:
            return run_binary<kNumericTypes>(ctx, 1, [](auto a, auto b) { return a - b; });
        case OpKind::Mul:
            return run_binary<kNumericTypes>(ctx, 1, [](auto a, auto b) { return a * b; });
        case OpKind::Div:
            // Integers truncate toward zero (C semantics, as the ONNX reference); x / 0 gives 0.
            return run_binary<kNumericTypes>(ctx, 2, [](auto a, auto b) {
                using C = decltype(a);
                if constexpr (std::is_integral_v<C>) {
                    if (b == 0) return C(0);
                    if constexpr (std::is_signed_v<C>) {
                        if (b == C(-1)) return static_cast<C>(std::make_unsigned_t<C>(0) - std::make_unsigned_t<C>(a));
                    }
                    return static_cast<C>(a / b);
                } else {
                    return a / b;
                }
            });
        case OpKind::Mod:
            if (fmod_) {
                return run_binary<kNumericTypes>(ctx, 4, [](auto a, auto b) {
                    using C = decltype(a);
                    if constexpr (std::is_integral_v<C>) {
                        if (b == 0) return C(0);
                        if constexpr (std::is_signed_v<C>) {
                            if (b == C(-1)) return C(0);
                        }
                        return static_cast<C>(a % b);
                    } else {
                        return std::fmod(a, b);
                    }
                });
            }
            // fmod=0: integers take the divisor's sign (Python); floats use fmod, as the ONNX reference does.
            return run_binary<kNumericTypes>(ctx, 4, [](auto a, auto b) {
                using C = decltype(a);
                if constexpr (std::is_integral_v<C>) {
                    if (b == 0) return C(0);
                    if constexpr (std::is_signed_v<C>) {
                        if (b == C(-1)) return C(0);
                        C r = static_cast<C>(a % b);
                        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
                        return r;
                    } else {
                        return static_cast<C>(a % b);
                    }
                } else {
                    return std::fmod(a, b);
                }
            });
        case OpKind::Pow:
            return run_pow(ctx);
        case OpKind::PRelu:
            return run_binary<kPReluTypes>(ctx, 1, [](auto x, auto slope) {
                using C = decltype(x);
                return x < C(0) ? static_cast<C>(slope * x) : x;
            });
        case OpKind::Max:
            return run_variadic<kNumericTypes>(ctx, false, [](auto a, auto b) {
                return (b > a || b != b) ? b : a;  // NaN propagates, as numpy.maximum
            });
        case OpKind::Min:
            return run_variadic<kNumericTypes>(ctx, false, [](auto a, auto b) { return (b < a || b != b) ? b : a; });
        case OpKind::Sum:
            return run_variadic<kFloatTypes>(ctx, false, [](auto a, auto b) { return a + b; });
        case OpKind::Mean:
            return run_variadic<kFloatTypes>(ctx, true, [](auto a, auto b) { return a + b; });
        case OpKind::BitShift:
            if (shift_left_) {
                return run_binary<kUnsignedInts>(ctx, 1, [](auto a, auto b) {
                    using C = decltype(a);
                    return b >= sizeof(C) * 8 ? C(0) : static_cast<C>(a << b);
                });
            }
            return run_binary<kUnsignedInts>(ctx, 1, [](auto a, auto b) {
                using C = decltype(a);
                return b >= sizeof(C) * 8 ? C(0) : static_cast<C>(a >> b);
            });
        case OpKind::BitwiseAnd:
            return run_binary<kIntTypes>(ctx, 1, [](auto a, auto b) { return static_cast<decltype(a)>(a & b); });
        case OpKind::BitwiseOr:
            return run_binary<kIntTypes>(ctx, 1, [](auto a, auto b) { return static_cast<decltype(a)>(a | b); });
        case OpKind::BitwiseXor:
            return run_binary<kIntTypes>(ctx, 1, [](auto a, auto b) { return static_cast<decltype(a)>(a ^ b); });
        case OpKind::Equal:
            if (ctx.input(0)->dtype() == DType::String) return run_string_equal(ctx);
            return run_binary<kNumericTypes | kBoolType, true>(ctx, 1, [](auto a, auto b) { return a == b; });
        case OpKind::Greater:
            return run_binary<kNumericTypes, true>(ctx, 1, [](auto a, auto b) { return a > b; });
        case OpKind::GreaterOrEqual:
            return run_binary<kNumericTypes, true>(ctx, 1, [](auto a, auto b) { return a >= b; });
        case OpKind::Less:
            return run_binary<kNumericTypes, true>(ctx, 1, [](auto a, auto b) { return a < b; });
        case OpKind::LessOrEqual:
            return run_binary<kNumericTypes, true>(ctx, 1, [](auto a, auto b) { return a <= b; });
        case OpKind::And:
            return run_binary<kBoolType, true>(ctx, 1, [](auto a, auto b) { return (a != 0) & (b != 0); });
        case OpKind::Or:
            return run_binary<kBoolType, true>(ctx, 1, [](auto a, auto b) { return (a != 0) | (b != 0); });
        case OpKind::Xor:
            return run_binary<kBoolType, true>(ctx, 1, [](auto a, auto b) { return (a != 0) != (b != 0); });
        case OpKind::Where:
            return run_where(ctx);
        default:
            fail(ErrorCode::Internal, ctx.node.describe(), ": not a Binary op");
    }
}

}  // namespace

std::unique_ptr<Kernel> create_Binary(const ir::Node& node) { return std::make_unique<BinaryKernel>(node); }

}  // namespace kiln::cpu
