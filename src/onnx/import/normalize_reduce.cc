// Reductions: the axes attribute became input 1 in ReduceSum-13 and in the other Reduce* ops at 18. Semantics
// otherwise unchanged (no axes: reduce all, noop_with_empty_axes defaults to 0).
#include "onnx/import/normalize.h"

namespace kiln::onnx::detail {

namespace {

template <int kSince>
void normalize_reduce(ir::Graph& graph, ir::Node& node) {
    if (node.opset < kSince) ints_attribute_to_input(graph, node, "axes", 1);
}

}  // namespace

std::vector<NormalizerEntry> reduce_normalizers() {
    return {
        {"ReduceSum", normalize_reduce<13>},       {"ReduceL1", normalize_reduce<18>},
        {"ReduceL2", normalize_reduce<18>},        {"ReduceLogSum", normalize_reduce<18>},
        {"ReduceLogSumExp", normalize_reduce<18>}, {"ReduceMax", normalize_reduce<18>},
        {"ReduceMean", normalize_reduce<18>},      {"ReduceMin", normalize_reduce<18>},
        {"ReduceProd", normalize_reduce<18>},      {"ReduceSumSquare", normalize_reduce<18>},
    };
}

}  // namespace kiln::onnx::detail
