// CPU kernels of the Recurrent family (see op_list.inc). This file: the factory and RNN / GRU / LSTM (opset 22
// meaning). Per direction, the input projection X·W^T + biases of every time step is one sgemm; each step then
// runs one recurrence sgemm H_{t-1}·R^T for the whole batch (two for GRU with linear_before_reset=0, whose
// candidate gate multiplies the reset gate in before R_h) followed by the gate arithmetic. Computes in float32
// (float16, bfloat16 and double converted through FloatView).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/gemm.h"
#include "providers/cpu/recurrent_kernels.h"
#include "providers/cpu/vec_math.h"

namespace kiln::cpu {

void check_recurrent_dtype(const ir::Node& node, DType t, const char* what) {
    KILN_CHECK(t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16, NotImplemented,
               node.describe(), ": ", node.op_type, " with ", what, " of dtype ", dtype_name(t), " is not implemented");
}

namespace {

enum class ActKind {
    Relu,
    Tanh,
    Sigmoid,
    Affine,
    LeakyRelu,
    ThresholdedRelu,
    ScaledTanh,
    HardSigmoid,
    Elu,
    Softsign,
    Softplus
};

struct Activation {
    ActKind kind = ActKind::Tanh;
    float alpha = 0.f;
    float beta = 0.f;
};

struct ActInfo {
    const char* name;  // lower case
    ActKind kind;
    bool uses_alpha, uses_beta;
    float alpha, beta;  // defaults (those of the corresponding ONNX operators)
};

constexpr ActInfo kActivations[] = {
    {"relu", ActKind::Relu, false, false, 0.f, 0.f},
    {"tanh", ActKind::Tanh, false, false, 0.f, 0.f},
    {"sigmoid", ActKind::Sigmoid, false, false, 0.f, 0.f},
    {"affine", ActKind::Affine, true, true, 1.f, 0.f},
    {"leakyrelu", ActKind::LeakyRelu, true, false, 0.01f, 0.f},
    {"thresholdedrelu", ActKind::ThresholdedRelu, true, false, 1.f, 0.f},
    {"scaledtanh", ActKind::ScaledTanh, true, true, 1.f, 1.f},
    {"hardsigmoid", ActKind::HardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", ActKind::Elu, true, false, 1.f, 0.f},
    {"softsign", ActKind::Softsign, false, false, 0.f, 0.f},
    {"softplus", ActKind::Softplus, false, false, 0.f, 0.f},
};

inline float sigmoid(float x) { return 1.f / (1.f + exp_approx(-x)); }

// x[i] = act(x[i]) for i in [0, n).
void apply_activation(const Activation& a, float* x, int64_t n) {
    const float alpha = a.alpha, beta = a.beta;
    switch (a.kind) {
        case ActKind::Relu:
            for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.f);
            break;
        case ActKind::Tanh:
            for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
            break;
        case ActKind::Sigmoid:
            for (int64_t i = 0; i < n; ++i) x[i] = sigmoid(x[i]);
            break;
        case ActKind::Affine:
            for (int64_t i = 0; i < n; ++i) x[i] = alpha * x[i] + beta;
            break;
        case ActKind::LeakyRelu:
            for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0.f ? x[i] : alpha * x[i];
            break;
        case ActKind::ThresholdedRelu:
            for (int64_t i = 0; i < n; ++i) x[i] = x[i] > alpha ? x[i] : 0.f;
            break;
        case ActKind::ScaledTanh:
            for (int64_t i = 0; i < n; ++i) x[i] = alpha * std::tanh(beta * x[i]);
            break;
        case ActKind::HardSigmoid:
            for (int64_t i = 0; i < n; ++i) x[i] = std::min(1.f, std::max(0.f, alpha * x[i] + beta));
            break;
        case ActKind::Elu:
            for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0.f ? x[i] : alpha * (std::exp(x[i]) - 1.f);
            break;
        case ActKind::Softsign:
            for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.f + std::fabs(x[i]));
            break;
        case ActKind::Softplus:
            for (int64_t i = 0; i < n; ++i)
                x[i] = x[i] > 0.f ? x[i] + std::log1p(std::exp(-x[i])) : std::log1p(std::exp(x[i]));
            break;
    }
}

void clip_values(float* x, int64_t n, float clip) {
    if (clip <= 0.f) return;
    for (int64_t i = 0; i < n; ++i) x[i] = std::min(clip, std::max(-clip, x[i]));
}

class RnnKernel : public Kernel {
  public:
    explicit RnnKernel(const ir::Node& node) : op_(node.op) {
        gates_ = op_ == OpKind::RNN ? 1 : op_ == OpKind::GRU ? 3 : 4;
        const std::string direction = node.attr_string("direction", "forward");
        KILN_CHECK(direction == "forward" || direction == "reverse" || direction == "bidirectional", InvalidModel,
                   node.describe(), ": direction '", direction, "' must be forward, reverse or bidirectional");
        dirs_ = direction == "bidirectional" ? 2 : 1;
        reverse_ = direction == "reverse";
        layout_ = node.attr_int("layout", 0);
        KILN_CHECK(layout_ == 0 || layout_ == 1, InvalidModel, node.describe(), ": layout ", layout_,
                   " must be 0 or 1");
        clip_ = node.attr_float("clip", 0.f);
        KILN_CHECK(clip_ >= 0.f, InvalidModel, node.describe(), ": clip ", clip_, " must be positive");
        linear_before_reset_ = node.attr_int("linear_before_reset", 0) != 0;
        input_forget_ = node.attr_int("input_forget", 0) != 0;
        parse_activations(node);
    }

