// parallel_for: the one entry point for intra-op parallelism, sized per call by the session's intra-op thread
// count so that kiln never oversubscribes the cores.
//
// Underneath is one process-wide pool of worker threads that spin briefly and then sleep, so that a loaded
// machine (other processes on the same cores) costs a little latency instead of the milliseconds per barrier
// that spinning OpenMP teams lose when a member is descheduled. Work runs in the calling thread too; a
// parallel_for inside a worker runs inline.
#pragma once

#include <cstdint>
#include <functional>

namespace kiln {

// Calls fn(begin, end) over disjoint chunks covering [0, n), on up to `threads` threads (the caller included).
// Runs inline when threads <= 1 or n * cost_per_item is small (below ~32k). Exceptions from fn are rethrown in
// the caller after every chunk finished.
void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn, int64_t cost_per_item = 1);

// Cores available to this process (the default intra-op thread count).
int default_thread_count();

// True inside a parallel_for chunk running on a pool worker.
bool in_parallel_worker();

}  // namespace kiln
