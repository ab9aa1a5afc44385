// The CPU kernel table that op_list.inc expands into.
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

const KernelFactory kFactories[] = {
#define KILN_OP(name, family) &create_##family,
#include "ops/op_list.inc"
#undef KILN_OP
};

}  // namespace

std::unique_ptr<Kernel> create_kernel(const ir::Node& node) {
    int i = static_cast<int>(node.op);
    KILN_CHECK(i >= 0 && i < kOpKindCount, NotImplemented, node.describe(), ": no CPU kernel for op '", node.op_type,
               "' (domain '", node.domain, "')");
    try {
        return kFactories[i](node);
    } catch (const Error& e) {
        std::string what = e.what();
        if (what.find(node.describe()) != std::string::npos) throw;
        throw Error(e.code(), str(node.describe(), ": ", what));
    }
}

}  // namespace kiln::cpu
