// Static description of a tensor: element type and a shape whose dims may be symbolic or unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/dtype.h"

namespace kiln {

// One dimension: a known size (value >= 0), a named symbol (dim_param), or unknown (value < 0, no symbol).
struct Dim {
    int64_t value = -1;
    std::string symbol;

    Dim() = default;
    Dim(int64_t v) : value(v) {}  // NOLINT: implicit from a size reads naturally in shape functions
    static Dim named(std::string name) {
        Dim d;
        d.symbol = std::move(name);
        return d;
    }
    bool known() const { return value >= 0; }
    bool operator==(const Dim& o) const { return value == o.value && symbol == o.symbol; }
};

using SymbolicShape = std::vector<Dim>;

// What a value holds: a tensor, a sequence of tensors, or an optional of either (which may hold nothing).
enum class ValueKind { Tensor, Sequence, OptionalTensor, OptionalSequence };

const char* value_kind_name(ValueKind kind);  // "tensor", "sequence", "optional(tensor)", "optional(sequence)"

struct TensorInfo {
    DType dtype = DType::Undefined;
    std::optional<SymbolicShape> shape;  // nullopt: rank unknown
    // For a sequence or optional, dtype and shape describe its tensors (the shape when all of them share it).
    ValueKind kind = ValueKind::Tensor;

    bool has_rank() const { return shape.has_value(); }
    // True when the rank and every dim are known.
    bool is_static() const;
    // Dims as numbers; only valid when is_static().
    std::vector<int64_t> static_shape() const;
};

// "[N,3,224,224]", "[?,3]", "(unknown rank)"
std::string symbolic_shape_to_string(const std::optional<SymbolicShape>& shape);

// A graph input or output as the session reports it.
struct ValueInfo {
    std::string name;
    TensorInfo type;
    ValueKind kind = ValueKind::Tensor;  // the same as type.kind
};

}  // namespace kiln
