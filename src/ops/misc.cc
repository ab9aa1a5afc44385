// Shape functions of the Misc family (see op_list.inc).
#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

void infer_Misc(InferContext& ctx) {
    fail(ErrorCode::NotImplemented, ctx.node.describe(), ": shape inference not written yet");
}

}  // namespace kiln::ops
