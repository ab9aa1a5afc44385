// ExecutionPlan: the optimised graph lowered to a flat list of steps over numbered value slots, with the
// release point of every intermediate (memory plan). Immutable once built; run() is thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"
#include "providers/cpu/kernel.h"

namespace kiln::rt {

struct Step {
    const ir::Node* node = nullptr;
    std::unique_ptr<cpu::Kernel> kernel;
    std::vector<int> inputs;    // slot per node input, -1 when omitted
    std::vector<int> outputs;   // slot per node output, -1 when omitted
    std::vector<int> releases;  // slots whose last reader is this step
};

class ExecutionPlan {
  public:
    // Builds kernels for every node of `graph` (which must outlive the plan). NotImplemented naming the node
    // when no provider can run it.
    ExecutionPlan(const ir::Graph& graph, int threads);

    int slot_of(const ir::Value* v) const;
    // Runs with `feeds` indexed by slot (empty tensors for slots not fed); returns the tensors of `fetch_slots`.
    std::vector<Tensor> run(std::vector<Tensor> slots, const std::vector<int>& fetch_slots) const;
    // A slot vector with every constant in place, to be filled with feeds.
    std::vector<Tensor> initial_slots() const { return constants_; }

  private:
    std::vector<Step> steps_;
    std::vector<Tensor> constants_;  // by slot; empty where not constant
    std::vector<const ir::Value*> values_;
    std::vector<bool> keep_;  // graph outputs and constants: never released
    int threads_ = 1;
};

}  // namespace kiln::rt
