// TIFF through libtiff, read from memory with TIFFClientOpenExt (messages collected, not printed); the first directory
// (page) is decoded with TIFFReadRGBAImageOriented (any photometric / compression libtiff handles) and the alpha
// dropped.
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {
namespace {

struct Memory {
    const uint8_t* data;
    toff_t size;
    toff_t pos = 0;
};

tmsize_t read_fn(thandle_t h, void* buf, tmsize_t n) {
    auto* m = static_cast<Memory*>(h);
    toff_t left = m->pos < m->size ? m->size - m->pos : 0;
    toff_t count = std::min<toff_t>(left, static_cast<toff_t>(n));
    std::memcpy(buf, m->data + m->pos, count);
    m->pos += count;
    return static_cast<tmsize_t>(count);
}
tmsize_t write_fn(thandle_t, void*, tmsize_t) { return 0; }
toff_t seek_fn(thandle_t h, toff_t off, int whence) {
    auto* m = static_cast<Memory*>(h);
    toff_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->size : 0;
    m->pos = base + off;
    return m->pos;
}
int close_fn(thandle_t) { return 0; }
toff_t size_fn(thandle_t h) { return static_cast<Memory*>(h)->size; }
int map_fn(thandle_t, void**, toff_t*) { return 0; }
void unmap_fn(thandle_t, void*, toff_t) {}

// Keeps libtiff's first error message (instead of printing it) and drops warnings.
int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list args) {
    auto* message = static_cast<std::string*>(user);
    if (message->empty()) {
        char buf[256];
        std::vsnprintf(buf, sizeof buf, fmt, args);
        *message = buf;
    }
    return 1;
}
int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

Image decode_tiff(const uint8_t* data, size_t size, bool header_only) {
    Memory mem{data, static_cast<toff_t>(size)};
    std::string error;
    TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, &error);
    TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, nullptr);
    TIFF* tif = TIFFClientOpenExt("image", "rm", &mem, read_fn, write_fn, seek_fn, close_fn, size_fn, map_fn, unmap_fn,
                                  options);
    TIFFOpenOptionsFree(options);
    KILN_CHECK(tif, InvalidArgument, "TIFF: the header is malformed (", error, ")");
    uint32_t width = 0, height = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
    Image img;
    try {
        accept_size(img, height, width, "TIFF", header_only);
    } catch (...) {
        TIFFClose(tif);
        throw;
    }
    if (header_only) {
        TIFFClose(tif);
        return img;
    }
    std::vector<uint32_t> raster(static_cast<size_t>(width) * height);
    int ok = TIFFReadRGBAImageOriented(tif, width, height, raster.data(), ORIENTATION_TOPLEFT, 0);
    TIFFClose(tif);
    KILN_CHECK(ok, InvalidArgument, "TIFF: the image data is malformed or of a kind libtiff cannot read (", error, ")");
    for (size_t p = 0; p < raster.size(); ++p) {
        img.rgb[p * 3] = static_cast<uint8_t>(TIFFGetR(raster[p]));
        img.rgb[p * 3 + 1] = static_cast<uint8_t>(TIFFGetG(raster[p]));
        img.rgb[p * 3 + 2] = static_cast<uint8_t>(TIFFGetB(raster[p]));
    }
    return img;
}

}  // namespace kiln::image
