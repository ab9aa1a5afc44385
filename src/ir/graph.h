// The graph IR: Values (tensors flowing between nodes, initializers, graph inputs/outputs), Nodes (one op each)
// and Graphs (which own both). Protobuf-free; built by src/onnx/ and rewritten by src/optimizer/.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/attribute.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"
#include "ops/op_kind.h"

namespace kiln::ir {

class Node;

struct Value {
    std::string name;
    TensorInfo type;
    Node* producer = nullptr;  // null for graph inputs, initializers and outer-scope values
    int producer_output = -1;
    std::optional<Tensor> constant;  // initializer data (or folded constant)
    bool is_graph_input = false;     // a graph input (may also have a constant: an overridable initializer)
    bool is_graph_output = false;
};

class Node {
  public:
    std::string name;
    std::string op_type;  // as in the model, before normalisation ("Conv")
    std::string domain;   // "" for ai.onnx
    int opset = 0;        // the opset version of the domain the model imports
    OpKind op = OpKind::Unknown;
    std::vector<Value*> inputs;   // null entries for omitted optional inputs
    std::vector<Value*> outputs;  // null entries for omitted optional outputs
    AttributeMap attributes;

    bool has_attribute(const std::string& key) const { return attributes.count(key) != 0; }
    const Attribute* find_attribute(const std::string& key) const;
    // Typed getters: the value or `fallback` when absent; InvalidModel naming node and attribute on a wrong kind.
    int64_t attr_int(const std::string& key, int64_t fallback) const;
    float attr_float(const std::string& key, float fallback) const;
    std::string attr_string(const std::string& key, const std::string& fallback) const;
    std::vector<int64_t> attr_ints(const std::string& key, const std::vector<int64_t>& fallback = {}) const;
    std::vector<float> attr_floats(const std::string& key, const std::vector<float>& fallback = {}) const;
    // Required attribute: InvalidModel naming node and attribute when absent.
    const Attribute& attr(const std::string& key) const;

    // "node 'conv1' (Conv)": how messages name a node.
    std::string describe() const;
    size_t input_count() const { return inputs.size(); }
    // The i-th input if present (not omitted), else null.
    const Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
};

class Graph {
  public:
    Graph() = default;
    explicit Graph(const Graph* outer) : outer_(outer) {}
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;

    std::string name;
    std::string doc_string;

    // Creates a value; InvalidModel when the name is already taken in this graph.
    Value* add_value(const std::string& name);
    // The value named `name` here, else in an enclosing graph, else null.
    Value* find_value(const std::string& name) const;
    // A fresh, unused value name built from `hint`.
    std::string unique_name(const std::string& hint);
    Node* add_node(std::unique_ptr<Node> node);
    // Removes nodes for which `dead` is true; their output values stay (unreferenced) until prune_values().
    template <typename Pred>
    void remove_nodes_if(Pred dead);
    // Deletes values that no node, input or output references and that are not initializers in use.
    void prune_values();

    const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
    std::vector<Value*>& inputs() { return inputs_; }
    const std::vector<Value*>& inputs() const { return inputs_; }
    std::vector<Value*>& outputs() { return outputs_; }
    const std::vector<Value*>& outputs() const { return outputs_; }
    const std::unordered_map<std::string, std::unique_ptr<Value>>& values() const { return values_; }
    const Graph* outer() const { return outer_; }

    // Nodes in an order where every producer comes before its consumers; InvalidModel naming a node on a cycle.
    std::vector<Node*> topological_order() const;
    // Re-derives producer links from node outputs.
    void relink();
    // Checks structural invariants (unique names, every input defined, no cycle, outputs produced); throws
    // InvalidModel naming the culprit.
    void verify() const;

  private:
    const Graph* outer_ = nullptr;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::unordered_map<std::string, std::unique_ptr<Value>> values_;
    std::vector<Value*> inputs_;
    std::vector<Value*> outputs_;
    int64_t name_counter_ = 0;
};

template <typename Pred>
void Graph::remove_nodes_if(Pred dead) {
    std::vector<std::unique_ptr<Node>> kept;
    for (auto& n : nodes_) {
        if (!dead(*n)) kept.push_back(std::move(n));
    }
    nodes_ = std::move(kept);
    relink();
}

// Values of enclosing graphs that `node`'s subgraphs (and theirs, recursively) read: the node's implicit inputs.
// Empty for nodes without graph attributes.
std::vector<Value*> implicit_inputs(const Node& node);

struct Model {
    int64_t ir_version = 0;
    std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
    std::string producer_name, producer_version, domain, doc_string;
    int64_t model_version = 0;
    std::map<std::string, std::string> metadata;
    std::unique_ptr<Graph> graph = std::make_unique<Graph>();
};

}  // namespace kiln::ir
