#include "providers/openvino/support_probe.h"

#include <cmath>
#include <openvino/core/model.hpp>

#include "onnx/loader.h"
#include "onnx/writer.h"
#include "ops/op_def.h"
#include "providers/openvino/element_type.h"
#include "providers/openvino/ov_core.h"

namespace kiln::ov {
namespace {

// Constants up to this many elements stay constants in the probe (shapes, axes, scales, pads: conversions need
// their values); larger ones (weights) become inputs of the same type and shape, which no op's support depends on.
constexpr int64_t kProbeConstantElements = 64;

// Why OpenVINO cannot take a value of this type at all; "" when it can. An unknown element type inside a graph is
// OpenVINO's to handle (its conversion knows the types); at the graph's inputs and outputs kiln binds the tensors
// and must know it. Empty tensors (a zero-sized dim) are bound like any other.
std::string value_known_problem(const ir::Value& v) {
    bool interface = v.is_graph_input || v.is_graph_output;
    if (v.type.kind != ValueKind::Tensor) return str("'", v.name, "' is a ", value_kind_name(v.type.kind));
    if (v.type.dtype == DType::Undefined) {
        return interface ? str("the element type of graph input/output '", v.name, "' is unknown") : "";
    }
    if (v.type.dtype == DType::Double) {
        return str("'", v.name, "' is float64, which OpenVINO's devices compute in float32");
    }
    if (element_type_of(v.type.dtype) == ::ov::element::dynamic) {
        return str("'", v.name, "' has element type ", dtype_tensor_string(v.type.dtype),
                   ", which OpenVINO does not have");
    }
    return "";
}

// Ops whose OpenVINO result differs from the ONNX specification in some configuration (found with the ONNX
// backend tests: tests/conformance/manifests/openvino-cpu.txt). Such nodes stay on the CPU provider, with the
// difference as the reason, rather than giving a silently different answer. One list.
struct Divergence {
    const char* op;
    bool (*applies)(const ir::Node& node);
    const char* why;
};

bool is_narrow_float(const ir::Value* v) {
    if (!v) return false;
    DType t = v->type.dtype;
    return t == DType::Float8E4M3FN || t == DType::Float8E5M2 || t == DType::Float4E2M1 || t == DType::Float8E8M0;
}

// Casts to float4 and float8 E8M0 round differently; to the other float8 types they do not saturate (they do match
// with saturate=0).
bool narrow_float_cast_differs(const ir::Node& node) {
    if (node.outputs.empty() || !is_narrow_float(node.outputs[0])) return false;
    DType t = node.outputs[0]->type.dtype;
    if (t == DType::Float4E2M1 || t == DType::Float8E8M0) return true;
    return node.attr_int("saturate", 1) != 0;
}

bool output_is_narrow_float(const ir::Node& node) { return !node.outputs.empty() && is_narrow_float(node.outputs[0]); }

// ceil_mode: ONNX drops a last window that would start in the right padding; OpenVINO keeps it.
bool ceil_window_starts_in_padding(const ir::Node& node) {
    if (node.attr_int("ceil_mode", 0) == 0 || !node.inputs[0] || !node.inputs[0]->type.is_static()) return false;
    std::vector<int64_t> shape = node.inputs[0]->type.static_shape();
    std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
    size_t n = kernel.size();
    if (shape.size() != n + 2) return true;
    std::vector<int64_t> strides = node.attr_ints("strides", std::vector<int64_t>(n, 1));
    std::vector<int64_t> dilations = node.attr_ints("dilations", std::vector<int64_t>(n, 1));
    std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * n, 0));
    if (node.attr_string("auto_pad", "NOTSET") != "NOTSET") return true;
    for (size_t i = 0; i < n; ++i) {
        int64_t in = shape[i + 2], span = (kernel[i] - 1) * dilations[i] + 1;
        int64_t windows = (in + pads[i] + pads[i + n] - span + strides[i] - 1) / strides[i] + 1;
        if ((windows - 1) * strides[i] >= in + pads[i]) return true;
    }
    return false;
}

