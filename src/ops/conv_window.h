// Sliding-window geometry shared by the Conv and Pool families: reads kernel_shape / strides / dilations / pads /
// auto_pad, and derives output extents and the resolved (explicit) pads for a given input extent. Used by the shape
// functions (src/ops/conv.cc, src/ops/pool.cc) and by the CPU kernels, which need the resolved pads of auto_pad.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/error.h"

namespace kiln::ops {

enum class AutoPad { NotSet, SameUpper, SameLower, Valid };

struct Window {
    std::vector<int64_t> kernel;     // per spatial dim
    std::vector<int64_t> strides;    // per spatial dim
    std::vector<int64_t> dilations;  // per spatial dim
    std::vector<int64_t> pads;       // 2 * spatial: begins then ends (explicit pads; resolved by resolve_window)
    AutoPad auto_pad = AutoPad::NotSet;
    bool ceil_mode = false;

    size_t rank() const { return kernel.size(); }
    int64_t effective_kernel(size_t d) const { return (kernel[d] - 1) * dilations[d] + 1; }
};

inline AutoPad parse_auto_pad(const ir::Node& node) {
    std::string s = node.attr_string("auto_pad", "NOTSET");
    if (s == "NOTSET" || s.empty()) return AutoPad::NotSet;
    if (s == "SAME_UPPER") return AutoPad::SameUpper;
    if (s == "SAME_LOWER") return AutoPad::SameLower;
    if (s == "VALID") return AutoPad::Valid;
    fail(ErrorCode::InvalidModel, node.describe(), ": unknown auto_pad '", s, "'");
}

// Reads the window attributes for `spatial` spatial dims. `kernel` is the kernel extent (from kernel_shape or from
// the weight's shape); every entry must be known and positive.
inline Window read_window(const ir::Node& node, size_t spatial, const std::vector<int64_t>& kernel) {
    Window w;
    w.kernel = kernel;
    KILN_CHECK(w.kernel.size() == spatial, InvalidModel, node.describe(), ": kernel_shape has ", w.kernel.size(),
               " dims but the input has ", spatial, " spatial dims");
    for (int64_t k : w.kernel)
        KILN_CHECK(k > 0, InvalidModel, node.describe(), ": kernel_shape entries must be positive, got ", k);
    w.strides = node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
    w.dilations = node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
    w.pads = node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
    KILN_CHECK(w.strides.size() == spatial, InvalidModel, node.describe(), ": strides has ", w.strides.size(),
               " entries, expected ", spatial);
    KILN_CHECK(w.dilations.size() == spatial, InvalidModel, node.describe(), ": dilations has ", w.dilations.size(),
               " entries, expected ", spatial);
    KILN_CHECK(w.pads.size() == 2 * spatial, InvalidModel, node.describe(), ": pads has ", w.pads.size(),
               " entries, expected ", 2 * spatial);
    for (size_t d = 0; d < spatial; ++d) {
        KILN_CHECK(w.strides[d] > 0, InvalidModel, node.describe(), ": strides must be positive");
        KILN_CHECK(w.dilations[d] > 0, InvalidModel, node.describe(), ": dilations must be positive");
        KILN_CHECK(w.pads[d] >= 0 && w.pads[d + spatial] >= 0, InvalidModel, node.describe(),
                   ": pads must be non-negative");
    }
    w.auto_pad = parse_auto_pad(node);
    w.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
    return w;
}

// Output extent of spatial dim `d` for input extent `in` (-1 when unknown: returns -1). When known, rewrites
// w.pads[d] / w.pads[d + rank] to the pads actually applied (auto_pad resolved).
inline int64_t resolve_window_dim(const ir::Node& node, Window& w, size_t d, int64_t in) {
    if (in < 0) return -1;
    size_t n = w.rank();
    int64_t s = w.strides[d];
    int64_t ek = w.effective_kernel(d);
    int64_t out;
    switch (w.auto_pad) {
        case AutoPad::SameUpper:
        case AutoPad::SameLower: {
            out = (in + s - 1) / s;
            int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
            int64_t small = total / 2;
            w.pads[d] = w.auto_pad == AutoPad::SameUpper ? small : total - small;
            w.pads[d + n] = total - w.pads[d];
            return out;
        }
        case AutoPad::Valid:
            w.pads[d] = w.pads[d + n] = 0;
            break;
        case AutoPad::NotSet:
            break;
    }
    int64_t span = in + w.pads[d] + w.pads[d + n] - ek;
    KILN_CHECK(span >= 0, InvalidArgument, node.describe(), ": kernel extent ", ek, " (kernel ", w.kernel[d],
               ", dilation ", w.dilations[d], ") exceeds padded input extent ", in + w.pads[d] + w.pads[d + n],
               " in spatial dim ", d);
    if (w.ceil_mode) {
        out = (span + s - 1) / s + 1;
        if ((out - 1) * s >= in + w.pads[d]) --out;  // the last window must start inside the input or left pad
    } else {
        out = span / s + 1;
    }
    return out;
}

// ConvTranspose: output extent of spatial dim `d` and resolved pads (w.pads rewritten). `output_padding` and
// `output_shape` (empty or -1 entry: not given) follow the ONNX spec; `in` < 0: returns -1.
inline int64_t resolve_transpose_dim(const ir::Node& node, Window& w, size_t d, int64_t in, int64_t output_padding,
                                     int64_t output_shape) {
    if (in < 0) return -1;
    size_t n = w.rank();
    int64_t s = w.strides[d];
    int64_t full = s * (in - 1) + output_padding + w.effective_kernel(d);
    int64_t out = -1;
    if (output_shape >= 0) {
        out = output_shape;
    } else if (w.auto_pad == AutoPad::SameUpper || w.auto_pad == AutoPad::SameLower) {
        out = in * s;
    }
    if (out >= 0) {
        // A negative total (output_shape beyond the full extent) leaves zeros at the end; halves round down.
        int64_t total = full - out;
        int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
        w.pads[d] = w.auto_pad == AutoPad::SameUpper ? half : total - half;
        w.pads[d + n] = total - w.pads[d];
        return out;
    }
    if (w.auto_pad == AutoPad::Valid) w.pads[d] = w.pads[d + n] = 0;
    out = full - w.pads[d] - w.pads[d + n];
    KILN_CHECK(out > 0, InvalidArgument, node.describe(), ": pads leave no output in spatial dim ", d);
    return out;
}

}  // namespace kiln::ops
