// Conv -> BatchNormalization (inference, constant statistics) becomes one Conv with scaled weights and bias:
//   W' = W * gamma / sqrt(var + eps)  (per output channel),  B' = (B - mean) * gamma / sqrt(var + eps) + beta.
#include <cmath>
#include <unordered_set>

#include "optimizer/graph_edit.h"
#include "optimizer/pass.h"

namespace kiln::opt {
namespace {

const Tensor* float_constant(const ir::Value* v) {
    if (!v || !v->constant || v->is_graph_input || v->constant->dtype() != DType::Float) return nullptr;
    return &*v->constant;
}

// Folds `bn` into the Conv that produces its input; false when the pattern does not apply.
bool fuse(ir::Graph& graph, const Fusion& fusion, ir::Node& bn) {
    if (bn.op != OpKind::BatchNormalization || bn.attr_int("training_mode", 0) != 0 || bn.inputs.size() < 5) {
        return false;
    }
    for (size_t i = 1; i < bn.outputs.size(); ++i) {
        if (bn.outputs[i]) return false;
    }
    ir::Value* x = bn.inputs[0];
    ir::Node* conv = x ? x->producer : nullptr;
    if (!conv || conv->op != OpKind::Conv || fusion.only_reader(x) != &bn) return false;
    const Tensor* w = float_constant(conv->input(1));
    const Tensor* gamma = float_constant(bn.input(1));
    const Tensor* beta = float_constant(bn.input(2));
    const Tensor* mean = float_constant(bn.input(3));
    const Tensor* var = float_constant(bn.input(4));
    const Tensor* bias = conv->input(2) ? float_constant(conv->input(2)) : nullptr;
    if (!w || !gamma || !beta || !mean || !var || (conv->input(2) && !bias) || w->rank() < 3) return false;
    int64_t channels = w->shape()[0];
    for (const Tensor* t : {gamma, beta, mean, var}) {
        if (t->element_count() != channels) return false;
    }
    float eps = bn.attr_float("epsilon", 1e-5f);
    Tensor new_w = w->clone();
    Tensor new_b(DType::Float, {channels});
    int64_t per_channel = w->element_count() / channels;
    for (int64_t c = 0; c < channels; ++c) {
        float s = gamma->data<float>()[c] / std::sqrt(var->data<float>()[c] + eps);
        float* wc = new_w.data<float>() + c * per_channel;
        for (int64_t k = 0; k < per_channel; ++k) wc[k] *= s;
        float b = bias ? bias->data<float>()[c] : 0.0f;
        new_b.data<float>()[c] = (b - mean->data<float>()[c]) * s + beta->data<float>()[c];
    }
    ir::Value* w_value = graph.add_value(graph.unique_name(conv->name + "_bn_weight"));
    w_value->type = conv->inputs[1]->type;
    w_value->constant = std::move(new_w);
    ir::Value* b_value = graph.add_value(graph.unique_name(conv->name + "_bn_bias"));
    b_value->type = TensorInfo{DType::Float, SymbolicShape{Dim(channels)}};
    b_value->constant = std::move(new_b);
    conv->inputs.resize(3);
    conv->inputs[1] = w_value;
    conv->inputs[2] = b_value;
    conv->outputs[0] = bn.outputs[0];
    return true;
}

class FuseConvBatchNorm : public Pass {
  public:
    const char* name() const override { return "FuseConvBatchNorm"; }

    bool run(ir::Graph& graph, PassContext& ctx) override {
        Fusion fusion(graph);
        for (auto& node : graph.nodes()) {
            if (!ctx.may_rewrite()) break;
            if (fuse(graph, fusion, *node)) {
                fusion.claim(node.get());
                ctx.rewrites += 1;
            }
        }
        return fusion.finish();
    }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_conv_batch_norm() { return std::make_unique<FuseConvBatchNorm>(); }

}  // namespace kiln::opt
