// kiln_save_optimized_model: creates a kiln::Session on MODEL with optimized_model_filepath=OUT, which writes the
// optimised model, for the Python tests (tests/models/test_optimized_model.py) to check with onnx.checker and
// onnxruntime. Test tool only; not installed.
//
//   kiln_save_optimized_model MODEL OUT [--opt-level 0|1|2|99] [--config KEY=VALUE]...
//
// Exit status: 0 written; 1 kiln::Error (one line on stderr); 2 bad usage.
#include <cstdio>
#include <cstring>
#include <string>

#include "kiln/kiln.h"

namespace {

int usage(const char* message) {
    std::fprintf(stderr,
                 "kiln_save_optimized_model: %s\nusage: kiln_save_optimized_model MODEL OUT [--opt-level 0|1|2|99] "
                 "[--config KEY=VALUE]...\n",
                 message);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return usage("MODEL and OUT are required");
    kiln::SessionOptions options;
    options.intra_op_threads = 1;
    options.optimized_model_filepath = argv[2];
    for (int i = 3; i < argc; ++i) {
        std::string flag = argv[i];
        if (i + 1 >= argc) return usage(("flag '" + flag + "' needs a value").c_str());
        std::string value = argv[++i];
        if (flag == "--opt-level") {
            if (value != "0" && value != "1" && value != "2" && value != "99") return usage("bad --opt-level");
            options.optimization_level = static_cast<kiln::GraphOptimizationLevel>(std::stoi(value));
        } else if (flag == "--config") {
            auto eq = value.find('=');
            if (eq == std::string::npos || eq == 0) return usage("--config expects KEY=VALUE");
            options.add_config_entry(value.substr(0, eq), value.substr(eq + 1));
        } else {
            return usage(("unknown flag '" + flag + "'").c_str());
        }
    }
    try {
        kiln::Session session(argv[1], options);
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "kiln_save_optimized_model: %s: %s\n", kiln::error_code_name(e.code()), e.what());
        return 1;
    }
    return 0;
}
