// OpKind: one enumerator per line of op_list.inc.
#pragma once

#include <cstdint>
#include <string_view>

namespace kiln {

enum class OpKind : int32_t {
#define KILN_OP(name, family) name,
#include "ops/op_list.inc"
#undef KILN_OP
    Unknown,
};

constexpr int kOpKindCount = static_cast<int>(OpKind::Unknown);

const char* op_kind_name(OpKind op);
const char* op_kind_family(OpKind op);
// The domain an op belongs to: "" (ai.onnx), "ai.onnx.ml", a preview domain ("ai.onnx.preview",
// "ai.onnx.preview.training") or "kiln" (internal ops made by passes).
const char* op_kind_domain(OpKind op);
// The OpKind for an op type after normalisation, or OpKind::Unknown. Callers check op_kind_domain against the
// node's domain.
OpKind op_kind_from_name(std::string_view name);

}  // namespace kiln
