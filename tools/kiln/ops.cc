// kiln ops: each node of the optimised graph, its op and the provider that runs it.
#include <cstdio>

#include "kiln/kiln.h"
#include "tools/kiln/commands.h"
#include "tools/kiln/session_flags.h"

namespace kiln::cli {

int ops_command(const Args& args) {
    std::string model;
    SessionFlags flags;
    for (size_t i = 0; i < args.size(); ++i) {
        if (parse_session_flag(args, i, flags)) continue;
        if (args[i].rfind("-", 0) == 0) throw UsageError("unknown flag '" + args[i] + "'");
        if (!model.empty()) throw UsageError("unexpected argument '" + args[i] + "'");
        model = args[i];
    }
    if (model.empty()) throw UsageError("no model given (kiln ops MODEL)");
    Session session(model, flags.options);
    std::printf("%-48s %-24s %s\n", "node", "op", "provider");
    for (const NodeAssignment& a : session.node_assignments()) {
        std::printf("%-48s %-24s %s%s%s\n", a.node_name.c_str(), a.op_type.c_str(), a.provider.c_str(),
                    a.reason.empty() ? "" : "  # ", a.reason.c_str());
    }
    return 0;
}

}  // namespace kiln::cli
