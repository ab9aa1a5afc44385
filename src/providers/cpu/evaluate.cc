#include "providers/cpu/evaluate.h"

#include "ops/op_def.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

TensorInfo info_of(const Tensor& t) { return TensorInfo{t.dtype(), SymbolicShape(t.shape().begin(), t.shape().end())}; }

std::vector<Tensor> evaluate_node(const ir::Node& node, const std::vector<const Tensor*>& inputs, int threads) {
    std::vector<TensorInfo> infos(inputs.size());
    ops::InferContext ictx{node, {}, {}, {}};
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i]) infos[i] = info_of(*inputs[i]);
        ictx.inputs.push_back(inputs[i] ? &infos[i] : nullptr);
        ictx.values.push_back(inputs[i]);
    }
    ops::infer_node(ictx);
    std::vector<Tensor> outputs(node.outputs.size());
    KernelContext kctx{node, inputs, {}, threads};
    for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i]) {
            const TensorInfo& info = ictx.outputs[i];
            KILN_CHECK(info.is_static(), Internal, node.describe(), ": shape of output ", i,
                       " not derived from concrete inputs: ", symbolic_shape_to_string(info.shape));
            outputs[i] = Tensor(info.dtype, info.static_shape());
            kctx.outputs.push_back(&outputs[i]);
        } else {
            kctx.outputs.push_back(nullptr);
        }
    }
    create_kernel(node)->run(kctx);
    return outputs;
}

}  // namespace kiln::cpu
