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
std::vector<std::pair<uintptr_t, uintptr_t>> mappings_of(const std::string& file_name) {
    std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        if (line.size() < file_name.size() || line.compare(line.size() - file_name.size(), file_name.size(), file_name))
            continue;
        uintptr_t lo = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
        uintptr_t hi = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
        ranges.emplace_back(lo, hi);
    }
    return ranges;
}

bool inside(const std::vector<std::pair<uintptr_t, uintptr_t>>& ranges, const void* p) {
    auto a = reinterpret_cast<uintptr_t>(p);
    for (auto [lo, hi] : ranges) {
        if (a >= lo && a < hi) return true;
    }
    return false;
}

std::vector<const ::onnx::TensorProto*> main_initializers(const ::onnx::ModelProto& proto) {
    std::vector<const ::onnx::TensorProto*> out;
    for (const auto& t : proto.graph().initializer()) out.push_back(&t);
    return out;
}

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

// ---------------------------------------------------------------------------------------------------------------
// Loading from a file: borrowed bytes

TEST(LoaderRawData, LargeInitializersBorrowTheMappedFile) {
    std::string dir = test_tmp_dir("raw_data_borrowed");
    int borrowed = 0, moved = 0;
    for (int padding = 0; padding < 12; ++padding) {
        SCOPED_TRACE("padding " + std::to_string(padding));
        ModelBuilder b = weights_model(padding);
        std::string bytes = b.bytes();
        std::string name = str("m", padding, ".onnx");
        std::string path = b.write(dir + "/" + name);
        auto spans = onnx::index_initializer_raw_data(bytes.data(), bytes.size());
        ASSERT_TRUE(spans);
        ::onnx::ModelProto proto;
        ASSERT_TRUE(proto.ParseFromString(bytes));

        ir::Model m = onnx::load_model_file(path);
        auto ranges = mappings_of("/" + name);
        for (size_t i = 0; i < spans->size(); ++i) {
            const onnx::RawDataSpan& s = (*spans)[i];
            const ir::Value* v = m.graph->find_value(s.name);
            ASSERT_TRUE(v && v->constant) << s.name;
            // The oracle: the copy that tensor_from_proto makes from protobuf's parse.
            Tensor copy = onnx::tensor_from_proto(*main_initializers(proto)[i], nullptr, s.name);
            ASSERT_EQ(v->constant->byte_size(), copy.byte_size()) << s.name;
            EXPECT_EQ(std::memcmp(v->constant->raw_data(), copy.raw_data(), copy.byte_size()), 0) << s.name;
            size_t elem = v->constant->dtype() == DType::Double ? 8 : 4;
            bool large = s.size >= onnx::kTakeRawDataMinBytes;
            bool in_file = inside(ranges, v->constant->raw_data());
            if (large && s.offset % elem == 0) {
                // The mapping starts on a page, so the address is as aligned as the file offset.
                EXPECT_TRUE(in_file) << s.name << " at file offset " << s.offset << " was copied";
                if (in_file) {
                    EXPECT_EQ(static_cast<const unsigned char*>(v->constant->raw_data()) - s.offset,
                              reinterpret_cast<const unsigned char*>(ranges.front().first));
                }
                ++borrowed;
            } else {
                EXPECT_FALSE(in_file) << s.name << " at file offset " << s.offset << " borrows the file";
                EXPECT_EQ(reinterpret_cast<uintptr_t>(v->constant->raw_data()) % elem, 0u) << s.name;
                if (large) ++moved;
            }
        }
    }
    // Twelve paddings put the large tensors at every offset modulo 8 and 4.
    EXPECT_GT(borrowed, 0);
    EXPECT_GT(moved, 0);
    // The mapping goes with the last tensor that borrows it.
    EXPECT_TRUE(mappings_of("/m0.onnx").empty());
}

