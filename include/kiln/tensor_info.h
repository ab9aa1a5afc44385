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

struct TensorInfo {
    DType dtype = DType::Undefined;
    std::optional<SymbolicShape> shape;  // nullopt: rank unknown

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
};

}  // namespace kiln
