// PNM: PBM (P1/P4), PGM (P2/P5) and PPM (P3/P6), ASCII or binary, maxval up to 65535 (scaled to 8 bits as
// round(v * 255 / maxval)); gray and bitmap images are replicated to RGB (PBM: 1 is black).
#include <cctype>
#include <string>

#include "image/formats.h"
#include "kiln/error.h"

namespace kiln::image {
namespace {

class Reader {
  public:
    Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    // The next decimal number of the header or of an ASCII raster, skipping whitespace and # comments.
    int64_t number(const char* what) {
        while (pos_ < size_) {
            if (data_[pos_] == '#') {
                while (pos_ < size_ && data_[pos_] != '\n') ++pos_;
            } else if (std::isspace(data_[pos_])) {
                ++pos_;
            } else {
                break;
            }
        }
        KILN_CHECK(pos_ < size_ && std::isdigit(data_[pos_]), InvalidArgument, "PNM: ", what, " is missing");
        int64_t v = 0;
        while (pos_ < size_ && std::isdigit(data_[pos_])) {
            v = v * 10 + (data_[pos_++] - '0');
            KILN_CHECK(v <= 1 << 20, InvalidArgument, "PNM: ", what, " is too large");
        }
        return v;
    }
    // A single bitmap digit of a P1 raster (digits need not be separated).
    int bit() {
        while (pos_ < size_ && (std::isspace(data_[pos_]) || data_[pos_] == '#')) {
            if (data_[pos_] == '#')
                while (pos_ < size_ && data_[pos_] != '\n') ++pos_;
            else
                ++pos_;
        }
        KILN_CHECK(pos_ < size_ && (data_[pos_] == '0' || data_[pos_] == '1'), InvalidArgument,
                   "PNM: the bitmap is cut off or holds something other than 0 and 1");
        return data_[pos_++] - '0';
    }
    // The binary raster: starts after exactly one whitespace byte.
    const uint8_t* raster(size_t bytes) {
        KILN_CHECK(pos_ < size_ && std::isspace(data_[pos_]), InvalidArgument, "PNM: no whitespace before the raster");
        ++pos_;
        KILN_CHECK(size_ - pos_ >= bytes, InvalidArgument, "PNM: the raster needs ", bytes, " bytes, ", size_ - pos_,
                   " are left");
        return data_ + pos_;
    }

  private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 2;
};

}  // namespace

Image decode_pnm(const uint8_t* data, size_t size, bool header_only) {
    const char kind = static_cast<char>(data[1]);
    Reader in(data, size);
    const int64_t width = in.number("width");
    const int64_t height = in.number("height");
    const bool bitmap = kind == '1' || kind == '4';
    const int64_t maxval = bitmap ? 1 : in.number("maxval");
    KILN_CHECK(maxval >= 1 && maxval <= 65535, InvalidArgument, "PNM: maxval ", maxval, " is not in [1, 65535]");
    Image img;
    accept_size(img, height, width, "PNM", header_only);
    if (header_only) return img;

    const int channels = kind == '3' || kind == '6' ? 3 : 1;
    const int64_t samples = height * width * channels;
    auto scale = [&](int64_t v) -> uint8_t {
        KILN_CHECK(v <= maxval, InvalidArgument, "PNM: sample ", v, " exceeds maxval ", maxval);
        return static_cast<uint8_t>((v * 255 + maxval / 2) / maxval);
    };
    std::vector<uint8_t> s(static_cast<size_t>(samples));
    if (kind == '1') {
        for (auto& v : s) v = in.bit() ? 0 : 255;
    } else if (kind == '4') {
        const size_t stride = static_cast<size_t>((width + 7) / 8);
        const uint8_t* r = in.raster(stride * height);
        for (int64_t y = 0; y < height; ++y)
            for (int64_t x = 0; x < width; ++x) s[y * width + x] = (r[y * stride + x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
    } else if (kind == '2' || kind == '3') {
        for (auto& v : s) v = scale(in.number("a sample"));
    } else {
        const int bytes = maxval > 255 ? 2 : 1;
        const uint8_t* r = in.raster(static_cast<size_t>(samples * bytes));
        for (int64_t i = 0; i < samples; ++i) s[i] = scale(bytes == 2 ? (r[2 * i] << 8) | r[2 * i + 1] : r[i]);
    }
    for (int64_t p = 0; p < height * width; ++p)
        for (int c = 0; c < 3; ++c) img.rgb[p * 3 + c] = s[p * channels + (channels == 3 ? c : 0)];
    return img;
}

}  // namespace kiln::image
