#include "providers/openvino/provider.h"

#include <chrono>
#include <openvino/runtime/properties.hpp>
#include <optional>
#include <set>

#include "common/log.h"
#include "ir/clusters.h"
#include "ir/subgraph.h"
#include "providers/openvino/compiled_subgraph.h"
#include "providers/openvino/devices.h"
#include "providers/openvino/model_cache.h"
#include "providers/openvino/options.h"
#include "providers/openvino/properties.h"
#include "providers/openvino/shared_partitions.h"
#include "providers/openvino/support_probe.h"

namespace kiln::ov {
namespace {

// Ops worth a call into OpenVINO on their own; a lone node of any other op stays on the CPU provider when the
// graph is split anyway (a call costs more than the op).
bool heavy(const ir::Node& node) {
    static const std::set<std::string> ops = {"Conv",          "ConvTranspose", "ConvInteger", "QLinearConv", "MatMul",
                                              "MatMulInteger", "QLinearMatMul", "Gemm",        "LSTM",        "GRU",
                                              "RNN",           "Attention",     "Einsum",      "If",          "Loop",
                                              "Scan"};
    return node.domain.empty() && ops.count(node.op_type) != 0;
}

bool reads_a_runtime_value(const std::vector<const ir::Node*>& cluster) {
    std::set<const ir::Node*> members(cluster.begin(), cluster.end());
    for (const ir::Node* node : cluster) {
        for (const ir::Value* v : node->inputs) {
            if (v && (!v->constant || v->is_graph_input) && !(v->producer && members.count(v->producer))) return true;
        }
        if (!ir::implicit_inputs(*node).empty()) return true;
    }
    return false;
}

bool all_static(const ir::Graph& graph) {
    for (const ir::Value* v : graph.inputs()) {
        if (!v->type.is_static()) return false;
    }
    return true;
}

// What the session asks of compiled partitions besides the provider options.
struct Reuse {
    bool share = false;       // ep.share_ep_contexts
    bool stop_share = false;  // ep.stop_share_ep_contexts
    bool exporting = false;   // ep.context_enable: compile afresh, as ONNX Runtime (no model cache)
};

class OpenVINOProvider : public providers::ExecutionProvider {
  public:
    // `keep_lone_nodes`: session.disable_cpu_ep_fallback=1, where every node OpenVINO can run must run there.
    OpenVINOProvider(OpenVINOOptions options, bool keep_lone_nodes, Reuse reuse)
        : options_(std::move(options)),
          keep_lone_nodes_(keep_lone_nodes),
          device_(options_.device.target()),
          reuse_(reuse),
          properties_(compile_properties(options_, device_)),
          probe_(device_, without_cache_dir(properties_)) {
        // kiln's own index replaces OpenVINO's CACHE_DIR for a single device (no double caching); a GPU keeps it too
        // for its kernel cache (cl_cache) of dynamic models, partitions compiled per input shape (which kiln does not
        // cache) keep it, and a meta device (AUTO, HETERO, MULTI) only has OpenVINO's. No cache at all while
        // exporting EPContext.
        if (options_.cache_dir.empty()) return;
        if (reuse_.exporting) {
            properties_ = without_cache_dir(properties_);
        } else if (!options_.device.is_meta()) {
            cache_.emplace(options_.cache_dir);
            ov_cache_properties_ = properties_;
            if (device_type_of(device_) != "GPU") properties_ = without_cache_dir(properties_);
        }
    }

    const std::string& name() const override { return name_; }

    // A graph that OpenVINO converts and compiles whole is claimed whole, without asking node by node: one
    // conversion and one compile, the compiled model kept for compile(). Otherwise each node is asked about.
    providers::Capability claim(const ir::Graph& graph) override {
        check_named_tensors(graph);
        auto start = std::chrono::steady_clock::now();
        providers::Capability capability;
        if (claim_whole(graph, capability)) return capability;
        std::set<const ir::Node*> unsupported;
        for (const auto& node : graph.nodes()) {
            std::string why = probe_.why_not(*node);
            if (why.empty()) continue;
            unsupported.insert(node.get());
            capability.reasons[node.get()] = why;
        }
        auto clusters = ir::supported_clusters(graph, [&](const ir::Node& node) { return !unsupported.count(&node); });
        bool whole_graph = unsupported.empty() && clusters.size() == 1;
        for (auto& cluster : clusters) {
            std::string dropped;
            if (!reads_a_runtime_value(cluster)) {
                dropped = "its subgraph reads no graph input (constant): left to the CPU provider";
            } else if (!whole_graph && !keep_lone_nodes_ && cluster.size() == 1 && !heavy(*cluster[0])) {
                dropped = "a one-node subgraph between unsupported nodes: cheaper on the CPU provider";
            }
            if (dropped.empty()) {
                capability.groups.push_back(std::move(cluster));
                continue;
            }
            for (const ir::Node* node : cluster) capability.reasons[node] = dropped;
        }
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        log_info(str(name_, ": ", capability.groups.size(), " subgraph(s) on OpenVINO ", device_, ", ",
                     capability.reasons.size(), " of ", graph.nodes().size(), " nodes left to the CPU provider (",
                     probe_.questions(), " distinct nodes asked, ", static_cast<int64_t>(ms), " ms)"));
        return capability;
    }

