// Tests of kiln perf's statistics (tools/kiln/perf_stats.h) against values computed independently with numpy, and
// of its process measurements against the kernel's other reports of the same quantities.
#include "tools/kiln/perf_stats.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstring>
#include <ctime>
#include <vector>

namespace kiln::test {
namespace {

using cli::latency_stats;
using cli::LatencyStats;

// The squares 1..101 (microseconds) in a scrambled order: ((i * 37) % 101 + 1)^2 for i in 0..100.
std::vector<double> scrambled_squares() {
    std::vector<double> v;
    for (int i = 0; i < 101; ++i) {
        double k = (i * 37) % 101 + 1;
        v.push_back(k * k * 1e-6);
    }
    return v;
}

TEST(PerfStats, PercentilesMeanAndExtremesOfAScrambledSeries) {
    // numpy: a = np.array([((i*37)%101+1)**2*1e-6 for i in range(101)]); s = np.sort(a); n = len(s)
    //        [s[int(n*p)] for p in (0.5, 0.9, 0.95, 0.99, 0.999)] -> 0.002601 0.008281 0.009216 0.01 0.010201
    //        a.mean() -> 0.003451, a.sum() -> 0.348551, a.min() -> 1e-06, a.max() -> 0.010201
    LatencyStats s = latency_stats(scrambled_squares());
    EXPECT_EQ(s.count, 101u);
    EXPECT_DOUBLE_EQ(s.p50_s, 0.002601);
    EXPECT_DOUBLE_EQ(s.p90_s, 0.008281);
    EXPECT_DOUBLE_EQ(s.p95_s, 0.009216);
    EXPECT_DOUBLE_EQ(s.p99_s, 0.01);
    EXPECT_DOUBLE_EQ(s.p999_s, 0.010201);
    EXPECT_NEAR(s.mean_s, 0.003451, 1e-15);
    EXPECT_NEAR(s.total_s, 0.348551, 1e-15);
    EXPECT_DOUBLE_EQ(s.min_s, 1e-6);
    EXPECT_DOUBLE_EQ(s.max_s, 0.010201);
}

TEST(PerfStats, PercentileIndexIsFloorOfCountTimesP) {
    // perf_test takes sorted[int(n * p)]: for n = 10, P50 is the 6th smallest and P90 the largest, where the
    // textbook nearest rank (ceil(n * p)) would give the 5th and the 9th.
    // numpy: b = np.array([3,1,4,1,5,9,2,6,5,3])*1e-3; s = np.sort(b)
    //        [s[int(10*p)] for p in (0.5, 0.9, 0.95, 0.99, 0.999)] -> 0.004 0.009 0.009 0.009 0.009; b.mean() -> 0.0039
    LatencyStats s = latency_stats({3e-3, 1e-3, 4e-3, 1e-3, 5e-3, 9e-3, 2e-3, 6e-3, 5e-3, 3e-3});
    EXPECT_DOUBLE_EQ(s.p50_s, 4e-3);
    EXPECT_DOUBLE_EQ(s.p90_s, 9e-3);
    EXPECT_DOUBLE_EQ(s.p95_s, 9e-3);
    EXPECT_DOUBLE_EQ(s.p99_s, 9e-3);
    EXPECT_DOUBLE_EQ(s.p999_s, 9e-3);
    EXPECT_NEAR(s.mean_s, 0.0039, 1e-15);
    EXPECT_DOUBLE_EQ(s.min_s, 1e-3);
    EXPECT_DOUBLE_EQ(s.max_s, 9e-3);
}

TEST(PerfStats, SingleRunAndEmptySeries) {
    LatencyStats one = latency_stats({0.25});
    EXPECT_EQ(one.count, 1u);
    for (double v : {one.p50_s, one.p90_s, one.p999_s, one.min_s, one.max_s, one.mean_s, one.total_s}) {
        EXPECT_DOUBLE_EQ(v, 0.25);
    }
    LatencyStats none = latency_stats({});
    EXPECT_EQ(none.count, 0u);
    EXPECT_EQ(none.total_s, 0.0);
    EXPECT_EQ(none.p50_s, 0.0);
}

TEST(PerfStats, SortedPercentileOfAnAscendingSeries) {
    std::vector<double> sorted = {10, 20, 30, 40};
    // int(4 * p): 0.5 -> 2, 0.9 -> 3, 0.2 -> 0
    EXPECT_EQ(cli::sorted_percentile(sorted, 0.5), 30);
    EXPECT_EQ(cli::sorted_percentile(sorted, 0.9), 40);
    EXPECT_EQ(cli::sorted_percentile(sorted, 0.2), 10);
}

TEST(PerfStats, ThroughputIsRequestsPerWallSecond) {
    // numpy: 101 / 2.0 -> 50.5; 3 / 0.004 -> 750.0
    EXPECT_DOUBLE_EQ(cli::throughput_per_s(101, 2.0), 50.5);
    EXPECT_DOUBLE_EQ(cli::throughput_per_s(3, 0.004), 750.0);
    EXPECT_EQ(cli::throughput_per_s(5, 0.0), 0.0);
}

TEST(PerfStats, PeakRssAgreesWithGetrusageAndGrowsWithTouchedMemory) {
    // getrusage's ru_maxrss (KiB) is the kernel's other report of the high-water mark. The two are read from
    // counters that the kernel updates lazily per thread, so they agree to within a little.
    int64_t after = cli::peak_rss_bytes();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    ASSERT_GT(after, 0);
    EXPECT_NEAR(static_cast<double>(after), static_cast<double>(usage.ru_maxrss) * 1024, 1 << 20);

    // Touching 64 MiB makes the peak at least that large.
    constexpr size_t kBytes = size_t{64} << 20;
    std::vector<char> block(kBytes);
    std::memset(block.data(), 1, block.size());
    volatile char sink = block[block.size() / 2];
    (void)sink;
    EXPECT_GE(cli::peak_rss_bytes(), static_cast<int64_t>(kBytes));
    EXPECT_GE(cli::peak_rss_bytes(), after);
}

TEST(PerfStats, CpuSecondsFollowTheProcessClock) {
    // std::clock() is the process's CPU time from another source: spin until it has advanced 20 ms.
    double ours_before = cli::process_cpu_seconds();
    std::clock_t start = std::clock();
    while (std::clock() - start < CLOCKS_PER_SEC / 50) {
    }
    EXPECT_GE(cli::process_cpu_seconds() - ours_before, 0.015);
}

}  // namespace
}  // namespace kiln::test
