#include "runtime/ep_context.h"

#include <filesystem>
#include <map>

#include "common/log.h"
#include "onnx/mapped_file.h"
#include "onnx/model_paths.h"
#include "onnx/writer.h"

namespace kiln::rt {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDomain = "com.microsoft";
constexpr const char* kOpType = "EPContext";

ir::Attribute int_attribute(int64_t i) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = i;
    return a;
}

ir::Attribute string_attribute(std::string s) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = std::move(s);
    return a;
}

// The folder that blob files of a context model resolve against.
std::string context_folder(const std::string& model_path, const EpContextOptions& options) {
    const std::string& path = model_path.empty() ? options.file_path : model_path;
    if (path.empty()) return "";
    fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? "." : parent.string();
}

// The blob file, read into memory: OpenVINO imports from the buffer and keeps referring to it, so a mapping of the
// file would change under the session when the file is rewritten in place and fault (SIGBUS) when it is truncated.
// Read through a mapping (bounds from one fstat), copied out before the session depends on it.
providers::Blob read_blob_file(const std::string& path, const std::string& where) {
    std::error_code ec;
    KILN_CHECK(fs::is_regular_file(path, ec), NotFound, where, ": blob file '", path, "' not found");
    onnx::FileCopy file = onnx::read_file(path, "blob file");
    return providers::Blob{file.data, reinterpret_cast<const char*>(file.data.get()), file.size};
}

// The node's blob: its ep_cache_context (embed_mode=1) or the file it names (embed_mode=0).
providers::Blob context_blob(ir::Node& node, const std::string& model_path, const EpContextOptions& options) {
    const std::string where = node.describe();
    node.attr("ep_cache_context");  // InvalidModel naming the node when absent
    ir::Attribute& cache = node.attributes.at("ep_cache_context");
    KILN_CHECK(cache.kind == ir::Attribute::Kind::String, InvalidModel, where,
               ": attribute 'ep_cache_context' must be a string, got ", attribute_kind_name(cache.kind));
    int64_t embed_mode = node.attr_int("embed_mode", 1);
    if (embed_mode == 1) return providers::Blob::owned(std::move(cache.s));  // moved, not copied
    KILN_CHECK(embed_mode == 0, InvalidModel, where, ": attribute 'embed_mode' must be 0 or 1, got ", embed_mode);
    std::string folder = context_folder(model_path, options);
    KILN_CHECK(!folder.empty(), InvalidArgument, where, " keeps its blob in file '", cache.s,
               "'; for a model from memory, set ep.context_file_path to a path in the blob's folder");
    std::string path = onnx::resolve_inside_folder(folder, cache.s, where + ": ep_cache_context");
    return read_blob_file(path, where);
}

// The context node's inputs and outputs as a standalone graph without nodes, named after the node.
std::unique_ptr<ir::Graph> context_signature(const ir::Node& node) {
    auto graph = std::make_unique<ir::Graph>();
    graph->name = node.describe();
    auto add = [&](const ir::Value* v, std::vector<ir::Value*>& list) {
        KILN_CHECK(v, InvalidModel, node.describe(), ": an EPContext node cannot omit inputs or outputs");
        ir::Value* copy = graph->find_value(v->name);
        if (!copy) {
            copy = graph->add_value(v->name);
            copy->type = v->type;
        }
        list.push_back(copy);
    };
    for (const ir::Value* v : node.inputs) add(v, graph->inputs());
    for (const ir::Value* v : node.outputs) add(v, graph->outputs());
    return graph;
}

std::string provider_names(const std::vector<std::unique_ptr<providers::ExecutionProvider>>& providers) {
    std::string names;
    for (const auto& p : providers) names += (names.empty() ? "" : ", ") + p->name();
    return names.empty() ? "only the CPU provider" : names;
}

}  // namespace

EpContextOptions parse_ep_context_options(const SessionOptions& options) {
    EpContextOptions parsed;
    parsed.enable = options.config_flag("ep.context_enable");
    parsed.embed = options.config_flag("ep.context_embed_mode");
    parsed.file_path = options.config_entry("ep.context_file_path");
    parsed.node_name_prefix = options.config_entry("ep.context_node_name_prefix");
    bool share = options.config_flag("ep.share_ep_contexts");
    // The combination ONNX Runtime's OpenVINO provider rejects: a shared context cannot live inside each node.
    KILN_CHECK(!(share && parsed.enable && parsed.embed), InvalidArgument,
               "ep.share_ep_contexts=1 cannot be combined with ep.context_enable=1 and ep.context_embed_mode=1 (a "
               "shared context is one blob file, not a payload in each node); use ep.context_embed_mode=0");
    options.config_flag("ep.stop_share_ep_contexts");  // 0 or 1 (the OpenVINO provider acts on it)
    return parsed;
}

bool is_ep_context_node(const ir::Node& node) { return node.domain == kDomain && node.op_type == kOpType; }

