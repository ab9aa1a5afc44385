// Shared by the kernels that compute in double (quantisation, FlexAttention, Det) or draw random numbers
// (RandomNormal/Uniform(Like), Bernoulli, Multinomial, Dropout in training mode): the seeded generator, rounding to
// a float type's precision, and conversion of doubles into any numeric tensor.
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

// float, double, float16 or bfloat16.
bool is_float_dtype(DType t);
// NotImplemented naming the node unless is_float_dtype(t).
void check_float(const ir::Node& node, DType t, const char* what);

// `v` rounded to the precision of float type `t` (unchanged for double and other types).
double round_to_precision(double v, DType t);

// Writes v[i] (doubles) into the tensor, converting to its element type.
void store_values(const ir::Node& node, Tensor& t, const std::vector<double>& v);

}  // namespace kiln::cpu
