// CPU kernels of the Recurrent family, stateful sequence ops of opset 27: LinearAttention (linear / gated / delta /
// gated_delta recurrences with GQA) and CausalConvWithState (depthwise causal conv1d with a carry state, optional
// fused SiLU). Both run the exact sequential recurrence in float32, one (batch, head) or (batch, channel) pair per
// parallel_for item.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/recurrent_kernels.h"

namespace kiln::cpu {
namespace {

class LinearAttentionKernel : public Kernel {
  public:
    explicit LinearAttentionKernel(const ir::Node& node)
        : q_heads_(node.attr_int("q_num_heads", 0)),
          kv_heads_(node.attr_int("kv_num_heads", 0)),
          scale_(node.attr_float("scale", 0.f)) {
        KILN_CHECK(q_heads_ > 0 && kv_heads_ > 0 && q_heads_ % kv_heads_ == 0, InvalidModel, node.describe(),
                   ": q_num_heads ", q_heads_, " must be a positive multiple of kv_num_heads ", kv_heads_);
        const std::string rule = node.attr_string("update_rule", "gated_delta");
        KILN_CHECK(rule == "linear" || rule == "gated" || rule == "delta" || rule == "gated_delta", InvalidModel,
                   node.describe(), ": update_rule '", rule, "' must be linear, gated, delta or gated_delta");
        gated_ = rule == "gated" || rule == "gated_delta";
        delta_ = rule == "delta" || rule == "gated_delta";
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const char* names[] = {"query", "key", "value", "past_state", "decay", "beta"};
        for (size_t i = 0; i < 6; ++i)
            if (ctx.input(i)) check_recurrent_dtype(node, ctx.input(i)->dtype(), names[i]);
        KILN_CHECK((ctx.input(4) != nullptr) == gated_, InvalidModel, node.describe(), ": update_rule ",
                   gated_ ? "requires" : "forbids", " the decay input");
        KILN_CHECK((ctx.input(5) != nullptr) == delta_, InvalidModel, node.describe(), ": update_rule ",
                   delta_ ? "requires" : "forbids", " the beta input");
        const Shape& qs = ctx.input(0)->shape();
        const Shape& ks = ctx.input(1)->shape();
        const Shape& vs = ctx.input(2)->shape();
        KILN_CHECK(qs.size() == 3 && ks.size() == 3 && vs.size() == 3, InvalidArgument, node.describe(),
                   ": query, key and value must have rank 3");
        const int64_t batch = qs[0], steps = qs[1];
        const int64_t hq = q_heads_, hkv = kv_heads_, group = hq / hkv;
        KILN_CHECK(qs[2] % hq == 0 && vs[2] % hkv == 0, InvalidArgument, node.describe(), ": query ",
                   shape_to_string(qs), " / value ", shape_to_string(vs), " last dims do not split into heads");
        const int64_t dk = qs[2] / hq, dv = vs[2] / hkv;
        KILN_CHECK(ks == Shape({batch, steps, hkv * dk}) && vs[0] == batch && vs[1] == steps, InvalidArgument,
                   node.describe(), ": key ", shape_to_string(ks), " and value ", shape_to_string(vs),
                   " do not match query ", shape_to_string(qs));
        const Shape state_shape{batch, hkv, dk, dv};
        if (const Tensor* past = ctx.input(3))
            KILN_CHECK(past->shape() == state_shape, InvalidArgument, node.describe(), ": past_state ",
                       shape_to_string(past->shape()), " must be ", shape_to_string(state_shape));
        int64_t decay_last = 0, beta_last = 0;
        if (const Tensor* dt = ctx.input(4)) {
            const Shape& ds = dt->shape();
            KILN_CHECK(ds.size() == 3 && ds[0] == batch && ds[1] == steps && (ds[2] == hkv || ds[2] == hkv * dk),
                       InvalidArgument, node.describe(), ": decay ", shape_to_string(ds), " must be [", batch, ",",
                       steps, ",", hkv, "] or [", batch, ",", steps, ",", hkv * dk, "]");
            decay_last = ds[2];
        }
        if (const Tensor* bt = ctx.input(5)) {
            const Shape& bs = bt->shape();
            KILN_CHECK(bs.size() == 3 && bs[0] == batch && bs[1] == steps && (bs[2] == hkv || bs[2] == 1),
                       InvalidArgument, node.describe(), ": beta ", shape_to_string(bs), " must be [", batch, ",",
                       steps, ",", hkv, "] or [", batch, ",", steps, ",1]");
            beta_last = bs[2];
        }
        const bool decay_per_key = decay_last == hkv * dk && decay_last != hkv;
        const float scale = scale_ != 0.f ? scale_ : 1.f / std::sqrt(static_cast<float>(dk));

        FloatView q(ctx.input(0)), k(ctx.input(1)), v(ctx.input(2)), past(ctx.input(3)), decay(ctx.input(4)),
            beta(ctx.input(5));
        FloatOut out(*ctx.output(0));
        std::vector<float> state(batch * hkv * dk * dv, 0.f);
        if (past.data()) std::copy_n(past.data(), state.size(), state.data());

        parallel_for(
            batch * hkv, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                std::vector<float> u(dv), ex(dk);
                for (int64_t pair = p0; pair < p1; ++pair) {
                    const int64_t bi = pair / hkv, h = pair % hkv;
                    float* s = state.data() + pair * dk * dv;
                    for (int64_t t = 0; t < steps; ++t) {
                        const int64_t bt = bi * steps + t;
                        const float* kt = k.data() + (bt * hkv + h) * dk;
                        const float* vt = v.data() + (bt * hkv + h) * dv;
                        if (gated_) {
                            const float* g = decay.data() + bt * decay_last + (decay_per_key ? h * dk : h);
                            for (int64_t i = 0; i < dk; ++i) ex[i] = std::exp(decay_per_key ? g[i] : g[0]);
                            for (int64_t i = 0; i < dk; ++i)
                                for (int64_t m = 0; m < dv; ++m) s[i * dv + m] *= ex[i];
                        }
                        if (delta_) {
                            // u = beta * (v - S^T k)
                            const float bv = beta.data()[bt * beta_last + (beta_last == 1 ? 0 : h)];
                            std::copy_n(vt, dv, u.data());
                            for (int64_t i = 0; i < dk; ++i)
                                for (int64_t m = 0; m < dv; ++m) u[m] -= s[i * dv + m] * kt[i];
                            for (int64_t m = 0; m < dv; ++m) u[m] *= bv;
                        } else {
                            std::copy_n(vt, dv, u.data());
                        }
                        for (int64_t i = 0; i < dk; ++i)
                            for (int64_t m = 0; m < dv; ++m) s[i * dv + m] += kt[i] * u[m];
                        // Every query head of this KV head's group reads the updated state.
                        for (int64_t gq = 0; gq < group; ++gq) {
                            const int64_t qh = h * group + gq;
                            const float* qt = q.data() + (bt * hq + qh) * dk;
                            float* o = out.data() + (bt * hq + qh) * dv;
                            std::fill_n(o, dv, 0.f);
                            for (int64_t i = 0; i < dk; ++i)
                                for (int64_t m = 0; m < dv; ++m) o[m] += qt[i] * s[i * dv + m];
                            for (int64_t m = 0; m < dv; ++m) o[m] *= scale;
                        }
                    }
                }
            },
            steps * dk * dv * (group + 3));
        out.finish();
        if (Tensor* present = ctx.output(1)) {
            FloatOut po(*present);
            std::copy(state.begin(), state.end(), po.data());
            po.finish();
        }
    }

