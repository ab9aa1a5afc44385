// CPU kernels for Attention (opset 24 meaning, onnx/reference/ops/op_attention.py) and RotaryEmbedding. Both
// compute in float (float32 in place; float16, bfloat16 and double converted).
//
// Attention runs one task per (batch, query head): scores = scale * Q K^T through the shared GEMM, then per row
// softcap, the additive bias (attn_mask padded with -inf up to the total length, causal mask, nonpad_kv_seqlen
// padding), a softmax and P V. Keys / values are first laid out as the present cache [B, kv_heads, total, size]
// (past ++ current), which is also what the present_key / present_value outputs hold.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/double_values.h"
#include "providers/cpu/elementwise_common.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/gemm.h"
#include "providers/cpu/transformer_kernels.h"

namespace kiln::cpu {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void check_float_dtype(const ir::Node& node, const Tensor* t, const char* what) {
    if (t) check_float(node, t->dtype(), what);
}

// Writes `n` floats into `t` (any float dtype).
void store_floats(Tensor& t, const float* src) {
    FloatOut out(t);
    std::copy(src, src + t.element_count(), out.data());
    out.finish();
}

// The attention mask broadcast to [B, Hq, Sq, L] with L <= total: element strides per dim (0 where broadcast).
struct MaskLayout {
    const float* fdata = nullptr;    // float mask (converted)
    const uint8_t* bdata = nullptr;  // bool mask
    int64_t len = 0;                 // L: columns the mask covers; the rest is -inf
    int64_t stride[4] = {0, 0, 0, 0};

