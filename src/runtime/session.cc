#include <algorithm>
#include <new>
#include <unordered_map>

#include "common/parallel.h"
#include "ir/graph.h"
#include "kiln/kiln.h"
#include "onnx/loader.h"
#include "ops/op_def.h"
#include "optimizer/pass.h"
#include "runtime/execution_plan.h"
#include "runtime/optimized_model.h"
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

struct Session::Impl {
    SessionOptions options;
    std::string model_path;  // the file the model came from; empty for a model from memory
    ir::Model model;
    std::vector<ValueInfo> inputs, outputs, overridable;
    std::vector<NodeAssignment> assignments;
    std::unique_ptr<rt::ExecutionPlan> plan;
    std::unordered_map<std::string, int> feed_slot;        // graph input name -> slot
    std::unordered_map<std::string, int> fetch_slot;       // graph output name -> slot
    std::vector<std::string> required_inputs;              // inputs without an initializer
    std::unordered_map<std::string, TensorInfo> declared;  // graph input name -> declared type

    void build();
};

namespace {

const char* const kCpuProvider = "CPUExecutionProvider";

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

void check_providers(const SessionOptions& options) {
    for (const ProviderEntry& p : options.providers) {
        if (p.name == kCpuProvider) continue;
        if (p.name == "OpenVINOExecutionProvider") {
            fail(ErrorCode::Unsupported, "provider 'OpenVINOExecutionProvider' is not available in this build");
        }
        fail(ErrorCode::InvalidArgument, "unknown execution provider '", p.name, "' (available: ", kCpuProvider, ")");
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
    check_providers(options);
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
    opt::optimize(graph, options.optimization_level, threads);
    rt::infer_graph_shapes(graph);
    rt::save_optimized_model(model, options, model_path);
    for (ir::Value* v : graph.outputs()) outputs.push_back({v->name, v->type, v->type.kind});
    plan = std::make_unique<rt::ExecutionPlan>(graph, threads);
    for (size_t i = 0; i < graph.inputs().size(); ++i) feed_slot[graph.inputs()[i]->name] = plan->input_slots()[i];
    for (size_t i = 0; i < graph.outputs().size(); ++i) {
        fetch_slot[graph.outputs()[i]->name] = plan->output_slots()[i];
    }
    for (auto& node : graph.nodes()) assignments.push_back({node->name, node->op_type, kCpuProvider, ""});
}

Session::Session(const std::string& model_path, const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
    guarded("creating the session", [&] {
        impl_->options = options;
        impl_->model_path = model_path;
        impl_->model = onnx::load_model_file(model_path);
        impl_->build();
    });
}

Session::Session(const void* model_data, size_t size, const SessionOptions& options, const std::string& base_dir)
    : impl_(std::make_unique<Impl>()) {
    guarded("creating the session", [&] {
        impl_->options = options;
        impl_->model = onnx::load_model_bytes(model_data, size, base_dir);
        impl_->build();
    });
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const std::vector<ValueInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<ValueInfo>& Session::outputs() const { return impl_->outputs; }
const std::vector<ValueInfo>& Session::overridable_initializers() const { return impl_->overridable; }
const std::vector<NodeAssignment>& Session::node_assignments() const { return impl_->assignments; }
const SessionOptions& Session::options() const { return impl_->options; }

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
    return impl.plan->run(std::move(slots), fetch);
}

const char* version_string() { return KILN_VERSION; }

}  // namespace kiln