// Input 0 has a static shape with a zero-sized dim (an empty reduction; unknown shapes are not refused).
bool has_static_empty_input(const ir::Node& node) {
    const ir::Value* x = node.inputs.empty() ? nullptr : node.inputs[0];
    if (!x || !x->type.is_static()) return false;
    for (int64_t d : x->type.static_shape()) {
        if (d == 0) return true;
    }
    return false;
}

// Resize with align_corners maps output index i to i * (in - 1) / (out - 1), where ONNX takes `out` as in * scale
// unrounded when scales are given and OpenVINO the rounded output length: they agree when in * scale is a whole
// number on every axis, or when sizes are given. Unknown scales or input shape count as differing.
bool align_corners_scale_differs(const ir::Node& node) {
    if (node.attr_string("mode", "nearest") == "nearest" ||
        node.attr_string("coordinate_transformation_mode", "half_pixel") != "align_corners") {
        return false;
    }
    const ir::Value* sizes = node.inputs.size() > 3 ? node.inputs[3] : nullptr;
    if (sizes) return false;
    const ir::Value* scales = node.inputs.size() > 2 ? node.inputs[2] : nullptr;
    const ir::Value* x = node.inputs[0];
    if (!scales || !scales->constant || scales->is_graph_input || scales->constant->dtype() != DType::Float || !x ||
        !x->type.is_static() || !node.attr_ints("axes").empty()) {
        return true;
    }
    std::vector<int64_t> shape = x->type.static_shape();
    const Tensor& t = *scales->constant;
    if (t.element_count() != static_cast<int64_t>(shape.size())) return true;
    for (size_t i = 0; i < shape.size(); ++i) {
        double out = static_cast<double>(shape[i]) * t.data<float>()[i];
        if (out != std::floor(out)) return true;
    }
    return false;
}

const Divergence kDivergences[] = {
    {"Resize", [](const ir::Node& n) { return n.attr_int("antialias", 0) != 0; }, "antialias gives other values"},
    {"Resize", [](const ir::Node& n) { return n.attr_int("exclude_outside", 0) != 0; },
     "exclude_outside gives other values"},
    {"Resize", [](const ir::Node& n) { return n.attr_string("keep_aspect_ratio_policy", "stretch") != "stretch"; },
     "keep_aspect_ratio_policy not_larger/not_smaller gives other output sizes"},
    {"Resize",
     [](const ir::Node& n) {
         std::string ct = n.attr_string("coordinate_transformation_mode", "half_pixel");
         return n.attr_string("mode", "nearest") != "nearest" &&
                (ct == "tf_crop_and_resize" || ct == "half_pixel_symmetric");
     },
     "linear/cubic with tf_crop_and_resize or half_pixel_symmetric gives other values"},
    {"Resize", align_corners_scale_differs,
     "linear/cubic with align_corners and scales whose output length is not a whole number gives other values"},
    {"LSTM", [](const ir::Node& n) { return n.attr_int("layout", 0) != 0; }, "layout=1 gives other values"},
    {"GRU", [](const ir::Node& n) { return n.attr_int("layout", 0) != 0; }, "layout=1 gives other values"},
    {"RNN", [](const ir::Node& n) { return n.attr_int("layout", 0) != 0; }, "layout=1 gives other values"},
    {"LSTM", [](const ir::Node& n) { return n.inputs.size() > 7 && n.inputs[7]; }, "peepholes give other values"},
    {"Dropout", [](const ir::Node& n) { return n.inputs.size() > 1 && n.inputs[1] && !n.inputs[1]->constant; },
     "a ratio that is not a constant zeroes elements even when not training"},
    {"RoiAlign", [](const ir::Node& n) { return n.attr_string("mode", "avg") == "max"; },
     "mode=max gives other values"},
    {"DFT", [](const ir::Node&) { return true; }, "the opset-20 DFT gives other shapes and values"},
    {"TopK", [](const ir::Node&) { return true; }, "equal values come out in another index order than ONNX's"},
    {"Tile", [](const ir::Node& n) { return !n.inputs[1] || !n.inputs[1]->constant || n.inputs[1]->is_graph_input; },
     "repeats that are not a constant give wrong values"},
    {"MaxPool", ceil_window_starts_in_padding, "ceil_mode keeps a last window that starts in the padding"},
    {"AveragePool", ceil_window_starts_in_padding, "ceil_mode keeps a last window that starts in the padding"},
    {"Cast", narrow_float_cast_differs, "casts to float8/float4 types do not saturate or round as ONNX's do"},
    {"CastLike", narrow_float_cast_differs, "casts to float8/float4 types do not saturate or round as ONNX's do"},
    {"QuantizeLinear", output_is_narrow_float, "quantizing to float8/float4 types does not compile or round as ONNX's"},
    {"QuantizeLinear",
     [](const ir::Node& n) { return !n.outputs.empty() && n.outputs[0] && n.outputs[0]->type.dtype == DType::UInt16; },
     "quantizing to uint16 rounds some values one step lower"},
    {"Attention",
     [](const ir::Node& n) { return n.attr_int("is_causal", 0) != 0 && n.inputs.size() > 4 && n.inputs[4]; },
     "is_causal with past_key masks other positions"},
    {"ReduceMax", has_static_empty_input, "an empty reduction gives the lowest float, not -inf"},
};

