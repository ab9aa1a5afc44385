#include "providers/openvino/support_probe.h"

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

// Why OpenVINO cannot take a value of this type at all; "" when it can.
std::string value_type_problem(const ir::Value& v) {
    if (v.type.kind != ValueKind::Tensor) return str("'", v.name, "' is a ", value_kind_name(v.type.kind));
    if (v.type.dtype == DType::Undefined) return str("the element type of '", v.name, "' is unknown");
    if (element_type_of(v.type.dtype) == ::ov::element::dynamic) {
        return str("'", v.name, "' has element type ", dtype_tensor_string(v.type.dtype),
                   ", which OpenVINO does not have");
    }
    if (v.type.shape) {
        for (const Dim& d : *v.type.shape) {
            if (d.known() && d.value == 0) return str("'", v.name, "' has a zero-sized dimension");
        }
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

// The first line of an OpenVINO message (they carry file and line details after it).
std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

}  // namespace

SupportProbe::SupportProbe(std::string device, ::ov::AnyMap properties)
    : device_(std::move(device)), properties_(std::move(properties)) {}

std::string SupportProbe::type_problem(const ir::Node& node) {
    if (node.op == OpKind::Unknown) return str("op '", node.op_type, "' of domain '", node.domain, "' is not ONNX's");
    if (node.domain == "kiln") return "an internal op of kiln's CPU provider";
    for (const auto* values : {&node.inputs, &node.outputs}) {
        for (const ir::Value* v : *values) {
            std::string problem = v ? value_type_problem(*v) : "";
            if (!problem.empty()) return problem;
        }
    }
    return "";
}

std::string SupportProbe::why_not(const ir::Node& node) {
    std::string problem = type_problem(node);
    if (!problem.empty()) return problem;
    std::string bytes;
    try {
        bytes = onnx::save_graph_bytes(*one_node_graph(node), {{"", onnx::max_supported_opset()}});
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
