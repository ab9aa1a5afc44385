// Removes nodes none of whose outputs reach a graph output.
#include <unordered_set>

#include "optimizer/pass.h"

namespace kiln::opt {
namespace {

class DeadNodeElimination : public Pass {
  public:
    const char* name() const override { return "DeadNodeElimination"; }

    bool run(ir::Graph& graph, PassContext& ctx) override {
        std::unordered_set<const ir::Value*> live(graph.outputs().begin(), graph.outputs().end());
        std::unordered_set<const ir::Node*> live_nodes;
        auto order = graph.topological_order();
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
            ir::Node* node = *it;
            bool needed = false;
            for (const ir::Value* out : node->outputs) needed |= out && live.count(out);
            if (!needed) continue;
            live_nodes.insert(node);
            for (const ir::Value* in : node->inputs) {
                if (in) live.insert(in);
            }
            for (const ir::Value* in : ir::implicit_inputs(*node)) live.insert(in);
        }
        if (live_nodes.size() == graph.nodes().size()) return false;
        graph.remove_nodes_if([&](const ir::Node& n) { return !live_nodes.count(&n); });
        graph.prune_values();
        ctx.rewrites += 1;
        return true;
    }
};

}  // namespace

std::unique_ptr<Pass> make_dead_node_elimination() { return std::make_unique<DeadNodeElimination>(); }

}  // namespace kiln::opt
