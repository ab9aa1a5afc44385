// MatMul(A, W) -> Add(., bias) [-> Gelu] becomes one internal FusedMatMul node (domain "kiln", see
// op_list.inc): the kernel starts each GEMM block from the bias (beta = 1) and applies Gelu while the block is in
// cache. W: a float constant [K, N]; bias: a float constant [N]. The MatMul and Add outputs must have a single
// reader and must not be graph outputs.
#include <unordered_map>
#include <unordered_set>

#include "optimizer/graph_edit.h"
#include "optimizer/pass.h"

namespace kiln::opt {
namespace {

const Tensor* float_constant(const ir::Value* v) {
    if (!v || !v->constant || v->is_graph_input || v->constant->dtype() != DType::Float) return nullptr;
    return &*v->constant;
}

class FuseMatMulBias : public Pass {
  public:
    const char* name() const override { return "FuseMatMulBias"; }

    bool run(ir::Graph& graph, PassContext& ctx) override {
        Fusion fusion(graph);
        for (auto& mm : graph.nodes()) {
            if (!ctx.may_rewrite()) break;
            if (mm->op != OpKind::MatMul || !mm->domain.empty() || mm->inputs.size() != 2) continue;
            const Tensor* w = float_constant(mm->inputs[1]);
            if (!w || w->rank() != 2) continue;
            ir::Node* add = fusion.only_reader(mm->outputs[0], OpKind::Add);
            if (!add || add->inputs.size() != 2 || add->inputs[0] == add->inputs[1]) continue;
            ir::Value* bias = add->inputs[0] == mm->outputs[0] ? add->inputs[1] : add->inputs[0];
            const Tensor* b = float_constant(bias);
            if (!b || b->rank() != 1 || b->shape()[0] != w->shape()[1]) continue;
            ir::Node* gelu = fusion.only_reader(add->outputs[0], OpKind::Gelu);
            if (gelu && gelu->attr_string("approximate", "none") != "none") gelu = nullptr;

            mm->op = OpKind::FusedMatMul;
            mm->op_type = "FusedMatMul";
            mm->domain = "kiln";
            mm->inputs.push_back(bias);
            fusion.claim(add);
            if (gelu) {
                ir::Attribute a;
                a.kind = ir::Attribute::Kind::String;
                a.s = "Gelu";
                mm->attributes["activation"] = a;
                fusion.claim(gelu);
            }
            mm->outputs[0] = gelu ? gelu->outputs[0] : add->outputs[0];
            ctx.rewrites += 1;
        }
        return fusion.finish();
    }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_mat_mul_bias() { return std::make_unique<FuseMatMulBias>(); }

}  // namespace kiln::opt
