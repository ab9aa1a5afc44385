// JPEG through libjpeg(-turbo): decoded to RGB with the library's defaults (islow IDCT, fancy upsampling), as
// Pillow decodes it. Library errors longjmp back here and become InvalidArgument with libjpeg's message.
#include <csetjmp>
#include <cstddef>
#include <cstdio>

// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>  // NOLINT(build/include_order)
//
#include <jerror.h>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {
namespace {

struct ErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr cinfo) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr) {}  // messages are not printed

// Warnings (level -1) are ignored as Pillow ignores them, except data that ends early, which Pillow reports as a
// truncated image and libjpeg would pad with gray.
void on_emit(j_common_ptr cinfo, int level) {
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_error(cinfo);
}

}  // namespace

Image decode_jpeg(const uint8_t* data, size_t size, bool header_only) {
    Image img;
    jpeg_decompress_struct cinfo;
    ErrorManager err;
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error;
    err.base.output_message = on_message;
    err.base.emit_message = on_emit;
    err.message[0] = '\0';
    // Only trivially destructible locals are created between setjmp and a longjmp; img lives above.
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        fail(ErrorCode::InvalidArgument, "JPEG: ", err.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    if (cmyk) {
        jpeg_destroy_decompress(&cinfo);
        fail(ErrorCode::NotImplemented, "JPEG: CMYK images are not supported");
    }
    const int64_t height = cinfo.image_height, width = cinfo.image_width;
    if (header_only || height <= 0 || width <= 0 || height > (1 << 15) || width > (1 << 15)) {
        jpeg_destroy_decompress(&cinfo);
        accept_size(img, height, width, "JPEG", header_only);
        return img;
    }
    accept_size(img, height, width, "JPEG", false);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = img.rgb.data() + static_cast<size_t>(cinfo.output_scanline) * width * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return img;
}

}  // namespace kiln::image
