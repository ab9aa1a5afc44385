// Later ops whose older forms changed meaning:
// - Scatter (9, deprecated at 11) is ScatterElements with the same inputs and axis.
// - DFT before 20: the axis attribute (default 1) -> int64 scalar input 2; dft_length stays input 1 (omitted when
//   absent).
// - RoiAlign before 16 sampled with what 16 calls coordinate_transformation_mode="output_half_pixel"; 16 defaults
//   to half_pixel, so the old meaning is spelled out.
// - GroupNormalization 18 took scale and bias per group [G]; 21 takes them per channel [C]. Constant ones with a
//   known C are expanded at import; others by Unsqueeze -> Expand -> Reshape at run time.
// - Scan 8 had a batch axis 0 on every input and output and an optional sequence_lens input; 9 has neither. With
//   no sequence_lens and batch 1 (or unknown, checked by the Squeeze at run time) the batch axis is squeezed off
//   the inputs and put back on the outputs around a Scan-9 node. Other Scan-8 forms are refused by name.
#include <cstring>

#include "onnx/import/normalize.h"

namespace kiln::onnx::detail {

namespace {

void normalize_scatter(ir::Graph&, ir::Node& node) { node.op_type = "ScatterElements"; }

void normalize_dft(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 20) return;
    int64_t axis = node.attr_int("axis", 1);
    node.attributes.erase("axis");
    KILN_CHECK(!node.inputs.empty() && node.inputs[0], InvalidModel, node.describe(), " has no input");
    if (node.inputs.size() < 2) node.inputs.resize(2, nullptr);
    set_input(node, 2,
              add_constant(graph, node.name + "_axis", Tensor::from_vector<int64_t>(DType::Int64, {}, {axis})));
}

void normalize_roi_align(ir::Graph&, ir::Node& node) {
    if (node.opset >= 16 || node.has_attribute("coordinate_transformation_mode")) return;
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = "output_half_pixel";
    node.attributes["coordinate_transformation_mode"] = a;
}

// Repeats each of the G values of a per-group constant `per` times.
Tensor repeat_per_group(const Tensor& t, int64_t per) {
    int64_t groups = t.element_count();
    Tensor out(t.dtype(), {groups * per});
    KILN_CHECK(dtype_bits(t.dtype()) >= 8, NotImplemented, "per-group constant of type ", dtype_name(t.dtype()));
    size_t width = static_cast<size_t>(dtype_bits(t.dtype()) / 8);
    const auto* src = static_cast<const uint8_t*>(t.raw_data());
    auto* dst = static_cast<uint8_t*>(out.raw_data());
    for (int64_t g = 0; g < groups; ++g) {
        for (int64_t j = 0; j < per; ++j) {
            std::memcpy(dst + static_cast<size_t>(g * per + j) * width, src + static_cast<size_t>(g) * width, width);
        }
    }
    return out;
}

void normalize_group_norm(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 21) return;
    KILN_CHECK(node.inputs.size() == 3 && node.inputs[0] && node.inputs[1] && node.inputs[2], InvalidModel,
               node.describe(), " needs inputs X, scale and bias");
    int64_t groups = node.attr_int("num_groups", 0);
    KILN_CHECK(groups > 0, InvalidModel, node.describe(), ": num_groups must be positive");
    ir::Value* x = node.inputs[0];
    int64_t channels = -1;
    if (x->type.shape && x->type.shape->size() >= 2 && (*x->type.shape)[1].known()) {
        channels = (*x->type.shape)[1].value;
        KILN_CHECK(channels % groups == 0, InvalidModel, node.describe(), ": ", channels,
                   " channels do not divide into ", groups, " groups");
    }
    for (size_t i = 1; i <= 2; ++i) {
        ir::Value* v = node.inputs[i];
        const char* what = i == 1 ? "scale" : "bias";
        if (v->constant && channels >= 0 && !v->is_graph_input) {
            KILN_CHECK(v->constant->element_count() == groups, InvalidModel, node.describe(), ": ", what, " has ",
                       v->constant->element_count(), " values for ", groups, " groups");
            node.inputs[i] =
                add_constant(graph, node.name + "_" + what, repeat_per_group(*v->constant, channels / groups));
            continue;
        }
        // Run time: [G] -> [G, 1] -> [G, C/G] -> [C].
        std::string h = node.name + "_" + what;
        ir::Value* g = int64s(graph, h + "_groups", {groups});
        ir::Value* per = nullptr;
        if (channels >= 0) {
            per = int64s(graph, h + "_per_group", {channels / groups});
        } else {
            ir::Node* c = add_node(graph, "Shape", h + "_channels", {x}, 1, node.opset);
            set_int(*c, "start", 1);
            set_int(*c, "end", 2);
            per = add_node(graph, "Div", h + "_per_group", {c->outputs[0], g}, 1, node.opset)->outputs[0];
        }
        ir::Node* shape = add_node(graph, "Concat", h + "_shape", {g, per}, 1, node.opset);
        set_int(*shape, "axis", 0);
        ir::Value* col =
            add_node(graph, "Unsqueeze", h + "_col", {v, int64s(graph, h + "_axes", {1})}, 1, node.opset)->outputs[0];
        ir::Value* wide = add_node(graph, "Expand", h + "_expand", {col, shape->outputs[0]}, 1, node.opset)->outputs[0];
        node.inputs[i] =
            add_node(graph, "Reshape", h + "_per_channel", {wide, int64s(graph, h + "_flat", {-1})}, 1, node.opset)
                ->outputs[0];
    }
}

void normalize_scan(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 9) return;
    KILN_CHECK(!node.input(0), NotImplemented, node.describe(),
               ": Scan-8 with a sequence_lens input is not supported (kiln runs Scan-9 and later)");
    std::vector<ir::Value*> inputs(node.inputs.begin() + (node.inputs.empty() ? 0 : 1), node.inputs.end());
    for (ir::Value* v : inputs) {
        KILN_CHECK(v, InvalidModel, node.describe(), " has an omitted state or scan input");
        if (v->type.shape && !v->type.shape->empty() && (*v->type.shape)[0].known()) {
            KILN_CHECK((*v->type.shape)[0].value == 1, NotImplemented, node.describe(), ": Scan-8 with batch size ",
                       (*v->type.shape)[0].value, " is not supported (only batch 1 maps onto Scan-9)");
        }
    }
    ir::Value* axis0 = int64s(graph, node.name + "_batch_axis", {0});
    for (ir::Value*& v : inputs) {
        v = add_node(graph, "Squeeze", node.name + "_unbatch", {v, axis0}, 1, node.opset)->outputs[0];
    }
    node.inputs = inputs;
    if (node.has_attribute("directions")) {
        node.attributes["scan_input_directions"] = node.attributes["directions"];
        node.attributes.erase("directions");
    }
    for (ir::Value*& out : node.outputs) {
        if (!out) continue;
        ir::Value* inner = graph.add_value(graph.unique_name(node.name + "_unbatched"));
        add_node_producing(graph, "Unsqueeze", node.name + "_batch", {inner, axis0}, {out}, node.opset);
        out = inner;
    }
}

}  // namespace

std::vector<NormalizerEntry> compat_normalizers() {
    return {
        {"Scatter", normalize_scatter},    {"DFT", normalize_dft},
        {"RoiAlign", normalize_roi_align}, {"GroupNormalization", normalize_group_norm},
        {"Scan", normalize_scan},
    };
}

}  // namespace kiln::onnx::detail
