// libFuzzer target: a model with external data. The input is a 4-byte little-endian model size N, N bytes of model,
// and the rest is the file "weights.bin" in the folder the model's external data resolves against (the seeds name
// that file). The session is created from memory with that folder as base_dir, and run when small.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "fuzz_util.h"
#include "kiln/session.h"

namespace {
std::string g_dir;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_dir = kiln::fuzz::scratch_dir("external_data");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) return 0;
    size_t model_size = data[0] | (data[1] << 8) | (data[2] << 16) | (static_cast<size_t>(data[3]) << 24);
    if (model_size > size - 4) return 0;
    const uint8_t* model = data + 4;
    {
        std::ofstream weights(g_dir + "/weights.bin", std::ios::binary | std::ios::trunc);
        weights.write(reinterpret_cast<const char*>(model + model_size), size - 4 - model_size);
    }
    kiln::SessionOptions options;
    options.intra_op_threads = 1;
    try {
        kiln::Session session(model, model_size, options, g_dir);
        kiln::fuzz::run_when_small(session);
    } catch (const kiln::Error& e) {
        kiln::fuzz::expected(e);
    }
    return 0;
}
