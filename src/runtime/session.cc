#include <algorithm>
#include <new>
#include <optional>
#include <unordered_map>

#include "common/log.h"
#include "common/parallel.h"
#include "ir/graph.h"
#include "ir/subgraph.h"
#include "kiln/kiln.h"
#include "onnx/loader.h"
#include "ops/op_def.h"
#include "optimizer/pass.h"
#include "runtime/ep_context.h"
#include "runtime/execution_plan.h"
#include "runtime/optimized_model.h"
#include "runtime/partition.h"
#include "runtime/profiler.h"
#include "runtime/provider_registry.h"
#include "runtime/shape_inference.h"

namespace kiln {

SessionOptions& SessionOptions::append_provider(std::string name, ProviderOptions options) {
    providers.push_back({std::move(name), std::move(options)});
    return *this;
}

SessionOptions& SessionOptions::add_config_entry(std::string key, std::string value) {
    config_entries[std::move(key)] = std::move(value);
    return *this;
}

std::string SessionOptions::config_entry(const std::string& key, const std::string& fallback) const {
    auto it = config_entries.find(key);
    return it == config_entries.end() ? fallback : it->second;
}

bool SessionOptions::config_flag(const std::string& key) const {
    std::string value = config_entry(key, "0");
    KILN_CHECK(value == "0" || value == "1", InvalidArgument, "session config entry '", key, "' must be 0 or 1, got '",
               value, "'");
    return value == "1";
}

struct Session::Impl {
    SessionOptions options;
    std::string model_path;  // the file the model came from; empty for a model from memory
    ir::Model model;
    std::vector<ValueInfo> inputs, outputs, overridable;
    std::vector<NodeAssignment> assignments;
    ModelMetadata metadata;
    std::vector<std::unique_ptr<providers::ExecutionProvider>> providers;
    std::vector<std::unique_ptr<providers::CompiledPartition>> compiled;  // outlive the plan (declared before it)
    rt::PartitionMap partitions;
    struct PartitionRecord {
        std::string name, provider;
        size_t node_count;
        const providers::CompiledPartition* partition;
    };
    std::vector<PartitionRecord> partition_records;  // in the order they were made
    std::unique_ptr<rt::ExecutionPlan> plan;
    std::unordered_map<std::string, int> feed_slot;        // graph input name -> slot
    std::unordered_map<std::string, int> fetch_slot;       // graph output name -> slot
    std::vector<std::string> required_inputs;              // inputs without an initializer
    std::unordered_map<std::string, TensorInfo> declared;  // graph input name -> declared type
    std::unique_ptr<rt::Profiler> profiler;                // null unless options.enable_profiling

    // Loads with `load` and builds, recording both when profiling ("model_loading_uri" or "model_loading_array",
    // then "session_initialization").
    template <typename Load>
    void create(const char* loading_event, Load&& load);
    void build();
    // node name -> why the device providers left it to the CPU provider
    std::unordered_map<std::string, std::string> assign_to_providers(ir::Graph& graph);
    void assign_rest_to_cpu(const ir::Graph& graph, const std::unordered_map<std::string, std::string>& reasons);
    bool cpu_fallback_disabled() const { return options.config_flag("session.disable_cpu_ep_fallback"); }
};

namespace {

using rt::kCpuProvider;

// Runs `f`, turning what the standard library may throw (out of memory, ...) into kiln::Error, so that nothing
// but kiln::Error leaves the public API.
template <typename F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        fail(ErrorCode::Internal, "out of memory while ", what);
    } catch (const std::exception& e) {
        fail(ErrorCode::Internal, what, ": ", e.what());
    }
}

void apply_dim_overrides(ir::Graph& graph, const std::map<std::string, int64_t>& overrides) {
    if (overrides.empty()) return;
    for (ir::Value* v : graph.inputs()) {
        if (!v->type.shape) continue;
        for (Dim& d : *v->type.shape) {
            auto it = overrides.find(d.symbol);
            if (!d.known() && it != overrides.end()) d = Dim(it->second);
        }
    }
}

}  // namespace