    std::unique_ptr<providers::CompiledPartition> compile(const ir::Graph& partition) override {
        if (whole_ && partition.nodes().size() == whole_node_count_) return std::move(whole_);
        auto start = std::chrono::steady_clock::now();
        std::string how;
        auto compiled = build(partition, how);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        log_info(str(name_, ": ", partition.nodes().size(), " nodes ", how, " in ", static_cast<int64_t>(ms),
                     " ms: ", compiled->describe()));
        return compiled;
    }

    // EPContext import: import_model on the node's blob; the blob must come from the running OpenVINO MAJOR.MINOR.
    std::unique_ptr<providers::CompiledPartition> import_blob(providers::Blob blob, const std::string& sdk_version,
                                                              const ir::Graph& partition) override {
        const std::string where = partition.nodes().empty() ? partition.name : partition.nodes().front()->describe();
        const std::string running = CompiledSubgraph::openvino_sdk_version();
        KILN_CHECK(sdk_version == running, InvalidModel, where, ": its blob was exported by OpenVINO ",
                   sdk_version.empty() ? "(ep_sdk_version not given)" : sdk_version, ", but OpenVINO ", running,
                   " is in use; compile the model again with this version");
        auto start = std::chrono::steady_clock::now();
        size_t bytes = blob.size;
        auto imported = CompiledSubgraph::import(std::move(blob), partition, device_, properties_, where);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        log_info(str(name_, ": imported ", where, " from its EPContext blob (", bytes, " bytes, no compile) in ",
                     static_cast<int64_t>(ms), " ms: ", imported->describe()));
        return imported;
    }

  private:
    // The partition from the sessions sharing it (ep.share_ep_contexts), else from the model cache (cache_dir),
    // else compiled (and stored in the cache). `how` says which, for the log. A partition compiled per input shape
    // (disable_dynamic_shapes with dynamic inputs) is neither cached nor shared.
    std::unique_ptr<providers::CompiledPartition> build(const ir::Graph& partition, std::string& how) {
        how = "compiled";
        bool keyed = (cache_ || reuse_.share) && !reuse_.exporting &&
                     (!options_.disable_dynamic_shapes || all_static(partition));
        if (!keyed) {  // OpenVINO's own cache still serves the per-shape compilations
            const ::ov::AnyMap& properties = cache_ ? ov_cache_properties_ : properties_;
            return std::make_unique<CompiledSubgraph>(partition, device_, properties, options_);
        }
        auto start = std::chrono::steady_clock::now();
        auto since = [&] {
            auto now = std::chrono::steady_clock::now();
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count();
            start = now;
            return ms;
        };
        CacheKey key = partition_key(partition, device_, properties_, options_, CompiledSubgraph::kInlineTensorBytes,
                                     openvino_full_version());
        const int64_t key_ms = since();
        if (reuse_.share) {
            if (std::shared_ptr<const CompiledSubgraph> shared = find_shared(key)) {
                how = str("shared with another session (its ov::CompiledModel, key ", key.hex(), ")");
                if (reuse_.stop_share) forget_shared(key);
                return std::make_unique<SharedPartition>(std::move(shared));
            }
        }
        std::unique_ptr<CompiledSubgraph> made;
        if (cache_) {
            if (std::optional<providers::Blob> blob = cache_->find(key)) {
                const std::string path = cache_->path_of(key);
                const int64_t check_ms = since();
                try {
                    made = CompiledSubgraph::import(std::move(*blob), partition, device_, properties_, path);
                    how = str("imported from the model cache file '", path, "' (no compile; key ", key_ms,
                              " ms, file check ", check_ms, " ms, import ", since(), " ms)");
                } catch (const Error& e) {
                    log_warning(str(name_, ": the model cache file '", path, "' could not be used (", e.what(),
                                    "); compiling instead and replacing it"));
                }
            }
        }
        if (!made) {
            made = std::make_unique<CompiledSubgraph>(partition, device_, properties_, options_);
            const int64_t compile_ms = since();
            if (cache_) {
                store(*made, key);
                how = str("compiled (key ", key_ms, " ms, compile ", compile_ms, " ms, writing the model cache file ",
                          since(), " ms)");
            }
        }
        if (!reuse_.share) return made;
        std::shared_ptr<const CompiledSubgraph> shared(std::move(made));
        if (reuse_.stop_share) {
            forget_shared(key);
        } else {
            publish_shared(key, shared);
        }
        return std::make_unique<SharedPartition>(std::move(shared));
    }

