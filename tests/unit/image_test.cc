// ImageDecoder (Image family) tests. BMP and PNM bytes are built here with known pixels; the library-decoded
// formats use the ONNX backend test images, whose expected pixels (output_0.pb) Pillow produced. Luma values are
// Pillow's: Image.new("RGB", (1, 1), c).convert("L") gives 76 for red, 150 for green, 29 for blue, 124 for
// (10, 200, 30). Malformed bytes must fail with a kiln::Error naming the node, never crash.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "onnx/loader.h"
#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_error;
using test::OpCase;
using test::values_of;

Tensor bytes_tensor(const std::vector<uint8_t>& b) {
    return Tensor::from_vector<uint8_t>(DType::UInt8, {static_cast<int64_t>(b.size())}, b);
}
Tensor bytes_tensor(const std::string& s) { return bytes_tensor(std::vector<uint8_t>(s.begin(), s.end())); }

Tensor decode(const Tensor& bytes, const std::string& format = "RGB") {
    return OpCase("ImageDecoder").input(bytes).attr_string("pixel_format", format).run()[0];
}

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A BITMAPINFOHEADER bitmap of `width` x `height` (negative: top-down) with `bpp` bits, `palette` BGRA entries and
// the given pixel rows (already padded), in file order.
std::vector<uint8_t> bmp(int32_t width, int32_t height, uint16_t bpp, const std::vector<uint8_t>& palette,
                         const std::vector<uint8_t>& rows) {
    std::vector<uint8_t> b(54 + palette.size(), 0);
    b[0] = 'B', b[1] = 'M';
    put32(b, 10, static_cast<uint32_t>(54 + palette.size()));
    put32(b, 14, 40);
    put32(b, 18, static_cast<uint32_t>(width));
    put32(b, 22, static_cast<uint32_t>(height));
    b[26] = 1, b[28] = static_cast<uint8_t>(bpp);
    put32(b, 46, static_cast<uint32_t>(palette.size() / 4));
    std::copy(palette.begin(), palette.end(), b.begin() + 54);
    b.insert(b.end(), rows.begin(), rows.end());
    return b;
}

