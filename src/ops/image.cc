// Shape function of the Image family (see op_list.inc): ImageDecoder. The encoded image is a 1-D uint8 tensor; the
// output is uint8 [H, W, C] with C = 1 for pixel_format "Grayscale" and 3 for "RGB" / "BGR". H and W come from the
// image header (image::probe) when the bytes are known (always at run time) and stay unknown otherwise.
#include "image/decode.h"
#include "ops/op_def.h"

namespace kiln::ops {

void infer_Image(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* in = ctx.input(0);
    KILN_CHECK(in, InvalidModel, node.describe(), ": needs input encoded_stream");
    KILN_CHECK(in->dtype == DType::Undefined || in->dtype == DType::UInt8, InvalidModel, node.describe(),
               ": encoded_stream must be uint8, not ", dtype_name(in->dtype));
    const std::string format = node.attr_string("pixel_format", "RGB");
    KILN_CHECK(format == "RGB" || format == "BGR" || format == "Grayscale", InvalidModel, node.describe(),
               ": pixel_format '", format, "' is not RGB, BGR or Grayscale");
    TensorInfo& out = ctx.outputs.at(0);
    out.dtype = DType::UInt8;
    Dim height, width;
    if (const Tensor* bytes = ctx.value(0)) {
        KILN_CHECK(bytes->shape().size() == 1, InvalidArgument, node.describe(), ": encoded_stream ",
                   shape_to_string(bytes->shape()), " must be 1-D");
        try {
            image::Image header = image::probe(bytes->data<uint8_t>(), static_cast<size_t>(bytes->element_count()));
            height = header.height;
            width = header.width;
        } catch (const Error& e) {
            throw Error(e.code(), str(node.describe(), ": ", e.what()));
        }
    }
    out.shape = SymbolicShape{height, width, Dim(format == "Grayscale" ? 1 : 3)};
}

}  // namespace kiln::ops
