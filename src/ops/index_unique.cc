// Unique's grouping of equal elements (or slices along an axis), shared by its shape function (the number of
// unique values is data-dependent) and its CPU kernel. Order as numpy.unique: ascending, slices compared
// lexicographically, NaNs equal to each other and after every number; ties keep the first occurrence.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "ops/index.h"
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

void unique_groups(const ir::Node& node, const Tensor& x, int64_t axis, bool sorted, std::vector<int64_t>& first,
                   std::vector<int64_t>& inverse, std::vector<int64_t>& counts);

namespace {

// Three-way comparison of two keys; NaN equals NaN and sorts last.
int compare_key(double a, double b) {
    bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
    return a < b ? -1 : (a > b ? 1 : 0);
}
template <typename K>
int compare_key(const K& a, const K& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

template <typename K>
void group_keys(const std::vector<K>& keys, int64_t outer, int64_t n, int64_t inner, bool sorted,
                std::vector<int64_t>& first, std::vector<int64_t>& inverse, std::vector<int64_t>& counts) {
    auto cmp = [&](int64_t a, int64_t b) {
        for (int64_t o = 0; o < outer; ++o) {
            const K* pa = keys.data() + (o * n + a) * inner;
            const K* pb = keys.data() + (o * n + b) * inner;
            for (int64_t i = 0; i < inner; ++i) {
                int c = compare_key(pa[i], pb[i]);
                if (c != 0) return c;
            }
        }
        return 0;
    };
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cmp(a, b) < 0; });
    first.clear();
    counts.clear();
    inverse.assign(n, 0);
    for (int64_t p = 0; p < n; ++p) {
        if (p == 0 || cmp(order[p - 1], order[p]) != 0) {
            first.push_back(order[p]);
            counts.push_back(0);
        }
        inverse[order[p]] = static_cast<int64_t>(first.size()) - 1;
        ++counts.back();
    }
    if (sorted) return;
    // Renumber the groups by first occurrence.
    int64_t g = static_cast<int64_t>(first.size());
    std::vector<int64_t> by_first(g);
    std::iota(by_first.begin(), by_first.end(), int64_t{0});
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return first[a] < first[b]; });
    std::vector<int64_t> rank(g), new_first(g), new_counts(g);
    for (int64_t i = 0; i < g; ++i) {
        rank[by_first[i]] = i;
        new_first[i] = first[by_first[i]];
        new_counts[i] = counts[by_first[i]];
    }
    for (int64_t& v : inverse) v = rank[v];
    first = std::move(new_first);
    counts = std::move(new_counts);
}

}  // namespace

void unique_groups(const ir::Node& node, const Tensor& x, int64_t axis, bool sorted, std::vector<int64_t>& first,
                   std::vector<int64_t>& inverse, std::vector<int64_t>& counts) {
    int64_t outer = 1, n = x.element_count(), inner = 1;
    if (axis >= 0) {
        const Shape& s = x.shape();
        KILN_CHECK(axis < static_cast<int64_t>(s.size()), Internal, node.describe(), ": bad Unique axis ", axis);
        for (int64_t d = 0; d < axis; ++d) outer *= s[d];
        for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
        n = s[axis];  // empty slices (outer or inner 0) all compare equal
    }
    DType t = x.dtype();
    if (t == DType::String) {
        std::vector<std::string> keys(x.data<std::string>(), x.data<std::string>() + x.element_count());
        group_keys(keys, outer, n, inner, sorted, first, inverse, counts);
    } else if (dtype_is_float(t)) {
        group_keys(tensor_to_doubles(x), outer, n, inner, sorted, first, inverse, counts);
    } else if (t == DType::UInt64) {
        std::vector<uint64_t> keys(x.data<uint64_t>(), x.data<uint64_t>() + x.element_count());
        group_keys(keys, outer, n, inner, sorted, first, inverse, counts);
    } else if (dtype_is_integer(t) || t == DType::Bool) {
        group_keys(tensor_to_int64s(x), outer, n, inner, sorted, first, inverse, counts);
    } else {
        fail(ErrorCode::NotImplemented, node.describe(), ": dtype ", dtype_name(t), " is not supported");
    }
}

}  // namespace kiln::ops