TEST(ImageDecoderTest, Bmp24BottomUpInEveryPixelFormat) {
    // 2 x 2, rows bottom-up: the bottom row (blue, white) comes first, each row padded from 6 to 8 bytes.
    auto b = bmp(2, 2, 24, {}, {255, 0, 0, 255, 255, 255, 0, 0, 0, 0, 255, 0, 255, 0, 0, 0});
    Tensor rgb = decode(bytes_tensor(b));
    EXPECT_EQ(rgb.dtype(), DType::UInt8);
    EXPECT_EQ(rgb.shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(values_of<uint8_t>(rgb), (std::vector<uint8_t>{255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255}));
    EXPECT_EQ(values_of<uint8_t>(decode(bytes_tensor(b), "BGR")),
              (std::vector<uint8_t>{0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255}));
    Tensor gray = decode(bytes_tensor(b), "Grayscale");
    EXPECT_EQ(gray.shape(), (Shape{2, 2, 1}));
    EXPECT_EQ(values_of<uint8_t>(gray), (std::vector<uint8_t>{76, 150, 29, 255}));
}

TEST(ImageDecoderTest, BmpPaletteTopDown) {
    // 3 x 1, 8-bit indices 1, 0, 1 into a palette of (10, 200, 30) and black (BGRA entries), top-down.
    auto b = bmp(3, -1, 8, {0, 0, 0, 0, 30, 200, 10, 0}, {1, 0, 1, 0});
    EXPECT_EQ(values_of<uint8_t>(decode(bytes_tensor(b))), (std::vector<uint8_t>{10, 200, 30, 0, 0, 0, 10, 200, 30}));
    EXPECT_EQ(values_of<uint8_t>(decode(bytes_tensor(b), "Grayscale")), (std::vector<uint8_t>{124, 0, 124}));
    // An index beyond the palette's two colors.
    auto bad = bmp(3, -1, 8, {0, 0, 0, 0, 30, 200, 10, 0}, {1, 0, 2, 0});
    expect_error([&] { decode(bytes_tensor(bad)); }, ErrorCode::InvalidArgument,
                 {"ImageDecoder_under_test", "palette index 2"});
}

TEST(ImageDecoderTest, PnmBinaryAsciiAndScaledMaxval) {
    // P6 with a comment: 2 x 1 pixels (1, 2, 3), (250, 251, 252).
    std::string p6 = "P6\n# made by hand\n2 1\n255\n";
    p6 += std::string{1, 2, 3, static_cast<char>(250), static_cast<char>(251), static_cast<char>(252)};
    EXPECT_EQ(values_of<uint8_t>(decode(bytes_tensor(p6))), (std::vector<uint8_t>{1, 2, 3, 250, 251, 252}));
    // P2 (ASCII gray) with maxval 15: 0, 7, 15 -> round(v * 255 / 15) = 0, 119, 255, replicated to RGB.
    Tensor p2 = decode(bytes_tensor(std::string("P2 3 1 15 0 7 15")));
    EXPECT_EQ(p2.shape(), (Shape{1, 3, 3}));
    EXPECT_EQ(values_of<uint8_t>(p2), (std::vector<uint8_t>{0, 0, 0, 119, 119, 119, 255, 255, 255}));
    // P4 bitmap 3 x 1: bits 101 -> black, white, black.
    std::string p4 = "P4 3 1\n";
    p4 += static_cast<char>(0xA0);
    EXPECT_EQ(values_of<uint8_t>(decode(bytes_tensor(p4), "Grayscale")), (std::vector<uint8_t>{0, 255, 0}));
    // A raster shorter than the header says.
    expect_error([] { decode(bytes_tensor(std::string("P6 2 2 255\nabc"))); }, ErrorCode::InvalidArgument,
                 {"ImageDecoder_under_test", "PNM", "raster"});
}

std::string test_dir(const std::string& name) {
    return std::string(KILN_ONNX_TEST_DATA) + "/node/test_image_decoder_decode_" + name + "/test_data_set_0/";
}

const char* const kLibraryFormats[] = {"jpeg_rgb", "jpeg2k_rgb", "png_rgb", "tiff_rgb", "webp_rgb"};

TEST(ImageDecoderTest, LibraryFormatsMatchPillow) {
    for (const char* name : kLibraryFormats) {
        SCOPED_TRACE(name);
        Tensor in = onnx::load_tensor_file(test_dir(name) + "input_0.pb");
        Tensor want = onnx::load_tensor_file(test_dir(name) + "output_0.pb");
        Tensor got = decode(in);
        ASSERT_EQ(got.shape(), want.shape());
        EXPECT_EQ(values_of<uint8_t>(got), values_of<uint8_t>(want));
    }
}

TEST(ImageDecoderTest, MalformedBytesAreErrors) {
    expect_error([] { decode(bytes_tensor(std::string("not an image at all"))); }, ErrorCode::InvalidArgument,
                 {"ImageDecoder_under_test", "not an image of a known format"});
    expect_error([] { decode(bytes_tensor(std::vector<uint8_t>{})); }, ErrorCode::InvalidArgument,
                 {"ImageDecoder_under_test"});
    // Each library format cut to its first 60% (the header intact) or to its first 20 bytes.
    for (const char* name : kLibraryFormats) {
        SCOPED_TRACE(name);
        std::vector<uint8_t> whole = values_of<uint8_t>(onnx::load_tensor_file(test_dir(name) + "input_0.pb"));
        for (size_t keep : {whole.size() * 6 / 10, size_t{20}}) {
            SCOPED_TRACE(keep);
            std::vector<uint8_t> cut(whole.begin(), whole.begin() + keep);
            EXPECT_THROW(decode(bytes_tensor(cut)), Error);
        }
    }
    // A BMP header claiming more pixels than the file holds, and one of 2^20 pixels a side.
    auto short_rows = bmp(4, 4, 24, {}, {1, 2, 3});
    expect_error([&] { decode(bytes_tensor(short_rows)); }, ErrorCode::InvalidArgument, {"BMP", "cut off"});
    auto huge = bmp(1 << 20, 1, 24, {}, {});
    expect_error([&] { decode(bytes_tensor(huge)); }, ErrorCode::InvalidArgument, {"BMP", "larger than"});
}

}  // namespace
}  // namespace kiln
