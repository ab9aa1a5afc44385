// onnx::read_file, which reads compiled blobs (model cache entries, EPContext side files) into memory: the bytes
// are the file's at any size, including several of the chunks it reads in parallel and a last partial one, and a
// missing file or a folder is an error naming it.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "onnx/mapped_file.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

std::string write_pattern(const std::string& path, size_t size) {
    std::string bytes(size, '\0');
    uint32_t x = 2463534242u;
    for (char& c : bytes) {  // xorshift: no two chunks alike, so a chunk read into the wrong place shows
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

TEST(ReadFile, ReturnsTheFileBytesAtAnySize) {
    const std::string dir = test_tmp_dir("read_file");
    constexpr size_t kChunk = size_t{32} << 20;  // read_file's parallel chunk
    for (size_t size : {size_t{0}, size_t{1}, size_t{4097}, kChunk, 2 * kChunk + 12345}) {
        const std::string path = dir + "/f" + std::to_string(size);
        const std::string want = write_pattern(path, size);
        onnx::FileCopy got = onnx::read_file(path, "test file");
        ASSERT_EQ(got.size, size);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(got.data.get()) % 64, 0u);
        EXPECT_TRUE(std::string(reinterpret_cast<const char*>(got.data.get()), got.size) == want) << size;
    }
}

TEST(ReadFile, MissingFileOrFolderIsAnErrorNamingIt) {
    const std::string dir = test_tmp_dir("read_file_errors");
    expect_error([&] { onnx::read_file(dir + "/absent.blob", "blob file"); }, ErrorCode::NotFound,
                 {"blob file", "absent.blob", "does not exist"});
    expect_error([&] { onnx::read_file(dir, "blob file"); }, ErrorCode::InvalidModel,
                 {"blob file", "is not a regular file"});
}

}  // namespace
}  // namespace kiln::test
