// Hostile models: each row builds a crafted model in C++ and expects a kiln::Error with a given code whose message
// names the culprit (initializer, node, attribute, file), raised before kiln allocates anything of the size the
// model declares (docs/security.md lists the limits). Loader rows load the bytes or a file; runtime rows create a
// CPU session and, where the absurd size only appears at run time, run it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

#include "common/alloc_limit.h"
#include "kiln/session.h"
#include "onnx/loader.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;
using ::onnx::TensorProto;

constexpr int64_t kHuge = int64_t{1} << 40;

ir::Model load(const ModelBuilder& b, const std::string& base_dir = "") {
    std::string bytes = b.bytes();
    return onnx::load_model_bytes(bytes.data(), bytes.size(), base_dir);
}

// y = x + w, with the initializer `w` as `fill` makes it.
ModelBuilder with_initializer(const std::function<void(TensorProto&)>& fill) {
    ModelBuilder b(17);
    b.input("x", {4}).output("y");
    TensorProto& w = *b.graph().add_initializer();
    w.set_name("w");
    w.set_data_type(TensorProto::FLOAT);
    fill(w);
    b.node("Add", {"x", "w"}, {"y"}, "add");
    return b;
}

void set_dims(TensorProto& t, std::vector<int64_t> dims) {
    t.clear_dims();
    for (int64_t d : dims) t.add_dims(d);
}

// y = x + w, w stored externally in `dir`/`location` with the given keys (values as strings, "" to leave out).
std::string external_model(const std::string& dir, const std::string& location, const std::string& offset = "",
                           const std::string& length = "") {
    write_file(dir + "/w.bin", std::string(16, '\0'));
    ModelBuilder b(17);
    b.input("x", {4}).output("y");
    b.initializer_external("w", {4}, TensorProto::FLOAT, location);
    TensorProto& w = *b.graph().mutable_initializer(0);
    auto add = [&](const std::string& k, const std::string& v) {
        if (v.empty()) return;
        auto* e = w.add_external_data();
        e->set_key(k);
        e->set_value(v);
    };
    add("offset", offset);
    add("length", length);
    b.node("Add", {"x", "w"}, {"y"}, "add");
    return b.write(dir + "/model.onnx");
}

// `depth` If nodes, each in the then-branch of the one above (else-branches and the innermost branch output a
// constant), so subgraphs nest `depth` levels deep.
ModelBuilder nested_ifs(int depth) {
    ModelBuilder b(17);
    b.input("c", {}, TensorProto::BOOL).output("y");
    auto constant_branch = [](::onnx::GraphProto& g, const std::string& name, float value) {
        g.set_name(name);
        g.add_output()->set_name(name + "_y");
        auto* n = g.add_node();
        n->set_op_type("Constant");
        n->set_name(name + "_const");
        n->add_output(name + "_y");
        attr_float(*n, "value_float", value);
    };
    ::onnx::NodeProto* node = &b.node("If", {"c"}, {"y"}, "if0");
    for (int level = 1; level <= depth; ++level) {
        constant_branch(attr_graph(*node, "else_branch"), "else" + std::to_string(level), 0.0f);
        ::onnx::GraphProto& then = attr_graph(*node, "then_branch");
        if (level == depth) {
            constant_branch(then, "then" + std::to_string(level), 1.0f);
            break;
        }
        then.set_name("then" + std::to_string(level));
        then.add_output()->set_name("y" + std::to_string(level));
        node = then.add_node();
        node->set_op_type("If");
        node->set_name("if" + std::to_string(level));
        node->add_input("c");
        node->add_output("y" + std::to_string(level));
    }
    return b;
}

Session cpu_session(const ModelBuilder& b) {
    std::string bytes = b.bytes();
    return Session(bytes.data(), bytes.size());
}

Tensor int64_tensor(const std::vector<int64_t>& values) {
    Tensor t(DType::Int64, {static_cast<int64_t>(values.size())});
    std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(int64_t));
    return t;
}

Tensor float_tensor(const Shape& shape) { return Tensor(DType::Float, shape); }

