// If, Loop and Scan: the runtime runs their subgraphs' plans, feeding inputs and captured outer values.
#include <cstring>

#include "ops/shape_util.h"
#include "runtime/execution_plan.h"

namespace kiln::rt {
namespace {

// Slots for one run of `plan`: its constants, `inputs` in graph-input order, and the captures from `outer`.
std::vector<Value> subplan_slots(const ExecutionPlan& plan, const std::vector<int>& capture_slots,
                                 const std::vector<Value>& outer, const std::vector<Value>& inputs,
                                 const ir::Node& node) {
    KILN_CHECK(inputs.size() == plan.input_slots().size(), InvalidModel, node.describe(), ": subgraph takes ",
               plan.input_slots().size(), " inputs, got ", inputs.size());
    std::vector<Value> slots = plan.initial_slots();
    for (size_t i = 0; i < inputs.size(); ++i) slots[plan.input_slots()[i]] = inputs[i];
    for (size_t c = 0; c < capture_slots.size(); ++c) slots[plan.captures()[c].second] = outer[capture_slots[c]];
    return slots;
}

bool scalar_true(const Tensor& t, const ir::Node& node, const char* what) {
    KILN_CHECK(t.element_count() == 1 && t.dtype() == DType::Bool, InvalidArgument, node.describe(), ": ", what,
               " must be a single bool, got ", dtype_name(t.dtype()), " ", shape_to_string(t.shape()));
    return t.data<uint8_t>()[0] != 0;
}

size_t element_bytes(const Tensor& t, const ir::Node& node) {
    KILN_CHECK(t.dtype() != DType::String && dtype_bits(t.dtype()) % 8 == 0, NotImplemented, node.describe(), ": ",
               dtype_name(t.dtype()), " scan values are not supported");
    return dtype_bits(t.dtype()) / 8;
}

// The slice at `index` along `axis` (that axis removed).
Tensor take(const Tensor& t, int64_t axis, int64_t index, const ir::Node& node) {
    size_t bytes = element_bytes(t, node);
    Shape shape = t.shape();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
    for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
    int64_t extent = shape[axis];
    shape.erase(shape.begin() + axis);
    Tensor out(t.dtype(), shape);
    auto* dst = static_cast<char*>(out.raw_data());
    auto* src = static_cast<const char*>(t.raw_data());
    for (int64_t o = 0; o < outer; ++o) {
        std::memcpy(dst + o * inner * bytes, src + ((o * extent + index) * inner) * bytes, inner * bytes);
    }
    return out;
}

// Stacks equal-shaped `slices` along a new `axis`; `reverse` puts the last slice first.
Tensor stack(const std::vector<Tensor>& slices, int64_t axis, bool reverse, const TensorInfo& declared,
             const ir::Node& node) {
    if (slices.empty()) {
        // No iteration ran: a zero-length axis in front of what the body declares (or nothing else known).
        Shape shape{0};
        if (declared.is_static()) {
            auto dims = declared.static_shape();
            shape.insert(shape.end(), dims.begin(), dims.end());
        }
        return Tensor(declared.dtype != DType::Undefined ? declared.dtype : DType::Float, shape);
    }
    const Tensor& first = slices[0];
    size_t bytes = element_bytes(first, node);
    Shape shape = first.shape();
    for (const Tensor& s : slices) {
        KILN_CHECK(s.shape() == shape && s.dtype() == first.dtype(), InvalidArgument, node.describe(),
                   ": scan outputs change shape between iterations (", shape_to_string(shape), " vs ",
                   shape_to_string(s.shape()), ")");
    }
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
    for (size_t d = axis; d < shape.size(); ++d) inner *= shape[d];
    int64_t count = static_cast<int64_t>(slices.size());
    shape.insert(shape.begin() + axis, count);
    Tensor out(first.dtype(), shape);
    auto* dst = static_cast<char*>(out.raw_data());
    for (int64_t k = 0; k < count; ++k) {
        const auto* src = static_cast<const char*>(slices[reverse ? count - 1 - k : k].raw_data());
        for (int64_t o = 0; o < outer; ++o) {
            std::memcpy(dst + ((o * count + k) * inner) * bytes, src + o * inner * bytes, inner * bytes);
        }
    }
    return out;
}

void run_if(const Step& step, std::vector<Value>& slots) {
    bool cond = scalar_true(slots[step.inputs[0]].tensor("condition"), *step.node, "condition");
    std::vector<Value> results = run_subplan(step, cond ? 0 : 1, slots, {});
    KILN_CHECK(results.size() == step.outputs.size(), InvalidModel, step.node->describe(), ": branch returned ",
               results.size(), " outputs, the node has ", step.outputs.size());
    for (size_t i = 0; i < results.size(); ++i) {
        if (step.outputs[i] >= 0) slots[step.outputs[i]] = std::move(results[i]);
    }
}

void run_loop(const Step& step, std::vector<Value>& slots) {
    const ir::Node& node = *step.node;
    auto input = [&](size_t i) -> const Value* {
        return i < step.inputs.size() && step.inputs[i] >= 0 ? &slots[step.inputs[i]] : nullptr;
    };
    const Tensor* trip_count = input(0) ? &input(0)->tensor("trip count") : nullptr;
    const Tensor* cond_in = input(1) ? &input(1)->tensor("condition") : nullptr;
    KILN_CHECK(trip_count || cond_in, InvalidModel, node.describe(),
               ": a Loop with neither trip count nor condition never ends");
    int64_t max_trips = trip_count ? ops::tensor_to_int64s(*trip_count).at(0) : -1;
    bool cond = cond_in ? scalar_true(*cond_in, node, "condition") : true;
    std::vector<Value> carried;
    for (size_t i = 2; i < step.inputs.size(); ++i) carried.push_back(input(i) ? *input(i) : Value::none());
    const ExecutionPlan& body = *step.subplans[0];
    size_t scan_count = body.output_slots().size() - 1 - carried.size();
    std::vector<std::vector<Tensor>> scans(scan_count);
    for (int64_t i = 0; (max_trips < 0 || i < max_trips) && cond; ++i) {
        std::vector<Value> body_inputs{Tensor::from_vector<int64_t>(DType::Int64, {}, {i}),
                                       Tensor::from_vector<uint8_t>(DType::Bool, {}, {uint8_t(cond)})};
        body_inputs.insert(body_inputs.end(), carried.begin(), carried.end());
        std::vector<Value> out = run_subplan(step, 0, slots, body_inputs);
        if (cond_in) cond = scalar_true(out[0].tensor("body condition output"), node, "body condition output");
        for (size_t c = 0; c < carried.size(); ++c) carried[c] = std::move(out[1 + c]);
        for (size_t k = 0; k < scan_count; ++k) {
            scans[k].push_back(std::move(out[1 + carried.size() + k].tensor("scan output")));
        }
    }
    const ir::Graph& graph = *node.attr("body").g;
    for (size_t i = 0; i < step.outputs.size(); ++i) {
        if (step.outputs[i] < 0) continue;
        if (i < carried.size()) {
            slots[step.outputs[i]] = std::move(carried[i]);
        } else {
            size_t k = i - carried.size();
            slots[step.outputs[i]] = stack(scans[k], 0, false, graph.outputs()[1 + carried.size() + k]->type, node);
        }
    }
}

void run_scan(const Step& step, std::vector<Value>& slots) {
    const ir::Node& node = *step.node;
    size_t scan_inputs = static_cast<size_t>(node.attr_int("num_scan_inputs", 0));
    KILN_CHECK(scan_inputs >= 1 && scan_inputs <= step.inputs.size(), InvalidModel, node.describe(),
               ": num_scan_inputs must be between 1 and the input count");
    size_t states = step.inputs.size() - scan_inputs;
    auto in_axes = node.attr_ints("scan_input_axes", std::vector<int64_t>(scan_inputs, 0));
    auto in_dirs = node.attr_ints("scan_input_directions", std::vector<int64_t>(scan_inputs, 0));
    size_t scan_outputs = step.outputs.size() - states;
    auto out_axes = node.attr_ints("scan_output_axes", std::vector<int64_t>(scan_outputs, 0));
    auto out_dirs = node.attr_ints("scan_output_directions", std::vector<int64_t>(scan_outputs, 0));
    KILN_CHECK(in_axes.size() == scan_inputs && in_dirs.size() == scan_inputs && out_axes.size() == scan_outputs &&
                   out_dirs.size() == scan_outputs,
               InvalidModel, node.describe(), ": scan axes/directions attributes do not match the input/output counts");
    std::vector<Value> state;
    for (size_t i = 0; i < states; ++i) state.push_back(slots[step.inputs[i]]);
    int64_t length = -1;
    for (size_t j = 0; j < scan_inputs; ++j) {
        const Tensor& t = slots[step.inputs[states + j]].tensor("scan input");
        in_axes[j] = ops::normalize_axis(node, in_axes[j], static_cast<int64_t>(t.rank()));
        int64_t n = t.shape()[in_axes[j]];
        KILN_CHECK(length < 0 || n == length, InvalidArgument, node.describe(),
                   ": scan inputs have different sequence lengths (", length, " vs ", n, ")");
        length = n;
    }
    std::vector<std::vector<Tensor>> collected(scan_outputs);
    for (int64_t t = 0; t < length; ++t) {
        std::vector<Value> body_inputs = state;
        for (size_t j = 0; j < scan_inputs; ++j) {
            int64_t index = in_dirs[j] ? length - 1 - t : t;
            body_inputs.push_back(take(slots[step.inputs[states + j]].tensor(), in_axes[j], index, node));
        }
        std::vector<Value> out = run_subplan(step, 0, slots, body_inputs);
        for (size_t i = 0; i < states; ++i) state[i] = std::move(out[i]);
        for (size_t k = 0; k < scan_outputs; ++k) collected[k].push_back(std::move(out[states + k].tensor()));
    }
    const ir::Graph& graph = *node.attr("body").g;
    for (size_t i = 0; i < step.outputs.size(); ++i) {
        if (step.outputs[i] < 0) continue;
        if (i < states) {
            slots[step.outputs[i]] = std::move(state[i]);
            continue;
        }
        size_t k = i - states;
        const TensorInfo& declared = graph.outputs()[states + k]->type;
        int64_t rank = collected[k].empty() ? (declared.shape ? declared.shape->size() : 0)
                                            : static_cast<int64_t>(collected[k][0].rank());
        int64_t axis = ops::normalize_axis(node, out_axes[k], rank + 1);
        slots[step.outputs[i]] = stack(collected[k], axis, out_dirs[k] != 0, declared, node);
    }
}

}  // namespace

std::vector<Value> run_subplan(const Step& step, size_t which, const std::vector<Value>& outer,
                               const std::vector<Value>& inputs) {
    const ExecutionPlan& plan = *step.subplans[which];
    auto slots = subplan_slots(plan, step.capture_slots[which], outer, inputs, *step.node);
    return plan.run(std::move(slots), plan.output_slots());
}

void run_control_step(const Step& step, std::vector<Value>& slots) {
    switch (step.node->op) {
        case OpKind::If:
            return run_if(step, slots);
        case OpKind::Loop:
            return run_loop(step, slots);
        case OpKind::Scan:
            return run_scan(step, slots);
        default:
            fail(ErrorCode::Internal, step.node->describe(), ": not a control-flow op");
    }
}

}  // namespace kiln::rt
