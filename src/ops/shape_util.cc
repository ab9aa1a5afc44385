#include "ops/shape_util.h"

#include <algorithm>

#include "common/half.h"

namespace kiln::ops {

int64_t normalize_axis(const ir::Node& node, int64_t axis, int64_t rank) {
    int64_t a = axis < 0 ? axis + rank : axis;
    KILN_CHECK(a >= 0 && a < rank, InvalidModel, node.describe(), ": axis ", axis, " is out of range for rank ", rank);
    return a;
}

SymbolicShape broadcast_shapes(const ir::Node& node, const std::vector<const SymbolicShape*>& shapes) {
    size_t rank = 0;
    for (auto* s : shapes) rank = std::max(rank, s->size());
    SymbolicShape out(rank, Dim(1));
    for (auto* s : shapes) {
        size_t offset = rank - s->size();
        for (size_t i = 0; i < s->size(); ++i) {
            const Dim& d = (*s)[i];
            Dim& o = out[offset + i];
            if (d.known() && d.value == 1) continue;
            if (o.known() && o.value == 1) {
                o = d;
                continue;
            }
            if (d.known() && o.known()) {
                KILN_CHECK(d.value == o.value, InvalidArgument, node.describe(), ": shapes cannot be broadcast (dim ",
                           offset + i, ": ", o.value, " vs ", d.value, ")");
            } else if (d.known()) {
                o = d;
            } else if (!o.known() && !(o == d)) {
                o = Dim();
            }
        }
    }
    return out;
}

Shape broadcast_static(const ir::Node& node, const std::vector<const Shape*>& shapes) {
    size_t rank = 0;
    for (auto* s : shapes) rank = std::max(rank, s->size());
    Shape out(rank, 1);
    for (auto* s : shapes) {
        size_t offset = rank - s->size();
        for (size_t i = 0; i < s->size(); ++i) {
            int64_t d = (*s)[i];
            int64_t& o = out[offset + i];
            if (d == 1) continue;
            if (o == 1) {
                o = d;
                continue;
            }
            KILN_CHECK(d == o, InvalidArgument, node.describe(), ": shapes cannot be broadcast (dim ", offset + i, ": ",
                       o, " vs ", d, ")");
        }
    }
    return out;
}

std::vector<int64_t> tensor_to_int64s(const Tensor& t) {
    int64_t n = t.element_count();
    std::vector<int64_t> out(n);
    auto copy = [&](auto* p) {
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(p[i]);
    };
    switch (t.dtype()) {
        case DType::Int64:
            copy(t.data<int64_t>());
            break;
        case DType::Int32:
            copy(t.data<int32_t>());
            break;
        case DType::Int16:
            copy(t.data<int16_t>());
            break;
        case DType::Int8:
            copy(t.data<int8_t>());
            break;
        case DType::UInt64:
            copy(t.data<uint64_t>());
            break;
        case DType::UInt32:
            copy(t.data<uint32_t>());
            break;
        case DType::UInt16:
            copy(t.data<uint16_t>());
            break;
        case DType::UInt8:
            copy(t.data<uint8_t>());
            break;
        case DType::Bool:
            copy(t.data<uint8_t>());
            break;
        default:
            fail(ErrorCode::InvalidArgument, "expected an integer tensor, got ", dtype_name(t.dtype()));
    }
    return out;
}

std::vector<double> tensor_to_doubles(const Tensor& t) {
    int64_t n = t.element_count();
    std::vector<double> out(n);
    switch (t.dtype()) {
        case DType::Float:
            for (int64_t i = 0; i < n; ++i) out[i] = t.data<float>()[i];
            break;
        case DType::Double:
            for (int64_t i = 0; i < n; ++i) out[i] = t.data<double>()[i];
            break;
        case DType::Float16:
            for (int64_t i = 0; i < n; ++i) out[i] = half_to_float(t.data<uint16_t>()[i]);
            break;
        case DType::BFloat16:
            for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_float(t.data<uint16_t>()[i]);
            break;
        default: {
            auto ints = tensor_to_int64s(t);
            for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(ints[i]);
        }
    }
    return out;
}

TensorInfo static_info(DType dtype, const Shape& shape) {
    TensorInfo info;
    info.dtype = dtype;
    info.shape = SymbolicShape(shape.begin(), shape.end());
    return info;
}

TensorInfo same_as(const TensorInfo* in) { return in ? *in : TensorInfo{}; }

}  // namespace kiln::ops
