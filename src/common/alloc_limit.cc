#include "common/alloc_limit.h"

#include <atomic>
#include <cstdlib>

#include "common/log.h"
#include "kiln/error.h"

namespace kiln {

namespace {

std::atomic<size_t> g_override{0};

size_t from_environment() {
    const char* value = std::getenv("KILN_MAX_TENSOR_BYTES");
    if (!value || !*value) return kDefaultMaxAllocationBytes;
    char* end = nullptr;
    unsigned long long parsed = std::strtoull(value, &end, 10);
    if (*end != '\0' || parsed == 0 || value[0] == '-') {
        log_warning(str("KILN_MAX_TENSOR_BYTES='", value, "' is not a positive byte count; using the default ",
                        kDefaultMaxAllocationBytes));
        return kDefaultMaxAllocationBytes;
    }
    return static_cast<size_t>(parsed);
}

}  // namespace

size_t max_allocation_bytes() {
    size_t set = g_override.load(std::memory_order_relaxed);
    if (set != 0) return set;
    static const size_t environment = from_environment();
    return environment;
}

void set_max_allocation_bytes(size_t bytes) { g_override.store(bytes, std::memory_order_relaxed); }

void check_allocation(size_t bytes, const std::string& what) {
    size_t cap = max_allocation_bytes();
    if (bytes <= cap) return;
    fail(ErrorCode::InvalidArgument, what.empty() ? std::string() : what + ": ", "allocating ", bytes,
         " bytes exceeds kiln's limit of ", cap, " bytes for one tensor (KILN_MAX_TENSOR_BYTES)");
}

}  // namespace kiln
