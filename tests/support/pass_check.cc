#include "support/pass_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kiln::test {

std::vector<float> random_values(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1, 1);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

Session session_of(const ModelBuilder& b, GraphOptimizationLevel level, int threads) {
    SessionOptions options;
    options.optimization_level = level;
    options.intra_op_threads = threads;
    std::string bytes = b.bytes();
    return Session(bytes.data(), bytes.size(), options);
}

void expect_pass_effect(const ModelBuilder& b, const std::vector<NamedTensor>& feeds, size_t plain_nodes,
                        size_t optimised_nodes, int threads, float tolerance) {
    Session plain = session_of(b, GraphOptimizationLevel::DisableAll);
    Session optimised = session_of(b, GraphOptimizationLevel::All, threads);
    EXPECT_EQ(plain.node_assignments().size(), plain_nodes);
    EXPECT_EQ(optimised.node_assignments().size(), optimised_nodes);
    auto want = plain.run(feeds);
    auto got = optimised.run(feeds);
    ASSERT_EQ(want.size(), got.size());
    for (size_t o = 0; o < want.size(); ++o) {
        ASSERT_EQ(want[o].shape(), got[o].shape());
        for (int64_t i = 0; i < want[o].element_count(); ++i) {
            float w = want[o].data<float>()[i];
            ASSERT_NEAR(got[o].data<float>()[i], w, tolerance * (1 + std::fabs(w))) << "output " << o << " at " << i;
        }
    }
}

}  // namespace kiln::test
