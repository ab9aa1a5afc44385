// PNG through libpng's simplified API: read as 8-bit sRGB RGBA and the alpha dropped, as Pillow's convert("RGB")
// does (gray, palette and 16-bit images are expanded by libpng).
#include <png.h>

#include <cstring>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {

Image decode_png(const uint8_t* data, size_t size, bool header_only) {
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&png, data, size)) {
        std::string message = png.message;
        png_image_free(&png);
        fail(ErrorCode::InvalidArgument, "PNG: ", message);
    }
    Image img;
    try {
        accept_size(img, png.height, png.width, "PNG", header_only);
    } catch (...) {
        png_image_free(&png);
        throw;
    }
    if (header_only) {
        png_image_free(&png);
        return img;
    }
    png.format = PNG_FORMAT_RGBA;
    std::vector<uint8_t> rgba(PNG_IMAGE_SIZE(png));
    if (!png_image_finish_read(&png, nullptr, rgba.data(), 0, nullptr)) {
        std::string message = png.message;
        png_image_free(&png);
        fail(ErrorCode::InvalidArgument, "PNG: ", message);
    }
    for (size_t p = 0; p < rgba.size() / 4; ++p)
        for (int c = 0; c < 3; ++c) img.rgb[p * 3 + c] = rgba[p * 4 + c];
    return img;
}

}  // namespace kiln::image
