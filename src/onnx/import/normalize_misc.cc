// Clip (min/max attributes -> inputs at 11), Dropout (ratio attribute -> input at 12), BatchNormalization
// (legacy spatial/is_test/consumed_inputs attributes dropped; is_test=0 before 7 becomes training_mode=1).
#include <algorithm>

#include "onnx/import/normalize.h"

namespace kiln::onnx::detail {

namespace {

void normalize_clip(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 11) return;
    ir::Value* x = node.inputs.empty() ? nullptr : node.inputs[0];
    KILN_CHECK(x, InvalidModel, node.describe(), " has no input");
    // Absent bounds stay omitted inputs (no bound), which is what Clip-6's +-FLT_MAX defaults mean.
    bool has_min = node.has_attribute("min"), has_max = node.has_attribute("max");
    float lo = node.attr_float("min", 0.0f), hi = node.attr_float("max", 0.0f);
    node.attributes.erase("min");
    node.attributes.erase("max");
    node.inputs.resize(1);
    if (has_min) set_input(node, 1, scalar_like(graph, node, "min", lo, x));
    if (has_max) set_input(node, 2, scalar_like(graph, node, "max", hi, x));
}

void normalize_dropout(ir::Graph& graph, ir::Node& node) {
    node.attributes.erase("is_test");
    if (node.opset >= 12 || !node.has_attribute("ratio")) return;
    float ratio = node.attr_float("ratio", 0.5f);
    node.attributes.erase("ratio");
    // Dropout-12's ratio has its own float type T1, so a float scalar fits any data type.
    set_input(node, 1,
              add_constant(graph, node.name + "_ratio", Tensor::from_vector<float>(DType::Float, {}, {ratio})));
}

void normalize_batch_norm(ir::Graph& graph, ir::Node& node) {
    // Before 7, is_test=0 (the default) meant training: Y normalised with the batch statistics (onnx's reference
    // BatchNormalization_6). 15 spells it training_mode=1 with outputs (Y, running_mean, running_var); before 7
    // outputs 3 and 4 were the saved batch mean and variance, which 15 no longer has.
    if (node.opset < 7 && node.attr_int("is_test", 0) == 0) {
        bool saved = (node.outputs.size() > 3 && node.outputs[3]) || (node.outputs.size() > 4 && node.outputs[4]);
        KILN_CHECK(!saved, NotImplemented, node.describe(),
                   ": the saved_mean/saved_var outputs of BatchNormalization before opset 7 are not supported");
        node.outputs.resize(std::min<size_t>(node.outputs.size(), 3));
        ir::Attribute a;
        a.kind = ir::Attribute::Kind::Int;
        a.i = 1;
        node.attributes["training_mode"] = a;
    }
    node.attributes.erase("is_test");
    node.attributes.erase("consumed_inputs");
    // spatial=1 (the default) is the only meaning later versions keep. spatial=0 (per-element statistics) is kept
    // as an attribute, so that the kernel can refuse it by name instead of computing something else.
    if (node.attr_int("spatial", 1) == 1) node.attributes.erase("spatial");
}

}  // namespace

std::vector<NormalizerEntry> misc_normalizers() {
    return {
        {"Clip", normalize_clip},
        {"Dropout", normalize_dropout},
        {"BatchNormalization", normalize_batch_norm},
    };
}

}  // namespace kiln::onnx::detail
