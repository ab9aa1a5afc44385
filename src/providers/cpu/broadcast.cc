#include "providers/cpu/broadcast.h"

#include "kiln/error.h"

namespace kiln::cpu {

BroadcastPlan make_broadcast_plan(const Shape& out, const std::vector<const Shape*>& inputs) {
    KILN_CHECK(inputs.size() <= kMaxBroadcastInputs, Internal, "make_broadcast_plan: ", inputs.size(), " inputs");
    size_t rank = out.size();
    // Per output dim: size and each input's stride (0 where the input has size 1 or lacks the dim).
    std::vector<int64_t> sizes;
    std::vector<std::array<int64_t, kMaxBroadcastInputs>> strides;
    std::vector<std::array<int64_t, kMaxBroadcastInputs>> all(rank);
    for (auto& a : all) a.fill(0);
    for (size_t k = 0; k < inputs.size(); ++k) {
        const Shape& s = *inputs[k];
        KILN_CHECK(s.size() <= rank, Internal, "make_broadcast_plan: input rank above output rank");
        size_t offset = rank - s.size();
        int64_t stride = 1;
        for (size_t i = s.size(); i-- > 0;) {
            all[offset + i][k] = s[i] == 1 ? 0 : stride;
            stride *= s[i];
        }
    }
    for (size_t d = 0; d < rank; ++d) {
        if (out[d] == 1) continue;
        if (!sizes.empty()) {
            auto& prev = strides.back();
            bool merge = true;
            for (int k = 0; k < kMaxBroadcastInputs; ++k) merge = merge && prev[k] == all[d][k] * out[d];
            if (merge) {
                sizes.back() *= out[d];
                prev = all[d];
                continue;
            }
        }
        sizes.push_back(out[d]);
        strides.push_back(all[d]);
    }
    BroadcastPlan plan;
    if (sizes.empty()) {  // every output dim is 1: one element
        plan.inner = 1;
        plan.inner_stride.fill(0);
        return plan;
    }
    plan.inner = sizes.back();
    plan.inner_stride = strides.back();
    sizes.pop_back();
    strides.pop_back();
    plan.dims = std::move(sizes);
    plan.strides = std::move(strides);
    for (int64_t d : plan.dims) plan.rows *= d;
    return plan;
}

std::vector<float> broadcast_floats(const ir::Node& node, const float* data, const Shape& shape, const Shape& target,
                                    const char* what) {
    size_t rank = target.size();
    bool ok = true;
    for (size_t i = 0; i < shape.size(); ++i) {
        int64_t sd = shape[shape.size() - 1 - i];
        if (i >= rank) {
            ok = ok && sd == 1;
        } else {
            int64_t td = target[rank - 1 - i];
            ok = ok && (sd == 1 || sd == td);
        }
    }
    KILN_CHECK(ok, InvalidArgument, node.describe(), ": ", what, " ", shape_to_string(shape), " does not broadcast to ",
               shape_to_string(target));
    int64_t total = 1;
    for (int64_t d : target) total *= d;
    std::vector<int64_t> strides(rank, 0);
    int64_t stride = 1;
    for (size_t i = 0; i < shape.size() && i < rank; ++i) {
        size_t td = rank - 1 - i, sd = shape.size() - 1 - i;
        strides[td] = shape[sd] == 1 ? 0 : stride;
        stride *= shape[sd];
    }
    std::vector<float> out(total);
    std::vector<int64_t> idx(rank, 0);
    for (int64_t i = 0; i < total; ++i) {
        int64_t off = 0;
        for (size_t d = 0; d < rank; ++d) off += idx[d] * strides[d];
        out[i] = data[off];
        for (size_t d = rank; d-- > 0;) {
            if (++idx[d] < target[d]) break;
            idx[d] = 0;
        }
    }
    return out;
}

}  // namespace kiln::cpu