std::string divergence(const ir::Node& node) {
    if (!node.domain.empty()) return "";
    for (const Divergence& d : kDivergences) {
        if (node.op_type == d.op && d.applies(node))
            return str("OpenVINO's ", node.op_type, " differs from ONNX: ", d.why);
    }
    return "";
}

// The type with symbolic dim names dropped: they do not change what OpenVINO supports, and keep the probe
// bytes equal for nodes that differ only in them.
TensorInfo anonymous(TensorInfo type) {
    if (type.shape) {
        for (Dim& d : *type.shape) d.symbol.clear();
    }
    return type;
}

// `node` alone in a graph: inputs i0.., outputs o0.., node name "probe"; values its subgraphs read from outside
// keep their names (the subgraphs refer to them).
std::unique_ptr<ir::Graph> one_node_graph(const ir::Node& node) {
    auto graph = std::make_unique<ir::Graph>();
    graph->name = "probe";
    auto copy = std::make_unique<ir::Node>();
    copy->name = "probe";
    copy->op_type = node.op_type;
    copy->domain = node.domain;
    copy->opset = node.opset;
    copy->op = node.op;
    copy->attributes = node.attributes;
    auto add_input = [&](const ir::Value& source, const std::string& name) {
        ir::Value* v = graph->add_value(name);
        v->type = anonymous(source.type);
        bool small = source.constant && source.constant->element_count() <= kProbeConstantElements;
        if (source.constant && !source.is_graph_input && (small || source.type.dtype == DType::String)) {
            v->constant = source.constant;
        } else {
            v->is_graph_input = true;
            graph->inputs().push_back(v);
        }
        return v;
    };
    for (size_t i = 0; i < node.inputs.size(); ++i) {
        copy->inputs.push_back(node.inputs[i] ? add_input(*node.inputs[i], str("i", i)) : nullptr);
    }
    for (ir::Value* outer : ir::implicit_inputs(node)) add_input(*outer, outer->name);
    for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (!node.outputs[i]) {
            copy->outputs.push_back(nullptr);
            continue;
        }
        ir::Value* v = graph->add_value(str("o", i));
        v->type = anonymous(node.outputs[i]->type);
        v->is_graph_output = true;
        graph->outputs().push_back(v);
        copy->outputs.push_back(v);
    }
    graph->add_node(std::move(copy));
    return graph;
}

