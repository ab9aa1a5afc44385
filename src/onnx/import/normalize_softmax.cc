// Softmax, LogSoftmax, Hardmax before 13 coerce the input to 2-D at `axis` (default 1) and normalise each row;
// from 13 they work along one axis (default -1). When the input's rank is known and axis is the last one the
// two agree; otherwise the node becomes Shape(x) -> s; Flatten(x, axis) -> f; Op(f, axis=-1) -> g;
// Reshape(g, s, allowzero=1) -> y.
#include "onnx/import/normalize.h"

namespace kiln::onnx::detail {

namespace {

void normalize_softmax(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 13) return;
    int64_t axis = node.attr_int("axis", 1);
    ir::Value* x = node.inputs.empty() ? nullptr : node.inputs[0];
    KILN_CHECK(x && !node.outputs.empty() && node.outputs[0], InvalidModel, node.describe(),
               " needs one input and one output");
    int64_t rank = known_rank(x);
    if (rank >= 0) {
        int64_t a = axis < 0 ? axis + rank : axis;
        if (a == rank - 1 || rank == 0) {
            set_int(node, "axis", -1);
            return;
        }
    }
    ir::Value* y = node.outputs[0];
    ir::Node* shape = add_node(graph, "Shape", node.name + "_shape", {x}, 1, node.opset);
    ir::Node* flatten = add_node(graph, "Flatten", node.name + "_flatten", {x}, 1, node.opset);
    set_int(*flatten, "axis", axis);
    ir::Value* g = graph.add_value(graph.unique_name(node.name + "_2d"));
    g->type.dtype = y->type.dtype;
    g->type.shape.reset();
    node.inputs[0] = flatten->outputs[0];
    node.outputs[0] = g;
    set_int(node, "axis", -1);
    ir::Node* reshape =
        add_node_producing(graph, "Reshape", node.name + "_reshape", {g, shape->outputs[0]}, {y}, node.opset);
    set_int(*reshape, "allowzero", 1);
}

}  // namespace

std::vector<NormalizerEntry> softmax_normalizers() {
    return {{"Softmax", normalize_softmax}, {"LogSoftmax", normalize_softmax}, {"Hardmax", normalize_softmax}};
}

}  // namespace kiln::onnx::detail
