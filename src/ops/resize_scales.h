// Resize's per-axis scales and output extents from the scales or sizes input, the axes attribute and
// keep_aspect_ratio_policy, following the ONNX reference (floor(in * scale) for scales; round-half-up of the common
// scale for sizes with not_larger / not_smaller). Shared by the shape function and the CPU kernel.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/error.h"

namespace kiln::ops {

// The resized axes (attribute `axes`, normalised; all axes when absent). Throws InvalidModel on a bad axis.
inline std::vector<int64_t> resize_axes(const ir::Node& node, int64_t rank) {
    std::vector<int64_t> axes = node.attr_ints("axes");
    if (axes.empty()) {
        for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
        return axes;
    }
    for (auto& a : axes) {
        KILN_CHECK(a >= -rank && a < rank, InvalidModel, node.describe(), ": axis ", a, " out of range for rank ",
                   rank);
        if (a < 0) a += rank;
    }
    return axes;
}

struct ResizeGeometry {
    std::vector<double> scales;  // per input dim (1 for dims not resized)
    std::vector<int64_t> out;    // output extent per dim
};

// `scales` or `sizes` (exactly one non-empty) as given in the node's inputs, one entry per axis in `axes`.
inline ResizeGeometry resize_geometry(const ir::Node& node, const std::vector<int64_t>& in,
                                      const std::vector<int64_t>& axes, const std::vector<double>& scales,
                                      const std::vector<int64_t>& sizes) {
    size_t rank = in.size();
    ResizeGeometry g{std::vector<double>(rank, 1.0), in};
    KILN_CHECK(scales.empty() != sizes.empty(), InvalidModel, node.describe(),
               ": exactly one of the scales and sizes inputs must be non-empty");
    const auto& given_count = scales.empty() ? sizes.size() : scales.size();
    KILN_CHECK(given_count == axes.size(), InvalidArgument, node.describe(), ": ", scales.empty() ? "sizes" : "scales",
               " has ", given_count, " entries but ", axes.size(), " axes are resized (input rank ", rank, ")");
    if (!scales.empty()) {
        for (size_t i = 0; i < axes.size(); ++i) {
            KILN_CHECK(scales[i] > 0, InvalidArgument, node.describe(), ": scales must be positive, got ", scales[i]);
            double out = std::floor(scales[i] * static_cast<double>(in[axes[i]]));
            KILN_CHECK(out < 9.2e18, InvalidArgument, node.describe(), ": scale ", scales[i], " on axis ", axes[i],
                       " gives an output larger than int64 holds");
            g.scales[axes[i]] = scales[i];
            g.out[axes[i]] = static_cast<int64_t>(out);
        }
        return g;
    }
    std::string policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
    for (size_t i = 0; i < axes.size(); ++i) {
        KILN_CHECK(sizes[i] >= 0, InvalidArgument, node.describe(), ": sizes must be non-negative");
        KILN_CHECK(sizes[i] == 0 || in[axes[i]] > 0, InvalidArgument, node.describe(), ": cannot resize empty axis ",
                   axes[i], " to size ", sizes[i]);
        g.out[axes[i]] = sizes[i];
        g.scales[axes[i]] = in[axes[i]] > 0 ? static_cast<double>(sizes[i]) / static_cast<double>(in[axes[i]]) : 1.0;
    }
    if (policy == "stretch") return g;
    KILN_CHECK(policy == "not_larger" || policy == "not_smaller", InvalidModel, node.describe(),
               ": unknown keep_aspect_ratio_policy '", policy, "'");
    double s = g.scales[axes[0]];
    for (int64_t a : axes) s = policy == "not_larger" ? std::min(s, g.scales[a]) : std::max(s, g.scales[a]);
    for (int64_t a : axes) {
        g.scales[a] = s;
        g.out[a] = static_cast<int64_t>(s * static_cast<double>(in[a]) + 0.5);
    }
    return g;
}

}  // namespace kiln::ops
