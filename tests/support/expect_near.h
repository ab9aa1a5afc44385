// expect_near: two float tensors of one shape and dtype whose elements differ by at most `tol`; the first element
// that differs is named.
#pragma once

#include <gtest/gtest.h>

#include "kiln/tensor.h"

namespace kiln::test {

inline void expect_near(const Tensor& got, const Tensor& want, float tol = 1e-4f) {
    ASSERT_EQ(got.shape(), want.shape());
    ASSERT_EQ(got.dtype(), want.dtype());
    for (int64_t i = 0; i < got.element_count(); ++i) {
        ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], tol) << "element " << i;
    }
}

}  // namespace kiln::test
