// Algorithms of the Spatial family that the shape functions (src/ops/spatial.cc) and the CPU kernels share, so that
// data-dependent output shapes and the kernels that fill them can never disagree: the Einsum equation parser and
// the NonMaxSuppression box selection. Header-only and free of kernel types (only kiln/ and ir/ headers), so that
// src/ops can include it.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/error.h"
#include "kiln/tensor.h"
#include "ops/shape_util.h"

namespace kiln::ops {

// ---- Einsum ----------------------------------------------------------------------------------------------------

// Labels: 'a'..'z' -> 0..25, 'A'..'Z' -> 26..51, ellipsis dim k (counted over the broadcast ellipsis rank, left
// to right) -> kEinsumEllipsisLabel + k.
constexpr int kEinsumEllipsisLabel = 52;

struct EinsumSpec {
    std::vector<std::vector<int>> inputs;  // per input: one label per dim
    std::vector<int> output;               // one label per output dim
    int ellipsis_rank = 0;                 // broadcast rank of the ellipsis
};

inline int einsum_letter_label(const ir::Node& node, char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
    fail(ErrorCode::InvalidModel, node.describe(), ": invalid character '", c, "' in Einsum equation");
}

// Parses `equation` for inputs of the given ranks. Implicit output (no "->"): the ellipsis dims, then the letters
// that appear exactly once over all inputs, in alphabetical (ASCII) order, as numpy does.
inline EinsumSpec parse_einsum(const ir::Node& node, const std::string& equation, const std::vector<int64_t>& ranks) {
    std::string eq;
    for (char c : equation)
        if (c != ' ' && c != '\t') eq += c;
    std::string lhs = eq, rhs;
    bool explicit_output = false;
    size_t arrow = eq.find("->");
    if (arrow != std::string::npos) {
        lhs = eq.substr(0, arrow);
        rhs = eq.substr(arrow + 2);
        explicit_output = true;
    }
    std::vector<std::string> terms;
    {
        size_t start = 0;
        while (true) {
            size_t comma = lhs.find(',', start);
            terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    KILN_CHECK(terms.size() == ranks.size(), InvalidModel, node.describe(), ": Einsum equation '", equation, "' has ",
               terms.size(), " input terms but the node has ", ranks.size(), " inputs");
    EinsumSpec spec;
    // First pass: letters per term and ellipsis rank.
    std::vector<std::vector<int>> letters(terms.size());
    std::vector<int> ellipsis_pos(terms.size(), -1);
    for (size_t t = 0; t < terms.size(); ++t) {
        const std::string& s = terms[t];
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '.') {
                KILN_CHECK(s.compare(i, 3, "...") == 0 && ellipsis_pos[t] < 0, InvalidModel, node.describe(),
                           ": malformed ellipsis in Einsum equation '", equation, "'");
                ellipsis_pos[t] = static_cast<int>(letters[t].size());
                i += 2;
                continue;
            }
            letters[t].push_back(einsum_letter_label(node, s[i]));
        }
        int64_t n = static_cast<int64_t>(letters[t].size());
        if (ellipsis_pos[t] < 0) {
            KILN_CHECK(n == ranks[t], InvalidModel, node.describe(), ": Einsum term '", s, "' has ", n,
                       " labels but input ", t, " has rank ", ranks[t]);
        } else {
            KILN_CHECK(n <= ranks[t], InvalidModel, node.describe(), ": Einsum term '", s, "' has ", n,
                       " labels but input ", t, " has rank ", ranks[t]);
            spec.ellipsis_rank = std::max<int>(spec.ellipsis_rank, static_cast<int>(ranks[t] - n));
        }
    }
    std::vector<int> counts(kEinsumEllipsisLabel, 0);
    for (size_t t = 0; t < terms.size(); ++t) {
        std::vector<int> labels;
        int64_t e = ellipsis_pos[t] < 0 ? 0 : ranks[t] - static_cast<int64_t>(letters[t].size());
        for (size_t i = 0; i <= letters[t].size(); ++i) {
            if (static_cast<int>(i) == ellipsis_pos[t]) {
                for (int64_t k = 0; k < e; ++k)
                    labels.push_back(kEinsumEllipsisLabel + static_cast<int>(spec.ellipsis_rank - e + k));
            }
            if (i < letters[t].size()) {
                labels.push_back(letters[t][i]);
                ++counts[letters[t][i]];
            }
        }
        spec.inputs.push_back(std::move(labels));
    }
    if (explicit_output) {
        bool seen_ellipsis = false;
        for (size_t i = 0; i < rhs.size(); ++i) {
            if (rhs[i] == '.') {
                KILN_CHECK(rhs.compare(i, 3, "...") == 0 && !seen_ellipsis, InvalidModel, node.describe(),
                           ": malformed ellipsis in Einsum output '", rhs, "'");
                seen_ellipsis = true;
                for (int k = 0; k < spec.ellipsis_rank; ++k) spec.output.push_back(kEinsumEllipsisLabel + k);
                i += 2;
                continue;
            }
            int l = einsum_letter_label(node, rhs[i]);
            KILN_CHECK(counts[l] > 0, InvalidModel, node.describe(), ": Einsum output label '", rhs[i],
                       "' does not appear in any input");
            KILN_CHECK(std::find(spec.output.begin(), spec.output.end(), l) == spec.output.end(), InvalidModel,
                       node.describe(), ": Einsum output label '", rhs[i], "' repeats");
            spec.output.push_back(l);
        }
        // numpy allows omitting the ellipsis in the output only when it is empty; ONNX sums it away otherwise.
    } else {
        for (int k = 0; k < spec.ellipsis_rank; ++k) spec.output.push_back(kEinsumEllipsisLabel + k);
        for (int l = 26; l < 52; ++l)
            if (counts[l] == 1) spec.output.push_back(l);  // uppercase sort before lowercase in ASCII
        for (int l = 0; l < 26; ++l)
            if (counts[l] == 1) spec.output.push_back(l);
    }
    return spec;
}

// ---- NonMaxSuppression -----------------------------------------------------------------------------------------

struct NmsParams {
    int64_t max_output_boxes_per_class = 0;
    float iou_threshold = 0;
    float score_threshold = 0;
    bool has_score_threshold = false;
    bool center_point_box = false;
};

// True when box `a` suppresses box `b` (IoU > threshold), in float as the ONNX reference does.
inline bool nms_suppresses(const float* a, const float* b, bool center_point_box, float iou_threshold) {
    float ax0, ax1, ay0, ay1, bx0, bx1, by0, by1;
    if (!center_point_box) {
        ax0 = std::min(a[1], a[3]), ax1 = std::max(a[1], a[3]);
        bx0 = std::min(b[1], b[3]), bx1 = std::max(b[1], b[3]);
        ay0 = std::min(a[0], a[2]), ay1 = std::max(a[0], a[2]);
        by0 = std::min(b[0], b[2]), by1 = std::max(b[0], b[2]);
    } else {
        ax0 = a[0] - a[2] / 2, ax1 = a[0] + a[2] / 2;
        bx0 = b[0] - b[2] / 2, bx1 = b[0] + b[2] / 2;
        ay0 = a[1] - a[3] / 2, ay1 = a[1] + a[3] / 2;
        by0 = b[1] - b[3] / 2, by1 = b[1] + b[3] / 2;
    }
    float ix0 = std::max(ax0, bx0), ix1 = std::min(ax1, bx1);
    if (ix1 <= ix0) return false;
    float iy0 = std::max(ay0, by0), iy1 = std::min(ay1, by1);
    if (iy1 <= iy0) return false;
    float inter = (ix1 - ix0) * (iy1 - iy0);
    if (inter <= 0) return false;
    float area_a = (ax1 - ax0) * (ay1 - ay0);
    float area_b = (bx1 - bx0) * (by1 - by0);
    float uni = area_a + area_b - inter;
    if (area_a <= 0 || area_b <= 0 || uni <= 0) return false;
    return inter / uni > iou_threshold;
}

// Selected (batch, class, box) triples, batch-major then class, each class in descending score order (ties: lower
// box index first). boxes: [batches, boxes, 4]; scores: [batches, classes, boxes].
inline std::vector<std::array<int64_t, 3>> nms_select(const float* boxes, const float* scores, int64_t batches,
                                                      int64_t classes, int64_t box_count, const NmsParams& p) {
    std::vector<std::array<int64_t, 3>> selected;
    if (p.max_output_boxes_per_class <= 0) return selected;
    std::vector<int64_t> order;
    std::vector<int64_t> kept;
    for (int64_t b = 0; b < batches; ++b) {
        const float* bb = boxes + b * box_count * 4;
        for (int64_t c = 0; c < classes; ++c) {
            const float* sc = scores + (b * classes + c) * box_count;
            order.clear();
            for (int64_t i = 0; i < box_count; ++i)
                if (!p.has_score_threshold || sc[i] > p.score_threshold) order.push_back(i);
            std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return sc[x] > sc[y]; });
            kept.clear();
            for (int64_t i : order) {
                if (static_cast<int64_t>(kept.size()) >= p.max_output_boxes_per_class) break;
                bool keep = true;
                for (int64_t k : kept) {
                    if (nms_suppresses(bb + i * 4, bb + k * 4, p.center_point_box, p.iou_threshold)) {
                        keep = false;
                        break;
                    }
                }
                if (keep) {
                    kept.push_back(i);
                    selected.push_back({b, c, i});
                }
            }
        }
    }
    return selected;
}