void Session::Impl::build() {
    providers = rt::make_providers(options);
    if (cpu_fallback_disabled()) {
        for (const ProviderEntry& p : options.providers) {
            KILN_CHECK(p.name != kCpuProvider, InvalidArgument,
                       "conflicting session configuration: session.disable_cpu_ep_fallback=1 and ", kCpuProvider,
                       " was added explicitly");
        }
    }
    int threads = options.intra_op_threads > 0 ? options.intra_op_threads : default_thread_count();
    ir::Graph& graph = *model.graph;
    apply_dim_overrides(graph, options.dim_overrides);
    for (ir::Value* v : graph.inputs()) {
        declared[v->name] = v->type;
        if (v->constant) {
            overridable.push_back({v->name, v->type, v->type.kind});
        } else {
            inputs.push_back({v->name, v->type, v->type.kind});
            required_inputs.push_back(v->name);
        }
    }
    opt::optimize(graph, options.optimization_level, threads, opt::OptimizationStage::BeforePartitioning);
    rt::infer_graph_shapes(graph);
    rt::EpContextOptions ep_context = rt::parse_ep_context_options(options);
    for (rt::ImportedContext& imported : rt::import_ep_contexts(graph, providers, model_path, ep_context)) {
        assignments.push_back({imported.node->name, imported.node->op_type, imported.provider->name(), ""});
        partitions[imported.node] = imported.partition.get();
        partition_records.push_back({imported.node->name, imported.provider->name(), 1, imported.partition.get()});
        compiled.push_back(std::move(imported.partition));
    }
    auto reasons = assign_to_providers(graph);
    if (ep_context.enable) rt::export_ep_context(model, partitions, model_path, ep_context);
    opt::optimize(graph, options.optimization_level, threads, opt::OptimizationStage::CpuFusions);
    rt::infer_graph_shapes(graph);
    assign_rest_to_cpu(graph, reasons);
    if (!options.optimized_model_filepath.empty()) {
        // As ONNX Runtime: a graph holding compiled subgraphs has no ONNX form (EPContext export does that).
        KILN_CHECK(partitions.empty(), InvalidArgument, "optimized_model_filepath '", options.optimized_model_filepath,
                   "': the graph holds ", partitions.size(),
                   " subgraph(s) compiled by a device provider, which cannot be saved as ONNX; use "
                   "ep.context_enable=1 to export them");
        rt::save_optimized_model(model, options, model_path);
    }
    for (ir::Value* v : graph.outputs()) outputs.push_back({v->name, v->type, v->type.kind});
    plan = std::make_unique<rt::ExecutionPlan>(graph, threads, partitions);
    for (size_t i = 0; i < graph.inputs().size(); ++i) feed_slot[graph.inputs()[i]->name] = plan->input_slots()[i];
    for (size_t i = 0; i < graph.outputs().size(); ++i) {
        fetch_slot[graph.outputs()[i]->name] = plan->output_slots()[i];
    }
}

// Each device provider, in the session's order, claims node groups of what is left; each group is compiled and
// replaced by one partition node. A group whose compile fails stays on the CPU provider with a warning (an error
// with session.disable_cpu_ep_fallback=1). Records which provider runs each node, and why the others did not.
std::unordered_map<std::string, std::string> Session::Impl::assign_to_providers(ir::Graph& graph) {
    std::unordered_map<std::string, std::string> reasons;  // node name -> why device providers left it
    for (auto& provider : providers) {
        providers::Capability capability = provider->claim(graph);
        for (const auto& [node, reason] : capability.reasons) {
            std::string& r = reasons[node->name];
            r += (r.empty() ? "" : "; ") + provider->name() + ": " + reason;
        }
        int index = 0;
        for (const auto& group : capability.groups) {
            std::string name = str(provider->name(), "_subgraph_", index++);
            ir::Subgraph cut = ir::extract_subgraph(graph, group);
            std::unique_ptr<providers::CompiledPartition> partition;
            try {
                partition = provider->compile(*cut.graph);
            } catch (const Error& e) {
                if (cpu_fallback_disabled()) {
                    throw Error(e.code(), str(provider->name(), " could not compile ", name, " (", group.size(),
                                              " nodes, first ", group.front()->describe(),
                                              ") and session.disable_cpu_ep_fallback=1 forbids running it on the "
                                              "CPU provider: ",
                                              e.what()));
                }
                log_warning(str(provider->name(), ": compiling ", name, " (", group.size(), " nodes, first ",
                                group.front()->describe(), ") failed, its nodes run on the CPU provider: ", e.what()));
                for (const ir::Node* node : group) reasons[node->name] = "compile failed: " + std::string(e.what());
                continue;
            }
            for (const ir::Node* node : group) assignments.push_back({node->name, node->op_type, provider->name(), ""});
            ir::Node* fused = rt::fuse_partition(graph, group, cut, name);
            partitions[fused] = partition.get();
            partition_records.push_back({name, provider->name(), group.size(), partition.get()});
            compiled.push_back(std::move(partition));
        }
    }
    return reasons;
}

