#include "runtime/partition.h"

#include <unordered_set>

namespace kiln::rt {
namespace {

// Every value a node reads: its inputs and what its subgraphs read from enclosing graphs.
std::vector<ir::Value*> reads_of(const ir::Node& node) {
    std::vector<ir::Value*> reads(node.inputs.begin(), node.inputs.end());
    for (ir::Value* v : ir::implicit_inputs(node)) reads.push_back(v);
    return reads;
}

class Cutter {
  public:
    Cutter(const ir::Graph& graph, const std::vector<const ir::Node*>& group)
        : graph_(graph), members_(group.begin(), group.end()) {
        cut_.graph = std::make_unique<ir::Graph>();
        cut_.graph->name = graph.name;
    }

    PartitionCut run() {
        for (const ir::Node* node : graph_.topological_order()) {
            if (members_.count(node)) copy_node(*node);
        }
        add_outputs();
        cut_.graph->relink();
        return std::move(cut_);
    }

  private:
    // The standalone graph's value for session value `v`, created on first use.
    ir::Value* local(ir::Value* v) {
        auto it = map_.find(v);
        if (it != map_.end()) return it->second;
        ir::Value* copy = cut_.graph->add_value(v->name);
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

    void copy_node(const ir::Node& node) {
        auto copy = std::make_unique<ir::Node>();
        copy->name = node.name;
        copy->op_type = node.op_type;
        copy->domain = node.domain;
        copy->opset = node.opset;
        copy->op = node.op;
        copy->attributes = node.attributes;  // subgraphs are shared; they resolve outer names through the copy
        for (ir::Value* v : node.inputs) copy->inputs.push_back(v ? local(v) : nullptr);
        for (ir::Value* v : ir::implicit_inputs(node)) local(v);
        for (ir::Value* v : node.outputs) copy->outputs.push_back(v ? local(v) : nullptr);
        cut_.graph->add_node(std::move(copy));
    }

    void add_outputs() {
        std::unordered_set<const ir::Value*> read_outside;
        for (const auto& node : graph_.nodes()) {
            if (members_.count(node.get())) continue;
            for (const ir::Value* v : reads_of(*node)) read_outside.insert(v);
        }
        for (const ir::Node* node : graph_.topological_order()) {
            if (!members_.count(node)) continue;
            for (ir::Value* v : node->outputs) {
                if (!v || !(v->is_graph_output || read_outside.count(v))) continue;
                ir::Value* copy = map_.at(v);
                copy->is_graph_output = true;
                cut_.graph->outputs().push_back(copy);
                cut_.outputs.push_back(v);
            }
        }
    }

    const ir::Graph& graph_;
    std::unordered_set<const ir::Node*> members_;
    std::unordered_map<const ir::Value*, ir::Value*> map_;
    PartitionCut cut_;
};

}  // namespace

PartitionCut cut_partition(const ir::Graph& graph, const std::vector<const ir::Node*>& group) {
    return Cutter(graph, group).run();
}

ir::Node* fuse_partition(ir::Graph& graph, const std::vector<const ir::Node*>& group, const PartitionCut& cut,
                         const std::string& name) {
    std::unordered_set<const ir::Node*> members(group.begin(), group.end());
    graph.remove_nodes_if([&](const ir::Node& n) { return members.count(&n) != 0; });
    auto node = std::make_unique<ir::Node>();
    node->name = name;
    node->op_type = name;
    node->domain = "kiln";
    node->opset = 1;
    node->op = OpKind::Unknown;
    node->inputs = cut.inputs;
    node->outputs = cut.outputs;
    ir::Node* added = graph.add_node(std::move(node));
    graph.relink();
    graph.prune_values();
    return added;
}

}  // namespace kiln::rt
