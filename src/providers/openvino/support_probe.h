// Whether the OpenVINO device runs a node, as OpenVINO answers it: the node alone becomes a one-node ONNX model,
// which OpenVINO's ONNX frontend converts and the device plugin's query_model checks. Answers are cached by the
// node's signature (op, domain, attributes, input and output types, small constant inputs), so a model with a
// thousand nodes asks about the few dozen distinct ones.
#pragma once

#include <mutex>
#include <openvino/runtime/core.hpp>
#include <string>
#include <unordered_map>

#include "ir/graph.h"

namespace kiln::ov {

class SupportProbe {
  public:
    SupportProbe(std::string device, ::ov::AnyMap properties);
    // "" when the device runs `node` (of `graph`); otherwise why not, in words for `kiln ops`.
    std::string why_not(const ir::Node& node);
    // The part of why_not that needs no question to OpenVINO: value kinds and element types it cannot take, and
    // the configurations in which its result is known to differ from ONNX's.
    static std::string known_problem(const ir::Node& node);
    // How many distinct one-node models were asked of OpenVINO so far.
    size_t questions() const { return answers_.size(); }

  private:
    std::string ask_openvino(const std::string& model_bytes);

    std::string device_;
    ::ov::AnyMap properties_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::string> answers_;  // one-node model bytes -> why_not
};

}  // namespace kiln::ov
