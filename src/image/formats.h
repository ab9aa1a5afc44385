// Internal to src/image: one decoder per format. With header_only, only height and width are filled.
#pragma once

#include "image/decode.h"

namespace kiln::image {

Image decode_bmp(const uint8_t* data, size_t size, bool header_only);
Image decode_jpeg(const uint8_t* data, size_t size, bool header_only);
Image decode_jpeg2000(const uint8_t* data, size_t size, bool header_only);
Image decode_png(const uint8_t* data, size_t size, bool header_only);
Image decode_pnm(const uint8_t* data, size_t size, bool header_only);
Image decode_tiff(const uint8_t* data, size_t size, bool header_only);
Image decode_webp(const uint8_t* data, size_t size, bool header_only);

// Checks a decoded size against kiln's limit (positive, at most 2^15 per side) and sizes img.rgb unless header_only.
void accept_size(Image& img, int64_t height, int64_t width, const char* format, bool header_only);

}  // namespace kiln::image
