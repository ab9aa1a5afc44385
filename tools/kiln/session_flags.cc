#include "tools/kiln/session_flags.h"

#include "tools/kiln/perf_flags.h"

namespace kiln::cli {

bool parse_session_flag(const Args& args, size_t& i, SessionFlags& flags) {
    const std::string& a = args[i];
    std::string name = a.substr(0, a.find('='));
    if (name == "--threads") {
        int64_t n = parse_int(name, flag_value(args, i));
        if (n < 0) throw UsageError("flag '--threads' must be >= 0");
        flags.options.intra_op_threads = static_cast<int>(n);
    } else if (name == "--dim") {
        std::string text = flag_value(args, i);
        auto eq = text.find('=');
        if (eq == std::string::npos || eq == 0) throw UsageError("flag '--dim' expects NAME=N, got '" + text + "'");
        int64_t v = parse_int(name, text.substr(eq + 1));
        if (v < 0) throw UsageError("flag '--dim': size must be >= 0");
        flags.options.dim_overrides[text.substr(0, eq)] = v;
    } else if (name == "--opt-level") {
        int64_t level = parse_int(name, flag_value(args, i));
        if (level != 0 && level != 1 && level != 2 && level != 99) {
            throw UsageError("flag '--opt-level' must be 0, 1, 2 or 99");
        }
        flags.options.optimization_level = static_cast<GraphOptimizationLevel>(level);
    } else if (name == "-e" || name == "--provider") {
        std::string v = flag_value(args, i);
        if (v != "cpu" && v != "openvino") {
            throw UsageError("flag '" + name + "': '" + v + "' is not a provider of kiln (cpu, openvino)");
        }
        flags.provider = v;
    } else if (name == "-i" || name == "--provider-options") {
        flags.provider_options = parse_key_value_pairs(name, flag_value(args, i));
    } else if (name == "-C" || name == "--config") {
        for (auto& [key, value] : parse_key_value_pairs(name, flag_value(args, i))) {
            flags.options.config_entries[key] = value;
        }
    } else {
        return false;
    }
    return true;
}

SessionOptions SessionFlags::session_options() const {
    SessionOptions result = options;
    if (provider == "openvino") {
        result.append_provider("OpenVINOExecutionProvider", provider_options);
    } else if (!provider_options.empty()) {
        throw UsageError("flag '-i': provider options need -e openvino (the cpu provider takes none)");
    }
    return result;
}

}  // namespace kiln::cli
