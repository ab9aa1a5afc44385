#include "onnx/import/normalize.h"

#include <unordered_map>

#include "common/half.h"

namespace kiln::onnx {

namespace detail {

ir::Value* add_constant(ir::Graph& graph, const std::string& hint, Tensor tensor) {
    ir::Value* v = graph.add_value(graph.unique_name(hint));
    v->type.dtype = tensor.dtype();
    v->type.shape = SymbolicShape(tensor.shape().begin(), tensor.shape().end());
    v->constant = std::move(tensor);
    return v;
}

ir::Value* int64s(ir::Graph& graph, const std::string& hint, std::vector<int64_t> v) {
    auto n = static_cast<int64_t>(v.size());
    return add_constant(graph, hint, Tensor::from_vector<int64_t>(DType::Int64, {n}, std::move(v)));
}

void set_int(ir::Node& node, const std::string& key, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = v;
    node.attributes[key] = a;
}

void set_string(ir::Node& node, const std::string& key, const std::string& v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = v;
    node.attributes[key] = a;
}

void set_input(ir::Node& node, size_t index, ir::Value* value) {
    if (node.inputs.size() <= index) node.inputs.resize(index + 1, nullptr);
    node.inputs[index] = value;
}

void ints_attribute_to_input(ir::Graph& graph, ir::Node& node, const std::string& attr, size_t index) {
    if (!node.has_attribute(attr)) return;
    std::vector<int64_t> values = node.attr_ints(attr);
    node.attributes.erase(attr);
    Tensor t = Tensor::from_vector<int64_t>(DType::Int64, {static_cast<int64_t>(values.size())}, values);
    set_input(node, index, add_constant(graph, node.name + "_" + attr, std::move(t)));
}

DType known_dtype(const ir::Value* v) {
    if (!v) return DType::Undefined;
    if (v->type.dtype != DType::Undefined) return v->type.dtype;
    if (v->constant) return v->constant->dtype();
    return DType::Undefined;
}

ir::Node* add_node(ir::Graph& graph, const std::string& op_type, const std::string& name_hint,
                   std::vector<ir::Value*> inputs, size_t output_count, int opset) {
    auto node = std::make_unique<ir::Node>();
    node->name = graph.unique_name(name_hint);
    node->op_type = op_type;
    node->opset = opset;
    node->op = op_kind_from_name(op_type);
    node->inputs = std::move(inputs);
    for (size_t i = 0; i < output_count; ++i) node->outputs.push_back(graph.add_value(graph.unique_name(name_hint)));
    return graph.add_node(std::move(node));
}

ir::Node* add_node_producing(ir::Graph& graph, const std::string& op_type, const std::string& name_hint,
                             std::vector<ir::Value*> inputs, std::vector<ir::Value*> outputs, int opset) {
    auto node = std::make_unique<ir::Node>();
    node->name = graph.unique_name(name_hint);
    node->op_type = op_type;
    node->opset = opset;
    node->op = op_kind_from_name(op_type);
    node->inputs = std::move(inputs);
    node->outputs = std::move(outputs);
    return graph.add_node(std::move(node));
}

int64_t known_rank(const ir::Value* v) {
    if (!v) return -1;
    if (v->constant) return static_cast<int64_t>(v->constant->rank());
    if (v->type.shape) return static_cast<int64_t>(v->type.shape->size());
    return -1;
}

std::vector<double> constant_values(const ir::Value* v) {
    std::vector<double> out;
    if (!v || !v->constant) return out;
    const Tensor& t = *v->constant;
    auto n = static_cast<size_t>(t.element_count());
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        switch (t.dtype()) {
            case DType::Float:
                out.push_back(t.data<float>()[i]);
                break;
            case DType::Double:
                out.push_back(t.data<double>()[i]);
                break;
            case DType::Float16:
                out.push_back(half_to_float(t.data<uint16_t>()[i]));
                break;
            case DType::BFloat16:
                out.push_back(bf16_to_float(t.data<uint16_t>()[i]));
                break;
            case DType::Int64:
                out.push_back(static_cast<double>(t.data<int64_t>()[i]));
                break;
            case DType::Int32:
                out.push_back(t.data<int32_t>()[i]);
                break;
            default:
                return {};
        }
    }
    return out;
}

ir::Value* scalar_like(ir::Graph& graph, ir::Node& node, const std::string& hint, double value, ir::Value* like) {
    DType t = known_dtype(like);
    std::string name = node.name + "_" + hint;
    switch (t) {
        case DType::Float:
            return add_constant(graph, name, Tensor::from_vector<float>(t, {}, {static_cast<float>(value)}));
        case DType::Double:
            return add_constant(graph, name, Tensor::from_vector<double>(t, {}, {value}));
        case DType::Float16:
            return add_constant(graph, name,
                                Tensor::from_vector<uint16_t>(t, {}, {float_to_half(static_cast<float>(value))}));
        case DType::BFloat16:
            return add_constant(graph, name,
                                Tensor::from_vector<uint16_t>(t, {}, {float_to_bf16(static_cast<float>(value))}));
        case DType::Int8:
            return add_constant(graph, name, Tensor::from_vector<int8_t>(t, {}, {static_cast<int8_t>(value)}));
        case DType::UInt8:
            return add_constant(graph, name, Tensor::from_vector<uint8_t>(t, {}, {static_cast<uint8_t>(value)}));
        case DType::Int16:
            return add_constant(graph, name, Tensor::from_vector<int16_t>(t, {}, {static_cast<int16_t>(value)}));
        case DType::UInt16:
            return add_constant(graph, name, Tensor::from_vector<uint16_t>(t, {}, {static_cast<uint16_t>(value)}));
        case DType::Int32:
            return add_constant(graph, name, Tensor::from_vector<int32_t>(t, {}, {static_cast<int32_t>(value)}));
        case DType::UInt32:
            return add_constant(graph, name, Tensor::from_vector<uint32_t>(t, {}, {static_cast<uint32_t>(value)}));
        case DType::Int64:
            return add_constant(graph, name, Tensor::from_vector<int64_t>(t, {}, {static_cast<int64_t>(value)}));
        case DType::UInt64:
            return add_constant(graph, name, Tensor::from_vector<uint64_t>(t, {}, {static_cast<uint64_t>(value)}));
        default:
            break;
    }
    // Type unknown at import: a float constant cast to the input's type at run time.
    ir::Value* f = add_constant(graph, name, Tensor::from_vector<float>(DType::Float, {}, {static_cast<float>(value)}));
    ir::Node* cast = add_node(graph, "CastLike", name + "_cast", {f, like}, 1, node.opset);
    return cast->outputs[0];
}

}  // namespace detail