std::vector<ImportedContext> import_ep_contexts(
    ir::Graph& graph, const std::vector<std::unique_ptr<providers::ExecutionProvider>>& providers,
    const std::string& model_path, const EpContextOptions& options) {
    std::vector<ImportedContext> imported;
    for (const auto& node : graph.nodes()) {
        if (!is_ep_context_node(*node)) continue;
        const std::string source = node->attr_string("source", "");
        providers::ExecutionProvider* provider = nullptr;
        for (const auto& p : providers) {
            if (p->name() == source) provider = p.get();
        }
        KILN_CHECK(provider, Unsupported, node->describe(), " holds a model precompiled by ",
                   source.empty() ? "an unnamed provider (no 'source' attribute)" : "'" + source + "'",
                   ", which needs that execution provider in the session; the session has ", provider_names(providers));
        KILN_CHECK(node->attr_int("main_context", 1) == 1, NotImplemented, node->describe(),
                   ": main_context=0 (a graph inside another node's shared context) is not supported");
        const std::string sdk_version = node->attr_string("ep_sdk_version", "");
        providers::Blob blob = context_blob(*node, model_path, options);
        std::unique_ptr<ir::Graph> signature = context_signature(*node);
        imported.push_back({node.get(), provider, provider->import_blob(std::move(blob), sdk_version, *signature)});
    }
    return imported;
}

std::string ep_context_model_path(const std::string& model_path, const EpContextOptions& options) {
    if (!options.file_path.empty()) return options.file_path;
    if (model_path.empty()) return "";
    fs::path path(model_path);
    std::string stem = path.extension() == ".onnx" ? path.stem().string() : path.filename().string();
    return (path.parent_path() / (stem + "_ctx.onnx")).string();
}

void export_ep_context(ir::Model& model, const PartitionMap& partitions, const std::string& model_path,
                       const EpContextOptions& options) {
    ir::Graph& graph = *model.graph;
    for (const auto& node : graph.nodes()) {
        if (is_ep_context_node(*node)) {
            log_info(str("ep.context_enable=1: the model already holds EPContext nodes (", node->describe(),
                         "); no context model written"));
            return;
        }
    }
    if (partitions.empty()) {
        log_warning(
            "ep.context_enable=1, but no execution provider compiled any part of the model: no context model "
            "written");
        return;
    }
    const std::string path = ep_context_model_path(model_path, options);
    KILN_CHECK(!path.empty(), InvalidArgument,
               "ep.context_enable=1 for a model from memory needs ep.context_file_path (the context model's path)");
    std::error_code ec;
    KILN_CHECK(!fs::is_directory(path, ec), InvalidArgument, "ep.context_file_path '", path,
               "': context_file_path should not point to a folder.");
    KILN_CHECK(!fs::exists(fs::symlink_status(path, ec)), InvalidArgument,
               "Failed to generate EP context model since the file '", path, "' exists already");

    // The partition nodes become EPContext nodes while the model is written, and are restored afterwards.
    struct Saved {
        ir::Node* node;
        std::string name, op_type, domain;
        int opset;
        ir::AttributeMap attributes;
    };
    std::vector<Saved> saved;
    struct Restore {
        std::vector<Saved>& saved;
        ~Restore() {
            for (Saved& s : saved) {
                s.node->name = std::move(s.name);
                s.node->op_type = std::move(s.op_type);
                s.node->domain = std::move(s.domain);
                s.node->opset = s.opset;
                s.node->attributes = std::move(s.attributes);
            }
        }
    } restore{saved};
    std::vector<std::string> blob_files;
    try {
        fs::path out(path);
        const std::string stem = out.stem().string();
        for (const auto& node : graph.nodes()) {
            auto it = partitions.find(node.get());
            if (it == partitions.end()) continue;
            const providers::CompiledPartition& partition = *it->second;
            const std::string name = options.node_name_prefix + node->name;
            std::string blob;
            try {
                blob = partition.export_blob();
            } catch (const Error& e) {
                throw Error(e.code(), str("exporting partition '", node->name, "' to an EPContext node: ", e.what()));
            }
            if (!options.embed) {
                std::string file = stem + "_" + name + ".blob";
                std::string file_path = (out.parent_path() / file).string();
                onnx::save_file(file_path, blob, "EPContext blob file");
                blob_files.push_back(file_path);
                blob = file;
            }
            saved.push_back({node.get(), node->name, node->op_type, node->domain, node->opset, node->attributes});
            node->name = name;
            node->op_type = kOpType;
            node->domain = kDomain;
            node->opset = 1;
            node->attributes = {{"embed_mode", int_attribute(options.embed ? 1 : 0)},
                                {"ep_cache_context", string_attribute(std::move(blob))},
                                {"main_context", int_attribute(1)},
                                {"ep_sdk_version", string_attribute(partition.sdk_version())},
                                {"source", string_attribute(partition.provider_name())},
                                {"partition_name", string_attribute(name)}};
        }
        onnx::save_model_file(model, path);
    } catch (...) {
        for (const std::string& f : blob_files) fs::remove(f, ec);
        throw;
    }
    log_info(str("wrote the EPContext model '", path, "' (", saved.size(), " partition(s), ",
                 options.embed ? "blobs embedded" : str(blob_files.size(), " blob file(s)"), ")"));
}

}  // namespace kiln::rt
