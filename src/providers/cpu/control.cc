// If, Loop and Scan run in the runtime (src/runtime/control_flow.cc), which owns subgraph execution; sequence and
// optional ops too (src/runtime/sequence_ops.cc).
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

std::unique_ptr<Kernel> create_Control(const ir::Node& node) {
    fail(ErrorCode::Internal, node.describe(), ": control flow is executed by the runtime, not by a CPU kernel");
}

std::unique_ptr<Kernel> create_Sequence(const ir::Node& node) {
    fail(ErrorCode::Internal, node.describe(),
         ": sequence and optional ops are executed by the runtime, not by a CPU kernel");
}

}  // namespace kiln::cpu
