// ExecutionPlan: a graph lowered to a flat list of steps over numbered value slots, with the release point of
// every intermediate (memory plan). Immutable once built; run() is thread-safe.
//
// A subgraph (If branch, Loop/Scan body) gets a plan of its own. Values it reads from enclosing graphs are its
// captures: the enclosing plan fills their slots before each run and keeps them alive until the step that owns
// the subgraph has finished.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"
#include "kiln/value.h"
#include "providers/cpu/kernel.h"
#include "providers/provider.h"

namespace kiln::rt {

class BufferPool;
class ExecutionPlan;
struct RunProfile;

struct Step {
    const ir::Node* node = nullptr;
    std::unique_ptr<cpu::Kernel> kernel;  // null for ops the runtime runs itself (control flow, sequences)
    const providers::CompiledPartition* partition = nullptr;  // set for a node that stands for a provider's subgraph
    std::vector<int> inputs;                                  // slot per node input, -1 when omitted
    std::vector<int> outputs;                                 // slot per node output, -1 when omitted
    std::vector<int> releases;                                // slots whose last reader is this step
    std::vector<std::unique_ptr<ExecutionPlan>> subplans;     // If: then, else; Loop/Scan/SequenceMap: body
    std::vector<std::vector<int>> capture_slots;              // per subplan: this plan's slot for each capture
};

// The compiled subgraph that each partition node of a graph stands for (rt::fuse_partition made the nodes).
using PartitionMap = std::unordered_map<const ir::Node*, const providers::CompiledPartition*>;

class ExecutionPlan {
  public:
    // Builds kernels for every node of `graph` (which must outlive the plan), and partition steps for the nodes in
    // `partitions` (which must outlive it too). NotImplemented naming the node when no provider can run it.
    ExecutionPlan(const ir::Graph& graph, int threads, const PartitionMap& partitions = {});
    ~ExecutionPlan();

    int slot_of(const ir::Value* v) const;
    // Slots of the graph's inputs and outputs, in graph order.
    const std::vector<int>& input_slots() const { return input_slots_; }
    const std::vector<int>& output_slots() const { return output_slots_; }
    // Values of enclosing graphs that this plan reads, with their slots here.
    const std::vector<std::pair<const ir::Value*, int>>& captures() const { return captures_; }

    // Runs with `slots` from initial_slots() filled with feeds (and captures); returns the values of
    // `fetch_slots`. Values that the caller still owns elsewhere (constants, feeds, captures) come back copied.
    // With a `profile`, each step's time is recorded there (one Node event per step; subplans are not timed apart).
    std::vector<Value> run(std::vector<Value> slots, const std::vector<int>& fetch_slots,
                           const RunProfile* profile = nullptr) const;
    // A slot vector with every constant in place, to be filled with feeds.
    std::vector<Value> initial_slots() const { return constants_; }

  private:
    int slot(const ir::Value* v);
    void run_kernel_step(const Step& step, std::vector<Value>& slots, BufferPool& pool) const;
    void run_partition_step(const Step& step, std::vector<Value>& slots, BufferPool& pool) const;
    std::unique_ptr<BufferPool> take_pool() const;
    void give_back_pool(std::unique_ptr<BufferPool> pool) const;

    const ir::Graph& graph_;
    std::vector<Step> steps_;
    std::vector<Value> constants_;  // by slot; empty where not constant
    std::vector<const ir::Value*> values_;
    std::unordered_map<const ir::Value*, int> index_;  // value -> slot
    std::vector<bool> keep_;                           // graph inputs/outputs, constants and captures: never released
    std::vector<bool> shared_;  // slots whose tensors belong to someone else (constants, feeds, captures)
    std::vector<int> input_slots_, output_slots_;
    std::vector<std::pair<const ir::Value*, int>> captures_;
    int threads_ = 1;
    mutable std::mutex pools_mutex_;
    mutable std::vector<std::unique_ptr<BufferPool>> idle_pools_;  // one per run that has finished
};

// The provider that runs `step`, as profiles and logs name it ("CPUExecutionProvider").
const char* provider_of(const Step& step);
// Runs an If, Loop or Scan step: fills the step's output slots (src/runtime/control_flow.cc).
void run_control_step(const Step& step, std::vector<Value>& slots);
// Runs a sequence or optional op (the Sequence family, SequenceMap included): src/runtime/sequence_ops.cc.
void run_sequence_step(const Step& step, std::vector<Value>& slots);
// Runs `step.subplans[which]` with `inputs` and the captures from `outer`; returns its outputs.
std::vector<Value> run_subplan(const Step& step, size_t which, const std::vector<Value>& outer,
                               const std::vector<Value>& inputs);

}  // namespace kiln::rt
