// If, Loop and Scan run in the runtime (src/runtime/control_flow.cc), which owns subgraph execution.
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

std::unique_ptr<Kernel> create_Control(const ir::Node& node) {
    fail(ErrorCode::Internal, node.describe(), ": control flow is executed by the runtime, not by a CPU kernel");
}

}  // namespace kiln::cpu