    float at(int64_t b, int64_t h, int64_t i, int64_t j) const {
        if (j >= len) return kNegInf;
        int64_t off = b * stride[0] + h * stride[1] + i * stride[2] + j * stride[3];
        if (bdata) return bdata[off] ? 0.f : kNegInf;
        return fdata[off];
    }
};

class AttentionKernel : public Kernel {
  public:
    explicit AttentionKernel(const ir::Node& node)
        : has_scale_(node.has_attribute("scale")),
          scale_(node.attr_float("scale", 1.f)),
          causal_(node.attr_int("is_causal", 0) != 0),
          softcap_(node.attr_float("softcap", 0.f)),
          mode_(node.attr_int("qk_matmul_output_mode", 0)),
          q_heads_attr_(node.attr_int("q_num_heads", 0)),
          kv_heads_attr_(node.attr_int("kv_num_heads", 0)) {
        KILN_CHECK(mode_ >= 0 && mode_ <= 3, InvalidModel, node.describe(), ": qk_matmul_output_mode ", mode_,
                   " is not 0..3");
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& qt = *ctx.input(0);
        const Tensor& kt = *ctx.input(1);
        const Tensor& vt = *ctx.input(2);
        const Tensor* mask_t = ctx.input(3);
        const Tensor* past_k_t = ctx.input(4);
        const Tensor* past_v_t = ctx.input(5);
        const Tensor* nonpad_t = ctx.input(6);
        check_float_dtype(node, &qt, "Q");
        check_float_dtype(node, &kt, "K");
        check_float_dtype(node, &vt, "V");
        check_float_dtype(node, past_k_t, "past_key");
        check_float_dtype(node, past_v_t, "past_value");

        const bool three_d = qt.rank() == 3;
        const Shape& qs = qt.shape();
        const Shape& ks = kt.shape();
        const Shape& vs = vt.shape();
        const int64_t batch = qs[0];
        int64_t hq, hkv, sq, skv, dq, dk, dv;
        if (three_d) {
            hq = q_heads_attr_;
            hkv = kv_heads_attr_;
            sq = qs[1];
            skv = ks[1];
            dq = qs[2] / hq;
            dk = ks[2] / hkv;
            dv = vs[2] / hkv;
        } else {
            hq = qs[1];
            hkv = ks[1];
            sq = qs[2];
            skv = ks[2];
            dq = qs[3];
            dk = ks[3];
            dv = vs[3];
        }
        const int64_t past = past_k_t ? past_k_t->shape()[2] : 0;
        const int64_t total = past + skv;
        KILN_CHECK(!past_k_t || (past_k_t->shape()[0] == batch && past_v_t->shape()[0] == batch &&
                                 past_v_t->shape()[1] == hkv && past_v_t->shape()[2] == past),
                   InvalidArgument, node.describe(), ": past_key ", shape_to_string(past_k_t->shape()),
                   " and past_value ", shape_to_string(past_v_t ? past_v_t->shape() : Shape{}),
                   " do not match the key / value shapes");
        const int64_t group = hq / hkv;

        // Present key / value caches in [B, Hkv, total, size] layout.
        FloatView q(&qt), k(&kt), v(&vt), pk(past_k_t), pv(past_v_t);
        std::vector<float> key(batch * hkv * total * dk), value(batch * hkv * total * dv);
        auto gather = [&](std::vector<float>& dst, const float* cur, const float* prev, int64_t size) {
            for (int64_t b = 0; b < batch; ++b) {
                for (int64_t h = 0; h < hkv; ++h) {
                    float* out = dst.data() + (b * hkv + h) * total * size;
                    if (prev)
                        std::copy(prev + (b * hkv + h) * past * size, prev + (b * hkv + h + 1) * past * size, out);
                    for (int64_t t = 0; t < skv; ++t) {
                        const float* src = three_d ? cur + (b * skv + t) * hkv * size + h * size
                                                   : cur + ((b * hkv + h) * skv + t) * size;
                        std::copy(src, src + size, out + (past + t) * size);
                    }
                }
            }
        };
        gather(key, k.data(), pk.data(), dk);
        gather(value, v.data(), pv.data(), dv);

        MaskLayout mask;
        std::unique_ptr<FloatView> mask_view;
        if (mask_t) {
            const Shape& ms = mask_t->shape();
            Shape m4(4 - ms.size(), 1);
            m4.insert(m4.end(), ms.begin(), ms.end());
            const int64_t want[3] = {batch, hq, sq};
            for (int d = 0; d < 3; ++d)
                KILN_CHECK(m4[d] == 1 || m4[d] == want[d], InvalidArgument, node.describe(), ": attn_mask ",
                           shape_to_string(ms), " does not broadcast to [", batch, ", ", hq, ", ", sq, ", ", total,
                           "]");
            KILN_CHECK(m4[3] <= total, InvalidArgument, node.describe(), ": attn_mask ", shape_to_string(ms),
                       " is longer than the total sequence length ", total);
            int64_t stride = 1;
            for (int d = 3; d >= 0; --d) {
                mask.stride[d] = m4[d] == 1 && d < 3 ? 0 : stride;
                stride *= m4[d];
            }
            mask.len = m4[3];
            if (mask_t->dtype() == DType::Bool) {
                mask.bdata = mask_t->data<uint8_t>();
            } else {
                check_float_dtype(node, mask_t, "attn_mask");
                mask_view = std::make_unique<FloatView>(mask_t);
                mask.fdata = mask_view->data();
            }
        }
        std::vector<int64_t> nonpad;
        if (nonpad_t) {
            nonpad = ops::tensor_to_int64s(*nonpad_t);
            KILN_CHECK(static_cast<int64_t>(nonpad.size()) == batch, InvalidArgument, node.describe(),
                       ": nonpad_kv_seqlen has ", nonpad.size(), " values for batch ", batch);
            for (size_t b = 0; b < nonpad.size(); ++b)
                KILN_CHECK(nonpad[b] >= 0 && nonpad[b] <= total, InvalidArgument, node.describe(),
                           ": nonpad_kv_seqlen[", b, "] = ", nonpad[b], " is outside [0, ", total, "]");
        }

        const float scale = has_scale_ ? scale_ : 1.f / std::sqrt(static_cast<float>(dq));
        FloatOut y(*ctx.output(0));
        Tensor* qk_t = ctx.output(3);
        std::vector<float> qk_out(qk_t ? qk_t->element_count() : 0);
        const int64_t y_ld = three_d ? hq * dv : dv;
        const int64_t q_ld = three_d ? hq * dq : dq;

        parallel_for(
            batch * hq, ctx.threads,
            [&](int64_t t0, int64_t t1) {
                std::vector<float> scores(sq * total);
                std::vector<float> bias(total);
                for (int64_t task = t0; task < t1; ++task) {
                    const int64_t b = task / hq, h = task % hq, kvh = h / group;
                    const float* qp = three_d ? q.data() + b * sq * hq * dq + h * dq : q.data() + task * sq * dq;
                    const float* kp = key.data() + (b * hkv + kvh) * total * dk;
                    const float* vp = value.data() + (b * hkv + kvh) * total * dv;
                    float* yp = three_d ? y.data() + b * sq * hq * dv + h * dv : y.data() + task * sq * dv;
                    sgemm_serial(false, true, sq, total, dq, scale, qp, q_ld, kp, dk, 0.f, scores.data(), total);
                    for (int64_t i = 0; i < sq; ++i) {
                        float* row = scores.data() + i * total;
                        float* qk_row = qk_t ? qk_out.data() + (task * sq + i) * total : nullptr;
                        if (qk_row && mode_ == 0) std::copy(row, row + total, qk_row);
                        if (softcap_ > 0.f) {
                            for (int64_t j = 0; j < total; ++j) row[j] = softcap_ * std::tanh(row[j] / softcap_);
                        }
                        if (qk_row && mode_ == 1) std::copy(row, row + total, qk_row);
                        for (int64_t j = 0; j < total; ++j) {
                            float bv = mask_t ? mask.at(b, h, i, j) : 0.f;
                            if (causal_ && j > i + past) bv = kNegInf;
                            if (nonpad_t && j >= nonpad[b]) bv = kNegInf;
                            row[j] += bv;
                        }
                        if (qk_row && mode_ == 2) std::copy(row, row + total, qk_row);
                        float mx = kNegInf;
                        for (int64_t j = 0; j < total; ++j) mx = std::max(mx, row[j]);
                        if (mx == kNegInf) {
                            // Every position masked: softmax of an empty set, NaN as in the reference.
                            std::fill(row, row + total, std::numeric_limits<float>::quiet_NaN());
                        } else {
                            float sum = 0.f;
                            for (int64_t j = 0; j < total; ++j) {
                                row[j] = fast_expf(row[j] - mx);
                                sum += row[j];
                            }
                            float inv = 1.f / sum;
                            for (int64_t j = 0; j < total; ++j) row[j] *= inv;
                        }
                        if (qk_row && mode_ == 3) std::copy(row, row + total, qk_row);
                    }
                    sgemm_serial(false, false, sq, dv, total, 1.f, scores.data(), total, vp, dv, 0.f, yp, y_ld);
                }
            },
            sq * total * (dq + dv));
        y.finish();
        if (ctx.output(1)) store_floats(*ctx.output(1), key.data());
        if (ctx.output(2)) store_floats(*ctx.output(2), value.data());
        if (qk_t) store_floats(*qk_t, qk_out.data());
    }

