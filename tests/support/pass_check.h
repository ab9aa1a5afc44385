// Pass tests: a model built with ModelBuilder runs without optimisation and with all of it; the outputs must agree
// and the node counts must be the expected ones (so a pass that fires where it must not, or not where it must,
// fails the test).
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/session.h"
#include "support/model_builder.h"

namespace kiln::test {

// n floats uniform in [-1, 1) from `seed`.
std::vector<float> random_values(size_t n, uint32_t seed);

// A session on `b`'s bytes at `level` with `threads` intra-op threads.
Session session_of(const ModelBuilder& b, GraphOptimizationLevel level, int threads = 1);

// Runs `b` on `feeds` at DisableAll (1 thread) and at All (`threads`); expects `plain_nodes` and `optimised_nodes`
// nodes and float outputs equal within `tolerance` * (1 + |expected|).
void expect_pass_effect(const ModelBuilder& b, const std::vector<NamedTensor>& feeds, size_t plain_nodes,
                        size_t optimised_nodes, int threads = 1, float tolerance = 1e-5f);

}  // namespace kiln::test
