// Internal to the CPU Quant kernels (quant*.cc): the per-op factories that create_Quant dispatches to, and the
// element readers and writers they share (every quantized type, packed ones included, read as numbers).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "providers/cpu/kernel.h"

namespace kiln::cpu::quant {

// quant.cc
std::unique_ptr<Kernel> create_quantize_linear(const ir::Node& node);
std::unique_ptr<Kernel> create_dequantize_linear(const ir::Node& node);
std::unique_ptr<Kernel> create_dynamic_quantize_linear(const ir::Node& node);
std::unique_ptr<Kernel> create_bitwise_not(const ir::Node& node);
// quant_matmul.cc
std::unique_ptr<Kernel> create_matmul_integer(const ir::Node& node);
std::unique_ptr<Kernel> create_qlinear_matmul(const ir::Node& node);
// quant_conv.cc
std::unique_ptr<Kernel> create_conv_integer(const ir::Node& node);
std::unique_ptr<Kernel> create_qlinear_conv(const ir::Node& node);

// The elements of `t` as float: every float type (float8, float4e2m1, float8e8m0 included) and every integer type
// (packed int4 / uint4 / int2 / uint2 included; int32 / int64 rounded to float). NotImplemented naming `node` and
// `what` for other types.
std::vector<float> to_floats(const ir::Node& node, const Tensor& t, const char* what);
// The elements of an integer tensor (int8, uint8, int16, uint16, int32, packed int4 / uint4 / int2 / uint2) as
// int32; NotImplemented naming `node` and `what` otherwise.
std::vector<int32_t> to_int32s(const ir::Node& node, const Tensor& t, const char* what);

// Writes float values into a float / double / float16 / bfloat16 tensor (round to nearest even).
void store_floats(const ir::Node& node, const float* v, Tensor& out);

// [lo, hi] of an integer quantized type (int8, uint8, int16, uint16, int4, uint4, int2, uint2).
bool integer_range(DType t, int64_t& lo, int64_t& hi);
// Writes integer values (already within the type's range) into an integer tensor, packing sub-byte types.
void store_ints(const int64_t* v, Tensor& out);

// Calls fn(target_index, source_index) for every element of `target` in order, where `source` broadcasts to
// `target` numpy-style; InvalidArgument naming `node` and `what` when it does not.
template <typename Fn>
void for_each_broadcast(const ir::Node& node, const Shape& target, const Shape& source, const char* what, Fn&& fn) {
    size_t rank = target.size();
    KILN_CHECK(source.size() <= rank, InvalidArgument, node.describe(), ": ", what, " ", shape_to_string(source),
               " does not broadcast to ", shape_to_string(target));
    std::vector<int64_t> strides(rank, 0);
    int64_t stride = 1;
    for (size_t i = 0; i < source.size(); ++i) {
        size_t s = source.size() - 1 - i;
        size_t t = rank - 1 - i;
        KILN_CHECK(source[s] == target[t] || source[s] == 1, InvalidArgument, node.describe(), ": ", what, " ",
                   shape_to_string(source), " does not broadcast to ", shape_to_string(target));
        strides[t] = source[s] == 1 ? 0 : stride;
        stride *= source[s];
    }
    int64_t total = shape_element_count(target);
    std::vector<int64_t> idx(rank, 0);
    int64_t src = 0;
    for (int64_t i = 0; i < total; ++i) {
        fn(i, src);
        for (size_t d = rank; d-- > 0;) {
            ++idx[d];
            src += strides[d];
            if (idx[d] < target[d]) break;
            src -= strides[d] * target[d];
            idx[d] = 0;
        }
    }
}

}  // namespace kiln::cpu::quant
