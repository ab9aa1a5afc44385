// The erf form of GELU spelled out in elementwise ops becomes one Gelu node (approximate="none"):
//   x -> Div(x, sqrt 2) | Mul(x, 1/sqrt 2) -> Erf -> Add(., 1) -> Mul(x, .) -> Mul(., 0.5)
// (the two final Muls in either order, operands of Add and Mul in either order). Every intermediate must have a
// single reader and must not be a graph output.
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "optimizer/graph_edit.h"
#include "optimizer/pass.h"

namespace kiln::opt {
namespace {

// True when `v` is a float scalar constant within 1e-5 (relative) of `want`.
bool is_scalar(const ir::Value* v, double want) {
    if (!v || !v->constant || v->is_graph_input || v->constant->dtype() != DType::Float ||
        v->constant->element_count() != 1)
        return false;
    return std::fabs(v->constant->data<float>()[0] - want) <= 1e-5 * std::fabs(want);
}

// The input of binary `node` other than `v` (null when v is not exactly one of its two inputs).
ir::Value* other_input(const ir::Node& node, const ir::Value* v) {
    if (node.inputs.size() != 2 || node.inputs[0] == node.inputs[1]) return nullptr;
    if (node.inputs[0] == v) return node.inputs[1];
    if (node.inputs[1] == v) return node.inputs[0];
    return nullptr;
}

class FuseGelu : public Pass {
  public:
    const char* name() const override { return "FuseGelu"; }

    bool run(ir::Graph& graph, PassContext& ctx) override {
        Fusion fusion(graph);
        for (auto& erf : graph.nodes()) {
            if (!ctx.may_rewrite()) break;
            if (erf->op != OpKind::Erf || !erf->domain.empty() || erf->inputs.size() != 1) continue;
            ir::Value* scaled = erf->inputs[0];
            ir::Node* div = scaled ? scaled->producer : nullptr;
            if (!div || fusion.claimed(div) || !div->domain.empty() ||
                fusion.only_reader(scaled, OpKind::Erf) != erf.get()) {
                continue;
            }
            ir::Value* x = nullptr;
            if (div->op == OpKind::Div && div->inputs.size() == 2 && is_scalar(div->inputs[1], std::sqrt(2.0))) {
                x = div->inputs[0];
            } else if (div->op == OpKind::Mul) {
                for (int i = 0; i < 2 && div->inputs.size() == 2; ++i) {
                    if (is_scalar(div->inputs[1 - i], std::sqrt(0.5))) x = div->inputs[i];
                }
            }
            if (!x) continue;
            ir::Node* add = fusion.only_reader(erf->outputs[0], OpKind::Add);
            if (!add || !is_scalar(other_input(*add, erf->outputs[0]), 1.0)) continue;
            ir::Node* mul1 = fusion.only_reader(add->outputs[0], OpKind::Mul);
            if (!mul1) continue;
            ir::Value* first = other_input(*mul1, add->outputs[0]);  // x or 0.5
            ir::Node* mul2 = fusion.only_reader(mul1->outputs[0], OpKind::Mul);
            if (!first || !mul2) continue;
            ir::Value* second = other_input(*mul2, mul1->outputs[0]);
            bool ok = (first == x && is_scalar(second, 0.5)) || (second == x && is_scalar(first, 0.5));
            if (!ok) continue;

            erf->op = OpKind::Gelu;
            erf->op_type = "Gelu";
            erf->attributes.clear();
            erf->inputs = {x};
            erf->outputs = {mul2->outputs[0]};
            for (ir::Node* n : {div, add, mul1, mul2}) fusion.claim(n);
            ctx.rewrites += 1;
        }
        return fusion.finish();
    }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_gelu() { return std::make_unique<FuseGelu>(); }

}  // namespace kiln::opt