// y = op(x, s): a float input and an int64 input whose value only comes at run time.
ModelBuilder shape_op_model(const std::string& op, const std::string& node_name) {
    ModelBuilder b(17);
    b.input("x", {-1}).input("s", {-1}, TensorProto::INT64).output("y");
    b.node(op, {"x", "s"}, {"y"}, node_name);
    return b;
}

void run_with_shape(const ModelBuilder& b, const std::vector<int64_t>& s) {
    Session session = cpu_session(b);
    session.run({{"x", float_tensor({4})}, {"s", int64_tensor(s)}});
}

struct HostileCase {
    std::string name;
    // Builds the model (in `dir`, a fresh folder, when it needs files) and loads or runs it.
    std::function<void(const std::string& dir)> attempt;
    ErrorCode code;
    std::vector<std::string> needles;  // every one must appear in the message
};

std::vector<HostileCase> hostile_cases() {
    using C = ErrorCode;
    std::vector<HostileCase> cases;
    auto add = [&](std::string name, std::function<void(const std::string&)> f, C code,
                   std::vector<std::string> needles) {
        cases.push_back({std::move(name), std::move(f), code, std::move(needles)});
    };

    // --- Tensor data: declared sizes against the bytes that are really there.
    add("DimsProductOverflowsInt64",
        [](auto&) {
            load(with_initializer([](TensorProto& w) { set_dims(w, {int64_t{1} << 32, int64_t{1} << 32, 4}); }));
        },
        C::InvalidModel, {"'w'", "too many elements"});
    add("DimsBytesOverflowSizeT",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                w.set_data_type(TensorProto::COMPLEX128);
                set_dims(w, {int64_t{1} << 62});
            }));
        },
        C::InvalidModel, {"'w'"});
    add("ComplexEntryCountOverflows",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                w.set_data_type(TensorProto::COMPLEX64);
                set_dims(w, {(int64_t{1} << 62) + 1});
                w.add_float_data(1.0f);
            }));
        },
        C::InvalidModel, {"'w'"});
    add("NegativeDim", [](auto&) { load(with_initializer([](TensorProto& w) {
                                       set_dims(w, {-3, 4});
                                   })); },
        C::InvalidModel, {"'w'", "negative"});
    add("RawDataShorterThanShape",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                set_dims(w, {4});
                w.set_raw_data(std::string(8, '\0'));
            }));
        },
        C::InvalidModel, {"'w'", "8 bytes of raw_data", "need 16"});
    add("RawDataLongerThanShape",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                set_dims(w, {4});
                w.set_raw_data(std::string(20, '\0'));
            }));
        },
        C::InvalidModel, {"'w'", "20 bytes of raw_data"});
    add("RawDataWithHugeDims",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                set_dims(w, {kHuge, 4});
                w.set_raw_data(std::string(16, '\0'));
            }));
        },
        C::InvalidModel, {"'w'", "16 bytes of raw_data"});
    add("LargeRawDataShorterThanShape",  // over kTakeRawDataMinBytes: the path that moves raw_data without a copy
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                set_dims(w, {kHuge});
                w.set_raw_data(std::string(8192, '\0'));
            }));
        },
        C::InvalidModel, {"'w'", "8192 bytes of raw_data"});
    add("FloatDataWrongCount",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                set_dims(w, {4});
                w.add_float_data(1.0f);
                w.add_float_data(2.0f);
            }));
        },
        C::InvalidModel, {"'w'", "holds 2 values; expected 4"});
    add("Int64DataWrongCount",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                w.set_data_type(TensorProto::INT64);
                set_dims(w, {3});
                for (int i = 0; i < 5; ++i) w.add_int64_data(i);
            }));
        },
        C::InvalidModel, {"'w'", "holds 5 values; expected 3"});
    add("TypedDataInTheWrongField",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                set_dims(w, {2});
                w.add_int64_data(1);
                w.add_int64_data(2);
            }));
        },
        C::InvalidModel, {"'w'", "holds 0 values; expected 2"});
    add("HugeDimsWithoutData",
        [](auto&) {
            load(with_initializer([](TensorProto& w) { set_dims(w, {kHuge, kHuge}); }));
        },
        C::InvalidModel, {"'w'"});
    add("StringTensorHugeCount",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                w.set_data_type(TensorProto::STRING);
                set_dims(w, {kHuge});
                w.add_string_data("a");
            }));
        },
        C::InvalidModel, {"'w'", "holds 1 values"});
    add("InvalidDataType",
        [](auto&) {
            load(with_initializer([](TensorProto& w) {
                w.set_data_type(999);
                set_dims(w, {1});
            }));
        },
        C::InvalidModel, {"'w'", "999"});
    add("SparseInitializerHugeDims",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {4}).output("y");
            auto* sp = b.graph().add_sparse_initializer();
            sp->add_dims(int64_t{1} << 22);
            sp->add_dims(int64_t{1} << 22);
            auto* values = sp->mutable_values();
            values->set_name("sp");
            values->set_data_type(TensorProto::FLOAT);
            values->add_dims(1);
            values->add_float_data(1.0f);
            auto* indices = sp->mutable_indices();
            indices->set_data_type(TensorProto::INT64);
            indices->add_dims(1);
            indices->add_int64_data(0);
            b.node("Add", {"x", "sp"}, {"y"}, "add");
            load(b);
        },
        C::InvalidModel, {"'sp'", "limit"});
    add("SparseInitializerNegativeDim",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {4}).output("y");
            auto* sp = b.graph().add_sparse_initializer();
            sp->add_dims(-4);
            auto* values = sp->mutable_values();
            values->set_name("sp");
            values->set_data_type(TensorProto::FLOAT);
            values->add_dims(0);
            auto* indices = sp->mutable_indices();
            indices->set_data_type(TensorProto::INT64);
            indices->add_dims(0);
            b.node("Add", {"x", "sp"}, {"y"}, "add");
            load(b);
        },
        C::InvalidModel, {"'sp'", "negative"});
    add("AttributeTensorHugeDims",
        [](auto&) {
            ModelBuilder b(17);
            b.output("y");
            auto& c = b.node("Constant", {}, {"y"}, "const_node");
            auto* a = c.add_attribute();
            a->set_name("value");
            a->set_type(::onnx::AttributeProto::TENSOR);
            a->mutable_t()->set_data_type(TensorProto::FLOAT);
            set_dims(*a->mutable_t(), {kHuge, kHuge});
            load(b);
        },
        C::InvalidModel, {"'value'", "const_node"});
    add("AttributeTensorRawDataShort",
        [](auto&) {
            ModelBuilder b(17);
            b.output("y");
            auto& c = b.node("Constant", {}, {"y"}, "const_node");
            auto* a = c.add_attribute();
            a->set_name("value");
            a->set_type(::onnx::AttributeProto::TENSOR);
            a->mutable_t()->set_data_type(TensorProto::FLOAT);
            set_dims(*a->mutable_t(), {kHuge});
            a->mutable_t()->set_raw_data(std::string(8192, '\0'));
            load(b);
        },
        C::InvalidModel, {"'value'", "const_node", "8192 bytes"});

    // --- External data: offsets and lengths against the file, locations inside the model's folder.
    add("ExternalOffsetPastEnd",
        [](auto& dir) { onnx::load_model_file(external_model(dir, "w.bin", "1000000000000")); }, C::InvalidModel,
        {"'w'", "offset 1000000000000", "w.bin"});
    add("ExternalLengthPastEnd",
        [](auto& dir) { onnx::load_model_file(external_model(dir, "w.bin", "8", "1099511627776")); }, C::InvalidModel,
        {"'w'", "length 1099511627776", "w.bin"});
    add("ExternalLengthNearInt64Max",
        [](auto& dir) { onnx::load_model_file(external_model(dir, "w.bin", "8", "9223372036854775000")); },
        C::InvalidModel, {"'w'", "w.bin"});
    add("ExternalOffsetTooLargeForInt64",
        [](auto& dir) { onnx::load_model_file(external_model(dir, "w.bin", "99999999999999999999999")); },
        C::InvalidModel, {"'w'", "'offset'", "too large"});
    add("ExternalOffsetNegative", [](auto& dir) { onnx::load_model_file(external_model(dir, "w.bin", "-16")); },
        C::InvalidModel, {"'w'", "'offset'", "-16"});
    add("ExternalLengthShorterThanShape",
        [](auto& dir) { onnx::load_model_file(external_model(dir, "w.bin", "0", "8")); }, C::InvalidModel,
        {"'w'", "length 8", "16 bytes"});
    add("ExternalAbsolutePath", [](auto& dir) { onnx::load_model_file(external_model(dir, "/etc/passwd")); },
        C::InvalidModel, {"'w'", "/etc/passwd", "absolute"});
    add("ExternalDotDotEscape", [](auto& dir) { onnx::load_model_file(external_model(dir, "../w.bin")); },
        C::InvalidModel, {"'w'", "../w.bin", "leaves the model's folder"});
    add("ExternalNestedDotDotEscape",
        [](auto& dir) { onnx::load_model_file(external_model(dir, "sub/../../../etc/passwd")); }, C::InvalidModel,
        {"'w'", "sub/../../../etc/passwd"});
    add("ExternalSymlinkOutOfFolder",
        [](auto& dir) {
            fs::create_symlink("/etc/passwd", dir + "/link.bin");
            onnx::load_model_file(external_model(dir, "link.bin"));
        },
        C::InvalidModel, {"'w'", "link.bin", "outside the model's folder"});
    add("ExternalSymlinkedFolderOutOfFolder",
        [](auto& dir) {
            fs::create_symlink("/etc", dir + "/etc_link");
            onnx::load_model_file(external_model(dir, "etc_link/passwd"));
        },
        C::InvalidModel, {"'w'", "etc_link/passwd", "outside the model's folder"});
    add("ExternalLocationIsAFolder",
        [](auto& dir) {
            fs::create_directories(dir + "/sub");
            onnx::load_model_file(external_model(dir, "sub"));
        },
        C::InvalidModel, {"'w'", "sub", "not a regular file"});
    add("ExternalMissingFile", [](auto& dir) { onnx::load_model_file(external_model(dir, "nothere.bin")); },
        C::NotFound, {"'w'", "nothere.bin"});

    // --- Graph structure.
    add("CycleNamesANodeOnIt",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.node("Relu", {"x"}, {"x1"}, "before_cycle");
            b.node("Relu", {"c"}, {"y"}, "after_cycle");  // waits on the cycle but is not on it (listed first)
            b.node("Add", {"x1", "b"}, {"a"}, "on_cycle_a");
            b.node("Relu", {"a"}, {"c"}, "on_cycle_c");
            b.node("Relu", {"c"}, {"b"}, "on_cycle_b");
            load(b);
        },
        C::InvalidModel, {"cycle", "on_cycle_"});
    add("SelfLoop",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.node("Add", {"x", "y"}, {"y"}, "selfish");
            load(b);
        },
        C::InvalidModel, {"selfish", "cycle"});
    add("ValueProducedTwice",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.node("Relu", {"x"}, {"y"}, "first");
            b.node("Neg", {"x"}, {"y"}, "second");
            load(b);
        },
        C::InvalidModel, {"'y'", "first", "second"});
    add("InputOverwrittenByNode",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.node("Relu", {"x"}, {"y"}, "r");
            b.node("Neg", {"y"}, {"x"}, "clobber");
            load(b);
        },
        C::InvalidModel, {"'x'", "clobber"});
    add("InitializerDefinedTwice",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.initializer_floats("w", {2}, {1, 2}).initializer_floats("w", {2}, {3, 4});
            b.node("Add", {"x", "w"}, {"y"}, "add");
            load(b);
        },
        C::InvalidModel, {"'w'", "more than once"});
    add("UndefinedNodeInput",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.node("Add", {"x", "ghost"}, {"y"}, "adder");
            load(b);
        },
        C::InvalidModel, {"adder", "'ghost'"});
    add("AttributeGivenTwice",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            auto& n = b.node("LeakyRelu", {"x"}, {"y"}, "leaky");
            attr_float(n, "alpha", 0.1f);
            attr_float(n, "alpha", 0.2f);
            load(b);
        },
        C::InvalidModel, {"leaky", "'alpha'", "more than once"});
    add("SubgraphNestingBeyondCap", [](auto&) { load(nested_ifs(onnx::kMaxSubgraphDepth + 1)); }, C::InvalidModel,
        {"if" + std::to_string(onnx::kMaxSubgraphDepth), std::to_string(onnx::kMaxSubgraphDepth), "nested"});
    add("ProtobufNestingBeyondLimit", [](auto&) { load(nested_ifs(1000)); }, C::InvalidModel,
        {"<memory>", "nested deeper"});

    // --- The protobuf itself.
    add("TruncatedBytes",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.initializer_floats("w", {64}, std::vector<float>(64, 1.0f));
            b.node("Add", {"x", "w"}, {"y"}, "add");
            std::string bytes = b.bytes();
            onnx::load_model_bytes(bytes.data(), bytes.size() - 9, "");
        },
        C::InvalidModel, {"<memory>", "truncated"});
    add("FileOver2GiB",
        [](auto& dir) {
            std::string path = dir + "/huge.onnx";
            int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
            ASSERT_GE(fd, 0);
            ASSERT_EQ(::ftruncate(fd, (off_t{1} << 31) + 4096), 0);  // sparse: takes no disk space
            ::close(fd);
            struct Remove {
                std::string path;
                ~Remove() { fs::remove(path); }
            } remove{path};
            onnx::load_model_file(path);
        },
        C::InvalidModel, {"huge.onnx", "2 GiB"});
    add("BytesOver2GiB",
        [](auto&) {
            // The size is checked before a byte is read: the buffer need not be that large.
            static const char kByte = 0;
            onnx::load_model_bytes(&kByte, (size_t{1} << 31) + 1, "");
        },
        C::InvalidModel, {"<memory>", "2 GiB"});

    // --- Opsets.
    add("OpsetImportMissing",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {2}).output("y");
            b.node("Relu", {"x"}, {"y"}, "r");
            b.proto().clear_opset_import();
            load(b);
        },
        C::InvalidModel, {"<memory>", "opset_import", "ir_version 8"});
    add("OpsetAbsurd",
        [](auto&) {
            ModelBuilder b(int64_t{1} << 50);
            b.input("x", {2}).output("y");
            b.node("Relu", {"x"}, {"y"}, "r");
            load(b);
        },
        C::InvalidModel, {"opset 1125899906842624"});
    add("OpsetNegative",
        [](auto&) {
            ModelBuilder b(-3);
            b.input("x", {2}).output("y");
            b.node("Relu", {"x"}, {"y"}, "r");
            load(b);
        },
        C::InvalidModel, {"opset -3"});

    // --- Shapes that only become absurd at session creation or at run time.
    add("ConstantOfShapeAbsurdConstantShape",
        [](auto&) {
            ModelBuilder b(17);
            b.output("y");
            b.initializer_ints("shape", {3}, {kHuge, kHuge, kHuge});
            b.node("ConstantOfShape", {"shape"}, {"y"}, "fill");
            cpu_session(b).run({});
        },
        C::InvalidArgument, {"fill"});
    add("ConstantOfShapeAbsurdRuntimeShape",
        [](auto&) {
            ModelBuilder b(17);
            b.input("s", {2}, TensorProto::INT64).output("y");
            b.node("ConstantOfShape", {"s"}, {"y"}, "fill");
            cpu_session(b).run({{"s", int64_tensor({kHuge, 4})}});
        },
        C::InvalidArgument, {"fill", "limit"});
    add("ConstantOfShapeOverflowingRuntimeShape",
        [](auto&) {
            ModelBuilder b(17);
            b.input("s", {2}, TensorProto::INT64).output("y");
            b.node("ConstantOfShape", {"s"}, {"y"}, "fill");
            cpu_session(b).run({{"s", int64_tensor({kHuge, kHuge})}});
        },
        C::InvalidArgument, {"fill", "more elements than int64"});
    add("ConstantOfShapeNegativeRuntimeShape",
        [](auto&) {
            ModelBuilder b(17);
            b.input("s", {2}, TensorProto::INT64).output("y");
            b.node("ConstantOfShape", {"s"}, {"y"}, "fill");
            cpu_session(b).run({{"s", int64_tensor({4, -2})}});
        },
        C::InvalidArgument, {"fill", "-2"});
    add("ExpandAbsurdRuntimeShape",
        [](auto&) {
            run_with_shape(shape_op_model("Expand", "expand"), {kHuge, kHuge, 4});
        },
        C::InvalidArgument, {"expand"});
    add("ExpandShapeOverflowsInt64",
        [](auto&) {
            run_with_shape(shape_op_model("Expand", "expand"), {int64_t{1} << 32, int64_t{1} << 32, 4});
        },
        C::InvalidArgument, {"expand"});
    add("TileAbsurdRepeats", [](auto&) { run_with_shape(shape_op_model("Tile", "tile"), {kHuge}); }, C::InvalidArgument,
        {"tile"});
    add("ReshapeAbsurdShape",
        [](auto&) {
            run_with_shape(shape_op_model("Reshape", "reshape"), {kHuge, kHuge});
        },
        C::InvalidArgument, {"reshape", "more elements than int64"});
    add("RangeAbsurdCount",
        [](auto&) {
            ModelBuilder b(17);
            b.input("limit", {}, TensorProto::INT64).output("y");
            b.initializer_ints("start", {}, {0}).initializer_ints("delta", {}, {1});
            b.node("Range", {"start", "limit", "delta"}, {"y"}, "range");
            Tensor limit(DType::Int64, {});
            *limit.data<int64_t>() = int64_t{1} << 60;
            cpu_session(b).run({{"limit", limit}});
        },
        C::InvalidArgument, {"range"});
    add("PadAbsurdPads",
        [](auto&) {
            ModelBuilder b(17);
            b.input("x", {-1}).input("p", {2}, TensorProto::INT64).output("y");
            b.node("Pad", {"x", "p"}, {"y"}, "pad");
            cpu_session(b).run({{"x", float_tensor({4})}, {"p", int64_tensor({0, kHuge * 64})}});
        },
        C::InvalidArgument, {"pad"});
    return cases;
}

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

