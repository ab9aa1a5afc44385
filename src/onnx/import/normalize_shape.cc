// Layout ops whose attributes became inputs: Squeeze, Unsqueeze (13), Split (13; num_outputs in 18), Slice (10),
// Pad (11), TopK (10).
#include "onnx/import/normalize.h"

namespace kiln::onnx::detail {

namespace {

// Squeeze/Unsqueeze before 13: axes attribute -> input 1.
void normalize_axes_input(ir::Graph& graph, ir::Node& node) {
    if (node.opset < 13) ints_attribute_to_input(graph, node, "axes", 1);
}

// Split: before 13 the sizes were the 'split' attribute; before 18, no sizes meant equal parts, which 18 spells
// as num_outputs.
void normalize_split(ir::Graph& graph, ir::Node& node) {
    if (node.opset < 13) ints_attribute_to_input(graph, node, "split", 1);
    if (node.opset < 18 && !node.input(1) && !node.has_attribute("num_outputs")) {
        ir::Attribute a;
        a.kind = ir::Attribute::Kind::Int;
        a.i = static_cast<int64_t>(node.outputs.size());
        node.attributes["num_outputs"] = a;
    }
}

// Slice before 10: starts, ends, axes attributes -> inputs 1, 2, 3 (no steps).
void normalize_slice(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 10) return;
    ints_attribute_to_input(graph, node, "starts", 1);
    ints_attribute_to_input(graph, node, "ends", 2);
    ints_attribute_to_input(graph, node, "axes", 3);
}

// Pad before 11: pads attribute -> input 1, value attribute -> input 2 (a scalar of the data's type).
void normalize_pad(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 11) return;
    // Pad-1 called the attribute 'paddings'.
    const char* pads_name = node.has_attribute("paddings") ? "paddings" : "pads";
    KILN_CHECK(node.has_attribute(pads_name), InvalidModel, node.describe(), ": required attribute 'pads' is missing");
    ints_attribute_to_input(graph, node, pads_name, 1);
    float value = node.attr_float("value", 0.0f);
    node.attributes.erase("value");
    std::string mode = node.attr_string("mode", "constant");
    if (mode == "constant" && value != 0.0f) {
        set_input(node, 2, scalar_like(graph, node, "value", value, node.inputs[0]));
    }
}

// TopK before 10: k attribute -> input 1 (int64, shape [1]).
void normalize_topk(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 10 || !node.has_attribute("k")) return;
    int64_t k = node.attr_int("k", 0);
    node.attributes.erase("k");
    set_input(node, 1, add_constant(graph, node.name + "_k", Tensor::from_vector<int64_t>(DType::Int64, {1}, {k})));
}

}  // namespace

std::vector<NormalizerEntry> shape_normalizers() {
    return {
        {"Squeeze", normalize_axes_input},
        {"Unsqueeze", normalize_axes_input},
        {"Split", normalize_split},
        {"Slice", normalize_slice},
        {"Pad", normalize_pad},
        {"TopK", normalize_topk},
    };
}

}  // namespace kiln::onnx::detail
