// Internal to the Recurrent-family CPU kernels: the factories split over recurrent*.cc.
#pragma once

#include <memory>

#include "kiln/dtype.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

// RNN, GRU and LSTM (recurrent.cc).
std::unique_ptr<Kernel> create_rnn_kernel(const ir::Node& node);

// LinearAttention and CausalConvWithState (recurrent_state.cc).
std::unique_ptr<Kernel> create_linear_attention_kernel(const ir::Node& node);
std::unique_ptr<Kernel> create_causal_conv_kernel(const ir::Node& node);

// NotImplemented naming the node and dtype unless `t` is float, double, float16 or bfloat16 (the types the
// family computes in float32 through FloatView).
void check_recurrent_dtype(const ir::Node& node, DType t, const char* what);

}  // namespace kiln::cpu
