#include "tools/kiln/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

namespace kiln::cli {
namespace {

struct NpyType {
    const char* descr;
    DType dtype;
};

constexpr NpyType kNpyTypes[] = {
    {"f4", DType::Float},  {"f8", DType::Double}, {"f2", DType::Float16}, {"i8", DType::Int64},
    {"i4", DType::Int32},  {"i2", DType::Int16},  {"i1", DType::Int8},    {"u8", DType::UInt64},
    {"u4", DType::UInt32}, {"u2", DType::UInt16}, {"u1", DType::UInt8},   {"b1", DType::Bool},
};

DType dtype_from_descr(const std::string& descr, const std::string& path) {
    std::string code = descr.size() == 3 ? descr.substr(1) : descr;
    bool big_endian = !descr.empty() && descr[0] == '>';
    for (const NpyType& t : kNpyTypes) {
        if (code == t.descr && !(big_endian && dtype_bits(t.dtype) > 8)) return t.dtype;
    }
    fail(ErrorCode::InvalidArgument, "'", path, "': unsupported .npy dtype '", descr, "'");
}

const char* descr_of(DType dtype) {
    for (const NpyType& t : kNpyTypes) {
        if (t.dtype == dtype) return t.descr;
    }
    fail(ErrorCode::InvalidArgument, "cannot write ", dtype_name(dtype), " tensors as .npy");
}

}  // namespace

Tensor read_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    KILN_CHECK(in, NotFound, "cannot open '", path, "'");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    KILN_CHECK(bytes.size() >= 10 && bytes.compare(0, 6, "\x93NUMPY") == 0, InvalidArgument, "'", path,
               "' is not a .npy file");
    int major = static_cast<unsigned char>(bytes[6]);
    size_t header_len, header_start;
    if (major == 1) {
        header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
        header_start = 10;
    } else {
        KILN_CHECK(bytes.size() >= 12, InvalidArgument, "'", path, "': truncated .npy header");
        uint32_t len;
        std::memcpy(&len, bytes.data() + 8, 4);
        header_len = len;
        header_start = 12;
    }
    KILN_CHECK(header_start + header_len <= bytes.size(), InvalidArgument, "'", path, "': truncated .npy header");
    std::string header = bytes.substr(header_start, header_len);
    std::smatch m;
    KILN_CHECK(std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")), InvalidArgument, "'", path,
               "': .npy header has no descr");
    DType dtype = dtype_from_descr(m[1], path);
    KILN_CHECK(std::regex_search(header, m, std::regex("'fortran_order':\\s*(True|False)")) && m[1] == "False",
               InvalidArgument, "'", path, "': Fortran-ordered .npy arrays are not supported");
    KILN_CHECK(std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")), InvalidArgument, "'", path,
               "': .npy header has no shape");
    Shape shape;
    std::string dims = m[1];
    std::regex num("\\d+");
    for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
        shape.push_back(std::stoll(it->str()));
    }
    Tensor t(dtype, shape);
    size_t data_start = header_start + header_len;
    KILN_CHECK(bytes.size() - data_start >= t.byte_size(), InvalidArgument, "'", path, "': data shorter than shape ",
               shape_to_string(shape), " needs");
    std::memcpy(t.raw_data(), bytes.data() + data_start, t.byte_size());
    return t;
}

void write_npy(const std::string& path, const Tensor& t) {
    std::string dims;
    for (int64_t d : t.shape()) dims += std::to_string(d) + ",";
    if (t.rank() > 1) dims.pop_back();
    std::string prefix = dtype_bits(t.dtype()) > 8 ? "<" : "|";
    std::string header =
        "{'descr': '" + prefix + descr_of(t.dtype()) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header.push_back('\n');
    std::ofstream out(path, std::ios::binary);
    KILN_CHECK(out, NotFound, "cannot write '", path, "'");
    out.write("\x93NUMPY\x01\x00", 8);
    uint16_t len = static_cast<uint16_t>(header.size());
    out.put(static_cast<char>(len & 0xff));
    out.put(static_cast<char>(len >> 8));
    out << header;
    out.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
}

}  // namespace kiln::cli
