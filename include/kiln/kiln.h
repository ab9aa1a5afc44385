// The public C++ API of kiln.
#pragma once

#include <string>
#include <vector>

#include "kiln/dtype.h"
#include "kiln/error.h"
#include "kiln/session.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"
#include "kiln/value.h"

namespace kiln {

const char* version_string();

// The execution providers this build can run, in their default priority order, the CPU provider last (ONNX
// Runtime's get_available_providers()).
std::vector<std::string> available_providers();

// The process-wide threshold of kiln's log messages, in ONNX Runtime's severities: 0 verbose, 1 info, 2 warning
// (the default, or the KILN_LOG_LEVEL environment variable), 3 error, 4 fatal. InvalidArgument outside 0..4.
void set_log_severity(int severity);
int log_severity();

// One operator that kiln runs: its ONNX name and domain ("" is ai.onnx), the op family that implements it and
// the providers that have a kernel for it.
struct OperatorInfo {
    std::string name;
    std::string domain;
    std::string family;
    std::vector<std::string> providers;
};

// Every operator of the op catalog (src/ops/op_list.inc) that a model may use, in catalog order.
std::vector<OperatorInfo> supported_operators();

}  // namespace kiln
