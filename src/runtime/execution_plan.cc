#include "runtime/execution_plan.h"

#include <algorithm>
#include <new>
#include <string_view>

#include "ops/op_def.h"
#include "providers/cpu/evaluate.h"
#include "runtime/buffer_pool.h"
#include "runtime/profiler.h"

namespace kiln::rt {
namespace {

std::string unsupported_node_message(const ir::Node& node) {
    return str("no provider can run ", node.describe(), ": op '", node.op_type, "' of domain '",
               node.domain.empty() ? "ai.onnx" : node.domain, "' is not supported");
}

bool is_control_flow(OpKind op) { return op == OpKind::If || op == OpKind::Loop || op == OpKind::Scan; }
bool is_sequence_op(OpKind op) { return std::string_view(op_kind_family(op)) == "Sequence"; }

bool owned_by(const ir::Graph& graph, const ir::Value* v) {
    auto it = graph.values().find(v->name);
    return it != graph.values().end() && it->second.get() == v;
}

// The subgraphs of a control-flow node, in the order run_control_step expects.
std::vector<const ir::Graph*> subgraphs_of(const ir::Node& node) {
    std::vector<const ir::Graph*> graphs;
    for (const char* key : {"then_branch", "else_branch", "body"}) {
        const ir::Attribute* a = node.find_attribute(key);
        if (!a) continue;
        KILN_CHECK(a->g, InvalidModel, node.describe(), ": attribute '", key, "' must be a graph");
        graphs.push_back(a->g.get());
    }
    return graphs;
}

}  // namespace

const char* provider_of(const Step& step) {
    return step.partition ? step.partition->provider_name() : "CPUExecutionProvider";
}

int ExecutionPlan::slot(const ir::Value* v) {
    int existing = slot_of(v);
    if (existing >= 0) return existing;
    int s = static_cast<int>(values_.size());
    bool capture = !owned_by(graph_, v);
    bool constant = v->constant && !v->is_graph_input;
    values_.push_back(v);
    index_.emplace(v, s);
    constants_.emplace_back(constant && !capture ? Value(*v->constant) : Value());
    keep_.push_back(constant || capture || v->is_graph_output || v->is_graph_input);
    shared_.push_back(constant || capture || v->is_graph_input);
    if (capture) captures_.emplace_back(v, s);
    return s;
}

ExecutionPlan::ExecutionPlan(const ir::Graph& graph, int threads, const PartitionMap& partitions)
    : graph_(graph), threads_(threads) {
    for (const ir::Value* v : graph.inputs()) input_slots_.push_back(slot(v));
    std::vector<std::vector<int>> reads;  // per step: every slot it reads, captures included
    for (const ir::Node* node : graph.topological_order()) {
        auto partition = partitions.find(node);
        if (node->op == OpKind::Unknown && partition == partitions.end()) {
            fail(ErrorCode::NotImplemented, unsupported_node_message(*node));
        }
        Step step;
        step.node = node;
        for (const ir::Value* v : node->inputs) step.inputs.push_back(v ? slot(v) : -1);
        for (const ir::Value* v : node->outputs) step.outputs.push_back(v ? slot(v) : -1);
        std::vector<int> step_reads = step.inputs;
        if (is_control_flow(node->op) || is_sequence_op(node->op)) {
            for (const ir::Graph* sub : subgraphs_of(*node)) {
                auto plan = std::make_unique<ExecutionPlan>(*sub, threads);
                std::vector<int> slots;
                for (const auto& [value, sub_slot] : plan->captures()) slots.push_back(slot(value));
                step_reads.insert(step_reads.end(), slots.begin(), slots.end());
                step.capture_slots.push_back(std::move(slots));
                step.subplans.push_back(std::move(plan));
            }
        } else if (partition != partitions.end()) {
            step.partition = partition->second;
        } else {
            step.kernel = cpu::create_kernel(*node);
        }
        reads.push_back(std::move(step_reads));
        steps_.push_back(std::move(step));
    }
    for (const ir::Value* v : graph.outputs()) {
        output_slots_.push_back(slot(v));
        keep_[output_slots_.back()] = true;
    }
    // Memory plan: each intermediate is released after its last reader.
    std::vector<int> last_reader(values_.size(), -1);
    for (size_t s = 0; s < steps_.size(); ++s) {
        for (int in : reads[s]) {
            if (in >= 0) last_reader[in] = static_cast<int>(s);
        }
    }
    for (size_t v = 0; v < values_.size(); ++v) {
        if (!keep_[v] && last_reader[v] >= 0) steps_[last_reader[v]].releases.push_back(static_cast<int>(v));
    }
    // Outputs nobody reads (unused optional outputs) are released right after their step.
    for (auto& step : steps_) {
        for (int out : step.outputs) {
            if (out >= 0 && !keep_[out] && last_reader[out] < 0) step.releases.push_back(out);
        }
    }
}

ExecutionPlan::~ExecutionPlan() = default;

int ExecutionPlan::slot_of(const ir::Value* v) const {
    auto it = index_.find(v);
    return it == index_.end() ? -1 : it->second;
}

void ExecutionPlan::run_kernel_step(const Step& step, std::vector<Value>& slots, BufferPool& pool) const {
    const ir::Node& node = *step.node;
    if (node.op == OpKind::Identity && step.inputs[0] >= 0 && !slots[step.inputs[0]].is_tensor()) {
        slots[step.outputs[0]] = slots[step.inputs[0]];  // a sequence or an empty optional passes through
        return;
    }
    std::vector<TensorInfo> infos(step.inputs.size());
    std::vector<const Tensor*> inputs;
    ops::InferContext ictx{node, {}, {}, {}};
    for (size_t i = 0; i < step.inputs.size(); ++i) {
        int s = step.inputs[i];
        if (s >= 0 && !slots[s].is_tensor()) {
            fail(ErrorCode::Internal, node.describe(), ": input '", node.inputs[i]->name, "' is a ",
                 slots[s].kind_name(), ", not a tensor");
        }
        const Tensor* t = s >= 0 ? &slots[s].tensor() : nullptr;
        if (t && t->empty()) {
            fail(ErrorCode::Internal, node.describe(), ": input '", node.inputs[i]->name, "' has no value");
        }
        if (t) infos[i] = cpu::info_of(*t);
        inputs.push_back(t);
        ictx.inputs.push_back(t ? &infos[i] : nullptr);
        ictx.values.push_back(t);
    }
    ops::infer_node(ictx);
    cpu::KernelContext kctx{node, inputs, {}, threads_};
    for (size_t i = 0; i < step.outputs.size(); ++i) {
        int s = step.outputs[i];
        if (s < 0) {
            kctx.outputs.push_back(nullptr);
            continue;
        }
        const TensorInfo& info = ictx.outputs[i];
        KILN_CHECK(info.is_static(), Internal, node.describe(),
                   ": output shape not derived: ", symbolic_shape_to_string(info.shape));
        slots[s] = pool.allocate(info.dtype, info.static_shape());
        kctx.outputs.push_back(&slots[s].tensor());
    }
    step.kernel->run(kctx);
}

void ExecutionPlan::run_partition_step(const Step& step, std::vector<Value>& slots, BufferPool& pool) const {
    const ir::Node& node = *step.node;
    std::vector<const Tensor*> inputs;
    inputs.reserve(step.inputs.size());
    for (size_t i = 0; i < step.inputs.size(); ++i) {
        const Value& v = slots[step.inputs[i]];
        if (!v.is_tensor() || v.tensor().empty()) {
            fail(ErrorCode::Internal, node.describe(), ": input '", node.inputs[i]->name, "' has no tensor value");
        }
        inputs.push_back(&v.tensor());
    }
    std::vector<Tensor> outputs =
        step.partition->run(inputs, [&pool](DType dtype, const Shape& shape) { return pool.allocate(dtype, shape); });
    KILN_CHECK(outputs.size() == step.outputs.size(), Internal, node.describe(), ": the compiled subgraph gave ",
               outputs.size(), " outputs, expected ", step.outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) slots[step.outputs[i]] = Value(std::move(outputs[i]));
}

std::unique_ptr<BufferPool> ExecutionPlan::take_pool() const {
    std::lock_guard<std::mutex> lock(pools_mutex_);
    if (idle_pools_.empty()) return std::make_unique<BufferPool>();
    auto pool = std::move(idle_pools_.back());
    idle_pools_.pop_back();
    return pool;
}

void ExecutionPlan::give_back_pool(std::unique_ptr<BufferPool> pool) const {
    pool->end_run();
    std::lock_guard<std::mutex> lock(pools_mutex_);
    idle_pools_.push_back(std::move(pool));
}

std::vector<Value> ExecutionPlan::run(std::vector<Value> slots, const std::vector<int>& fetch_slots,
                                      const RunProfile* profile) const {
    std::unique_ptr<BufferPool> owned = take_pool();
    BufferPool& pool = *owned;
    for (const Step& step : steps_) {
        Profiler::Clock::time_point step_start = profile ? Profiler::Clock::now() : Profiler::Clock::time_point();
        try {
            if (step.kernel) {
                run_kernel_step(step, slots, pool);
            } else if (step.partition) {
                run_partition_step(step, slots, pool);
            } else if (is_sequence_op(step.node->op)) {
                run_sequence_step(step, slots);
            } else {
                run_control_step(step, slots);
            }
        } catch (const Error& e) {
            std::string what = e.what();
            if (what.find(step.node->describe()) != std::string::npos) throw;
            throw Error(e.code(), str(step.node->describe(), ": ", what));
        } catch (const std::bad_alloc&) {
            fail(ErrorCode::Internal, step.node->describe(), ": out of memory");
        }
        if (profile) {
            profile->profiler.record(step.node->name + "_kernel_time", kNodeCategory, step_start, profile->run,
                                     step.node->op_type, provider_of(step));
        }
        for (int r : step.releases) {
            if (slots[r].is_tensor()) {
                pool.release(slots[r].tensor());
            } else {
                slots[r] = Value();
            }
        }
    }
    std::vector<Value> results;
    results.reserve(fetch_slots.size());
    for (int s : fetch_slots) {
        // A pooled tensor keeps its buffer alive after the pool is gone. Tensors owned elsewhere are copied so
        // that the caller never writes into the session's weights, its own inputs or an enclosing graph's values.
        results.push_back(shared_[s] ? slots[s].clone() : slots[s]);
    }
    slots.clear();  // intermediates left (unused optional outputs of failed runs) go before the pool is reused
    give_back_pool(std::move(owned));
    return results;
}

}  // namespace kiln::rt
