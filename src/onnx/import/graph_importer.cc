// Constant nodes stay nodes (the CPU provider has a Constant kernel and the optimizer folds them); the importer
// does not turn them into initializers, so the graph mirrors the file.
#include "onnx/import/graph_importer.h"

#include <unordered_set>

#include "onnx/external_data.h"
#include "onnx/import/function_inliner.h"
#include "onnx/import/normalize.h"
#include "onnx/loader.h"
#include "onnx/tensor_proto.h"
#include "ops/op_kind.h"

namespace kiln::onnx {

namespace {

std::string canonical_domain(const std::string& domain) { return domain == "ai.onnx" ? std::string() : domain; }

class GraphImporter {
  public:
    GraphImporter(const std::map<std::string, int64_t>& opsets, ExternalDataResolver& external, int64_t ir_version,
                  const NodeOpsets& node_opsets)
        : opsets_(opsets), external_(external), ir_version_(ir_version), node_opsets_(node_opsets) {}

    // Imports `proto`, taking the data of its tensors (take_tensor_from_proto). `in_file`, when given, holds for
    // each initializer where its raw_data also lies in the mapped model file (data null where unknown).
    void import_graph(::onnx::GraphProto& proto, ir::Graph& graph, const std::vector<KeptBytes>* in_file = nullptr);

  private:
    ir::Attribute import_attribute(::onnx::AttributeProto& proto, const ir::Graph& graph, const std::string& where);
    std::shared_ptr<ir::Graph> import_subgraph(::onnx::GraphProto& proto, const ir::Graph& outer,
                                               const std::string& where);

