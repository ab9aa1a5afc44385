// kiln compile: compiles a model with the OpenVINO provider once and writes it as an EPContext model (ONNX
// Runtime's precompiled format), whose sessions import the compiled blobs instead of compiling.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "kiln/kiln.h"
#include "tools/kiln/commands.h"
#include "tools/kiln/session_flags.h"

namespace kiln::cli {
namespace {
namespace fs = std::filesystem;

struct CompileFlags {
    std::string model;
    std::string output;
    bool embed = false;
    SessionFlags session;
};

CompileFlags parse_compile_flags(const Args& args) {
    CompileFlags f;
    f.session.provider = "openvino";
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string name = a.substr(0, a.find('='));
        if (name == "-o" || name == "--output") {
            f.output = flag_value(args, i);
        } else if (name == "--embed") {
            f.embed = true;
        } else if (name == "-e" || name == "--provider") {
            throw UsageError("kiln compile always uses the OpenVINO provider; drop '" + name + "'");
        } else if (parse_session_flag(args, i, f.session)) {
        } else if (a.rfind("-", 0) == 0) {
            throw UsageError("unknown flag '" + a + "'");
        } else if (f.model.empty()) {
            f.model = a;
        } else {
            throw UsageError("unexpected argument '" + a + "'");
        }
    }
    if (f.model.empty()) throw UsageError("no model given (kiln compile MODEL -o OUT ...)");
    if (f.output.empty()) throw UsageError("no output given (kiln compile MODEL -o OUT ...)");
    return f;
}

}  // namespace

int compile_command(const Args& args) {
    CompileFlags f = parse_compile_flags(args);
    SessionOptions options = f.session.session_options();
    options.add_config_entry("ep.context_enable", "1");
    options.add_config_entry("ep.context_file_path", f.output);
    options.add_config_entry("ep.context_embed_mode", f.embed ? "1" : "0");
    auto start = std::chrono::steady_clock::now();
    Session session(f.model, options);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::map<std::string, int> nodes_by_provider;
    for (const NodeAssignment& a : session.node_assignments()) ++nodes_by_provider[a.provider];
    std::error_code ec;
    if (!fs::is_regular_file(f.output, ec)) {
        fail(ErrorCode::Unsupported, "'", f.model, "': OpenVINO compiles no part of it, so there is nothing to write");
    }
    std::printf("model: %s\n", f.model.c_str());
    std::printf("compiled in %.1f ms:", ms);
    for (const auto& [provider, count] : nodes_by_provider) std::printf("  %d nodes on %s", count, provider.c_str());
    std::printf("\nwrote:\n");
    std::printf("  %s  %ju bytes  (EPContext model, blobs %s)\n", f.output.c_str(),
                static_cast<uintmax_t>(fs::file_size(f.output)), f.embed ? "embedded" : "in files");
    if (!f.embed) {
        // The blob files are named "<output stem>_<partition>.blob", next to the output.
        fs::path out(f.output);
        fs::path folder = out.parent_path().empty() ? fs::path(".") : out.parent_path();
        std::string prefix = out.stem().string() + "_";
        std::vector<fs::path> blobs;
        for (const auto& entry : fs::directory_iterator(folder, ec)) {
            std::string name = entry.path().filename().string();
            if (entry.path().extension() == ".blob" && name.rfind(prefix, 0) == 0) blobs.push_back(entry.path());
        }
        std::sort(blobs.begin(), blobs.end());
        for (const fs::path& blob : blobs) {
            std::printf("  %s  %ju bytes  (partition %s)\n", blob.string().c_str(),
                        static_cast<uintmax_t>(fs::file_size(blob)),
                        blob.stem().string().substr(prefix.size()).c_str());
        }
    }
    return 0;
}

}  // namespace kiln::cli
