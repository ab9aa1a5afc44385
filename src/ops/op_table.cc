// The tables that op_list.inc expands into: names, families, shape functions.
#include <string>
#include <unordered_map>

#include "ops/op_def.h"

namespace kiln {
namespace {

struct OpEntry {
    const char* name;
    const char* family;
    const char* domain;
    ops::ShapeFn infer;
};

const OpEntry kOps[] = {
#define KILN_OP(name, family) {#name, #family, "", &ops::infer_##family},
#define KILN_ML_OP(name, family) {#name, #family, "ai.onnx.ml", &ops::infer_##family},
#define KILN_INTERNAL_OP(name, family) {#name, #family, "kiln", &ops::infer_##family},
#define KILN_DOMAIN_OP(name, family, domain) {#name, #family, domain, &ops::infer_##family},
#include "ops/op_list.inc"
#undef KILN_DOMAIN_OP
#undef KILN_INTERNAL_OP
#undef KILN_ML_OP
#undef KILN_OP
};

static_assert(sizeof(kOps) / sizeof(kOps[0]) == kOpKindCount);

}  // namespace

const char* op_kind_name(OpKind op) {
    int i = static_cast<int>(op);
    return (i >= 0 && i < kOpKindCount) ? kOps[i].name : "Unknown";
}

const char* op_kind_family(OpKind op) {
    int i = static_cast<int>(op);
    return (i >= 0 && i < kOpKindCount) ? kOps[i].family : "Unknown";
}

const char* op_kind_domain(OpKind op) {
    int i = static_cast<int>(op);
    return (i >= 0 && i < kOpKindCount) ? kOps[i].domain : "";
}

OpKind op_kind_from_name(std::string_view name) {
    static const std::unordered_map<std::string_view, OpKind> by_name = [] {
        std::unordered_map<std::string_view, OpKind> m;
        for (int i = 0; i < kOpKindCount; ++i) m.emplace(kOps[i].name, static_cast<OpKind>(i));
        return m;
    }();
    auto it = by_name.find(name);
    return it == by_name.end() ? OpKind::Unknown : it->second;
}

namespace ops {

ShapeFn shape_function(OpKind op) {
    int i = static_cast<int>(op);
    KILN_CHECK(i >= 0 && i < kOpKindCount, Internal, "shape_function: bad OpKind ", i);
    return kOps[i].infer;
}

void infer_node(InferContext& ctx) {
    ctx.outputs.assign(ctx.node.outputs.size(), TensorInfo{});
    try {
        shape_function(ctx.node.op)(ctx);
    } catch (const Error& e) {
        std::string what = e.what();
        if (what.find(ctx.node.describe()) != std::string::npos) throw;
        throw Error(e.code(), str(ctx.node.describe(), ": ", what));
    }
}

}  // namespace ops
}  // namespace kiln
