// Tests of the wire-format index of initializer raw_data (src/onnx/raw_data_index.h) against protobuf's own parse,
// and of the loader's use of it: large initializers of a model file borrow the mapped file (or, where the file
// offset does not suit the element type, protobuf's parsed bytes) with the values a copy gives, and malformed or
// truncated files give errors, never a crash or a read out of bounds.
#include "onnx/raw_data_index.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>

#include "kiln/session.h"
#include "onnx/loader.h"
#include "onnx/tensor_proto.h"
#include "onnx/writer.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;

fs::path site_packages() { return fs::path(KILN_SOURCE_DIR) / ".venv/lib/python3.11/site-packages"; }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A copy of `bytes` that ends exactly where an inaccessible page begins, so that reading one byte past the end
// faults instead of going unnoticed.
class GuardedBytes {
  public:
    explicit GuardedBytes(const std::string& bytes) {
        page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        span_ = (bytes.size() + page_ - 1) / page_ * page_ + page_;
        void* p = ::mmap(nullptr, span_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
        base_ = static_cast<unsigned char*>(p);
        ::mprotect(base_ + span_ - page_, page_, PROT_NONE);
        data_ = base_ + span_ - page_ - bytes.size();
        if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
        size_ = bytes.size();
    }
    ~GuardedBytes() { ::munmap(base_, span_); }
    GuardedBytes(const GuardedBytes&) = delete;
    GuardedBytes& operator=(const GuardedBytes&) = delete;

    const unsigned char* data() const { return data_; }
    size_t size() const { return size_; }

  private:
    size_t page_ = 0;
    size_t span_ = 0;
    unsigned char* base_ = nullptr;
    unsigned char* data_ = nullptr;
    size_t size_ = 0;
};

// The index of `bytes`, computed on a guarded copy (a read out of bounds crashes the test); every span it gives
// lies inside the bytes.
std::optional<std::vector<onnx::RawDataSpan>> guarded_index(const std::string& bytes) {
    GuardedBytes guarded(bytes);
    auto spans = onnx::index_initializer_raw_data(guarded.data(), guarded.size());
    if (spans) {
        for (const auto& s : *spans) {
            if (!s.has_raw_data) continue;
            EXPECT_LE(s.offset, bytes.size());
            EXPECT_LE(s.size, bytes.size() - std::min(s.offset, bytes.size()));
        }
    }
    return spans;
}

// Expects the index of `bytes` to list exactly the initializers protobuf parses from them, with the same names,
// and raw_data spans holding the bytes protobuf parsed. Returns how many raw_data spans were compared.
int expect_index_matches_protobuf(const std::string& bytes) {
    ::onnx::ModelProto proto;
    EXPECT_TRUE(proto.ParseFromString(bytes));
    auto spans = guarded_index(bytes);
    EXPECT_TRUE(spans.has_value());
    if (!spans) return 0;
    const auto& inits = proto.graph().initializer();
    EXPECT_EQ(spans->size(), static_cast<size_t>(inits.size()));
    if (spans->size() != static_cast<size_t>(inits.size())) return 0;
    int compared = 0;
    for (int i = 0; i < inits.size(); ++i) {
        const onnx::RawDataSpan& s = (*spans)[static_cast<size_t>(i)];
        EXPECT_EQ(s.name, inits[i].name());
        EXPECT_EQ(s.has_raw_data, inits[i].has_raw_data()) << inits[i].name();
        if (!s.has_raw_data || !inits[i].has_raw_data()) continue;
        EXPECT_EQ(bytes.substr(s.offset, s.size), inits[i].raw_data()) << inits[i].name();
        ++compared;
    }
    return compared;
}

// An initializer with raw_data of `count` elements of `elem_type` (`elem_bytes` each), element i's bytes made from
// `seed` + i.
void add_raw_initializer(::onnx::GraphProto& graph, const std::string& name, std::vector<int64_t> dims,
                         int32_t elem_type, size_t elem_bytes, int seed) {
    auto* t = graph.add_initializer();
    t->set_name(name);
    t->set_data_type(elem_type);
    int64_t count = 1;
    for (int64_t d : dims) {
        t->add_dims(d);
        count *= d;
    }
    std::string raw(static_cast<size_t>(count) * elem_bytes, '\0');
    for (int64_t i = 0; i < count; ++i) {
        if (elem_type == ::onnx::TensorProto::FLOAT) {
            float v = std::sin(static_cast<float>(seed + i)) * 0.5f;
            std::memcpy(&raw[static_cast<size_t>(i) * 4], &v, 4);
        } else if (elem_type == ::onnx::TensorProto::DOUBLE) {
            double v = std::cos(static_cast<double>(seed + i)) * 0.25;
            std::memcpy(&raw[static_cast<size_t>(i) * 8], &v, 8);
        } else {
            for (size_t b = 0; b < elem_bytes; ++b) raw[static_cast<size_t>(i) * elem_bytes + b] = char(seed + i + b);
        }
    }
    t->set_raw_data(raw);
}

// y = (x @ B1) @ B2^T + C  (Gemm, transB) and z = xd @ D (double), plus a small initializer and an If whose
// branches have their own initializer; `padding` bytes of doc_string shift every byte of the graph in the file.
ModelBuilder weights_model(int padding) {
    ModelBuilder b(17);
    if (padding > 0) b.proto().set_doc_string(std::string(static_cast<size_t>(padding), 'p'));
    b.input("x", {2, 64})
        .input("xd", {3, 64}, ::onnx::TensorProto::DOUBLE)
        .input("cond", {}, ::onnx::TensorProto::BOOL);
    b.output("y", {2, 48}).output("z", {3, 16}, ::onnx::TensorProto::DOUBLE).output("k", {});
    add_raw_initializer(b.graph(), "B1", {64, 32}, ::onnx::TensorProto::FLOAT, 4, 1);  // 8 KiB
    add_raw_initializer(b.graph(), "B2", {48, 32}, ::onnx::TensorProto::FLOAT, 4, 7);  // 6 KiB
    add_raw_initializer(b.graph(), "C", {48}, ::onnx::TensorProto::FLOAT, 4, 3);       // small: copied
    add_raw_initializer(b.graph(), "D", {64, 16}, ::onnx::TensorProto::DOUBLE, 8, 5);  // 8 KiB
    b.node("MatMul", {"x", "B1"}, {"h"}, "mm");
    attr_int(b.node("Gemm", {"h", "B2", "C"}, {"y"}, "gemm"), "transB", 1);
    b.node("MatMul", {"xd", "D"}, {"z"}, "mmd");
    ::onnx::NodeProto& branch = b.node("If", {"cond"}, {"k"}, "if");
    for (const char* name : {"then_branch", "else_branch"}) {
        ::onnx::GraphProto& g = attr_graph(branch, name);
        g.set_name(name);
        add_raw_initializer(g, std::string(name) + "_w", {1100}, ::onnx::TensorProto::FLOAT, 4, 9);
        auto* out = g.add_output();
        out->set_name(std::string(name) + "_k");
        out->mutable_type()->mutable_tensor_type()->set_elem_type(::onnx::TensorProto::FLOAT);
        auto* n = g.add_node();
        n->set_op_type("ReduceSum");
        n->add_input(std::string(name) + "_w");
        n->add_output(std::string(name) + "_k");
        auto* keep = n->add_attribute();
        keep->set_name("keepdims");
        keep->set_type(::onnx::AttributeProto::INT);
        keep->set_i(0);
    }
    return b;
}

// The [begin, end) ranges where the process maps a file whose path ends with `file_name`.
// ---------------------------------------------------------------------------------------------------------------
// The index against protobuf

TEST(RawDataIndex, MatchesProtobufOnRealModels) {
    std::vector<fs::path> models = {
        site_packages() / "onnx/backend/test/data/light/light_resnet50.onnx",
        site_packages() / "onnx/backend/test/data/light/light_inception_v2.onnx",
        site_packages() / "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
        site_packages() / "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx"};
    int compared = 0, found = 0;
    for (const fs::path& path : models) {
        if (!fs::exists(path)) continue;
        SCOPED_TRACE(path.string());
        ++found;
        compared += expect_index_matches_protobuf(read_file(path.string()));
    }
    ASSERT_GT(found, 0) << "none of the real models is installed";
    EXPECT_GT(compared, 50);
}

TEST(RawDataIndex, FollowsProtobufMergeRulesAndSkipsUnknownFields) {
    // Two serialized ModelProtos back to back are one message whose graphs merge: initializers concatenate.
    ModelBuilder first = weights_model(0);
    ModelBuilder second(17);
    add_raw_initializer(second.graph(), "extra", {2000}, ::onnx::TensorProto::FLOAT, 4, 11);
    std::string bytes = first.bytes() + second.bytes();

    // An initializer given as two TensorProto pieces in one field: name and raw_data of the second piece win.
    ::onnx::TensorProto a, b;
    a.set_name("old_name");
    a.set_data_type(::onnx::TensorProto::FLOAT);
    a.add_dims(1024);
    a.set_raw_data(std::string(4096, 'a'));
    b.set_name("merged");
    b.set_raw_data(std::string(4096, 'b'));
    std::string pieces = a.SerializeAsString() + b.SerializeAsString();
    ::onnx::GraphProto g;
    g.set_name("merged_graph");
    std::string graph_bytes = g.SerializeAsString();
    graph_bytes += '\x2a';  // GraphProto.initializer (5), length-delimited
    for (size_t n = pieces.size();; n >>= 7) {
        if (n < 0x80) {
            graph_bytes += static_cast<char>(n);
            break;
        }
        graph_bytes += static_cast<char>((n & 0x7f) | 0x80);
    }
    graph_bytes += pieces;
    graph_bytes += std::string("\x28\x05", 2);              // field 5 as a varint: an unknown field, not an initializer
    graph_bytes += std::string("\x4d\x01\x02\x03\x04", 5);  // field 9, fixed32: unknown
    std::string model_tail;
    model_tail += std::string("\x38\x07", 2);                                   // field 7 as a varint: unknown
    model_tail += std::string("\xc1\x3e\x01\x02\x03\x04\x05\x06\x07\x08", 10);  // field 1000, fixed64
    model_tail += '\x3a';                                                       // ModelProto.graph (7)
    model_tail += static_cast<char>(0x80 | (graph_bytes.size() & 0x7f));
    model_tail += static_cast<char>(graph_bytes.size() >> 7);
    ASSERT_LT(graph_bytes.size(), size_t{1} << 14);
    model_tail += graph_bytes;
    bytes += model_tail;

    EXPECT_EQ(expect_index_matches_protobuf(bytes), 6);  // B1, B2, C, D, extra, merged
    auto spans = onnx::index_initializer_raw_data(bytes.data(), bytes.size());
    ASSERT_TRUE(spans);
    EXPECT_EQ(spans->back().name, "merged");
    EXPECT_EQ(bytes.substr(spans->back().offset, spans->back().size), std::string(4096, 'b'));
}

TEST(RawDataIndex, EmptyAndGroupsAndBadVarints) {
    auto empty = onnx::index_initializer_raw_data(nullptr, 0);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
    EXPECT_FALSE(onnx::index_initializer_raw_data(nullptr, 3));
    // A start-group tag (wire type 3): the walk gives up rather than guess.
    EXPECT_FALSE(guarded_index(std::string("\x0b\x0c", 2)));
    // A varint longer than 10 bytes, and one cut short.
    EXPECT_FALSE(guarded_index(std::string(11, '\xff')));
    EXPECT_FALSE(guarded_index(std::string("\x08\x80", 2)));
    // Field number 0.
    EXPECT_FALSE(guarded_index(std::string("\x02\x00", 2)));
    // A length past the end of the buffer, at each level.
    EXPECT_FALSE(guarded_index(std::string("\x3a\x05\x00", 3)));
    EXPECT_FALSE(guarded_index(std::string("\x3a\x02\x2a\x05", 4)));
    EXPECT_FALSE(guarded_index(std::string("\x3a\x04\x2a\x02\x4a\x09", 6)));
}

}  // namespace
}  // namespace kiln::test
