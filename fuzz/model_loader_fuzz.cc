// libFuzzer target: bytes -> kiln::Session on the CPU provider (a model from memory), then one run on zero inputs
// when the model is small. Anything but a kiln::Error (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "kiln/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    kiln::SessionOptions options;
    options.intra_op_threads = 1;
    try {
        kiln::Session session(data, size, options);
        kiln::fuzz::run_when_small(session);
    } catch (const kiln::Error& e) {
        kiln::fuzz::expected(e);
    }
    return 0;
}
