// kiln: command-line front end. `kiln run`, `kiln ops`, `kiln perf`, `kiln devices`, `kiln compile`.
#include <cstdio>
#include <cstring>

#include "kiln/kiln.h"
#include "tools/kiln/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: kiln <command> [options]\n"
    "\n"
    "commands:\n"
    "  run MODEL [--input NAME=FILE.npy]... [--dim NAME=N]... [--save-outputs DIR] [--threads N] [--repeat N]\n"
    "            [-e cpu|openvino] [-i \"key|value ...\"] [-C \"key|value ...\"]\n"
    "            [--opt-level 0|1|2|99]\n"
    "      run the model once (or N times) on given or random inputs and print its outputs\n"
    "  ops MODEL [-e cpu|openvino] [-i \"key|value ...\"] [--threads N]\n"
    "      list each node of the optimised graph, its op and the provider that runs it\n"
    "  ops --list [--tsv]\n"
    "      list every operator kiln runs, with its domain, family and providers\n"
    "  perf MODEL [-e cpu|openvino] [-m duration|times] [-r N] [-t S] [-c N] [-I] [-p FILE] [--json FILE] ...\n"
    "      measure latency and throughput like onnxruntime_perf_test (kiln perf -h lists every flag)\n"
    "  compile MODEL -o OUT [-i \"key|value ...\"] [-C \"key|value ...\"] [--embed] [--threads N] [--opt-level L]\n"
    "      compile the model with the OpenVINO provider and write it as an EPContext model (OUT, and with its\n"
    "      compiled blobs in files next to it unless --embed), whose sessions import them instead of compiling\n"
    "  devices\n"
    "      list the devices OpenVINO sees here, with their names and key properties\n"
    "  version\n";

}  // namespace

int main(int argc, char** argv) {
    using namespace kiln::cli;
    if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    std::string command = argv[1];
    Args args(argv + 2, argv + argc);
    try {
        if (command == "run") return run_command(args);
        if (command == "ops") return ops_command(args);
        if (command == "perf") return perf_command(args);
        if (command == "devices") return devices_command(args);
        if (command == "compile") return compile_command(args);
        if (command == "version" || command == "--version") {
            std::printf("kiln %s\n", kiln::version_string());
            return 0;
        }
        throw UsageError("unknown command '" + command + "' (try kiln --help)");
    } catch (const UsageError& e) {
        std::fprintf(stderr, "kiln %s: %s\n", command.c_str(), e.what());
        return 2;
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "kiln %s: error: %s: %s\n", command.c_str(), kiln::error_code_name(e.code()), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln %s: error: %s\n", command.c_str(), e.what());
        return 1;
    }
}