TEST(LoaderRawData, BytesFromMemoryAreNotKept) {
    std::string bytes = weights_model(2).bytes();
    ::onnx::ModelProto proto;
    ASSERT_TRUE(proto.ParseFromString(bytes));
    ir::Model m = onnx::load_model_bytes(bytes.data(), bytes.size(), "");
    const auto* begin = reinterpret_cast<const unsigned char*>(bytes.data());
    std::fill(bytes.begin(), bytes.end(), '\0');  // the caller reuses its buffer
    for (const auto& init : proto.graph().initializer()) {
        const Tensor& t = *m.graph->find_value(init.name())->constant;
        const auto* data = static_cast<const unsigned char*>(t.raw_data());
        EXPECT_FALSE(data >= begin && data < begin + bytes.size()) << init.name();
        ASSERT_EQ(t.byte_size(), init.raw_data().size());
        EXPECT_EQ(std::memcmp(data, init.raw_data().data(), t.byte_size()), 0) << init.name();
    }
}

TEST(LoaderRawData, WhereTheIndexGivesUpTheParsedBytesAreKept) {
    // An unknown group (field 1000) at the end: protobuf skips it, the index gives up on it.
    std::string dir = test_tmp_dir("raw_data_group");
    for (int padding = 0; padding < 4; ++padding) {
        std::string bytes = weights_model(padding).bytes() + std::string("\xc3\x3e\x08\x01\xc4\x3e", 6);
        ASSERT_FALSE(onnx::index_initializer_raw_data(bytes.data(), bytes.size()));
        ::onnx::ModelProto proto;
        ASSERT_TRUE(proto.ParseFromString(bytes));
        std::string name = str("g", padding, ".onnx");
        write_file(dir + "/" + name, bytes);
        ir::Model m = onnx::load_model_file(dir + "/" + name);
        EXPECT_TRUE(mappings_of("/" + name).empty());
        for (const auto& init : proto.graph().initializer()) {
            const Tensor& t = *m.graph->find_value(init.name())->constant;
            ASSERT_EQ(t.byte_size(), init.raw_data().size());
            EXPECT_EQ(std::memcmp(t.raw_data(), init.raw_data().data(), t.byte_size()), 0) << init.name();
        }
    }
}

TEST(LoaderRawData, BorrowedModelSurvivesItsFileBeingReplaced) {
    std::string dir = test_tmp_dir("raw_data_replaced");
    // A padding that puts B1 (float) at a file offset aligned for floats, so that it borrows the mapping.
    int padding = 0;
    for (; padding < 4; ++padding) {
        std::string bytes = weights_model(padding).bytes();
        auto spans = onnx::index_initializer_raw_data(bytes.data(), bytes.size());
        ASSERT_TRUE(spans && spans->front().name == "B1");
        if (spans->front().offset % 4 == 0) break;
    }
    ASSERT_LT(padding, 4);
    ModelBuilder b = weights_model(padding);
    std::string bytes = b.bytes();
    std::string path = b.write(dir + "/m.onnx");
    ir::Model first = onnx::load_model_bytes(bytes.data(), bytes.size(), "");
    ir::Model mapped = onnx::load_model_file(path);
    ASSERT_TRUE(inside(mappings_of("/m.onnx"), mapped.graph->find_value("B1")->constant->raw_data()));
    // The writer replaces the file (a new file renamed over it), so the mapping keeps the old bytes.
    ModelBuilder other = weights_model(5);
    for (auto& t : *other.graph().mutable_initializer()) {
        std::fill(t.mutable_raw_data()->begin(), t.mutable_raw_data()->end(), 'z');
    }
    std::string other_bytes = other.bytes();
    onnx::save_model_file(onnx::load_model_bytes(other_bytes.data(), other_bytes.size(), ""), path);
    ir::Model replaced = onnx::load_model_file(path);
    for (const char* name : {"B1", "B2", "C", "D"}) {
        const Tensor& a = *first.graph->find_value(name)->constant;
        const Tensor& m = *mapped.graph->find_value(name)->constant;
        const Tensor& r = *replaced.graph->find_value(name)->constant;
        EXPECT_EQ(std::memcmp(a.raw_data(), m.raw_data(), a.byte_size()), 0) << name;
        EXPECT_EQ(static_cast<const char*>(r.raw_data())[0], 'z') << name;
    }
}