// Validates the NonMaxSuppression inputs (boxes [B, N, 4], scores [B, C, N], optional scalar-like thresholds) and
// runs the selection. InvalidArgument naming the node on inconsistent shapes.
inline std::vector<std::array<int64_t, 3>> nms_run(const ir::Node& node, const Tensor& boxes, const Tensor& scores,
                                                   const Tensor* max_boxes, const Tensor* iou, const Tensor* score) {
    const Shape& bs = boxes.shape();
    const Shape& ss = scores.shape();
    KILN_CHECK(bs.size() == 3 && bs[2] == 4, InvalidArgument, node.describe(), ": boxes ", shape_to_string(bs),
               " must be [num_batches, spatial_dimension, 4]");
    KILN_CHECK(ss.size() == 3 && ss[0] == bs[0] && ss[2] == bs[1], InvalidArgument, node.describe(), ": scores ",
               shape_to_string(ss), " must be [num_batches, num_classes, spatial_dimension] for boxes ",
               shape_to_string(bs));
    NmsParams p;
    p.center_point_box = node.attr_int("center_point_box", 0) != 0;
    if (max_boxes && max_boxes->element_count() > 0) p.max_output_boxes_per_class = tensor_to_int64s(*max_boxes)[0];
    if (iou && iou->element_count() > 0) p.iou_threshold = static_cast<float>(tensor_to_doubles(*iou)[0]);
    if (score && score->element_count() > 0) {
        p.score_threshold = static_cast<float>(tensor_to_doubles(*score)[0]);
        p.has_score_threshold = true;
    }
    std::vector<double> bd = tensor_to_doubles(boxes), sd = tensor_to_doubles(scores);
    std::vector<float> bf(bd.begin(), bd.end()), sf(sd.begin(), sd.end());
    return nms_select(bf.data(), sf.data(), bs[0], ss[1], bs[1], p);
}

}  // namespace kiln::ops
