// Statistics of `kiln perf`, computed as onnxruntime_perf_test computes them, and the process measurements it
// reports (peak resident memory, CPU time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::cli {

struct LatencyStats {
    size_t count = 0;
    double total_s = 0;  // the sum of the latencies (perf_test's "Total inference time cost")
    double mean_s = 0;
    double min_s = 0, max_s = 0;
    double p50_s = 0, p90_s = 0, p95_s = 0, p99_s = 0, p999_s = 0;
};

// perf_test's percentile: the element at index floor(n * p) of the latencies sorted in ascending order
// (onnxruntime/test/perftest/performance_runner.cc: sorted_time[static_cast<size_t>(total * 0.9)]). This is a
// nearest-rank rule that rounds the rank up: for n = 10, P50 is the 6th smallest, where the textbook nearest-rank
// (ceil(n * p)) takes the 5th. `sorted` must be non-empty and ascending; p in [0, 1).
double sorted_percentile(const std::vector<double>& sorted, double p);

// Count, sum, mean, min, max and P50/P90/P95/P99/P999 of `latencies_s`; all zero when it is empty.
LatencyStats latency_stats(std::vector<double> latencies_s);

// Requests per second of wall time (perf_test's "Number of inferences per second"); 0 when wall_s is not positive.
double throughput_per_s(size_t requests, double wall_s);

// The peak resident set size of this process (VmHWM in /proc/self/status), in bytes; 0 when unknown.
int64_t peak_rss_bytes();

// User plus system CPU time this process has used, in seconds.
double process_cpu_seconds();

}  // namespace kiln::cli
