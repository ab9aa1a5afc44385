// Shared by the kernels that draw random numbers (RandomNormal/Uniform(Like), Bernoulli, Multinomial, Dropout in
// training mode) or compute in double: the seeded generator and conversion of doubles into any numeric tensor.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::cpu {

// A generator seeded from the node's `seed` attribute (an int for Dropout, a float's bits for the random ops) or,
// without one, from std::random_device on every run.
class RandomSource {
  public:
    explicit RandomSource(const ir::Node& node);
    std::mt19937_64 engine() const;

  private:
    bool seeded_ = false;
    uint64_t seed_ = 0;
};

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// NotImplemented naming the node unless `t` is float, double, float16 or bfloat16.
void check_float(const ir::Node& node, DType t, const char* what);

// Writes v[i] (doubles) into the tensor, converting to its element type.
void store_values(const ir::Node& node, Tensor& t, const std::vector<double>& v);

}  // namespace kiln::cpu