void Session::Impl::assign_rest_to_cpu(const ir::Graph& graph,
                                       const std::unordered_map<std::string, std::string>& reasons) {
    std::vector<std::string> left;
    for (auto& node : graph.nodes()) {
        if (partitions.count(node.get())) continue;
        auto it = reasons.find(node->name);
        assignments.push_back({node->name, node->op_type, kCpuProvider, it == reasons.end() ? "" : it->second});
        left.push_back(it == reasons.end() ? node->describe() : node->describe() + " (" + it->second + ")");
    }
    if (!left.empty() && !providers.empty() && cpu_fallback_disabled()) {
        std::string names;
        for (size_t i = 0; i < left.size() && i < 5; ++i) names += (i ? "; " : "") + left[i];
        if (left.size() > 5) names += str("; and ", left.size() - 5, " more");
        fail(ErrorCode::InvalidArgument, "session.disable_cpu_ep_fallback=1, but ", left.size(),
             " nodes are assigned to the CPU provider: ", names);
    }
}

template <typename Load>
void Session::Impl::create(const char* loading_event, Load&& load) {
    if (options.enable_profiling) profiler = std::make_unique<rt::Profiler>();
    auto start = rt::Profiler::Clock::now();
    model = load();
    if (profiler) profiler->record(loading_event, rt::kSessionCategory, start);
    metadata = {model.producer_name,     model.graph->name,   model.domain,  model.doc_string,
                model.graph->doc_string, model.model_version, model.metadata};
    start = rt::Profiler::Clock::now();
    build();
    if (profiler) profiler->record("session_initialization", rt::kSessionCategory, start);
}

Session::Session(const std::string& model_path, const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
    guarded("creating the session", [&] {
        impl_->options = options;
        impl_->model_path = model_path;
        impl_->create("model_loading_uri", [&] {
            // Own the weights: a session outlives edits of its model file (see onnx::ModelFileBytes).
            return onnx::load_model_file(model_path, options.external_initializers, onnx::ModelFileBytes::Own);
        });
    });
}