    void store(const CompiledSubgraph& compiled, const CacheKey& key) const {
        cache_->store(key, [&](std::ostream& out) { compiled.export_to(out); });
    }

    // reshape_input must name graph inputs, with their rank; layout must name graph inputs or outputs.
    void check_named_tensors(const ir::Graph& graph) const {
        auto find = [](const std::vector<ir::Value*>& values, const std::string& name) -> const ir::Value* {
            for (const ir::Value* v : values) {
                if (v->name == name) return v;
            }
            return nullptr;
        };
        for (const InputShape& s : options_.reshape_input) {
            const ir::Value* v = find(graph.inputs(), s.name);
            KILN_CHECK(v, InvalidArgument, "reshape_input names '", s.name, "', which is not an input of the model");
            KILN_CHECK(!v->type.shape || v->type.shape->size() == s.dims.size(), InvalidArgument, "reshape_input: '",
                       s.name, "' has rank ", v->type.shape ? v->type.shape->size() : 0, ", the option gives ",
                       s.dims.size(), " dims");
        }
        for (const TensorLayout& l : options_.layout) {
            const ir::Value* v = find(graph.inputs(), l.name);
            if (!v) v = find(graph.outputs(), l.name);
            KILN_CHECK(v, InvalidArgument, "layout names '", l.name, "', which is not an input or output of the model");
        }
    }

    bool claim_whole(const ir::Graph& graph, providers::Capability& capability) {
        std::vector<const ir::Node*> all;
        for (const ir::Node* node : graph.topological_order()) {
            if (!SupportProbe::known_problem(*node).empty()) return false;
            all.push_back(node);
        }
        if (all.empty() || !reads_a_runtime_value(all)) return false;
        auto start = std::chrono::steady_clock::now();
        std::string how;
        try {
            ir::Subgraph whole = ir::extract_subgraph(graph, all);
            whole_ = build(*whole.graph, how);
        } catch (const Error& e) {
            log_info(str(name_, ": the whole graph does not compile on OpenVINO ", device_, " (", e.what(),
                         "); asking node by node"));
            return false;
        }
        whole_node_count_ = all.size();
        capability.groups.push_back(std::move(all));
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        log_info(str(name_, ": the whole graph (", whole_node_count_, " nodes) runs on OpenVINO ", device_, ", ", how,
                     " in ", static_cast<int64_t>(ms), " ms: ", whole_->describe()));
        return true;
    }

    // `properties` without the CACHE_DIR that cache_dir set (one that load_config set stays).
    ::ov::AnyMap without_cache_dir(::ov::AnyMap properties) const {
        auto set = properties.find(::ov::cache_dir.name());
        if (set != properties.end() && set->second.as<std::string>() == options_.cache_dir) properties.erase(set);
        return properties;
    }

    std::string name_ = "OpenVINOExecutionProvider";
    OpenVINOOptions options_;
    bool keep_lone_nodes_ = false;
    std::string device_;
    Reuse reuse_;
    ::ov::AnyMap properties_;
    SupportProbe probe_;
    std::optional<ModelCache> cache_;  // kiln's index in cache_dir
    ::ov::AnyMap
        ov_cache_properties_;  // with cache_: properties_ with OpenVINO's CACHE_DIR, for what kiln does not cache
    std::unique_ptr<providers::CompiledPartition> whole_;  // compiled by claim_whole, handed out by compile()
    size_t whole_node_count_ = 0;
};

}  // namespace

std::unique_ptr<providers::ExecutionProvider> make_provider(const std::map<std::string, std::string>& options,
                                                            const SessionOptions& session_options) {
    // As ONNX Runtime: session config entries "ep.openvinoexecutionprovider.<key>" are provider options too (an
    // option given both ways takes the provider-options value).
    std::map<std::string, std::string> raw = options;
    const std::string prefix = "ep.openvinoexecutionprovider.";
    for (const auto& [key, value] : session_options.config_entries) {
        if (key.rfind(prefix, 0) == 0) raw.emplace(key.substr(prefix.size()), value);
    }
    std::vector<std::string> warnings;
    OpenVINOOptions parsed = parse_options(raw, openvino_devices(), &warnings);
    for (const std::string& w : warnings) log_warning("OpenVINOExecutionProvider: " + w);
    Reuse reuse;
    reuse.share = session_options.config_flag("ep.share_ep_contexts");
    reuse.stop_share = session_options.config_flag("ep.stop_share_ep_contexts");
    reuse.exporting = session_options.config_flag("ep.context_enable");
    return std::make_unique<OpenVINOProvider>(std::move(parsed),
                                              session_options.config_flag("session.disable_cpu_ep_fallback"), reuse);
}

}  // namespace kiln::ov
