// JPEG 2000 (JP2 file or raw J2K codestream) through OpenJPEG, read from memory. Gray (1 or 2 components) or
// RGB(A) (3 or 4) images whose components all have the full size; samples of other precisions are scaled to 8
// bits as round(v * 255 / (2^prec - 1)). Library messages are collected instead of printed.
#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {
namespace {

struct Memory {
    const uint8_t* data;
    OPJ_SIZE_T size;
    OPJ_SIZE_T pos = 0;
};

OPJ_SIZE_T read_fn(void* buf, OPJ_SIZE_T n, void* user) {
    auto* m = static_cast<Memory*>(user);
    if (m->pos >= m->size) return static_cast<OPJ_SIZE_T>(-1);
    OPJ_SIZE_T count = std::min(n, m->size - m->pos);
    std::memcpy(buf, m->data + m->pos, count);
    m->pos += count;
    return count;
}
OPJ_OFF_T skip_fn(OPJ_OFF_T n, void* user) {
    auto* m = static_cast<Memory*>(user);
    if (n < 0 || m->pos + static_cast<OPJ_SIZE_T>(n) > m->size) return -1;
    m->pos += static_cast<OPJ_SIZE_T>(n);
    return n;
}
OPJ_BOOL seek_fn(OPJ_OFF_T n, void* user) {
    auto* m = static_cast<Memory*>(user);
    if (n < 0 || static_cast<OPJ_SIZE_T>(n) > m->size) return OPJ_FALSE;
    m->pos = static_cast<OPJ_SIZE_T>(n);
    return OPJ_TRUE;
}
void on_error(const char* msg, void* user) {
    auto* s = static_cast<std::string*>(user);
    if (s->empty()) *s = msg;
    while (!s->empty() && (s->back() == '\n' || s->back() == ' ')) s->pop_back();
}
void on_warning(const char*, void*) {}

// Owns the codec, stream and image.
struct Decoder {
    opj_codec_t* codec = nullptr;
    opj_stream_t* stream = nullptr;
    opj_image_t* image = nullptr;
    ~Decoder() {
        if (image) opj_image_destroy(image);
        if (stream) opj_stream_destroy(stream);
        if (codec) opj_destroy_codec(codec);
    }
};

}  // namespace

Image decode_jpeg2000(const uint8_t* data, size_t size, bool header_only) {
    Memory mem{data, size};
    std::string error;
    Decoder d;
    const bool jp2 = size >= 4 && data[0] == 0 && data[3] == 0x0C;
    d.codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_set_error_handler(d.codec, on_error, &error);
    opj_set_warning_handler(d.codec, on_warning, nullptr);
    opj_set_info_handler(d.codec, on_warning, nullptr);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    KILN_CHECK(opj_setup_decoder(d.codec, &params), Internal, "JPEG 2000: cannot set the decoder up");
    d.stream = opj_stream_default_create(OPJ_TRUE);
    opj_stream_set_user_data(d.stream, &mem, nullptr);
    opj_stream_set_user_data_length(d.stream, size);
    opj_stream_set_read_function(d.stream, read_fn);
    opj_stream_set_skip_function(d.stream, skip_fn);
    opj_stream_set_seek_function(d.stream, seek_fn);
    KILN_CHECK(opj_read_header(d.stream, d.codec, &d.image) && d.image, InvalidArgument,
               "JPEG 2000: the header is malformed (", error, ")");
    Image img;
    accept_size(img, static_cast<int64_t>(d.image->y1) - d.image->y0, static_cast<int64_t>(d.image->x1) - d.image->x0,
                "JPEG 2000", header_only);
    if (header_only) return img;
    KILN_CHECK(opj_decode(d.codec, d.stream, d.image) && opj_end_decompress(d.codec, d.stream), InvalidArgument,
               "JPEG 2000: the image data is malformed (", error, ")");
    const opj_image_t& im = *d.image;
    KILN_CHECK(im.numcomps >= 1 && im.numcomps <= 4, NotImplemented, "JPEG 2000: ", im.numcomps,
               " components are not supported");
    const int color = im.numcomps >= 3 ? 3 : 1;
    for (OPJ_UINT32 c = 0; c < im.numcomps; ++c) {
        const opj_image_comp_t& comp = im.comps[c];
        KILN_CHECK(comp.data && comp.w == static_cast<OPJ_UINT32>(img.width) &&
                       comp.h == static_cast<OPJ_UINT32>(img.height) && comp.prec >= 1 && comp.prec <= 16,
                   NotImplemented, "JPEG 2000: component ", c, " (", comp.w, " x ", comp.h, ", ", comp.prec,
                   " bits) is subsampled or of an unsupported precision");
    }
    const int64_t pixels = img.height * img.width;
    for (int c = 0; c < 3; ++c) {
        const opj_image_comp_t& comp = im.comps[color == 3 ? c : 0];
        const int64_t max = (int64_t{1} << comp.prec) - 1;
        const int64_t offset = comp.sgnd ? int64_t{1} << (comp.prec - 1) : 0;
        for (int64_t p = 0; p < pixels; ++p) {
            int64_t v = std::clamp<int64_t>(comp.data[p] + offset, 0, max);
            img.rgb[p * 3 + c] = static_cast<uint8_t>(max == 255 ? v : (v * 255 + max / 2) / max);
        }
    }
    return img;
}

}  // namespace kiln::image
