// Internal to the Transformer-family CPU kernels: the factories split over transformer*.cc.
#pragma once

#include <memory>

#include "providers/cpu/kernel.h"

namespace kiln::cpu {

// Attention (opset 24) and RotaryEmbedding (transformer_attention.cc).
std::unique_ptr<Kernel> create_attention_kernel(const ir::Node& node);
std::unique_ptr<Kernel> create_rotary_kernel(const ir::Node& node);

// FlexAttention of ai.onnx.preview (transformer_flex_attention.cc).
std::unique_ptr<Kernel> create_flex_attention_kernel(const ir::Node& node);

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (transformer_loss.cc).
std::unique_ptr<Kernel> create_loss_kernel(const ir::Node& node);

}  // namespace kiln::cpu
