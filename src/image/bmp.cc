// BMP (Windows bitmap), uncompressed: 1/4/8-bit palette, 24-bit BGR, 32-bit BGRX (BI_RGB or BI_BITFIELDS with the
// usual masks); bottom-up or top-down rows, each padded to 4 bytes. RLE and 16-bit bitmaps are NotImplemented.
#include <cstdlib>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {
namespace {

uint32_t u16(const uint8_t* p) { return p[0] | (p[1] << 8); }
uint32_t u32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }

}  // namespace

Image decode_bmp(const uint8_t* data, size_t size, bool header_only) {
    KILN_CHECK(size >= 26, InvalidArgument, "BMP: ", size, " bytes are too few for the headers");
    const uint32_t offset = u32(data + 10);
    const uint32_t dib = u32(data + 14);
    KILN_CHECK(dib == 12 || dib >= 40, InvalidArgument, "BMP: unknown info header size ", dib);
    KILN_CHECK(size >= 14 + static_cast<size_t>(dib), InvalidArgument, "BMP: the info header is cut off");
    int64_t width, height;
    uint32_t bpp, compression = 0, colors = 0;
    if (dib == 12) {
        width = u16(data + 18);
        height = u16(data + 20);
        bpp = u16(data + 24);
    } else {
        width = static_cast<int32_t>(u32(data + 18));
        height = static_cast<int32_t>(u32(data + 22));
        bpp = u16(data + 28);
        compression = u32(data + 30);
        colors = u32(data + 46);
    }
    const bool top_down = height < 0;
    height = std::llabs(height);
    Image img;
    accept_size(img, height, width, "BMP", header_only);
    KILN_CHECK(compression == 0 || (compression == 3 && bpp == 32), NotImplemented, "BMP: compression ", compression,
               " is not supported");
    KILN_CHECK(bpp == 1 || bpp == 4 || bpp == 8 || bpp == 24 || bpp == 32, NotImplemented, "BMP: ", bpp,
               " bits per pixel are not supported");
    if (header_only) return img;

    const size_t entry = dib == 12 ? 3 : 4;
    const uint8_t* palette = data + 14 + dib;
    if (bpp <= 8) {
        if (colors == 0) colors = 1u << bpp;
        KILN_CHECK(colors <= (1u << bpp) && 14 + dib + colors * entry <= size, InvalidArgument,
                   "BMP: the palette is cut off");
    }
    const size_t stride = (static_cast<size_t>(width) * bpp + 31) / 32 * 4;
    KILN_CHECK(offset <= size && stride * height <= size - offset, InvalidArgument, "BMP: the pixel data (", stride,
               " bytes per row, ", height, " rows at offset ", offset, ") is cut off in ", size, " bytes");
    for (int64_t y = 0; y < height; ++y) {
        const uint8_t* row = data + offset + stride * (top_down ? y : height - 1 - y);
        uint8_t* out = img.rgb.data() + y * width * 3;
        for (int64_t x = 0; x < width; ++x, out += 3) {
            if (bpp >= 24) {
                const uint8_t* p = row + x * (bpp / 8);
                out[0] = p[2], out[1] = p[1], out[2] = p[0];
                continue;
            }
            const uint32_t bit = static_cast<uint32_t>(x) * bpp;
            const uint32_t index = (row[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
            KILN_CHECK(index < colors, InvalidArgument, "BMP: palette index ", index, " beyond ", colors, " colors");
            const uint8_t* c = palette + index * entry;
            out[0] = c[2], out[1] = c[1], out[2] = c[0];
        }
    }
    return img;
}

}  // namespace kiln::image
