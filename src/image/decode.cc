#include "image/decode.h"

#include <cstring>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {
namespace {

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t n) {
    return size >= n && std::memcmp(data, magic, n) == 0;
}

Image dispatch(const uint8_t* data, size_t size, bool header_only) {
    if (starts_with(data, size, "BM", 2)) return decode_bmp(data, size, header_only);
    if (starts_with(data, size, "\xFF\xD8\xFF", 3)) return decode_jpeg(data, size, header_only);
    if (starts_with(data, size, "\x00\x00\x00\x0CjP  \r\n\x87\n", 12) || starts_with(data, size, "\xFF\x4F\xFF\x51", 4))
        return decode_jpeg2000(data, size, header_only);
    if (starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return decode_png(data, size, header_only);
    if (size >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6') return decode_pnm(data, size, header_only);
    if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4))
        return decode_tiff(data, size, header_only);
    if (size >= 12 && starts_with(data, size, "RIFF", 4) && std::memcmp(data + 8, "WEBP", 4) == 0)
        return decode_webp(data, size, header_only);
    fail(ErrorCode::InvalidArgument, "the ", size,
         " bytes are not an image of a known format (BMP, JPEG, JPEG 2000, PNG, PNM, TIFF, WebP)");
}

}  // namespace

void accept_size(Image& img, int64_t height, int64_t width, const char* format, bool header_only) {
    constexpr int64_t kMaxSide = int64_t{1} << 15;
    KILN_CHECK(height > 0 && width > 0 && height <= kMaxSide && width <= kMaxSide, InvalidArgument, format,
               " image of ", width, " x ", height, " pixels is empty or larger than ", kMaxSide, " per side");
    img.height = height;
    img.width = width;
    if (!header_only) img.rgb.assign(static_cast<size_t>(height * width * 3), 0);
}

Image probe(const uint8_t* data, size_t size) { return dispatch(data, size, true); }

Image decode(const uint8_t* data, size_t size) { return dispatch(data, size, false); }

}  // namespace kiln::image
