// Decodes encoded image bytes (BMP, JPEG, JPEG 2000, PNG, PNM, TIFF, WebP; the format is told by its magic bytes)
// into 8-bit RGB. Used by ImageDecoder: its shape function reads the size with probe(), its CPU kernel decodes.
// Malformed or unsupported bytes throw kiln::Error (InvalidArgument, or NotImplemented for valid files of a kind
// not covered, e.g. 16-bit BMP), naming the format and the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::image {

struct Image {
    int64_t height = 0;
    int64_t width = 0;
    std::vector<uint8_t> rgb;  // height * width * 3, row-major, interleaved R, G, B (empty after probe)
};

// Height and width from the header only (rgb stays empty).
Image probe(const uint8_t* data, size_t size);
// The whole image.
Image decode(const uint8_t* data, size_t size);

// Luma as Pillow's convert("L") computes it (ITU-R 601-2 in 16-bit fixed point, rounded).
inline uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
    return static_cast<uint8_t>((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

}  // namespace kiln::image
