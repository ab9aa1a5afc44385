// The CPU provider's kernel interface: create(node) -> prepare(constants) -> run(buffers).
// A kernel is created once per node when the session is built and is then shared by all concurrent runs: run()
// must not modify the kernel. Output tensors arrive allocated with the shapes and dtypes that the op's shape
// function derived; kernels never re-derive them.
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

struct KernelContext {
    const ir::Node& node;
    std::vector<const Tensor*> inputs;  // null for omitted optional inputs
    std::vector<Tensor*> outputs;       // allocated; null for omitted optional outputs
    int threads = 1;                    // intra-op threads for parallel_for

    const Tensor* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
    Tensor* output(size_t i) const { return i < outputs.size() ? outputs[i] : nullptr; }
};

class Kernel {
  public:
    virtual ~Kernel() = default;
    // Runs on concrete inputs. Throws kiln::Error naming the node on data it cannot handle (checked up front,
    // not inside hot loops).
    virtual void run(KernelContext& ctx) const = 0;
};

// Creation: reads attributes, may pack constant inputs (node.inputs[i]->constant), validates what it can.
// Throws NotImplemented naming the node and dtype for combinations it does not cover.
using KernelFactory = std::unique_ptr<Kernel> (*)(const ir::Node& node);

#define KILN_OP(name, family) std::unique_ptr<Kernel> create_##family(const ir::Node& node);
#include "ops/op_list.inc"
#undef KILN_OP

// The kernel for `node` (dispatched on node.op).
std::unique_ptr<Kernel> create_kernel(const ir::Node& node);

}  // namespace kiln::cpu
