#include <cerrno>
#include <cstdlib>

#include "tools/kiln/commands.h"

namespace kiln::cli {

std::string flag_value(const Args& args, size_t& i) {
    const std::string& arg = args[i];
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) return arg.substr(eq + 1);
    if (i + 1 >= args.size()) throw UsageError("flag '" + arg + "' needs a value");
    return args[++i];
}

int64_t parse_int(const std::string& flag, const std::string& text) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0) {
        throw UsageError("flag '" + flag + "': '" + text + "' is not an integer");
    }
    return v;
}

}  // namespace kiln::cli