// An OpenVINO message on one line, without the lines that only say where it was thrown or that conversion failed
// ("Exception from src/...:105:", "Check '...' failed at ...", "FrontEnd API failed with ..."): the ONNX
// frontend's own reason is several lines below them.
std::string first_line(const std::string& text) {
    static const char* const kNoise[] = {"Exception from ",
                                         "Check '",
                                         "FrontEnd API failed",
                                         "Model wasn't fully",
                                         "Failed operations detailed log",
                                         "Summary:",
                                         "-- Conversion is failed"};
    std::string message;
    for (size_t start = 0; start < text.size();) {
        size_t end = std::min(text.find('\n', start), text.size());
        std::string line = text.substr(start, end - start);
        start = end + 1;
        line.erase(0, line.find_first_not_of(" \t"));
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
        // "... node '<Node(X): y>': Check 'cond' failed at src/file.cpp:119:" -> "... node '<Node(X): y>':"
        size_t check = line.find("Check '"), at = line.find(" failed at ");
        if (check != std::string::npos && at != std::string::npos && at > check) {
            size_t colon = line.find(": ", at);
            line.erase(check, colon == std::string::npos ? std::string::npos : colon + 2 - check);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        bool noise = line.empty();
        for (const char* prefix : kNoise) noise = noise || line.rfind(prefix, 0) == 0;
        if (noise) continue;
        message += (message.empty() ? "" : " ") + line;
    }
    if (message.empty()) message = text.substr(0, text.find('\n'));
    return message.size() > 300 ? message.substr(0, 300) + "..." : message;
}

}  // namespace

SupportProbe::SupportProbe(std::string device, ::ov::AnyMap properties)
    : device_(std::move(device)), properties_(std::move(properties)) {}

std::string SupportProbe::known_problem(const ir::Node& node) {
    if (node.op == OpKind::Unknown)
        return str("op '", node.op_type, "' (domain '", node.domain, "') is not a standard ONNX op");
    if (node.domain == "kiln") return "an internal op of kiln's CPU provider";
    for (const auto* values : {&node.inputs, &node.outputs}) {
        for (const ir::Value* v : *values) {
            std::string problem = v ? value_known_problem(*v) : "";
            if (!problem.empty()) return problem;
        }
    }
    return divergence(node);
}

std::string SupportProbe::why_not(const ir::Node& node) {
    std::string problem = known_problem(node);
    if (!problem.empty()) return problem;
    std::string bytes;
    try {
        bytes = onnx::save_graph_bytes(*one_node_graph(node), {{"", onnx::max_supported_opset()}},
                                       /*function_bodies=*/true);
    } catch (const Error& e) {
        return str("cannot be written as ONNX for OpenVINO: ", e.what());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = answers_.find(bytes);
    if (it != answers_.end()) return it->second;
    std::string answer = ask_openvino(bytes);
    answers_.emplace(std::move(bytes), answer);
    return answer;
}

std::string SupportProbe::ask_openvino(const std::string& model_bytes) {
    std::shared_ptr<::ov::Model> model;
    try {
        model = core().read_model(model_bytes, ::ov::Tensor());
    } catch (const std::exception& e) {
        return "OpenVINO's ONNX frontend cannot convert it: " + first_line(e.what());
    }
    ::ov::SupportedOpsMap supported;
    try {
        supported = core().query_model(model, device_, properties_);
    } catch (const std::exception& e) {
        return str("OpenVINO ", device_, " query_model failed: ", first_line(e.what()));
    }
    std::string missing;
    for (const auto& op : model->get_ordered_ops()) {
        if (supported.count(op->get_friendly_name())) continue;
        std::string type = op->get_type_name();
        if (type == "Parameter" || type == "Result" || type == "Constant") continue;
        if (missing.find(type) == std::string::npos) missing += (missing.empty() ? "" : ", ") + type;
    }
    return missing.empty() ? "" : str("OpenVINO ", device_, " does not support the converted op(s) ", missing);
}

}  // namespace kiln::ov
