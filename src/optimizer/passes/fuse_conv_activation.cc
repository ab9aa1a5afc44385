// Conv -> [Add(Z)] -> [activation] becomes one internal FusedConv node (domain "kiln", see op_list.inc): the
// kernel adds bias and Z and applies the activation while the GEMM output is still in cache, and the run skips
// the intermediate tensors. Z must have exactly the Conv output's shape (no broadcasting), every fused
// intermediate must have a single reader and must not be a graph output. float32 only.
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "ops/op_def.h"
#include "optimizer/graph_edit.h"
#include "optimizer/pass.h"

namespace kiln::opt {
namespace {

using TypeMap = std::unordered_map<const ir::Value*, TensorInfo>;

// Value types inferred forward from the graph inputs and constants (the session's own shape inference runs
// after the passes, so value types may still be unset here).
TypeMap infer_types(const ir::Graph& graph) {
    TypeMap types;
    auto type_of = [&](const ir::Value* v) {
        auto it = types.find(v);
        return it != types.end() ? &it->second : &v->type;
    };
    for (ir::Node* node : graph.topological_order()) {
        if (node->op == OpKind::Unknown) continue;
        ops::InferContext ctx{*node, {}, {}, {}};
        for (const ir::Value* v : node->inputs) {
            ctx.inputs.push_back(v ? type_of(v) : nullptr);
            ctx.values.push_back(v && v->constant && !v->is_graph_input ? &*v->constant : nullptr);
        }
        try {
            ops::infer_node(ctx);
        } catch (const Error&) {
            continue;  // reported by the session's shape inference
        }
        for (size_t i = 0; i < node->outputs.size() && i < ctx.outputs.size(); ++i) {
            if (node->outputs[i]) types[node->outputs[i]] = ctx.outputs[i];
        }
    }
    return types;
}

// Same rank and every dim equal: both known and equal, or both the same named symbol.
bool same_shape(const TensorInfo& a, const TensorInfo& b) {
    if (!a.shape || !b.shape || a.shape->size() != b.shape->size()) return false;
    for (size_t i = 0; i < a.shape->size(); ++i) {
        const Dim &x = (*a.shape)[i], &y = (*b.shape)[i];
        bool equal =
            x.known() ? (y.known() && x.value == y.value) : (!y.known() && !x.symbol.empty() && x.symbol == y.symbol);
        if (!equal) return false;
    }
    return true;
}

// A scalar float constant input, or `fallback` when the input is omitted; false when present but not constant.
bool scalar_or(const ir::Value* v, float fallback, float& out) {
    if (!v) {
        out = fallback;
        return true;
    }
    if (!v->constant || v->is_graph_input || v->constant->dtype() != DType::Float || v->constant->element_count() != 1)
        return false;
    out = v->constant->data<float>()[0];
    return true;
}

// The activation `node` computes, as FusedConv's attribute name and parameters; false when it is not one.
bool activation_of(const ir::Node& node, std::string& name, std::vector<float>& params) {
    switch (node.op) {
        case OpKind::Relu:
        case OpKind::HardSwish:
        case OpKind::Sigmoid:
            params.clear();
            break;
        case OpKind::LeakyRelu:
            params = {node.attr_float("alpha", 0.01f)};
            break;
        case OpKind::HardSigmoid:
            params = {node.attr_float("alpha", 0.2f), node.attr_float("beta", 0.5f)};
            break;
        case OpKind::Clip: {
            float lo, hi;
            if (!scalar_or(node.input(1), -std::numeric_limits<float>::infinity(), lo) ||
                !scalar_or(node.input(2), std::numeric_limits<float>::infinity(), hi))
                return false;
            params = {lo, hi};
            break;
        }
        default:
            return false;
    }
    name = node.op_type;
    return true;
}

class FuseConvActivation : public Pass {
  public:
    const char* name() const override { return "FuseConvActivation"; }

    bool run(ir::Graph& graph, PassContext& ctx) override {
        TypeMap types;
        bool typed = false;
        Fusion fusion(graph);
        for (auto& conv : graph.nodes()) {
            if (!ctx.may_rewrite()) break;
            if (conv->op != OpKind::Conv || !conv->domain.empty() || conv->outputs.size() != 1) continue;
            if (!typed) {
                types = infer_types(graph);
                typed = true;
            }
            ir::Value* out = conv->outputs[0];
            auto conv_type = types.find(out);
            if (conv_type == types.end() || conv_type->second.dtype != DType::Float) continue;

            ir::Value* z = nullptr;
            ir::Node* add = fusion.only_reader(out);
            if (add && add->op == OpKind::Add && add->inputs.size() == 2 && add->inputs[0] != add->inputs[1]) {
                ir::Value* other = add->inputs[0] == out ? add->inputs[1] : add->inputs[0];
                auto other_type = types.find(other);
                const TensorInfo& zt = other_type != types.end() ? other_type->second : other->type;
                if (zt.dtype == DType::Float && same_shape(zt, conv_type->second)) z = other;
            }
            ir::Value* tail = z ? add->outputs[0] : out;
            std::string act_name;
            std::vector<float> act_params;
            ir::Node* act = fusion.only_reader(tail);
            if (act && !activation_of(*act, act_name, act_params)) act = nullptr;
            if (!z && !act) continue;

            conv->op = OpKind::FusedConv;
            conv->op_type = "FusedConv";
            conv->domain = "kiln";
            if (act) {
                ir::Attribute a;
                a.kind = ir::Attribute::Kind::String;
                a.s = act_name;
                conv->attributes["activation"] = a;
                ir::Attribute p;
                p.kind = ir::Attribute::Kind::Floats;
                p.floats = act_params;
                conv->attributes["activation_params"] = p;
            }
            if (z) {
                conv->inputs.resize(3, nullptr);
                conv->inputs.push_back(z);
                fusion.claim(add);
            }
            if (act) fusion.claim(act);
            conv->outputs[0] = act ? act->outputs[0] : tail;
            ctx.rewrites += 1;
        }
        return fusion.finish();
    }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_conv_activation() { return std::make_unique<FuseConvActivation>(); }

}  // namespace kiln::opt