    void run(KernelContext& ctx) const override;

  private:
    void parse_activations(const ir::Node& node);
    void run_direction(KernelContext& ctx, int64_t d, const float* x, const float* w, const float* r, const float* b,
                       const float* p, const float* h0, const float* c0, const std::vector<int64_t>& lens, float* y,
                       float* yh, float* yc) const;

    OpKind op_;
    int64_t gates_ = 1;
    int64_t dirs_ = 1;
    bool reverse_ = false;
    int64_t layout_ = 0;
    float clip_ = 0.f;
    bool linear_before_reset_ = false;
    bool input_forget_ = false;
    size_t acts_per_dir_ = 1;
    std::vector<Activation> acts_;  // acts_per_dir_ per direction
};

void RnnKernel::parse_activations(const ir::Node& node) {
    std::vector<std::string> names;
    if (op_ == OpKind::RNN) names = {"Tanh"};
    if (op_ == OpKind::GRU) names = {"Sigmoid", "Tanh"};
    if (op_ == OpKind::LSTM) names = {"Sigmoid", "Tanh", "Tanh"};
    acts_per_dir_ = names.size();
    if (const ir::Attribute* a = node.find_attribute("activations")) {
        KILN_CHECK(a->kind == ir::Attribute::Kind::Strings, InvalidModel, node.describe(),
                   ": attribute 'activations' must be a list of strings");
        names = a->strings;
        // A single direction's list is used for both directions of a bidirectional node.
        if (dirs_ == 2 && names.size() == acts_per_dir_)
            names.insert(names.end(), a->strings.begin(), a->strings.end());
    } else if (dirs_ == 2) {
        const std::vector<std::string> one = names;
        names.insert(names.end(), one.begin(), one.end());
    }
    KILN_CHECK(names.size() == acts_per_dir_ * static_cast<size_t>(dirs_), InvalidModel, node.describe(),
               ": 'activations' has ", names.size(), " entries, expected ", acts_per_dir_ * dirs_);
    // activation_alpha / activation_beta are consumed in order by the activations that take them.
    std::vector<float> alphas = node.attr_floats("activation_alpha"), betas = node.attr_floats("activation_beta");
    size_t ai = 0, bi = 0;
    for (const std::string& name : names) {
        std::string lower;
        for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const ActInfo* info = nullptr;
        for (const ActInfo& cand : kActivations)
            if (lower == cand.name) info = &cand;
        KILN_CHECK(info, NotImplemented, node.describe(), ": activation '", name, "' is not supported");
        Activation act{info->kind, info->alpha, info->beta};
        if (info->uses_alpha && ai < alphas.size()) act.alpha = alphas[ai++];
        if (info->uses_beta && bi < betas.size()) act.beta = betas[bi++];
        acts_.push_back(act);
    }
}

void RnnKernel::run(KernelContext& ctx) const {
    const ir::Node& node = ctx.node;
    const Tensor& xt = *ctx.input(0);
    check_recurrent_dtype(node, xt.dtype(), "X");
    for (size_t i : {1, 2, 3, 5, 6, 7})
        if (i < ctx.inputs.size() && ctx.input(i)) check_recurrent_dtype(node, ctx.input(i)->dtype(), "an input");
    const Shape& xs = xt.shape();
    const Shape& rs = ctx.input(2)->shape();
    KILN_CHECK(xs.size() == 3 && rs.size() == 3, InvalidArgument, node.describe(), ": X ", shape_to_string(xs),
               " and R ", shape_to_string(rs), " must have rank 3");
    const int64_t seq = layout_ == 0 ? xs[0] : xs[1];
    const int64_t batch = layout_ == 0 ? xs[1] : xs[0];
    const int64_t input = xs[2], hidden = rs[2];
    const Shape& ws = ctx.input(1)->shape();
    KILN_CHECK(ws == Shape({dirs_, gates_ * hidden, input}) && rs == Shape({dirs_, gates_ * hidden, hidden}),
               InvalidArgument, node.describe(), ": W ", shape_to_string(ws), " and R ", shape_to_string(rs),
               " do not match X ", shape_to_string(xs), " with ", dirs_, " direction(s)");
    auto expect_shape = [&](size_t i, const Shape& want, const char* what) {
        if (const Tensor* t = ctx.input(i))
            KILN_CHECK(t->shape() == want, InvalidArgument, node.describe(), ": ", what, " ",
                       shape_to_string(t->shape()), " must be ", shape_to_string(want));
    };
    const Shape state_shape = layout_ == 0 ? Shape{dirs_, batch, hidden} : Shape{batch, dirs_, hidden};
    expect_shape(3, {dirs_, 2 * gates_ * hidden}, "B");
    expect_shape(5, state_shape, "initial_h");
    if (op_ == OpKind::LSTM) {
        expect_shape(6, state_shape, "initial_c");
        expect_shape(7, {dirs_, 3 * hidden}, "P");
    }

    std::vector<int64_t> lens(batch, seq);
    if (const Tensor* lt = ctx.input(4)) {
        KILN_CHECK(lt->element_count() == batch, InvalidArgument, node.describe(), ": sequence_lens ",
                   shape_to_string(lt->shape()), " must have ", batch, " entries");
        lens = ops::tensor_to_int64s(*lt);
        for (int64_t i = 0; i < batch; ++i)
            KILN_CHECK(lens[i] >= 0 && lens[i] <= seq, InvalidArgument, node.describe(), ": sequence_lens[", i,
                       "] = ", lens[i], " is outside [0, ", seq, "]");
    }

    FloatView x(&xt), w(ctx.input(1)), r(ctx.input(2)), b(ctx.input(3)), h0(ctx.input(5));
    FloatView c0(op_ == OpKind::LSTM ? ctx.input(6) : nullptr), p(op_ == OpKind::LSTM ? ctx.input(7) : nullptr);
    std::unique_ptr<FloatOut> y, yh, yc;
    if (ctx.output(0)) y = std::make_unique<FloatOut>(*ctx.output(0));
    if (ctx.output(1)) yh = std::make_unique<FloatOut>(*ctx.output(1));
    if (op_ == OpKind::LSTM && ctx.output(2)) yc = std::make_unique<FloatOut>(*ctx.output(2));
    if (y) std::fill(y->data(), y->data() + ctx.output(0)->element_count(), 0.f);

    for (int64_t d = 0; d < dirs_; ++d)
        run_direction(ctx, d, x.data(), w.data(), r.data(), b.data(), p.data(), h0.data(), c0.data(), lens,
                      y ? y->data() : nullptr, yh ? yh->data() : nullptr, yc ? yc->data() : nullptr);
    if (y) y->finish();
    if (yh) yh->finish();
    if (yc) yc->finish();
}

void RnnKernel::run_direction(KernelContext& ctx, int64_t d, const float* x, const float* w, const float* r,
                              const float* b, const float* p, const float* h0, const float* c0,
                              const std::vector<int64_t>& lens, float* y, float* yh, float* yc) const {
    const Shape& xs = ctx.input(0)->shape();
    const int64_t seq = layout_ == 0 ? xs[0] : xs[1];
    const int64_t batch = layout_ == 0 ? xs[1] : xs[0];
    const int64_t input = xs[2], hidden = ctx.input(2)->shape()[2];
    const int64_t gh = gates_ * hidden, dirs = dirs_;
    const bool backward = dirs_ == 2 ? d == 1 : reverse_;
    const bool gru_split = op_ == OpKind::GRU && !linear_before_reset_;
    const Activation* acts = &acts_[d * acts_per_dir_];
    const float* wd = w + d * gh * input;
    const float* rd = r + d * gh * hidden;
    const float* pd = p ? p + d * 3 * hidden : nullptr;
    const int threads = ctx.threads;

    // Input projection of every step at once, rows in X's own order, plus the biases that add outside the gates.
    std::vector<float> xw(seq * batch * gh);
    if (seq * batch > 0 && gh > 0)
        sgemm(false, true, seq * batch, gh, input, 1.f, x, input, wd, input, 0.f, xw.data(), gh, threads);
    std::vector<float> bias(gh, 0.f), rbh(hidden, 0.f);
    if (b) {
        const float* wb = b + d * 2 * gh;
        const float* rb = wb + gh;
        for (int64_t i = 0; i < gh; ++i) bias[i] = wb[i] + rb[i];
        if (op_ == OpKind::GRU && linear_before_reset_) {
            // R_bh multiplies with the reset gate: kept apart.
            for (int64_t i = 0; i < hidden; ++i) {
                rbh[i] = rb[2 * hidden + i];
                bias[2 * hidden + i] = wb[2 * hidden + i];
            }
        }
    }
    parallel_for(
        seq * batch, threads,
        [&](int64_t r0, int64_t r1) {
            for (int64_t row = r0; row < r1; ++row) {
                float* xr = xw.data() + row * gh;
                for (int64_t i = 0; i < gh; ++i) xr[i] += bias[i];
            }
        },
        gh);

    auto state_offset = [&](int64_t bi) { return layout_ == 0 ? (d * batch + bi) * hidden : (bi * dirs + d) * hidden; };
    auto x_row = [&](int64_t t, int64_t bi) { return layout_ == 0 ? t * batch + bi : bi * seq + t; };
    auto y_offset = [&](int64_t t, int64_t bi) {
        return layout_ == 0 ? ((t * dirs + d) * batch + bi) * hidden : ((bi * seq + t) * dirs + d) * hidden;
    };

    std::vector<float> h(batch * hidden, 0.f), c(op_ == OpKind::LSTM ? batch * hidden : 0, 0.f);
    for (int64_t bi = 0; bi < batch; ++bi) {
        if (h0) std::copy_n(h0 + state_offset(bi), hidden, h.data() + bi * hidden);
        if (c0 && op_ == OpKind::LSTM) std::copy_n(c0 + state_offset(bi), hidden, c.data() + bi * hidden);
    }
    std::vector<float> hr(batch * gh), gate(batch * gh), reset_h(gru_split ? batch * hidden : 0);
    const int64_t max_len = batch ? *std::max_element(lens.begin(), lens.end()) : 0;
    const int64_t cost = gh * 16;

    for (int64_t s = 0; s < max_len; ++s) {
        auto active = [&](int64_t bi) { return s < lens[bi]; };
        auto time_of = [&](int64_t bi) { return backward ? lens[bi] - 1 - s : s; };
        // Recurrence GEMM: hr = H_{t-1} · R^T (only the z and r gates for GRU with linear_before_reset=0).
        const int64_t rec_cols = gru_split ? 2 * hidden : gh;
        if (hidden > 0)
            sgemm(false, true, batch, rec_cols, hidden, 1.f, h.data(), hidden, rd, hidden, 0.f, hr.data(), gh, threads);

        if (op_ == OpKind::GRU) {
            // z and r gates.
            parallel_for(
                batch, threads,
                [&](int64_t b0, int64_t b1) {
                    for (int64_t bi = b0; bi < b1; ++bi) {
                        float* g = gate.data() + bi * gh;
                        if (!active(bi)) {
                            if (gru_split) std::fill_n(reset_h.data() + bi * hidden, hidden, 0.f);
                            continue;
                        }
                        const float* xr = xw.data() + x_row(time_of(bi), bi) * gh;
                        const float* hrr = hr.data() + bi * gh;
                        for (int64_t i = 0; i < 2 * hidden; ++i) g[i] = xr[i] + hrr[i];
                        clip_values(g, 2 * hidden, clip_);
                        apply_activation(acts[0], g, 2 * hidden);
                        if (gru_split) {
                            const float* hp = h.data() + bi * hidden;
                            float* rh = reset_h.data() + bi * hidden;
                            for (int64_t i = 0; i < hidden; ++i) rh[i] = g[hidden + i] * hp[i];
                        }
                    }
                },
                cost);
            // (r ⊙ H_{t-1}) · R_h^T into the h columns of hr.
            if (gru_split && hidden > 0)
                sgemm(false, true, batch, hidden, hidden, 1.f, reset_h.data(), hidden, rd + 2 * hidden * hidden, hidden,
                      0.f, hr.data() + 2 * hidden, gh, threads);
        }

        parallel_for(
            batch, threads,
            [&](int64_t b0, int64_t b1) {
                for (int64_t bi = b0; bi < b1; ++bi) {
                    if (!active(bi)) continue;
                    const int64_t t = time_of(bi);
                    const float* xr = xw.data() + x_row(t, bi) * gh;
                    const float* hrr = hr.data() + bi * gh;
                    float* g = gate.data() + bi * gh;
                    float* hp = h.data() + bi * hidden;
                    if (op_ == OpKind::RNN) {
                        for (int64_t i = 0; i < hidden; ++i) g[i] = xr[i] + hrr[i];
                        clip_values(g, hidden, clip_);
                        apply_activation(acts[0], g, hidden);
                        std::copy_n(g, hidden, hp);
                    } else if (op_ == OpKind::GRU) {
                        float* z = g;
                        float* rg = g + hidden;
                        float* hc = g + 2 * hidden;
                        if (linear_before_reset_) {
                            for (int64_t i = 0; i < hidden; ++i)
                                hc[i] = xr[2 * hidden + i] + rg[i] * (hrr[2 * hidden + i] + rbh[i]);
                        } else {
                            for (int64_t i = 0; i < hidden; ++i) hc[i] = xr[2 * hidden + i] + hrr[2 * hidden + i];
                        }
                        clip_values(hc, hidden, clip_);
                        apply_activation(acts[1], hc, hidden);
                        for (int64_t i = 0; i < hidden; ++i) hp[i] = (1.f - z[i]) * hc[i] + z[i] * hp[i];
                    } else {
                        // LSTM gates i, o, f, c; peepholes P = [p_i, p_o, p_f].
                        float* cp = c.data() + bi * hidden;
                        for (int64_t i = 0; i < gh; ++i) g[i] = xr[i] + hrr[i];
                        float* ig = g;
                        float* og = g + hidden;
                        float* fg = g + 2 * hidden;
                        float* cg = g + 3 * hidden;
                        if (pd) {
                            for (int64_t i = 0; i < hidden; ++i) {
                                ig[i] += pd[i] * cp[i];
                                fg[i] += pd[2 * hidden + i] * cp[i];
                            }
                        }
                        // Each pre-activation is clipped once, the output gate's after its peephole term.
                        clip_values(ig, hidden, clip_);
                        clip_values(fg, 2 * hidden, clip_);
                        apply_activation(acts[0], ig, hidden);
                        if (input_forget_) {
                            for (int64_t i = 0; i < hidden; ++i) fg[i] = 1.f - ig[i];
                        } else {
                            apply_activation(acts[0], fg, hidden);
                        }
                        apply_activation(acts[1], cg, hidden);
                        for (int64_t i = 0; i < hidden; ++i) cp[i] = fg[i] * cp[i] + ig[i] * cg[i];
                        if (pd)
                            for (int64_t i = 0; i < hidden; ++i) og[i] += pd[hidden + i] * cp[i];
                        clip_values(og, hidden, clip_);
                        apply_activation(acts[0], og, hidden);
                        // h(C) goes through the c-gate slot, which is no longer needed.
                        std::copy_n(cp, hidden, cg);
                        apply_activation(acts[2], cg, hidden);
                        for (int64_t i = 0; i < hidden; ++i) hp[i] = og[i] * cg[i];
                    }
                    if (y) std::copy_n(hp, hidden, y + y_offset(t, bi));
                }
            },
            cost);
    }
    // A batch entry with sequence length 0 has zero final states (as onnxruntime), not its initial ones.
    for (int64_t bi = 0; bi < batch; ++bi) {
        if (lens[bi] == 0) {
            std::fill_n(h.data() + bi * hidden, hidden, 0.f);
            if (!c.empty()) std::fill_n(c.data() + bi * hidden, hidden, 0.f);
        }
        if (yh) std::copy_n(h.data() + bi * hidden, hidden, yh + state_offset(bi));
        if (yc) std::copy_n(c.data() + bi * hidden, hidden, yc + state_offset(bi));
    }
}

}  // namespace

std::unique_ptr<Kernel> create_rnn_kernel(const ir::Node& node) { return std::make_unique<RnnKernel>(node); }

std::unique_ptr<Kernel> create_Recurrent(const ir::Node& node) {
    switch (node.op) {
        case OpKind::RNN:
        case OpKind::GRU:
        case OpKind::LSTM:
            return create_rnn_kernel(node);
        case OpKind::LinearAttention:
            return create_linear_attention_kernel(node);
        case OpKind::CausalConvWithState:
            return create_causal_conv_kernel(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Recurrent-family op");
    }
}

}  // namespace kiln::cpu
