// Concurrency stress: N threads (2 x the hardware threads) each calling run() on one shared session, on the CPU
// provider and on the OpenVINO provider with 1 and 2 streams (and a model split between both), every output
// bit-identical to a single-threaded run of the same input; and threads that each create, run and destroy their
// own sessions at the same time. Test names contain Stress or Concurrent so that the TSan job can select them.
// KILN_STRESS_RUNS sets the runs per thread (default 50; the figure is 1,000).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "kiln/session.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

int stress_runs() {
    const char* env = std::getenv("KILN_STRESS_RUNS");
    int runs = env ? std::atoi(env) : 0;
    return runs > 0 ? runs : 50;
}

int stress_threads() { return 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

Session session_of(const ModelBuilder& b, const SessionOptions& options) {
    std::string bytes = b.bytes();
    return Session(bytes.data(), bytes.size(), options);
}

bool bit_identical(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

// A few distinct inputs, so that a run handed another thread's buffers would show.
constexpr int kInputs = 4;

struct Workload {
    std::vector<Tensor> inputs;
    std::vector<Tensor> expected;  // single-threaded outputs, one per input
};

Workload single_threaded(const Session& session, const Shape& shape) {
    Workload w;
    for (int i = 0; i < kInputs; ++i) {
        w.inputs.push_back(random_floats(shape, 100 + static_cast<uint32_t>(i)));
        w.expected.push_back(session.run({{"x", w.inputs.back()}})[0]);
    }
    return w;
}

// Runs `session` from stress_threads() threads, stress_runs() times each, and checks every output against the
// single-threaded one. Prints the figure (threads x runs, time).
void hammer(const Session& session, const Shape& shape, const std::string& label) {
    Workload w = single_threaded(session, shape);
    const int threads = stress_threads();
    const int runs = stress_runs();
    std::atomic<int> mismatches{0};
    std::atomic<int> failures{0};
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < runs; ++i) {
                int k = (t + i) % kInputs;
                try {
                    std::vector<Tensor> out = session.run({{"x", w.inputs[static_cast<size_t>(k)]}});
                    if (out.size() != 1 || !bit_identical(out[0], w.expected[static_cast<size_t>(k)])) ++mismatches;
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& th : pool) th.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "[stress] " << label << ": " << threads << " threads x " << runs << " runs, " << mismatches
              << " mismatches, " << failures << " failures, " << seconds << " s\n";
    EXPECT_EQ(mismatches.load(), 0) << label;
    EXPECT_EQ(failures.load(), 0) << label;
}

TEST(Stress, CpuProviderSharedSession) {
    Session session = session_of(conv_model(), SessionOptions());
    hammer(session, {1, 4, 8, 8}, "CPU provider, conv model");
}

TEST(Stress, OpenVINOOneStreamSharedSession) {
    Session session = session_of(conv_model(), openvino({{"device_type", "CPU"}, {"num_streams", "1"}}));
    ASSERT_EQ(session.compiled_partitions().size(), 1u);
    hammer(session, {1, 4, 8, 8}, "OpenVINO num_streams=1, conv model");
}

TEST(Stress, OpenVINOTwoStreamsSharedSession) {
    Session session = session_of(conv_model(), openvino({{"device_type", "CPU"}, {"num_streams", "2"}}));
    ASSERT_EQ(session.compiled_partitions().size(), 1u);
    hammer(session, {1, 4, 8, 8}, "OpenVINO num_streams=2, conv model");
}

TEST(Stress, OpenVINOAndCpuSplitModelSharedSession) {
    Session session = session_of(split_model(), openvino({{"device_type", "CPU"}, {"num_streams", "2"}}));
    ASSERT_EQ(session.compiled_partitions().size(), 2u);
    hammer(session, {3, 8}, "OpenVINO num_streams=2 + CPU provider, split model");
}

// Each thread creates a session (alternating CPU and OpenVINO), runs it, checks the output against the one a
// session made beforehand gave, and destroys it; all threads at once.
TEST(Concurrent, SessionsCreatedRunAndDestroyedAtOnce) {
    const int threads = stress_threads();
    const int rounds = std::max(2, stress_runs() / 25);
    std::string bytes = conv_model().bytes();
    Tensor x = random_floats({1, 4, 8, 8}, 11);
    SessionOptions cpu_options;
    SessionOptions ov_options = openvino({{"device_type", "CPU"}, {"num_streams", "2"}});
    Tensor cpu_expected = Session(bytes.data(), bytes.size(), cpu_options).run({{"x", x}})[0];
    Tensor ov_expected = Session(bytes.data(), bytes.size(), ov_options).run({{"x", x}})[0];
    std::atomic<int> mismatches{0};
    std::atomic<int> failures{0};
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int r = 0; r < rounds; ++r) {
                bool on_ov = (t + r) % 2 == 1;
                try {
                    Session s(bytes.data(), bytes.size(), on_ov ? ov_options : cpu_options);
                    for (int i = 0; i < 3; ++i) {
                        Tensor y = s.run({{"x", x}})[0];
                        if (!bit_identical(y, on_ov ? ov_expected : cpu_expected)) ++mismatches;
                    }
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& th : pool) th.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "[stress] concurrent sessions: " << threads << " threads x " << rounds
              << " create/run x3/destroy rounds (CPU and OpenVINO alternating), " << mismatches << " mismatches, "
              << failures << " failures, " << seconds << " s\n";
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace kiln::test
