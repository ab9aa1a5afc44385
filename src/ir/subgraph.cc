#include "ir/subgraph.h"

#include <unordered_set>

namespace kiln::ir {
namespace {

// Every value a node reads: its inputs and what its subgraphs read from enclosing graphs.
std::vector<Value*> reads_of(const Node& node) {
    std::vector<Value*> reads(node.inputs.begin(), node.inputs.end());
    for (Value* v : implicit_inputs(node)) reads.push_back(v);
    return reads;
}

class Cutter {
  public:
    Cutter(const Graph& graph, const std::vector<const Node*>& group)
        : graph_(graph), members_(group.begin(), group.end()) {
        cut_.graph = std::make_unique<Graph>();
        cut_.graph->name = graph.name;
    }

    Subgraph run() {
        for (const Node* node : graph_.topological_order()) {
            if (members_.count(node)) copy_node(*node);
        }
        add_outputs();
        cut_.graph->relink();
        return std::move(cut_);
    }

  private:
    // The standalone graph's value for session value `v`, created on first use.
    Value* local(Value* v) {
        auto it = map_.find(v);
        if (it != map_.end()) return it->second;
        Value* copy = cut_.graph->add_value(v->name);
        copy->type = v->type;
        map_.emplace(v, copy);
        bool produced_inside = v->producer && members_.count(v->producer);
        if (!produced_inside) {
            if (v->constant && !v->is_graph_input) {
                copy->constant = v->constant;  // an initializer; the tensor shares its memory
            } else {
                copy->is_graph_input = true;
                cut_.graph->inputs().push_back(copy);
                cut_.inputs.push_back(v);
            }
        }
        return copy;
    }

    void copy_node(const Node& node) {
        auto copy = std::make_unique<Node>();
        copy->name = node.name;
        copy->op_type = node.op_type;
        copy->domain = node.domain;
        copy->opset = node.opset;
        copy->op = node.op;
        copy->attributes = node.attributes;  // subgraphs are shared; they resolve outer names through the copy
        for (Value* v : node.inputs) copy->inputs.push_back(v ? local(v) : nullptr);
        for (Value* v : implicit_inputs(node)) local(v);
        for (Value* v : node.outputs) copy->outputs.push_back(v ? local(v) : nullptr);
        cut_.graph->add_node(std::move(copy));
    }

    void add_outputs() {
        std::unordered_set<const Value*> read_outside;
        for (const auto& node : graph_.nodes()) {
            if (members_.count(node.get())) continue;
            for (const Value* v : reads_of(*node)) read_outside.insert(v);
        }
        for (const Node* node : graph_.topological_order()) {
            if (!members_.count(node)) continue;
            for (Value* v : node->outputs) {
                if (!v || !(v->is_graph_output || read_outside.count(v))) continue;
                Value* copy = map_.at(v);
                copy->is_graph_output = true;
                cut_.graph->outputs().push_back(copy);
                cut_.outputs.push_back(v);
            }
        }
    }

    const Graph& graph_;
    std::unordered_set<const Node*> members_;
    std::unordered_map<const Value*, Value*> map_;
    Subgraph cut_;
};

}  // namespace

Subgraph extract_subgraph(const Graph& graph, const std::vector<const Node*>& group) {
    return Cutter(graph, group).run();
}

}  // namespace kiln::ir
