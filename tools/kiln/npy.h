// Reading and writing NumPy .npy files (format versions 1-3, little-endian, C order).
#pragma once

#include <string>

#include "kiln/tensor.h"

namespace kiln::cli {

// InvalidArgument naming the file when it is not a readable .npy of a supported dtype.
Tensor read_npy(const std::string& path);
void write_npy(const std::string& path, const Tensor& t);

}  // namespace kiln::cli
