#include "onnx/function_bodies.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kiln/error.h"

namespace kiln::onnx {
namespace {

// Builds the nodes of one body: fresh value names from `prefix`, int64 constants as Constant nodes.
class BodyWriter {
  public:
    BodyWriter(::onnx::GraphProto* graph, std::string prefix) : graph_(graph), prefix_(std::move(prefix)) {}

    std::string fresh(const std::string& what) { return str(prefix_, "/", what); }

    std::string int64s(const std::string& what, const std::vector<int64_t>& values) {
        std::string name = fresh(what);
        ::onnx::NodeProto* node = add("Constant", {}, {name});
        ::onnx::AttributeProto* value = node->add_attribute();
        value->set_name("value");
        value->set_type(::onnx::AttributeProto::TENSOR);
        ::onnx::TensorProto* t = value->mutable_t();
        t->set_data_type(::onnx::TensorProto::INT64);
        t->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values) t->add_int64_data(v);
        return name;
    }

    ::onnx::NodeProto* add(const std::string& op, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs) {
        ::onnx::NodeProto* node = graph_->add_node();
        node->set_name(str(prefix_, "/", op, "_", graph_->node_size()));
        node->set_op_type(op);
        for (const std::string& in : inputs) node->add_input(in);
        for (const std::string& out : outputs) node->add_output(out);
        return node;
    }

  private:
    ::onnx::GraphProto* graph_;
    std::string prefix_;
};

void set_int(::onnx::NodeProto* node, const std::string& name, int64_t value) {
    ::onnx::AttributeProto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INT);
    a->set_i(value);
}

// CausalConvWithState(input [B, C, L], weight [C, 1, k], bias [C]?, past_state [B, C, k-1]?) -> output, present:
// padded = Concat(past_state, input) (or input padded with k-1 zeros in front); output = Conv(padded, weight, bias,
// group C), times Sigmoid of itself for silu/swish; present_state = the last k-1 positions of padded.
bool causal_conv_with_state(const ir::Node& node, ::onnx::GraphProto* graph) {
    const ir::Value* weight = node.inputs.size() > 1 ? node.inputs[1] : nullptr;
    const ir::Value* output = node.outputs.empty() ? nullptr : node.outputs[0];
    if (!node.inputs[0] || !weight || !output || !weight->type.is_static()) return false;
    const std::vector<int64_t> w = weight->type.static_shape();
    const std::string activation = node.attr_string("activation", "none");
    if (w.size() != 3 || w[0] < 1 || w[1] != 1 || w[2] < 1 ||
        (activation != "none" && activation != "silu" && activation != "swish")) {
        return false;  // the CPU provider's kernel reports what is wrong
    }
    const int64_t channels = w[0], carry = w[2] - 1;
    const ir::Value* bias = node.inputs.size() > 2 ? node.inputs[2] : nullptr;
    const ir::Value* past = node.inputs.size() > 3 ? node.inputs[3] : nullptr;
    const ir::Value* present = node.outputs.size() > 1 ? node.outputs[1] : nullptr;

    BodyWriter body(graph, output->name + "__causal_conv");
    const std::string& input = node.inputs[0]->name;
    std::string padded = body.fresh("padded");
    if (past) {
        set_int(body.add("Concat", {past->name, input}, {padded}), "axis", 2);
    } else {
        body.add("Pad", {input, body.int64s("pads", {0, 0, carry, 0, 0, 0})}, {padded});
    }
    const bool silu = activation != "none";
    std::string conv = silu ? body.fresh("conv") : output->name;
    std::vector<std::string> conv_inputs = {padded, weight->name};
    if (bias) conv_inputs.push_back(bias->name);
    ::onnx::NodeProto* conv_node = body.add("Conv", conv_inputs, {conv});
    set_int(conv_node, "group", channels);
    if (silu) {
        std::string gate = body.fresh("sigmoid");
        body.add("Sigmoid", {conv}, {gate});
        body.add("Mul", {conv, gate}, {output->name});
    }
    if (present) {
        // The last k-1 positions; for k = 1 none (a start past the end gives an empty slice).
        body.add("Slice",
                 {padded, body.int64s("starts", {carry > 0 ? -carry : INT64_MAX}), body.int64s("ends", {INT64_MAX}),
                  body.int64s("axes", {2})},
                 {present->name});
    }
    return true;
}

struct FunctionBody {
    const char* op;
    bool (*write)(const ir::Node& node, ::onnx::GraphProto* graph);
};

const FunctionBody kFunctionBodies[] = {
    {"CausalConvWithState", causal_conv_with_state},
};

}  // namespace

bool write_function_body(const ir::Node& node, ::onnx::GraphProto* graph) {
    if (!node.domain.empty()) return false;
    for (const FunctionBody& f : kFunctionBodies) {
        if (node.op_type == f.op) return f.write(node, graph);
    }
    return false;
}

}  // namespace kiln::onnx
