// kiln ops MODEL: each node of the optimised graph, its op and the provider that runs it.
// kiln ops --list [--tsv]: every operator kiln runs, with its domain, family and providers.
#include <cstdio>

#include "kiln/kiln.h"
#include "tools/kiln/commands.h"
#include "tools/kiln/session_flags.h"

namespace kiln::cli {

namespace {

int list_operators(bool tsv) {
    auto ops = supported_operators();
    if (!tsv) std::printf("%-28s %-12s %-14s %s\n", "op", "domain", "family", "providers");
    for (const OperatorInfo& op : ops) {
        std::string providers;
        for (const auto& p : op.providers) providers += (providers.empty() ? "" : ",") + p;
        const char* domain = op.domain.empty() ? "ai.onnx" : op.domain.c_str();
        std::printf(tsv ? "%s\t%s\t%s\t%s\n" : "%-28s %-12s %-14s %s\n", op.name.c_str(), domain, op.family.c_str(),
                    providers.c_str());
    }
    if (!tsv) std::printf("%zu operators\n", ops.size());
    return 0;
}

}  // namespace

int ops_command(const Args& args) {
    std::string model;
    SessionFlags flags;
    bool list = false, tsv = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--list") {
            list = true;
            continue;
        }
        if (args[i] == "--tsv") {
            tsv = true;
            continue;
        }
        if (parse_session_flag(args, i, flags)) continue;
        if (args[i].rfind("-", 0) == 0) throw UsageError("unknown flag '" + args[i] + "'");
        if (!model.empty()) throw UsageError("unexpected argument '" + args[i] + "'");
        model = args[i];
    }
    if (list) {
        if (!model.empty()) throw UsageError("--list takes no model");
        return list_operators(tsv);
    }
    if (model.empty()) throw UsageError("no model given (kiln ops MODEL or kiln ops --list)");
    Session session(model, flags.session_options());
    std::printf("%-48s %-24s %s\n", "node", "op", "provider");
    for (const NodeAssignment& a : session.node_assignments()) {
        std::printf("%-48s %-24s %s%s%s\n", a.node_name.c_str(), a.op_type.c_str(), a.provider.c_str(),
                    a.reason.empty() ? "" : "  # ", a.reason.c_str());
    }
    for (const CompiledPartitionInfo& p : session.compiled_partitions()) {
        std::printf("# %s: %zu nodes compiled by %s: %s\n", p.name.c_str(), p.node_count, p.provider.c_str(),
                    p.description.c_str());
    }
    return 0;
}

}  // namespace kiln::cli
