// Data movement by element size: kernels that only copy elements (gather, scatter, concat, transpose, ...)
// serve every fixed-width dtype (float16, bfloat16, float8, complex included) and strings with one template.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"
#include "kiln/dtype.h"

namespace kiln::cpu {

// Carries one 16-byte element (complex128).
struct Bytes16 {
    uint64_t lo, hi;
};

// Calls fn(T{}) with T = uint8_t / uint16_t / uint32_t / uint64_t / Bytes16 chosen by element size, or std::string
// for String. Sub-byte types: NotImplemented naming the node and dtype.
template <typename Fn>
void dispatch_by_size(const ir::Node& node, DType dtype, Fn&& fn) {
    if (dtype == DType::String) {
        fn(std::string());
        return;
    }
    switch (dtype_bits(dtype)) {
        case 8:
            fn(uint8_t());
            break;
        case 16:
            fn(uint16_t());
            break;
        case 32:
            fn(uint32_t());
            break;
        case 64:
            fn(uint64_t());
            break;
        case 128:
            fn(Bytes16());
            break;
        default:
            fail(ErrorCode::NotImplemented, node.describe(), ": element type ", dtype_name(dtype), " not supported");
    }
}

}  // namespace kiln::cpu
