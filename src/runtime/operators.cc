// The public view of the op catalog.
#include "kiln/kiln.h"
#include "ops/op_kind.h"

namespace kiln {

std::vector<OperatorInfo> supported_operators() {
    std::vector<OperatorInfo> ops;
    for (int i = 0; i < kOpKindCount; ++i) {
        auto op = static_cast<OpKind>(i);
        std::string domain = op_kind_domain(op);
        if (domain == "kiln") continue;  // internal ops made by passes
        ops.push_back({op_kind_name(op), domain, op_kind_family(op), {"CPUExecutionProvider"}});
    }
    return ops;
}

}  // namespace kiln
