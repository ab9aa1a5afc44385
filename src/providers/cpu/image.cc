// CPU kernel of the Image family (see op_list.inc): ImageDecoder. The bytes are decoded by src/image/ into RGB,
// then written as RGB, BGR, or Grayscale (Pillow's convert("L") luma), matching onnx.reference's Pillow decoding.
#include <cstring>

#include "image/decode.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

enum class PixelFormat { Rgb, Bgr, Grayscale };

class ImageDecoderKernel : public Kernel {
  public:
    explicit ImageDecoderKernel(const ir::Node& node) {
        const std::string f = node.attr_string("pixel_format", "RGB");
        format_ = f == "BGR" ? PixelFormat::Bgr : f == "Grayscale" ? PixelFormat::Grayscale : PixelFormat::Rgb;
    }

    void run(KernelContext& ctx) const override {
        const Tensor& bytes = *ctx.input(0);
        Tensor& out = *ctx.output(0);
        image::Image img;
        try {
            img = image::decode(bytes.data<uint8_t>(), static_cast<size_t>(bytes.element_count()));
        } catch (const Error& e) {
            throw Error(e.code(), str(ctx.node.describe(), ": ", e.what()));
        }
        KILN_CHECK(out.shape().size() == 3 && out.shape()[0] == img.height && out.shape()[1] == img.width, Internal,
                   ctx.node.describe(), ": decoded ", img.width, " x ", img.height, " pixels, output is ",
                   shape_to_string(out.shape()));
        uint8_t* y = out.data<uint8_t>();
        const uint8_t* rgb = img.rgb.data();
        const int64_t pixels = img.height * img.width;
        switch (format_) {
            case PixelFormat::Rgb:
                std::memcpy(y, rgb, img.rgb.size());
                break;
            case PixelFormat::Bgr:
                for (int64_t p = 0; p < pixels; ++p)
                    for (int c = 0; c < 3; ++c) y[p * 3 + c] = rgb[p * 3 + 2 - c];
                break;
            case PixelFormat::Grayscale:
                for (int64_t p = 0; p < pixels; ++p) y[p] = image::luma(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]);
                break;
        }
    }

  private:
    PixelFormat format_ = PixelFormat::Rgb;
};

}  // namespace

std::unique_ptr<Kernel> create_Image(const ir::Node& node) { return std::make_unique<ImageDecoderKernel>(node); }

}  // namespace kiln::cpu