// Naive reference for the outputs of weights_model, in double.
void expect_weights_model_outputs(const std::vector<Tensor>& out, const std::vector<float>& x,
                                  const std::vector<double>& xd, const ::onnx::ModelProto& proto) {
    std::map<std::string, const std::string*> raw;
    for (const auto& t : proto.graph().initializer()) raw[t.name()] = &t.raw_data();
    for (const auto& node : proto.graph().node()) {
        for (const auto& a : node.attribute()) {
            for (const auto& t : a.g().initializer()) raw[t.name()] = &t.raw_data();
        }
    }
    auto f = [&](const std::string& name, size_t i) {
        float v;
        std::memcpy(&v, raw.at(name)->data() + i * 4, 4);
        return static_cast<double>(v);
    };
    auto d = [&](const std::string& name, size_t i) {
        double v;
        std::memcpy(&v, raw.at(name)->data() + i * 8, 8);
        return v;
    };
    ASSERT_EQ(out.size(), 3u);
    for (size_t r = 0; r < 2; ++r) {
        std::vector<double> h(32, 0.0);
        for (size_t j = 0; j < 32; ++j) {
            for (size_t k = 0; k < 64; ++k) h[j] += x[r * 64 + k] * f("B1", k * 32 + j);
        }
        for (size_t o = 0; o < 48; ++o) {
            double y = f("C", o);
            for (size_t j = 0; j < 32; ++j) y += h[j] * f("B2", o * 32 + j);
            EXPECT_NEAR(out[0].data<float>()[r * 48 + o], y, 1e-4) << r << "," << o;
        }
    }
    for (size_t r = 0; r < 3; ++r) {
        for (size_t o = 0; o < 16; ++o) {
            double z = 0;
            for (size_t k = 0; k < 64; ++k) z += xd[r * 64 + k] * d("D", k * 16 + o);
            EXPECT_NEAR(out[1].data<double>()[r * 16 + o], z, 1e-12) << r << "," << o;
        }
    }
    double k = 0;
    for (size_t i = 0; i < 1100; ++i) k += f("then_branch_w", i);
    EXPECT_NEAR(out[2].data<float>()[0], k, 1e-3);
}