  private:
    int64_t q_heads_, kv_heads_;
    float scale_;
    bool gated_ = false, delta_ = false;
};

class CausalConvKernel : public Kernel {
  public:
    explicit CausalConvKernel(const ir::Node& node) {
        const std::string act = node.attr_string("activation", "none");
        KILN_CHECK(act == "none" || act == "silu" || act == "swish", InvalidModel, node.describe(), ": activation '",
                   act, "' must be none, silu or swish");
        silu_ = act != "none";
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const char* names[] = {"input", "weight", "bias", "past_state"};
        for (size_t i = 0; i < 4; ++i)
            if (ctx.input(i)) check_recurrent_dtype(node, ctx.input(i)->dtype(), names[i]);
        const Shape& xs = ctx.input(0)->shape();
        const Shape& ws = ctx.input(1)->shape();
        KILN_CHECK(xs.size() == 3 && ws.size() == 3 && ws[0] == xs[1] && ws[1] == 1 && ws[2] >= 1, InvalidArgument,
                   node.describe(), ": weight ", shape_to_string(ws), " must be [channels, 1, k] for input ",
                   shape_to_string(xs));
        const int64_t batch = xs[0], channels = xs[1], len = xs[2], kw = ws[2], carry = kw - 1;
        if (const Tensor* bt = ctx.input(2))
            KILN_CHECK(bt->shape() == Shape({channels}), InvalidArgument, node.describe(), ": bias ",
                       shape_to_string(bt->shape()), " must be [", channels, "]");
        if (const Tensor* pt = ctx.input(3))
            KILN_CHECK(pt->shape() == Shape({batch, channels, carry}), InvalidArgument, node.describe(),
                       ": past_state ", shape_to_string(pt->shape()), " must be [", batch, ",", channels, ",", carry,
                       "]");
        FloatView x(ctx.input(0)), w(ctx.input(1)), bias(ctx.input(2)), past(ctx.input(3));
        FloatOut out(*ctx.output(0));
        std::unique_ptr<FloatOut> present;
        if (ctx.output(1)) present = std::make_unique<FloatOut>(*ctx.output(1));
        parallel_for(
            batch * channels, ctx.threads,
            [&](int64_t p0, int64_t p1) {
                std::vector<float> padded(len + carry);
                for (int64_t pair = p0; pair < p1; ++pair) {
                    const int64_t c = pair % channels;
                    if (past.data())
                        std::copy_n(past.data() + pair * carry, carry, padded.data());
                    else
                        std::fill_n(padded.data(), carry, 0.f);
                    std::copy_n(x.data() + pair * len, len, padded.data() + carry);
                    const float* wc = w.data() + c * kw;
                    const float b = bias.data() ? bias.data()[c] : 0.f;
                    float* o = out.data() + pair * len;
                    for (int64_t l = 0; l < len; ++l) {
                        float acc = b;
                        for (int64_t j = 0; j < kw; ++j) acc += wc[j] * padded[l + j];
                        if (silu_) acc = acc / (1.f + std::exp(-acc));
                        o[l] = acc;
                    }
                    if (present) std::copy_n(padded.data() + len, carry, present->data() + pair * carry);
                }
            },
            len * kw + carry);
        out.finish();
        if (present) present->finish();
    }

  private:
    bool silu_ = false;
};

}  // namespace

std::unique_ptr<Kernel> create_linear_attention_kernel(const ir::Node& node) {
    return std::make_unique<LinearAttentionKernel>(node);
}

std::unique_ptr<Kernel> create_causal_conv_kernel(const ir::Node& node) {
    return std::make_unique<CausalConvKernel>(node);
}

}  // namespace kiln::cpu