  private:
    bool has_scale_;
    float scale_;
    bool causal_;
    float softcap_;
    int64_t mode_;
    int64_t q_heads_attr_, kv_heads_attr_;
};

// RotaryEmbedding: input [B, H, S, D] or [B, S, H * D]; cos / sin caches [max_position, rot / 2] indexed by
// position_ids [B, S], or [B, S, rot / 2] without position_ids.
class RotaryKernel : public Kernel {
  public:
    explicit RotaryKernel(const ir::Node& node)
        : interleaved_(node.attr_int("interleaved", 0) != 0),
          rotary_dim_(node.attr_int("rotary_embedding_dim", 0)),
          num_heads_(node.attr_int("num_heads", 0)) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& xt = *ctx.input(0);
        const Tensor& cos_t = *ctx.input(1);
        const Tensor& sin_t = *ctx.input(2);
        const Tensor* pos_t = ctx.input(3);
        check_float_dtype(node, &xt, "input");
        check_float_dtype(node, &cos_t, "cos_cache");
        check_float_dtype(node, &sin_t, "sin_cache");
        const Shape& xs = xt.shape();
        const bool three_d = xs.size() == 3;
        const int64_t batch = xs[0];
        const int64_t heads = three_d ? num_heads_ : xs[1];
        const int64_t seq = three_d ? xs[1] : xs[2];
        const int64_t head = three_d ? xs[2] / num_heads_ : xs[3];
        const int64_t rot = rotary_dim_ > 0 ? rotary_dim_ : head;
        KILN_CHECK(rot <= head && rot % 2 == 0, InvalidArgument, node.describe(), ": rotary_embedding_dim ", rot,
                   " must be even and at most the head size ", head);
        const int64_t half = rot / 2;
        KILN_CHECK(cos_t.shape() == sin_t.shape(), InvalidArgument, node.describe(), ": cos_cache ",
                   shape_to_string(cos_t.shape()), " and sin_cache ", shape_to_string(sin_t.shape()), " differ");
        KILN_CHECK(cos_t.rank() >= 1 && cos_t.shape().back() == half, InvalidArgument, node.describe(), ": cos_cache ",
                   shape_to_string(cos_t.shape()), " last dim must be rotary_embedding_dim / 2 = ", half);
        // Row of the caches for each (b, s).
        std::vector<int64_t> rows(batch * seq);
        if (pos_t) {
            KILN_CHECK(cos_t.rank() == 2, InvalidArgument, node.describe(), ": with position_ids, cos_cache ",
                       shape_to_string(cos_t.shape()), " must be 2-D");
            KILN_CHECK(pos_t->shape() == (Shape{batch, seq}), InvalidArgument, node.describe(), ": position_ids ",
                       shape_to_string(pos_t->shape()), " must be [", batch, ", ", seq, "]");
            std::vector<int64_t> pos = ops::tensor_to_int64s(*pos_t);
            const int64_t max_pos = cos_t.shape()[0];
            for (size_t i = 0; i < pos.size(); ++i) {
                KILN_CHECK(pos[i] >= 0 && pos[i] < max_pos, InvalidArgument, node.describe(), ": position_ids[", i,
                           "] = ", pos[i], " is outside [0, ", max_pos, ")");
                rows[i] = pos[i];
            }
        } else {
            KILN_CHECK(cos_t.shape() == (Shape{batch, seq, half}), InvalidArgument, node.describe(),
                       ": without position_ids, cos_cache ", shape_to_string(cos_t.shape()), " must be [", batch, ", ",
                       seq, ", ", half, "]");
            for (int64_t i = 0; i < batch * seq; ++i) rows[i] = i;
        }
        FloatView x(&xt), cs(&cos_t), sn(&sin_t);
        FloatOut y(*ctx.output(0));
        const int64_t vectors = batch * heads * seq;
        parallel_for(
            vectors, ctx.threads,
            [&](int64_t v0, int64_t v1) {
                for (int64_t v = v0; v < v1; ++v) {
                    // v enumerates the memory order: (b, h, s) for 4-D, (b, s, h) for 3-D.
                    int64_t b, s;
                    if (three_d) {
                        b = v / (seq * heads);
                        s = (v / heads) % seq;
                    } else {
                        b = v / (heads * seq);
                        s = v % seq;
                    }
                    const float* c = cs.data() + rows[b * seq + s] * half;
                    const float* sv = sn.data() + rows[b * seq + s] * half;
                    const float* xi = x.data() + v * head;
                    float* yo = y.data() + v * head;
                    for (int64_t i = 0; i < half; ++i) {
                        int64_t i1 = interleaved_ ? 2 * i : i, i2 = interleaved_ ? 2 * i + 1 : i + half;
                        float x1 = xi[i1], x2 = xi[i2];
                        yo[i1] = c[i] * x1 - sv[i] * x2;
                        yo[i2] = sv[i] * x1 + c[i] * x2;
                    }
                    std::copy(xi + rot, xi + head, yo + rot);
                }
            },
            head * 4);
        y.finish();
    }

  private:
    bool interleaved_;
    int64_t rotary_dim_;
    int64_t num_heads_;
};

}  // namespace

std::unique_ptr<Kernel> create_attention_kernel(const ir::Node& node) {
    return std::make_unique<AttentionKernel>(node);
}

std::unique_ptr<Kernel> create_rotary_kernel(const ir::Node& node) { return std::make_unique<RotaryKernel>(node); }

}  // namespace kiln::cpu
