// The cap on one allocation of tensor memory: what a model may make kiln allocate at once, whatever sizes it
// declares. Checked where tensor storage is allocated (Tensor's constructor, the runtime's buffer pool) and by the
// loader for tensors it copies, so that a crafted model fails with a clear error instead of exhausting memory.
// Mapped (borrowed) weights are not allocations and do not count. docs/security.md documents it.
#pragma once

#include <cstddef>
#include <string>

namespace kiln {

// Default cap: 16 GiB, larger than any single weight or activation of the models kiln targets.
constexpr size_t kDefaultMaxAllocationBytes = size_t{16} << 30;

// The cap now in force: set_max_allocation_bytes' value, else the environment variable KILN_MAX_TENSOR_BYTES (a
// positive decimal byte count; read once, a warning and the default when it is not one), else the default.
size_t max_allocation_bytes();

// Sets the cap for the whole process (0: back to the environment's or the default). Thread-safe.
void set_max_allocation_bytes(size_t bytes);

// InvalidArgument, naming `what` (e.g. "tensor 'w'"; empty for none), the size and the cap, when `bytes` exceeds it.
void check_allocation(size_t bytes, const std::string& what = "");

}  // namespace kiln
