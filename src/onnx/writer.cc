#include "onnx/writer.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <unordered_set>
#include <vector>

#include "onnx/function_bodies.h"
#include "onnx/loader.h"
#include "onnx/onnx-ml.pb.h"
#include "onnx/tensor_proto.h"
#include "onnx/writer_files.h"

namespace kiln::onnx {

namespace {

using AP = ::onnx::AttributeProto;

// Per tensor, what placing its bytes in raw_data may add to the proto beyond the bytes themselves: the field's tag
// and length, and longer length prefixes of the messages around it.
constexpr size_t kRawDataOverhead = 32;

// Builds the GraphProtos of one model, collecting the tensors whose bytes are placed once the whole model is known
// (DeferredTensor) and the domains that nodes use.
class GraphWriter {
  public:
    explicit GraphWriter(bool function_bodies = false) : function_bodies_(function_bodies) {}
    void write_graph(const ir::Graph& graph, ::onnx::GraphProto* proto);

    std::vector<DeferredTensor> deferred;
    std::set<std::string> domains;  // of every node, subgraphs included ("" = ai.onnx)

  private:
    void write_tensor(const Tensor& tensor, const std::string& name, ::onnx::TensorProto* proto,
                      const std::string& what);
    void write_node(const ir::Node& node, ::onnx::NodeProto* proto);
    void write_attribute(const std::string& name, const ir::Attribute& a, ::onnx::AttributeProto* proto,
                         const std::string& what);

