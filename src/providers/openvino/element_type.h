// kiln dtypes and OpenVINO element types.
#pragma once

#include <openvino/core/type/element_type.hpp>

#include "kiln/dtype.h"

namespace kiln::ov {

// The OpenVINO element type with the same memory layout as `dtype`; ::ov::element::dynamic when OpenVINO has none
// (strings, complex numbers, the float8 "FNUZ" variants, 2-bit integers).
::ov::element::Type element_type_of(DType dtype);
// The reverse; DType::Undefined when kiln has no such dtype.
DType dtype_of(const ::ov::element::Type& type);

}  // namespace kiln::ov
