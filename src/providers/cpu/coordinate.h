// Sampling positions computed from tensor data (a grid, offsets, rois, a resize scale) as indices.
#pragma once

#include <cstdint>

namespace kiln::cpu {

// `v` truncated to an integer like static_cast, except that NaN and values beyond +-2^40 (where the conversion is
// undefined or overflows later arithmetic) become -2^40 and 2^40: positions that every caller's bounds check treats
// as outside the tensor.
template <typename F>
inline int64_t coordinate_to_index(F v) {
    constexpr int64_t kFar = int64_t{1} << 40;
    if (v >= static_cast<F>(kFar)) return kFar;
    if (!(v > static_cast<F>(-kFar))) return -kFar;
    return static_cast<int64_t>(v);
}

}  // namespace kiln::cpu