    bool function_bodies_;  // write the function body (function_bodies.h) of an op that has one here
};

bool has_type(const TensorInfo& info) {
    return info.dtype != DType::Undefined || info.shape || info.kind != ValueKind::Tensor;
}

void write_value_info(const std::string& name, const TensorInfo& info, ::onnx::ValueInfoProto* proto) {
    proto->set_name(name);
    if (has_type(info)) tensor_info_to_type_proto(info, proto->mutable_type());
}

bool by_name(const ir::Value* a, const ir::Value* b) { return a->name < b->name; }

// The graph's nodes in the IR's order when every producer of this graph comes before its consumers (the file's
// order, for a loaded model), else in a topological order (passes and normalisers append nodes).
std::vector<const ir::Node*> node_order(const ir::Graph& graph) {
    std::unordered_set<const ir::Node*> local, done;
    for (const auto& node : graph.nodes()) local.insert(node.get());
    for (const auto& node : graph.nodes()) {
        std::vector<ir::Value*> reads(node->inputs.begin(), node->inputs.end());
        for (ir::Value* v : ir::implicit_inputs(*node)) reads.push_back(v);
        for (const ir::Value* v : reads) {
            if (v && local.count(v->producer) && !done.count(v->producer)) {
                std::vector<ir::Node*> order = graph.topological_order();
                return {order.begin(), order.end()};
            }
        }
        done.insert(node.get());
    }
    std::vector<const ir::Node*> order;
    for (const auto& node : graph.nodes()) order.push_back(node.get());
    return order;
}

void GraphWriter::write_graph(const ir::Graph& graph, ::onnx::GraphProto* proto) {
    proto->set_name(graph.name);
    if (!graph.doc_string.empty()) proto->set_doc_string(graph.doc_string);
    for (const ir::Value* v : graph.inputs()) write_value_info(v->name, v->type, proto->add_input());

    // Initializers: the constants that no node of this graph produces (graph inputs with one are overridable).
    std::vector<const ir::Value*> constants;
    for (const auto& [name, v] : graph.values()) {
        if (v->constant && !v->producer) constants.push_back(v.get());
    }
    std::sort(constants.begin(), constants.end(), by_name);
    for (const ir::Value* v : constants) {
        write_tensor(*v->constant, v->name, proto->add_initializer(), str("initializer '", v->name, "'"));
    }

    std::vector<const ir::Node*> nodes = node_order(graph);
    for (const ir::Node* node : nodes) {
        try {
            if (!function_bodies_ || !write_function_body(*node, proto)) write_node(*node, proto->add_node());
        } catch (const Error& e) {
            throw Error(e.code(), str("while writing ", node->describe(), ": ", e.what()));
        }
    }
    for (const ir::Value* v : graph.outputs()) write_value_info(v->name, v->type, proto->add_output());

    // value_info: the types of the other values that nodes produce, where the element type is known (ONNX requires
    // it; a shape without one, which only kiln's own shape inference makes, is re-derived when the model loads).
    std::vector<const ir::Value*> typed;
    for (const ir::Node* node : nodes) {
        for (const ir::Value* v : node->outputs) {
            if (v && !v->is_graph_input && !v->is_graph_output && !v->constant && v->type.dtype != DType::Undefined) {
                typed.push_back(v);
            }
        }
    }
    std::sort(typed.begin(), typed.end(), by_name);
    for (const ir::Value* v : typed) write_value_info(v->name, v->type, proto->add_value_info());
}

void GraphWriter::write_tensor(const Tensor& tensor, const std::string& name, ::onnx::TensorProto* proto,
                               const std::string& what) {
    KILN_CHECK(!tensor.empty(), InvalidArgument, what, " is a tensor without a data type");
    tensor_to_proto(tensor, name, proto, RawData::Deferred);
    if (tensor.dtype() != DType::String) deferred.push_back({proto, tensor});
}

void GraphWriter::write_node(const ir::Node& node, ::onnx::NodeProto* proto) {
    proto->set_name(node.name);
    proto->set_op_type(node.op_type);
    if (!node.domain.empty()) proto->set_domain(node.domain);
    domains.insert(node.domain);
    // Omitted optional inputs and outputs (null) are empty names, trailing ones included, as the file had them.
    for (const ir::Value* v : node.inputs) proto->add_input(v ? v->name : std::string());
    for (const ir::Value* v : node.outputs) proto->add_output(v ? v->name : std::string());
    for (const auto& [name, attr] : node.attributes) {
        write_attribute(name, attr, proto->add_attribute(), str("attribute '", name, "'"));
    }
}

void GraphWriter::write_attribute(const std::string& name, const ir::Attribute& a, ::onnx::AttributeProto* proto,
                                  const std::string& what) {
    using K = ir::Attribute::Kind;
    proto->set_name(name);
    switch (a.kind) {
        case K::Float:
            proto->set_type(AP::FLOAT);
            proto->set_f(a.f);
            break;
        case K::Int:
            proto->set_type(AP::INT);
            proto->set_i(a.i);
            break;
        case K::String:
            proto->set_type(AP::STRING);
            proto->set_s(a.s);
            break;
        case K::Tensor:
            proto->set_type(AP::TENSOR);
            write_tensor(a.t, "", proto->mutable_t(), what);
            break;
        case K::Graph:
            KILN_CHECK(a.g != nullptr, Internal, what, " is a graph attribute without a graph");
            proto->set_type(AP::GRAPH);
            write_graph(*a.g, proto->mutable_g());
            break;
        case K::Floats:
            proto->set_type(AP::FLOATS);
            proto->mutable_floats()->Add(a.floats.begin(), a.floats.end());
            break;
        case K::Ints:
            proto->set_type(AP::INTS);
            proto->mutable_ints()->Add(a.ints.begin(), a.ints.end());
            break;
        case K::Strings:
            proto->set_type(AP::STRINGS);
            for (const std::string& s : a.strings) proto->add_strings(s);
            break;
        case K::Tensors:
            proto->set_type(AP::TENSORS);
            for (size_t i = 0; i < a.tensors.size(); ++i) {
                write_tensor(a.tensors[i], "", proto->add_tensors(), str(what, "[", i, "]"));
            }
            break;
        case K::Graphs:
            proto->set_type(AP::GRAPHS);
            for (const auto& g : a.graphs) {
                KILN_CHECK(g != nullptr, Internal, what, " holds a null graph");
                write_graph(*g, proto->add_graphs());
            }
            break;
        case K::TypeInfo:
            proto->set_type(AP::TYPE_PROTO);
            tensor_info_to_type_proto(a.type_info, proto->mutable_tp());
            break;
    }
}

// Opset imports: `declared`, plus every domain that nodes use and `declared` lacks (ai.onnx at the newest opset,
// which is what the importer normalised to; others, kiln's internal ops included, at 1).
void write_opsets(std::map<std::string, int64_t> declared, const std::set<std::string>& used,
                  ::onnx::ModelProto* proto) {
    for (const std::string& domain : used) {
        if (!declared.count(domain)) declared[domain] = domain.empty() ? max_supported_opset() : 1;
    }
    for (const auto& [domain, version] : declared) {
        auto* op = proto->add_opset_import();
        op->set_domain(domain);
        op->set_version(version);
    }
}

// The ModelProto of `model` with the bytes of its non-string tensors left out; returns where they go.
std::vector<DeferredTensor> build_model(const ir::Model& model, ::onnx::ModelProto* proto) {
    proto->set_ir_version(std::max<int64_t>(model.ir_version, ::onnx::IR_VERSION));
    if (!model.producer_name.empty()) proto->set_producer_name(model.producer_name);
    if (!model.producer_version.empty()) proto->set_producer_version(model.producer_version);
    if (!model.domain.empty()) proto->set_domain(model.domain);
    if (model.model_version != 0) proto->set_model_version(model.model_version);
    if (!model.doc_string.empty()) proto->set_doc_string(model.doc_string);
    for (const auto& [key, value] : model.metadata) {
        auto* entry = proto->add_metadata_props();
        entry->set_key(key);
        entry->set_value(value);
    }
    KILN_CHECK(model.graph != nullptr, InvalidArgument, "the model has no graph");
    GraphWriter writer;
    writer.write_graph(*model.graph, proto->mutable_graph());
    // Every ai.onnx node means what the newest opset says (the importer normalised it).
    std::map<std::string, int64_t> opsets = model.opsets;
    if (opsets.count("")) opsets[""] = max_supported_opset();
    write_opsets(std::move(opsets), writer.domains, proto);
    return std::move(writer.deferred);
}

// The proto's size once the deferred tensors are inside it (an upper bound).
size_t inline_size(const ::onnx::ModelProto& proto, const std::vector<DeferredTensor>& deferred) {
    size_t size = proto.ByteSizeLong();
    for (const DeferredTensor& d : deferred) size += d.tensor.byte_size() + kRawDataOverhead;
    return size;
}

void place_inline(const DeferredTensor& d) {
    d.proto->set_raw_data(static_cast<const char*>(d.tensor.raw_data()), d.tensor.byte_size());
}

// Serialises a proto that is known to fit; InvalidArgument when it does not.
std::string serialize(const ::onnx::ModelProto& proto, size_t max_bytes, const std::string& what) {
    size_t size = proto.ByteSizeLong();
    KILN_CHECK(size <= max_bytes, InvalidArgument, what, " is ", size, " bytes, more than the ", max_bytes,
               "-byte limit of one protobuf message");
    std::string bytes;
    KILN_CHECK(proto.SerializeToString(&bytes), Internal, "cannot serialise ", what);
    return bytes;
}

// "<what> is N bytes with its tensors, more than ...": why a model or graph cannot be one proto.
std::string too_large(const std::string& what, size_t size, size_t max_bytes) {
    return str(what, " is ", size, " bytes with its tensors, more than the limit of one protobuf message (", max_bytes,
               " bytes)");
}

}  // namespace

std::string save_model_bytes(const ir::Model& model, const SaveOptions& options) {
    KILN_CHECK(!options.external_data, InvalidArgument,
               "save_model_bytes: external data needs a model file (use save_model_file)");
    ::onnx::ModelProto proto;
    std::vector<DeferredTensor> deferred = build_model(model, &proto);
    size_t size = inline_size(proto, deferred);
    KILN_CHECK(size <= options.max_proto_bytes, InvalidArgument, too_large("the model", size, options.max_proto_bytes),
               "; save it with save_model_file, which writes the tensors to an external data file");
    for (const DeferredTensor& d : deferred) place_inline(d);
    return serialize(proto, options.max_proto_bytes, "the model");
}

void save_file(const std::string& path, const std::string& bytes, const std::string& what) {
    OutputFile file(path, what);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

void save_model_file(const ir::Model& model, const std::string& path, const SaveOptions& options) {
    KILN_CHECK(!std::filesystem::path(path).filename().empty(), InvalidArgument, "save_model_file: '", path,
               "' does not name a file");
    ::onnx::ModelProto proto;
    std::vector<DeferredTensor> deferred = build_model(model, &proto);
    bool external = options.external_data || inline_size(proto, deferred) > options.max_proto_bytes;
    std::optional<ExternalDataWriter> data;
    if (external) {
        data.emplace(path, options.external_data_location);
        for (const DeferredTensor& d : deferred) {
            if (d.tensor.byte_size() > 0 && d.tensor.byte_size() >= options.external_data_min_bytes) {
                data->append(d);
            } else {
                place_inline(d);
            }
        }
        size_t size = proto.ByteSizeLong();
        KILN_CHECK(size <= options.max_proto_bytes, InvalidArgument, "model '", path, "' is ", size,
                   " bytes even with its tensors of at least ", options.external_data_min_bytes,
                   " bytes in external data, more than the ", options.max_proto_bytes,
                   "-byte limit of one protobuf message");
    } else {
        for (const DeferredTensor& d : deferred) place_inline(d);
    }
    OutputFile file(path, "model file");
    file.write_message(proto);
    if (data) data->commit();
    file.commit();
}

namespace {

// Marks `d`'s tensor as external data at its address in this process (ONNX Runtime's in-memory marker), or, with
// `ordinal` set, at that number instead of an address (bytes that do not depend on where the tensors live).
void place_by_address(const DeferredTensor& d, std::optional<size_t> ordinal = std::nullopt) {
    d.proto->set_data_location(::onnx::TensorProto::EXTERNAL);
    auto add = [&](const char* key, const std::string& value) {
        auto* entry = d.proto->add_external_data();
        entry->set_key(key);
        entry->set_value(value);
    };
    add("location", "*/_ORT_MEM_ADDR_/*");
    add("offset",
        ordinal ? std::to_string(*ordinal) : std::to_string(reinterpret_cast<uintptr_t>(d.tensor.raw_data())));
    add("length", std::to_string(d.tensor.byte_size()));
}

// `positions` non-null: tensors left out are marked by their ordinal and listed there instead of by address.
std::string standalone_graph_bytes(const ir::Graph& graph, const std::map<std::string, int64_t>& opsets,
                                   size_t by_address_min_bytes, bool function_bodies,
                                   std::vector<Tensor>* positions = nullptr) {
    // Subgraphs refer to outer values by name, so a subgraph that was built inside another graph is written
    // correctly when this graph has a value of that name (a partition or probe copies the values it reads).
    auto check_local = [&](const ir::Value* v, const std::string& user, bool by_name) {
        if (!v) return;
        auto it = graph.values().find(v->name);
        KILN_CHECK(it != graph.values().end() && (by_name || it->second.get() == v), InvalidArgument,
                   "save_graph_bytes: ", user, " reads '", v->name,
                   "' of an enclosing graph; a standalone model cannot");
    };
    for (const auto& node : graph.nodes()) {
        for (const ir::Value* v : node->inputs) check_local(v, node->describe(), false);
        for (const ir::Value* v : ir::implicit_inputs(*node)) check_local(v, node->describe(), true);
    }
    for (const ir::Value* v : graph.outputs()) check_local(v, str("graph '", graph.name, "'"), false);

    ::onnx::ModelProto proto;
    proto.set_ir_version(::onnx::IR_VERSION);
    GraphWriter writer(function_bodies);
    writer.write_graph(graph, proto.mutable_graph());
    write_opsets(opsets, writer.domains, &proto);
    std::vector<DeferredTensor> inline_tensors;
    for (const DeferredTensor& d : writer.deferred) {
        bool by_address = by_address_min_bytes > 0 && d.tensor.byte_size() >= by_address_min_bytes;
        if (by_address && positions) {
            place_by_address(d, positions->size());
            positions->push_back(d.tensor);
        } else if (by_address) {
            place_by_address(d);
        } else {
            inline_tensors.push_back(d);
        }
    }
    size_t size = inline_size(proto, inline_tensors);
    KILN_CHECK(size <= kMaxProtoBytes, InvalidArgument,
               too_large(str("graph '", graph.name, "'"), size, kMaxProtoBytes));
    for (const DeferredTensor& d : inline_tensors) place_inline(d);
    return serialize(proto, kMaxProtoBytes, str("graph '", graph.name, "'"));
}

}  // namespace

std::string save_graph_bytes(const ir::Graph& graph, const std::map<std::string, int64_t>& opsets,
                             bool function_bodies) {
    return standalone_graph_bytes(graph, opsets, 0, function_bodies);
}

std::string save_graph_bytes_by_address(const ir::Graph& graph, const std::map<std::string, int64_t>& opsets,
                                        size_t min_bytes, bool function_bodies) {
    KILN_CHECK(min_bytes > 0, InvalidArgument, "save_graph_bytes_by_address: min_bytes must be > 0");
    return standalone_graph_bytes(graph, opsets, min_bytes, function_bodies);
}

std::string save_graph_bytes_by_position(const ir::Graph& graph, const std::map<std::string, int64_t>& opsets,
                                         size_t min_bytes, std::vector<Tensor>* tensors, bool function_bodies) {
    KILN_CHECK(min_bytes > 0 && tensors, InvalidArgument,
               "save_graph_bytes_by_position: min_bytes must be > 0 and tensors given");
    tensors->clear();
    return standalone_graph_bytes(graph, opsets, min_bytes, function_bodies, tensors);
}

}  // namespace kiln::onnx