class HostileModel : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileModel, FailsNamingTheCulprit) {
    const HostileCase& c = GetParam();
    std::string dir = test_tmp_dir("hostile_" + c.name);
    std::string message;
    expect_error(
        [&] {
            try {
                c.attempt(dir);
            } catch (const Error& e) {
                message = e.what();
                throw;
            }
        },
        c.code, c.needles);
    RecordProperty("message", message);
    if (std::getenv("KILN_PRINT_ERRORS")) std::cout << c.name << " | " << message << "\n";
}

INSTANTIATE_TEST_SUITE_P(Loader, HostileModel, ::testing::ValuesIn(hostile_cases()),
                         [](const ::testing::TestParamInfo<HostileCase>& info) { return info.param.name; });

// The allocation cap: a tensor above it is refused before any memory is taken, naming its size and the cap; one
// below it is allocated.
TEST(HostileModelLimits, AllocationCapIsEnforcedAndConfigurable) {
    size_t saved = max_allocation_bytes();
    set_max_allocation_bytes(size_t{1} << 20);
    expect_error([] { Tensor t(DType::Float, {1 << 19}); }, ErrorCode::InvalidArgument, {"2097152", "1048576"});
    EXPECT_NO_THROW(Tensor(DType::Float, {1 << 17}));
    // An initializer whose data is given but exceeds the cap is refused by name.
    ModelBuilder b(17);
    b.input("x", {-1}).output("y");
    b.initializer_floats("w", {1 << 19}, std::vector<float>(1 << 19, 0.5f));
    b.node("Add", {"x", "w"}, {"y"}, "add");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"'w'", "limit"});
    set_max_allocation_bytes(saved);
    EXPECT_NO_THROW(load(b));
    EXPECT_GE(max_allocation_bytes(), size_t{1} << 30);
}

// Nesting up to the cap loads and runs.
TEST(HostileModelLimits, SubgraphNestingAtTheCapWorks) {
    ModelBuilder b = nested_ifs(onnx::kMaxSubgraphDepth);
    Session session = cpu_session(b);
    Tensor c(DType::Bool, {});
    *c.data<bool>() = true;
    std::vector<Tensor> out = session.run({{"c", c}});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data<float>()[0], 1.0f);
}

}  // namespace
}  // namespace kiln::test