namespace {

using Table = std::unordered_map<std::string, detail::Normalizer>;

const Table& normalizer_table() {
    static const Table table = [] {
        Table t;
        for (auto family : {detail::shape_normalizers, detail::reduce_normalizers, detail::softmax_normalizers,
                            detail::misc_normalizers, detail::resize_normalizers, detail::legacy_normalizers,
                            detail::compat_normalizers}) {
            for (auto& entry : family()) {
                bool inserted = t.emplace(entry.op_type, std::move(entry.fn)).second;
                KILN_CHECK(inserted, Internal, "two opset normalisers for op ", entry.op_type);
            }
        }
        return t;
    }();
    return table;
}

}  // namespace

void normalize_graph(ir::Graph& graph) {
    const Table& table = normalizer_table();
    // Normalisers may append nodes; visit only the nodes that were there (new ones are already newest).
    std::vector<ir::Node*> original;
    for (const auto& node : graph.nodes()) original.push_back(node.get());
    bool added = false;
    for (ir::Node* node : original) {
        for (auto& [name, attr] : node->attributes) {
            if (attr.g) normalize_graph(*attr.g);
            for (auto& g : attr.graphs) normalize_graph(*g);
        }
        if (!node->domain.empty()) continue;
        // Opsets before 6 named the inputs an op may overwrite in place; no later version has the attribute.
        if (node->opset < 7) node->attributes.erase("consumed_inputs");
        auto it = table.find(node->op_type);
        if (it == table.end()) continue;
        size_t before = graph.nodes().size();
        try {
            it->second(graph, *node);
        } catch (const Error& e) {
            throw Error(e.code(),
                        str("while normalising ", node->describe(), " (opset ", node->opset, "): ", e.what()));
        }
        node->op = op_kind_from_name(node->op_type);
        added = added || graph.nodes().size() != before;
    }
    if (added) graph.relink();
}

}  // namespace kiln::onnx
