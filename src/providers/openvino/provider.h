// The OpenVINO execution provider (ONNX Runtime's OpenVINOExecutionProvider): claims the nodes that the OpenVINO
// device supports, as OpenVINO itself answers (query_model), compiles each claimed subgraph with compile_model
// and runs it through a pool of infer requests. This header carries no OpenVINO types.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "kiln/session.h"
#include "providers/provider.h"

namespace kiln::ov {

// Parses `options` with the one option parser (options.h) and checks the device; InvalidArgument naming a bad
// key or value, DeviceError for an absent device.
std::unique_ptr<providers::ExecutionProvider> make_provider(const std::map<std::string, std::string>& options,
                                                            const SessionOptions& session_options);

}  // namespace kiln::ov
