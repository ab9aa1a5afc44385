#include "tools/kiln/perf_stats.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>

namespace kiln::cli {

double sorted_percentile(const std::vector<double>& sorted, double p) {
    size_t index = static_cast<size_t>(static_cast<double>(sorted.size()) * p);
    return sorted[std::min(index, sorted.size() - 1)];
}

LatencyStats latency_stats(std::vector<double> latencies_s) {
    LatencyStats s;
    if (latencies_s.empty()) return s;
    std::sort(latencies_s.begin(), latencies_s.end());
    s.count = latencies_s.size();
    s.total_s = std::accumulate(latencies_s.begin(), latencies_s.end(), 0.0);
    s.mean_s = s.total_s / static_cast<double>(s.count);
    s.min_s = latencies_s.front();
    s.max_s = latencies_s.back();
    s.p50_s = sorted_percentile(latencies_s, 0.5);
    s.p90_s = sorted_percentile(latencies_s, 0.9);
    s.p95_s = sorted_percentile(latencies_s, 0.95);
    s.p99_s = sorted_percentile(latencies_s, 0.99);
    s.p999_s = sorted_percentile(latencies_s, 0.999);
    return s;
}

double throughput_per_s(size_t requests, double wall_s) {
    return wall_s > 0 ? static_cast<double>(requests) / wall_s : 0.0;
}

int64_t peak_rss_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmHWM:", 0) != 0) continue;
        std::istringstream fields(line.substr(6));
        int64_t kib = 0;
        fields >> kib;  // "VmHWM:    123456 kB"
        return kib * 1024;
    }
    return 0;
}

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace kiln::cli
