#include "tools/kiln/random_inputs.h"

#include "common/half.h"
#include "kiln/error.h"

namespace kiln::cli {
namespace {

Shape concrete_shape(const ValueInfo& in, const std::map<std::string, int64_t>& dims) {
    KILN_CHECK(in.type.shape, InvalidArgument, "cannot generate data for input '", in.name,
               "': its rank is unknown; give its data");
    Shape shape;
    for (const Dim& d : *in.type.shape) {
        if (d.known()) {
            shape.push_back(d.value);
        } else {
            auto it = dims.find(d.symbol);
            shape.push_back(it != dims.end() ? it->second : 1);
        }
    }
    return shape;
}

}  // namespace

Tensor random_input(const ValueInfo& input, const std::map<std::string, int64_t>& dims, std::mt19937_64& rng) {
    DType dtype = input.type.dtype;
    Tensor t(dtype, concrete_shape(input, dims));
    int64_t n = t.element_count();
    std::uniform_real_distribution<float> real(0.0f, 1.0f);
    std::uniform_int_distribution<int> small(0, 3);
    auto fill = [&](auto* p, auto gen) {
        for (int64_t i = 0; i < n; ++i) p[i] = gen();
    };
    switch (dtype) {
        case DType::Float:
            fill(t.data<float>(), [&] { return real(rng); });
            break;
        case DType::Double:
            fill(t.data<double>(), [&] { return double(real(rng)); });
            break;
        case DType::Float16:
            fill(t.data<uint16_t>(), [&] { return float_to_half(real(rng)); });
            break;
        case DType::BFloat16:
            fill(t.data<uint16_t>(), [&] { return float_to_bf16(real(rng)); });
            break;
        case DType::Int64:
            fill(t.data<int64_t>(), [&] { return int64_t(small(rng)); });
            break;
        case DType::Int32:
            fill(t.data<int32_t>(), [&] { return int32_t(small(rng)); });
            break;
        case DType::Int16:
            fill(t.data<int16_t>(), [&] { return int16_t(small(rng)); });
            break;
        case DType::Int8:
            fill(t.data<int8_t>(), [&] { return int8_t(small(rng)); });
            break;
        case DType::UInt64:
            fill(t.data<uint64_t>(), [&] { return uint64_t(small(rng)); });
            break;
        case DType::UInt32:
            fill(t.data<uint32_t>(), [&] { return uint32_t(small(rng)); });
            break;
        case DType::UInt16:
            fill(t.data<uint16_t>(), [&] { return uint16_t(small(rng)); });
            break;
        case DType::UInt8:
            fill(t.data<uint8_t>(), [&] { return uint8_t(small(rng)); });
            break;
        case DType::Bool:
            fill(t.data<uint8_t>(), [&] { return uint8_t(small(rng) & 1); });
            break;
        default:
            fail(ErrorCode::InvalidArgument, "cannot generate random ", dtype_name(dtype), " data for input '",
                 input.name, "'; give its data");
    }
    return t;
}

}  // namespace kiln::cli
