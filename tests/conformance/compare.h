// Output comparison for the ONNX backend tests, with the backend runner's rule
// (onnx/backend/test/runner/__init__.py, assert_similar_outputs): same dtype, same shape, then
// numpy.testing.assert_allclose(actual, expected, rtol, atol) for numbers: |a - e| <= atol + rtol * |e|, NaN matches
// NaN, an infinity matches the same infinity. Integers and bools compare exactly, strings exactly.
#pragma once

#include <string>

#include "kiln/tensor.h"

namespace kiln::conformance {

struct Tolerance {
    double rtol = 1e-3;
    double atol = 1e-7;
};

// Empty when `actual` matches `expected`; otherwise one line that says what differs, e.g.
// "dtype float, expected double", "shape [2,3], expected [3,2]",
// "3 of 60 elements differ, max abs err 0.3 at [0,1,2] (got 1.3, expected 1)".
std::string compare_tensors(const Tensor& actual, const Tensor& expected, const Tolerance& tol);

}  // namespace kiln::conformance
