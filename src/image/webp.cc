// WebP (lossy or lossless, still images) through libwebp, decoded to RGB (alpha dropped).
#include <webp/decode.h>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {

Image decode_webp(const uint8_t* data, size_t size, bool header_only) {
    int width = 0, height = 0;
    KILN_CHECK(WebPGetInfo(data, size, &width, &height), InvalidArgument, "WebP: the header is malformed");
    Image img;
    accept_size(img, height, width, "WebP", header_only);
    if (header_only) return img;
    const int stride = width * 3;
    KILN_CHECK(WebPDecodeRGBInto(data, size, img.rgb.data(), img.rgb.size(), stride), InvalidArgument,
               "WebP: the image data is malformed");
    return img;
}

}  // namespace kiln::image
