// CPU kernels of the Misc family (see op_list.inc).
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

std::unique_ptr<Kernel> create_Misc(const ir::Node& node) {
    fail(ErrorCode::NotImplemented, node.describe(), ": no CPU kernel yet");
}

}  // namespace kiln::cpu