TEST(LoaderRawData, SessionsOnBorrowedWeightsGiveTheReferenceOutputs) {
    std::string dir = test_tmp_dir("raw_data_session");
    std::vector<float> x(2 * 64);
    std::vector<double> xd(3 * 64);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(static_cast<float>(i)) * 0.3f;
    for (size_t i = 0; i < xd.size(); ++i) xd[i] = std::sin(static_cast<double>(i)) * 0.7;
    std::vector<NamedTensor> feeds = {{"x", Tensor::from_vector(DType::Float, {2, 64}, x)},
                                      {"xd", Tensor::from_vector(DType::Double, {3, 64}, xd)},
                                      {"cond", Tensor::from_vector(DType::Bool, {}, std::vector<bool>{true})}};
    for (int padding = 0; padding < 8; ++padding) {
        SCOPED_TRACE("padding " + std::to_string(padding));
        ModelBuilder b = weights_model(padding);
        std::string path = b.write(dir + "/m" + std::to_string(padding) + ".onnx");
        std::string bytes = b.bytes();
        for (auto level : {GraphOptimizationLevel::DisableAll, GraphOptimizationLevel::All}) {
            SessionOptions options;
            options.optimization_level = level;
            Session from_file(path, options);
            Session from_bytes(bytes.data(), bytes.size(), options);
            std::vector<Tensor> a = from_file.run(feeds);
            std::vector<Tensor> c = from_bytes.run(feeds);
            expect_weights_model_outputs(a, x, xd, b.proto());
            ASSERT_EQ(a.size(), c.size());
            for (size_t i = 0; i < a.size(); ++i) {
                ASSERT_EQ(a[i].byte_size(), c[i].byte_size());
                EXPECT_EQ(std::memcmp(a[i].raw_data(), c[i].raw_data(), a[i].byte_size()), 0) << "output " << i;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Malformed files

TEST(LoaderRawData, EveryTruncationIsAnErrorNeverACrash) {
    ModelBuilder b(17);
    b.input("x", {1024}).output("y", {1024});
    add_raw_initializer(b.graph(), "w", {1024}, ::onnx::TensorProto::FLOAT, 4, 2);  // exactly 4 KiB
    b.node("Add", {"x", "w"}, {"y"}, "add");
    std::string bytes = b.bytes();
    // The graph field spans [graph_begin, graph_end); cut inside it, the message cannot be complete.
    ::onnx::ModelProto head = b.proto(), tail;
    head.clear_graph();
    head.clear_opset_import();
    *tail.mutable_opset_import() = b.proto().opset_import();
    size_t graph_begin = head.SerializeAsString().size();
    size_t graph_end = bytes.size() - tail.SerializeAsString().size();
    ASSERT_LT(graph_begin + 4096, graph_end);

    std::string dir = test_tmp_dir("raw_data_truncated");
    std::string path = dir + "/cut.onnx";
    int errors = 0;
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        std::string prefix = bytes.substr(0, cut);
        guarded_index(prefix);
        write_file(path, prefix);
        try {
            onnx::load_model_file(path);
            EXPECT_TRUE(cut <= graph_begin || cut >= graph_end) << "a model cut at byte " << cut << " loaded";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::InvalidModel) << "cut at " << cut << ": " << e.what();
            EXPECT_NE(std::string(e.what()).find("cut.onnx"), std::string::npos) << e.what();
            ++errors;
        }
    }
    EXPECT_GE(errors, static_cast<int>(graph_end - graph_begin));
}

TEST(LoaderRawData, CorruptedAndRandomFilesGiveErrorsOrTheSameTensorsAsACopy) {
    ModelBuilder b = weights_model(3);
    std::string original = b.bytes();
    auto spans = onnx::index_initializer_raw_data(original.data(), original.size());
    ASSERT_TRUE(spans);
    // Bytes outside the raw_data payloads: the structure, where corruption matters.
    std::vector<size_t> structure;
    for (size_t i = 0; i < original.size(); ++i) {
        bool payload = false;
        for (const auto& s : *spans) payload = payload || (i >= s.offset && i < s.offset + s.size);
        if (!payload) structure.push_back(i);
    }
    std::string dir = test_tmp_dir("raw_data_corrupted");
    std::string path = dir + "/bad.onnx";
    std::mt19937 rng(1234);
    int loaded = 0, failed = 0;
    for (int round = 0; round < 600; ++round) {
        std::string bytes;
        if (round % 4 == 3) {  // random bytes, some behind a graph tag so that the walk goes deeper
            bytes.resize(rng() % 700);
            for (char& c : bytes) c = static_cast<char>(rng());
            if (round % 8 == 3 && bytes.size() > 2) bytes[0] = '\x3a';
        } else {  // a valid model with one to four bytes changed, mostly in its structure
            bytes = original;
            for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
                size_t at = rng() % 5 == 0 ? rng() % bytes.size() : structure[rng() % structure.size()];
                bytes[at] = static_cast<char>(rng());
            }
        }
        SCOPED_TRACE("round " + std::to_string(round));
        auto index = guarded_index(bytes);
        ::onnx::ModelProto proto;
        bool parses = proto.ParseFromString(bytes);
        if (index && parses && index->size() == static_cast<size_t>(proto.graph().initializer_size())) {
            for (size_t i = 0; i < index->size(); ++i) {
                const auto& init = proto.graph().initializer(static_cast<int>(i));
                if ((*index)[i].name != init.name() || !(*index)[i].has_raw_data || !init.has_raw_data()) continue;
                EXPECT_EQ(bytes.substr((*index)[i].offset, (*index)[i].size), init.raw_data());
            }
        }
        write_file(path, bytes);
        std::optional<ir::Model> from_file;
        try {
            from_file = onnx::load_model_file(path);
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("bad.onnx"), std::string::npos) << e.what();
            ++failed;
            continue;
        }
        ++loaded;
        // Whatever loads from the file equals what loading the same bytes from memory (a copy) gives.
        ir::Model from_bytes = onnx::load_model_bytes(bytes.data(), bytes.size(), dir);
        for (const auto& [name, value] : from_file->graph->values()) {
            if (!value->constant) continue;
            const ir::Value* other = from_bytes.graph->find_value(name);
            ASSERT_TRUE(other && other->constant) << name;
            ASSERT_EQ(value->constant->byte_size(), other->constant->byte_size()) << name;
            ASSERT_EQ(value->constant->dtype(), other->constant->dtype()) << name;
            if (value->constant->dtype() == DType::String) continue;  // no large raw_data: loaded alike
            EXPECT_EQ(
                std::memcmp(value->constant->raw_data(), other->constant->raw_data(), value->constant->byte_size()), 0)
                << name;
        }
    }
    EXPECT_GT(loaded, 20);
    EXPECT_GT(failed, 150);
}

}  // namespace
}  // namespace kiln::test