    const std::map<std::string, int64_t>& opsets_;
    ExternalDataResolver& external_;
    int64_t ir_version_;
    const NodeOpsets& node_opsets_;  // nodes inlined from functions: their function's opsets
    int depth_ = 0;                  // of the graph being imported: 0 for the main graph
};

void GraphImporter::import_graph(::onnx::GraphProto& proto, ir::Graph& graph, const std::vector<KeptBytes>* in_file) {
    graph.name = proto.name();
    graph.doc_string = proto.doc_string();
    const std::string gname = proto.name();

    // Initializers first, so that inputs that have one become overridable initializers.
    std::unordered_set<std::string> initializer_names;
    for (const auto& init : proto.initializer()) {
        KILN_CHECK(!init.name().empty(), InvalidModel, "graph '", gname, "' has an initializer without a name");
        KILN_CHECK(initializer_names.insert(init.name()).second, InvalidModel, "graph '", gname, "': initializer '",
                   init.name(), "' is defined more than once");
    }
    for (const auto& sparse : proto.sparse_initializer()) {
        const std::string& name = sparse.values().name();
        KILN_CHECK(!name.empty(), InvalidModel, "graph '", gname, "' has a sparse initializer without a name");
        KILN_CHECK(initializer_names.insert(name).second, InvalidModel, "graph '", gname, "': initializer '", name,
                   "' is defined more than once");
    }

    for (const auto& in : proto.input()) {
        KILN_CHECK(!in.name().empty(), InvalidModel, "graph '", gname, "' has an input without a name");
        KILN_CHECK(!graph.values().count(in.name()), InvalidModel, "graph '", gname, "': input '", in.name(),
                   "' is listed more than once");
        ir::Value* v = graph.add_value(in.name());
        v->type = tensor_info_from_type_proto(in.type());
        // Before IR version 4 every initializer had to be listed as an input too; such inputs are plain constants.
        if (ir_version_ < 4 && initializer_names.count(in.name())) continue;
        v->is_graph_input = true;
        graph.inputs().push_back(v);
    }
    if (in_file && in_file->size() != static_cast<size_t>(proto.initializer_size())) in_file = nullptr;
    for (int i = 0; i < proto.initializer_size(); ++i) {
        ::onnx::TensorProto& init = *proto.mutable_initializer(i);
        ir::Value* v = graph.values().count(init.name()) ? graph.find_value(init.name()) : graph.add_value(init.name());
        Tensor t = take_tensor_from_proto(init, in_file ? &(*in_file)[static_cast<size_t>(i)] : nullptr, &external_,
                                          init.name());
        if (v->type.dtype == DType::Undefined || !v->type.shape) {
            v->type.dtype = t.dtype();
            v->type.shape = SymbolicShape(t.shape().begin(), t.shape().end());
        }
        v->constant = std::move(t);
    }
    for (const auto& sparse : proto.sparse_initializer()) {
        const std::string& name = sparse.values().name();
        ir::Value* v = graph.values().count(name) ? graph.find_value(name) : graph.add_value(name);
        Tensor t = tensor_from_sparse_proto(sparse, &external_, name);
        v->type.dtype = t.dtype();
        v->type.shape = SymbolicShape(t.shape().begin(), t.shape().end());
        v->constant = std::move(t);
    }

    // Pass 1: every node output, so that names are unique and producers known before inputs are resolved (and
    // before subgraphs, which may read any value of this graph).
    std::vector<ir::Node*> nodes;
    nodes.reserve(proto.node_size());
    std::unordered_map<std::string, const ir::Node*> producer_of;
    for (int i = 0; i < proto.node_size(); ++i) {
        const auto& np = proto.node(i);
        auto node = std::make_unique<ir::Node>();
        node->name = np.name().empty() ? str(np.op_type(), "_", i) : np.name();
        node->op_type = np.op_type();
        node->domain = canonical_domain(np.domain());
        const OpsetMap* opsets = &opsets_;
        if (auto fn = node_opsets_.find(&np); fn != node_opsets_.end()) opsets = fn->second.get();
        auto opset = opsets->find(node->domain);
        if (opset != opsets->end()) {
            node->opset = static_cast<int>(opset->second);
        } else {
            KILN_CHECK(!node->domain.empty(), InvalidModel, node->describe(),
                       " uses ai.onnx, but the model imports no ai.onnx opset");
        }
        for (const std::string& out : np.output()) {
            if (out.empty()) {
                node->outputs.push_back(nullptr);
                continue;
            }
            if (graph.values().count(out)) {
                auto p = producer_of.find(out);
                if (p != producer_of.end()) {
                    fail(ErrorCode::InvalidModel, "graph '", gname, "': value '", out, "' is produced by both ",
                         p->second->describe(), " and ", node->describe());
                }
                fail(ErrorCode::InvalidModel, "graph '", gname, "': value '", out,
                     "' is a graph input or initializer and also the output of ", node->describe());
            }
            node->outputs.push_back(graph.add_value(out));
            producer_of[out] = node.get();
        }
        nodes.push_back(graph.add_node(std::move(node)));
    }

    // Pass 2: inputs and attributes. A name that nothing defines gets an undefined value, which verify() reports
    // naming the node and the value.
    for (int i = 0; i < proto.node_size(); ++i) {
        auto& np = *proto.mutable_node(i);
        ir::Node* node = nodes[static_cast<size_t>(i)];
        for (const std::string& in : np.input()) {
            if (in.empty()) {
                node->inputs.push_back(nullptr);
                continue;
            }
            ir::Value* v = graph.find_value(in);
            if (!v) v = graph.add_value(in);
            node->inputs.push_back(v);
        }
        const std::string where = node->describe();
        for (auto& ap : *np.mutable_attribute()) {
            KILN_CHECK(!ap.name().empty(), InvalidModel, where, " has an attribute without a name");
            KILN_CHECK(!node->attributes.count(ap.name()), InvalidModel, where, ": attribute '", ap.name(),
                       "' is given more than once");
            try {
                node->attributes.emplace(ap.name(), import_attribute(ap, graph, where));
            } catch (const Error& e) {
                throw Error(e.code(), str("while importing ", where, ": ", e.what()));
            }
        }
        OpKind kind = op_kind_from_name(node->op_type);
        node->op = kind != OpKind::Unknown && node->domain == op_kind_domain(kind) ? kind : OpKind::Unknown;
    }

    for (const auto& out : proto.output()) {
        KILN_CHECK(!out.name().empty(), InvalidModel, "graph '", gname, "' has an output without a name");
        ir::Value* v = graph.find_value(out.name());
        if (!v) v = graph.add_value(out.name());
        bool local = graph.values().count(out.name()) != 0;
        TensorInfo declared = tensor_info_from_type_proto(out.type());
        if (local) {
            v->is_graph_output = true;
            if (declared.dtype != DType::Undefined || declared.shape || declared.kind != ValueKind::Tensor) {
                v->type = declared;
            }
        }
        graph.outputs().push_back(v);
    }

    for (const auto& info : proto.value_info()) {
        auto it = graph.values().find(info.name());
        if (it == graph.values().end()) continue;  // type of a value no node produces: harmless, ignored
        ir::Value* v = it->second.get();
        if (v->constant || v->is_graph_input || v->is_graph_output) continue;
        v->type = tensor_info_from_type_proto(info.type());
    }
}

std::shared_ptr<ir::Graph> GraphImporter::import_subgraph(::onnx::GraphProto& proto, const ir::Graph& outer,
                                                          const std::string& where) {
    KILN_CHECK(depth_ < kMaxSubgraphDepth, InvalidModel, where, " nests subgraph '", proto.name(), "' ", depth_ + 1,
               " levels deep; kiln accepts subgraphs nested at most ", kMaxSubgraphDepth, " levels deep");
    auto sub = std::make_shared<ir::Graph>(&outer);
    ++depth_;
    try {
        import_graph(proto, *sub);
    } catch (const Error& e) {
        --depth_;
        throw Error(e.code(), str("in subgraph '", proto.name(), "': ", e.what()));
    }
    --depth_;
    return sub;
}

ir::Attribute GraphImporter::import_attribute(::onnx::AttributeProto& ap, const ir::Graph& graph,
                                              const std::string& where) {
    using K = ir::Attribute::Kind;
    using AP = ::onnx::AttributeProto;
    ir::Attribute a;
    const std::string what = str("attribute '", ap.name(), "' of ", where);
    KILN_CHECK(ap.ref_attr_name().empty(), NotImplemented, what,
               " refers to a function attribute, which is only valid inside functions");
    AP::AttributeType type = ap.type();
    if (type == AP::UNDEFINED) {
        // Old exporters leave the type out; infer it from the one field that is set.
        if (ap.has_f())
            type = AP::FLOAT;
        else if (ap.has_i())
            type = AP::INT;
        else if (ap.has_s())
            type = AP::STRING;
        else if (ap.has_t())
            type = AP::TENSOR;
        else if (ap.has_g())
            type = AP::GRAPH;
        else if (ap.has_sparse_tensor())
            type = AP::SPARSE_TENSOR;
        else if (ap.has_tp())
            type = AP::TYPE_PROTO;
        else if (ap.floats_size())
            type = AP::FLOATS;
        else if (ap.ints_size())
            type = AP::INTS;
        else if (ap.strings_size())
            type = AP::STRINGS;
        else if (ap.tensors_size())
            type = AP::TENSORS;
        else if (ap.graphs_size())
            type = AP::GRAPHS;
        else
            fail(ErrorCode::InvalidModel, what, " has no type and no value");
    }
    switch (type) {
        case AP::FLOAT:
            a.kind = K::Float;
            a.f = ap.f();
            break;
        case AP::INT:
            a.kind = K::Int;
            a.i = ap.i();
            break;
        case AP::STRING:
            a.kind = K::String;
            a.s = ap.s();
            break;
        case AP::TENSOR:
            a.kind = K::Tensor;
            a.t = take_tensor_from_proto(*ap.mutable_t(), nullptr, &external_, what);
            break;
        case AP::SPARSE_TENSOR:
            a.kind = K::Tensor;
            a.t = tensor_from_sparse_proto(ap.sparse_tensor(), &external_, what);
            break;
        case AP::GRAPH:
            a.kind = K::Graph;
            a.g = import_subgraph(*ap.mutable_g(), graph, what);
            break;
        case AP::TYPE_PROTO:
            a.kind = K::TypeInfo;
            a.type_info = tensor_info_from_type_proto(ap.tp());
            break;
        case AP::FLOATS:
            a.kind = K::Floats;
            a.floats.assign(ap.floats().begin(), ap.floats().end());
            break;
        case AP::INTS:
            a.kind = K::Ints;
            a.ints.assign(ap.ints().begin(), ap.ints().end());
            break;
        case AP::STRINGS:
            a.kind = K::Strings;
            a.strings.assign(ap.strings().begin(), ap.strings().end());
            break;
        case AP::TENSORS:
            a.kind = K::Tensors;
            for (int i = 0; i < ap.tensors_size(); ++i) {
                a.tensors.push_back(
                    take_tensor_from_proto(*ap.mutable_tensors(i), nullptr, &external_, str(what, "[", i, "]")));
            }
            break;
        case AP::SPARSE_TENSORS:
            a.kind = K::Tensors;
            for (int i = 0; i < ap.sparse_tensors_size(); ++i) {
                a.tensors.push_back(tensor_from_sparse_proto(ap.sparse_tensors(i), &external_, str(what, "[", i, "]")));
            }
            break;
        case AP::GRAPHS:
            a.kind = K::Graphs;
            for (auto& g : *ap.mutable_graphs()) a.graphs.push_back(import_subgraph(g, graph, what));
            break;
        case AP::TYPE_PROTOS:
            fail(ErrorCode::NotImplemented, what, " is a list of types, which kiln does not support");
        default:
            fail(ErrorCode::InvalidModel, what, " has unknown type ", static_cast<int>(type));
    }
    return a;
}

void verify_all(const ir::Graph& graph) {
    graph.verify();
    for (const auto& node : graph.nodes()) {
        for (const auto& [name, attr] : node->attributes) {
            try {
                if (attr.g) verify_all(*attr.g);
                for (const auto& g : attr.graphs) verify_all(*g);
            } catch (const Error& e) {
                throw Error(e.code(), str("in subgraph of ", node->describe(), ": ", e.what()));
            }
        }
    }
}

}  // namespace

ir::Model import_model(::onnx::ModelProto& proto, const std::string& base_dir, const std::string& source,
                       const std::vector<KeptBytes>* in_file, const std::map<std::string, Tensor>& in_memory) {
    ir::Model model;
    model.ir_version = proto.ir_version();
    model.producer_name = proto.producer_name();
    model.producer_version = proto.producer_version();
    model.domain = proto.domain();
    model.doc_string = proto.doc_string();
    model.model_version = proto.model_version();
    for (const auto& entry : proto.metadata_props()) model.metadata[entry.key()] = entry.value();

    for (const auto& op : proto.opset_import()) {
        std::string domain = canonical_domain(op.domain());
        auto [it, inserted] = model.opsets.emplace(domain, op.version());
        if (!inserted) it->second = std::max(it->second, op.version());
    }
    // Before IR version 3 there was no opset_import; such models used ai.onnx opset 1. Later models must have one
    // (as ONNX Runtime requires): without it the meaning of every node is unknown.
    if (proto.opset_import_size() == 0) {
        KILN_CHECK(proto.ir_version() < 3, InvalidModel, "model ", source, " has ir_version ", proto.ir_version(),
                   " but no opset_import; models from IR version 3 on must say which opsets they use");
        model.opsets[""] = 1;
    }
    auto ai = model.opsets.find("");
    if (ai != model.opsets.end()) {
        KILN_CHECK(ai->second >= min_supported_opset() && ai->second <= max_supported_opset(), InvalidModel, "model ",
                   source, " imports ai.onnx opset ", ai->second, "; kiln supports opsets ", min_supported_opset(),
                   " to ", max_supported_opset());
    }

    KILN_CHECK(proto.has_graph(), InvalidModel, "model ", source, " has no graph");
    ::onnx::GraphProto& gp = *proto.mutable_graph();
    KILN_CHECK(gp.node_size() > 0 || gp.output_size() > 0, InvalidModel, "model ", source, ": graph '", gp.name(),
               "' is empty (no nodes and no outputs)");

    ExternalDataResolver external(base_dir, in_memory);
    try {
        NodeOpsets node_opsets;
        if (proto.functions_size() > 0) inline_functions(proto, model.opsets, gp, node_opsets);
        GraphImporter importer(model.opsets, external, model.ir_version, node_opsets);
        importer.import_graph(gp, *model.graph, in_file);
        external.check_all_in_memory_used();
        verify_all(*model.graph);
        normalize_graph(*model.graph);
        verify_all(*model.graph);
    } catch (const Error& e) {
        throw Error(e.code(), str("model ", source, ": ", e.what()));
    }
    return model;
}

}  // namespace kiln::onnx