Session::Session(const void* model_data, size_t size, const SessionOptions& options, const std::string& base_dir)
    : impl_(std::make_unique<Impl>()) {
    guarded("creating the session", [&] {
        impl_->options = options;
        impl_->create("model_loading_array", [&] {
            return onnx::load_model_bytes(model_data, size, base_dir, options.external_initializers);
        });
    });
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const std::vector<ValueInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<ValueInfo>& Session::outputs() const { return impl_->outputs; }
const std::vector<ValueInfo>& Session::overridable_initializers() const { return impl_->overridable; }
const std::vector<NodeAssignment>& Session::node_assignments() const { return impl_->assignments; }

std::vector<CompiledPartitionInfo> Session::compiled_partitions() const {
    std::vector<CompiledPartitionInfo> infos;
    for (const auto& r : impl_->partition_records) {
        infos.push_back({r.name, r.provider, r.node_count, r.partition->describe()});
    }
    return infos;
}
const SessionOptions& Session::options() const { return impl_->options; }
const ModelMetadata& Session::metadata() const { return impl_->metadata; }

namespace {

void check_tensor_feed(const std::string& name, const Tensor& t, const TensorInfo& declared) {
    KILN_CHECK(!t.empty(), InvalidArgument, "input '", name, "': empty tensor");
    KILN_CHECK(declared.dtype == DType::Undefined || t.dtype() == declared.dtype, InvalidArgument, "input '", name,
               "': expected element type ", dtype_tensor_string(declared.dtype), ", got ",
               dtype_tensor_string(t.dtype()));
    if (!declared.shape) return;
    const SymbolicShape& want = *declared.shape;
    KILN_CHECK(t.rank() == want.size(), InvalidArgument, "input '", name, "': expected rank ", want.size(), " ",
               symbolic_shape_to_string(declared.shape), ", got rank ", t.rank(), " ", shape_to_string(t.shape()));
    for (size_t i = 0; i < want.size(); ++i) {
        KILN_CHECK(!want[i].known() || want[i].value == t.shape()[i], InvalidArgument, "input '", name, "': dimension ",
                   i, " must be ", want[i].value, " ", symbolic_shape_to_string(declared.shape), ", got ",
                   shape_to_string(t.shape()));
    }
}

void check_feed(const std::string& name, const Value& v, const TensorInfo& declared) {
    bool optional = declared.kind == ValueKind::OptionalTensor || declared.kind == ValueKind::OptionalSequence;
    bool sequence = declared.kind == ValueKind::Sequence || declared.kind == ValueKind::OptionalSequence;
    if (v.is_none()) {
        KILN_CHECK(optional, InvalidArgument, "input '", name, "': got none, the model declares a ",
                   value_kind_name(declared.kind));
        return;
    }
    if (!sequence) {
        KILN_CHECK(v.is_tensor(), InvalidArgument, "input '", name, "': expected a tensor, got a ", v.kind_name());
        check_tensor_feed(name, v.tensor(), declared);
        return;
    }
    KILN_CHECK(v.is_sequence(), InvalidArgument, "input '", name, "': expected a sequence, got a ", v.kind_name());
    for (const Tensor& t : v.sequence()) {
        KILN_CHECK(declared.dtype == DType::Undefined || t.dtype() == declared.dtype, InvalidArgument, "input '", name,
                   "': expected a sequence of ", dtype_tensor_string(declared.dtype), ", got an element of type ",
                   dtype_tensor_string(t.dtype()));
    }
}

std::string join_names(const std::vector<std::string>& names) {
    std::string s;
    for (auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
    return s;
}

}  // namespace

std::vector<Tensor> Session::run(const std::vector<NamedTensor>& feeds,
                                 const std::vector<std::string>& output_names) const {
    std::vector<NamedValue> values;
    values.reserve(feeds.size());
    for (const NamedTensor& feed : feeds) values.push_back({feed.name, feed.tensor});
    std::vector<Value> got = run_values(values, output_names);
    std::vector<Tensor> results;
    results.reserve(got.size());
    for (size_t i = 0; i < got.size(); ++i) {
        if (!got[i].is_tensor()) {
            const std::string& name = output_names.empty() ? impl_->outputs[i].name : output_names[i];
            fail(ErrorCode::InvalidArgument, "output '", name, "' is a ", got[i].kind_name(),
                 ", not a tensor: use Session::run_values");
        }
        results.push_back(std::move(got[i].tensor()));
    }
    return results;
}

std::vector<Value> Session::run_values(const std::vector<NamedValue>& feeds,
                                       const std::vector<std::string>& output_names) const {
    return guarded("running the session", [&] { return run_values_checked(feeds, output_names); });
}

std::vector<Value> Session::run_values_checked(const std::vector<NamedValue>& feeds,
                                               const std::vector<std::string>& output_names) const {
    const Impl& impl = *impl_;
    rt::Profiler* profiler = impl.profiler && impl.profiler->active() ? impl.profiler.get() : nullptr;
    auto run_start = profiler ? rt::Profiler::Clock::now() : rt::Profiler::Clock::time_point();
    std::optional<rt::RunProfile> profile;
    if (profiler) profile.emplace(rt::RunProfile{*profiler, profiler->next_run()});
    std::vector<Value> slots = impl.plan->initial_slots();
    std::vector<std::string> fed;
    for (const NamedValue& feed : feeds) {
        auto it = impl.feed_slot.find(feed.name);
        if (it == impl.feed_slot.end()) {
            std::vector<std::string> names;
            for (auto& in : impl.inputs) names.push_back(in.name);
            for (auto& in : impl.overridable) names.push_back(in.name);
            fail(ErrorCode::InvalidArgument, "unknown input '", feed.name, "'; the model's inputs are ",
                 join_names(names));
        }
        check_feed(feed.name, feed.value, impl.declared.at(feed.name));
        slots[it->second] = feed.value;
        fed.push_back(feed.name);
    }
    std::vector<std::string> missing;
    for (const std::string& name : impl.required_inputs) {
        if (std::find(fed.begin(), fed.end(), name) == fed.end()) missing.push_back(name);
    }
    KILN_CHECK(missing.empty(), InvalidArgument, "required inputs (", join_names(missing),
               ") are missing from the feeds");
    // Overridable initializers that were not fed keep their value.
    for (const ir::Value* v : impl.model.graph->inputs()) {
        int s = impl.feed_slot.at(v->name);
        if (slots[s].empty() && v->constant) slots[s] = Value(*v->constant);
    }
    std::vector<int> fetch;
    if (output_names.empty()) {
        for (auto& out : impl.outputs) fetch.push_back(impl.fetch_slot.at(out.name));
    } else {
        for (const std::string& name : output_names) {
            auto it = impl.fetch_slot.find(name);
            KILN_CHECK(it != impl.fetch_slot.end(), InvalidArgument, "unknown output '", name, "'");
            fetch.push_back(it->second);
        }
    }
    std::vector<Value> results = impl.plan->run(std::move(slots), fetch, profile ? &*profile : nullptr);
    if (profiler) profiler->record("model_run", rt::kSessionCategory, run_start, profile->run);
    return results;
}

std::string Session::end_profiling() {
    return guarded("ending profiling", [&]() -> std::string {
        if (!impl_ || !impl_->profiler) return "";
        std::optional<std::vector<rt::ProfileEvent>> events = impl_->profiler->stop();
        if (!events) return "";
        std::string path = impl_->options.profile_file_prefix + "_" + impl_->profiler->start_time_string() + ".json";
        rt::write_chrome_trace(path, *events);
        return path;
    });
}

const char* version_string() { return KILN_VERSION; }

std::vector<std::string> available_providers() { return rt::available_providers(); }

}  // namespace kiln
