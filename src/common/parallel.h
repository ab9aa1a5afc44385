// parallel_for: the one entry point for intra-op parallelism (OpenMP underneath), sized per call by the
// session's intra-op thread count so that kiln never oversubscribes the cores.
#pragma once

#include <cstdint>
#include <functional>

namespace kiln {

// Calls fn(begin, end) over disjoint chunks covering [0, n), on up to `threads` threads. Runs inline when
// threads <= 1 or n is small (n * cost_per_item below ~64k). Exceptions from fn are rethrown on the caller.
void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn, int64_t cost_per_item = 1);

// Physical cores available to this process (the default intra-op thread count).
int default_thread_count();

}  // namespace kiln
