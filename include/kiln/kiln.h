// The public C++ API of kiln.
#pragma once

#include "kiln/dtype.h"
#include "kiln/error.h"
#include "kiln/session.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"

namespace kiln {
const char* version_string();
}
