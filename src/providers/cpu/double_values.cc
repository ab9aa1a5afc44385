#include "providers/cpu/double_values.h"

#include <cstring>

#include "common/half.h"

namespace kiln::cpu {

RandomSource::RandomSource(const ir::Node& node) {
    const ir::Attribute* seed = node.find_attribute("seed");
    if (!seed) return;
    seeded_ = true;
    if (seed->kind == ir::Attribute::Kind::Int) {
        seed_ = static_cast<uint64_t>(seed->i);
        return;
    }
    float value = node.attr_float("seed", 0.f);
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    seed_ = bits;
}

std::mt19937_64 RandomSource::engine() const {
    if (seeded_) return std::mt19937_64(seed_);
    std::random_device rd;
    return std::mt19937_64((static_cast<uint64_t>(rd()) << 32) ^ rd());
}

bool is_float_dtype(DType t) {
    return t == DType::Float || t == DType::Double || t == DType::Float16 || t == DType::BFloat16;
}

void check_float(const ir::Node& node, DType t, const char* what) {
    KILN_CHECK(is_float_dtype(t), NotImplemented, node.describe(), ": ", what, " dtype ", dtype_name(t),
               " is not supported");
}

double round_to_precision(double v, DType t) {
    switch (t) {
        case DType::Float:
            return static_cast<float>(v);
        case DType::Float16:
            return half_to_float(float_to_half(static_cast<float>(v)));
        case DType::BFloat16:
            return bf16_to_float(float_to_bf16(static_cast<float>(v)));
        default:
            return v;
    }
}

// Writes v[i] (doubles) into the tensor, converting to its element type.
void store_values(const ir::Node& node, Tensor& t, const std::vector<double>& v) {
    int64_t n = t.element_count();
    auto put = [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(v[i]);
    };
    switch (t.dtype()) {
        case DType::Float:
            return put(t.data<float>());
        case DType::Double:
            return put(t.data<double>());
        case DType::Float16:
            for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v[i]));
            return;
        case DType::BFloat16:
            for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = float_to_bf16(static_cast<float>(v[i]));
            return;
        case DType::Int8:
            return put(t.data<int8_t>());
        case DType::Int16:
            return put(t.data<int16_t>());
        case DType::Int32:
            return put(t.data<int32_t>());
        case DType::Int64:
            return put(t.data<int64_t>());
        case DType::UInt8:
        case DType::Bool:
            return put(t.data<uint8_t>());
        case DType::UInt16:
            return put(t.data<uint16_t>());
        case DType::UInt32:
            return put(t.data<uint32_t>());
        case DType::UInt64:
            return put(t.data<uint64_t>());
        default:
            fail(ErrorCode::NotImplemented, node.describe(), ": output dtype ", dtype_name(t.dtype()),
                 " is not supported");
    }
}

}  // namespace kiln::cpu
