#include "fuzz_util.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/alloc_limit.h"

namespace kiln::fuzz {
namespace {

constexpr int64_t kMaxRunElements = 4096;
// Outputs whose known dims hold more than this are not run: a model may ask for any size (Resize to sizes read from
// its data), and computing it is not a bug, only slow.
constexpr int64_t kMaxOutputElements = int64_t{1} << 18;

// kiln's allocation cap (common/alloc_limit.h) for the fuzz targets: 1 GiB, below libFuzzer's 4 GB limit, so that a
// model asking for more gets kiln's clear error instead of ending the run as an out-of-memory "crash".
[[maybe_unused]] const bool kAllocationCapSet = (set_max_allocation_bytes(size_t{1} << 30), true);

// A tensor input's shape with symbolic or unknown dims taken as 1, or false when it is not a small tensor.
bool small_shape(const ValueInfo& input, Shape& shape) {
    if (input.kind != ValueKind::Tensor || !input.type.has_rank()) return false;
    int64_t count = 1;
    for (const Dim& d : *input.type.shape) {
        int64_t v = d.known() ? d.value : 1;
        if (v > kMaxRunElements) return false;
        count *= v;
        if (count > kMaxRunElements) return false;
        shape.push_back(v);
    }
    return input.type.dtype != DType::Undefined;
}

}  // namespace

void run_when_small(const Session& session) {
    for (const NodeAssignment& node : session.node_assignments()) {
        if (node.op_type == "Loop" || node.op_type == "Scan") return;
    }
    for (const ValueInfo& output : session.outputs()) {
        if (!output.type.has_rank()) continue;
        int64_t count = 1;
        for (const Dim& d : *output.type.shape) {
            if (d.known() && (d.value > kMaxOutputElements || (count *= d.value) > kMaxOutputElements)) return;
        }
    }
    std::vector<NamedValue> feeds;
    for (const ValueInfo& input : session.inputs()) {
        Shape shape;
        if (!small_shape(input, shape)) return;
        feeds.push_back({input.name, Tensor(input.type.dtype, shape)});
    }
    try {
        session.run_values(feeds);
    } catch (const Error& e) {
        expected(e);
    }
}

void expected(const Error& error) {
    static const bool verbose = std::getenv("KILN_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::cerr << "kiln::Error: " << error.what() << "\n";
}

std::string scratch_dir(const std::string& name) {
    std::filesystem::path dir = std::filesystem::path(KILN_FUZZ_TMP) / (name + "." + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

void write_seed(const std::string& folder, const std::string& file, const std::string& bytes) {
    if (folder.empty()) return;
    std::filesystem::create_directories(folder);
    std::ofstream out(std::filesystem::path(folder) / file, std::ios::binary);
    out << bytes;
}

}  // namespace kiln::fuzz
