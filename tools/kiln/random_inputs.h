// Random feeds for the inputs a user did not supply (kiln run, kiln perf -I): each input's declared element type and
// shape, with symbolic dims taken from the overrides or 1.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "kiln/tensor.h"
#include "kiln/tensor_info.h"

namespace kiln::cli {

// Random data for `input`: floats uniform in [0, 1), integers in [0, 4), booleans 0/1. Symbolic dims take their
// value from `dims` (by name) or 1. InvalidArgument naming the input when its rank is unknown or its element type
// has no generator.
Tensor random_input(const ValueInfo& input, const std::map<std::string, int64_t>& dims, std::mt19937_64& rng);

}  // namespace kiln::cli
