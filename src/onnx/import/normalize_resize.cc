// Upsample (every version) and Resize before 11 become Resize-19: inputs (X, roi, scales, sizes).
//
// Upsample and Resize-10 map output to input coordinates as x_in = x_out / scale ("asymmetric"). Their nearest
// mode, as ONNX Runtime implements it for backward compatibility ("simple"), takes floor(x_in) when upsampling
// and ceil(x_in) when downsampling; Resize-19 has one nearest_mode for all axes, so kiln picks "floor" unless every
// constant scale is <= 1 with one < 1 (then "ceil"). With integer scales, floor reproduces onnx's reference
// Upsample (np.repeat per axis). Linear mode keeps the asymmetric mapping.
//
// Resize 11 to 18: an empty constant roi or scales tensor (the old way to say "not given") becomes an omitted
// input; the attributes mean the same in 19.
#include "onnx/import/normalize.h"

namespace kiln::onnx::detail {

namespace {

bool is_empty_constant(const ir::Value* v) { return v && v->constant && v->constant->element_count() == 0; }

// Rewrites a node with inputs (X, scales) and a mode attribute into Resize-19.
void to_resize_19(ir::Graph& graph, ir::Node& node) {
    std::string mode = node.attr_string("mode", "nearest");
    if (mode == "bilinear") mode = "linear";  // Upsample-1's spelling
    ir::Value* x = node.inputs.size() > 0 ? node.inputs[0] : nullptr;
    ir::Value* scales = node.inputs.size() > 1 ? node.inputs[1] : nullptr;
    KILN_CHECK(x && scales, InvalidModel, node.describe(), " needs inputs X and scales");
    node.attributes.clear();
    node.op_type = "Resize";
    node.inputs = {x, nullptr, scales};
    set_string(node, "mode", mode);
    set_string(node, "coordinate_transformation_mode", "asymmetric");
    if (mode == "nearest") {
        std::vector<double> s = constant_values(scales);
        bool down = !s.empty();
        bool any_below = false;
        for (double v : s) {
            down = down && v <= 1.0;
            any_below = any_below || v < 1.0;
        }
        set_string(node, "nearest_mode", down && any_below ? "ceil" : "floor");
    }
}

void normalize_upsample(ir::Graph& graph, ir::Node& node) {
    if (node.has_attribute("height_scale") || node.has_attribute("width_scale")) {
        // Upsample-1: NCHW input, scales of the two spatial axes.
        float h = node.attr_float("height_scale", 1.0f), w = node.attr_float("width_scale", 1.0f);
        node.attributes.erase("height_scale");
        node.attributes.erase("width_scale");
        set_input(node, 1,
                  add_constant(graph, node.name + "_scales",
                               Tensor::from_vector<float>(DType::Float, {4}, {1.0f, 1.0f, h, w})));
    } else if (node.has_attribute("scales")) {
        // Upsample before 9: scales attribute -> input.
        std::vector<float> s = node.attr_floats("scales");
        node.attributes.erase("scales");
        set_input(node, 1,
                  add_constant(graph, node.name + "_scales",
                               Tensor::from_vector<float>(DType::Float, {static_cast<int64_t>(s.size())}, s)));
    }
    to_resize_19(graph, node);
}

void normalize_resize(ir::Graph& graph, ir::Node& node) {
    if (node.opset < 11) {
        to_resize_19(graph, node);
        return;
    }
    if (node.inputs.size() > 1 && is_empty_constant(node.inputs[1])) node.inputs[1] = nullptr;
    if (node.inputs.size() > 2 && is_empty_constant(node.inputs[2]) && node.input(3)) node.inputs[2] = nullptr;
}

}  // namespace

std::vector<NormalizerEntry> resize_normalizers() {
    return {{"Upsample", normalize_upsample}, {"Resize", normalize_resize}};
}

}  // namespace kiln::onnx::detail
