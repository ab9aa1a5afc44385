// libFuzzer target: the EPContext import (runtime/ep_context.cc, the OpenVINO provider's import_blob). At start-up
// the target compiles a small model with the OpenVINO provider (OpenVINO's CPU device) into an EPContext model with
// the blob embedded; each input replaces that node's ep_cache_context attribute, and a session with the OpenVINO
// provider imports it from memory and runs it once. kiln::Error is the expected outcome of a damaged blob.
// With KILN_FUZZ_SEED_DIR set, the real blob is written there as the seed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_util.h"
#include "kiln/session.h"
#include "onnx/onnx-ml.pb.h"
#include "support/openvino_models.h"

namespace {

onnx::ModelProto g_template;
onnx::AttributeProto* g_blob = nullptr;  // the template's ep_cache_context

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::string dir = kiln::fuzz::scratch_dir("ep_context");
    std::string model = kiln::test::conv_model().write(dir + "/model.onnx");
    kiln::SessionOptions options = kiln::test::openvino();
    options.add_config_entry("ep.context_enable", "1");
    options.add_config_entry("ep.context_embed_mode", "1");
    options.add_config_entry("ep.context_file_path", dir + "/model_ctx.onnx");
    kiln::Session compiled(model, options);
    if (!g_template.ParseFromString(read_bytes(dir + "/model_ctx.onnx"))) std::abort();
    for (onnx::NodeProto& node : *g_template.mutable_graph()->mutable_node()) {
        if (node.op_type() != "EPContext") continue;
        for (onnx::AttributeProto& a : *node.mutable_attribute()) {
            if (a.name() == "ep_cache_context") g_blob = &a;
        }
    }
    if (g_blob == nullptr) std::abort();
    const char* seeds = std::getenv("KILN_FUZZ_SEED_DIR");
    kiln::fuzz::write_seed(seeds ? seeds : "", "conv_model.blob", g_blob->s());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    g_blob->set_s(data, size);
    std::string bytes = g_template.SerializeAsString();
    try {
        kiln::Session session(bytes.data(), bytes.size(), kiln::test::openvino());
        kiln::fuzz::run_when_small(session);
    } catch (const kiln::Error& e) {
        kiln::fuzz::expected(e);
    }
    return 0;
}
