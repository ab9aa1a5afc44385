#include "runtime/execution_plan.h"

#include <unordered_map>

#include "ops/op_def.h"
#include "providers/cpu/evaluate.h"
#include "runtime/buffer_pool.h"

namespace kiln::rt {
namespace {

std::string unsupported_node_message(const ir::Node& node) {
    return str("no provider can run ", node.describe(), ": op '", node.op_type, "' of domain '",
               node.domain.empty() ? "ai.onnx" : node.domain, "' is not supported");
}

}  // namespace

ExecutionPlan::ExecutionPlan(const ir::Graph& graph, int threads) : threads_(threads) {
    std::unordered_map<const ir::Value*, int> slots;
    auto slot = [&](const ir::Value* v) {
        auto [it, inserted] = slots.emplace(v, static_cast<int>(values_.size()));
        if (inserted) {
            values_.push_back(v);
            constants_.emplace_back(v->constant && !v->is_graph_input ? *v->constant : Tensor());
            keep_.push_back(v->constant.has_value() || v->is_graph_output || v->is_graph_input);
        }
        return it->second;
    };
    for (const ir::Value* v : graph.inputs()) slot(v);
    for (const ir::Node* node : graph.topological_order()) {
        if (node->op == OpKind::Unknown) fail(ErrorCode::NotImplemented, unsupported_node_message(*node));
        Step step;
        step.node = node;
        step.kernel = cpu::create_kernel(*node);
        for (const ir::Value* v : node->inputs) step.inputs.push_back(v ? slot(v) : -1);
        for (const ir::Value* v : node->outputs) step.outputs.push_back(v ? slot(v) : -1);
        steps_.push_back(std::move(step));
    }
    for (const ir::Value* v : graph.outputs()) keep_[slot(v)] = true;
    // Memory plan: each intermediate is released after its last reader.
    std::vector<int> last_reader(values_.size(), -1);
    for (size_t s = 0; s < steps_.size(); ++s) {
        for (int in : steps_[s].inputs) {
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

int ExecutionPlan::slot_of(const ir::Value* v) const {
    for (size_t i = 0; i < values_.size(); ++i) {
        if (values_[i] == v) return static_cast<int>(i);
    }
    return -1;
}

std::vector<Tensor> ExecutionPlan::run(std::vector<Tensor> slots, const std::vector<int>& fetch_slots) const {
    BufferPool pool;
    std::vector<TensorInfo> infos;
    std::vector<const Tensor*> inputs;
    for (const Step& step : steps_) {
        const ir::Node& node = *step.node;
        inputs.clear();
        infos.assign(step.inputs.size(), TensorInfo{});
        ops::InferContext ictx{node, {}, {}, {}};
        for (size_t i = 0; i < step.inputs.size(); ++i) {
            int s = step.inputs[i];
            const Tensor* t = s >= 0 ? &slots[s] : nullptr;
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
            kctx.outputs.push_back(&slots[s]);
        }
        try {
            step.kernel->run(kctx);
        } catch (const Error& e) {
            std::string what = e.what();
            if (what.find(node.describe()) != std::string::npos) throw;
            throw Error(e.code(), str(node.describe(), ": ", what));
        }
        for (int r : step.releases) pool.release(slots[r]);
    }
    std::vector<Tensor> results;
    results.reserve(fetch_slots.size());
    for (int s : fetch_slots) {
        // A pooled tensor keeps its buffer alive after the pool is gone. Constants and feeds are copied so that
        // the caller never writes into the session's weights or its own inputs through an output.
        bool shared = values_[s]->constant.has_value() || values_[s]->is_graph_input;
        results.push_back(shared ? slots[s].clone() : slots[s]);
    }
    return results;
}

}  // namespace kiln::rt
