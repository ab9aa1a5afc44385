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

}  // namespace kiln::cpu
