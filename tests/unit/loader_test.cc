// Tests of src/onnx/: parsing, import, errors naming their culprit, external data, opset normalisation,
// tensor files, and loading of real and backend-test models.
#include "onnx/loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "kiln/session.h"
#include "onnx/onnx-data.pb.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;

fs::path source_root() { return KILN_SOURCE_DIR; }
fs::path site_packages() { return source_root() / ".venv/lib/python3.11/site-packages"; }

ir::Model load(const ModelBuilder& b, const std::string& base_dir = "") {
    std::string bytes = b.bytes();
    return onnx::load_model_bytes(bytes.data(), bytes.size(), base_dir);
}

const ir::Node* find_node(const ir::Graph& g, const std::string& name) {
    for (const auto& n : g.nodes()) {
        if (n->name == name) return n.get();
    }
    return nullptr;
}

std::vector<const ir::Node*> nodes_of(const ir::Graph& g, const std::string& op_type) {
    std::vector<const ir::Node*> out;
    for (const auto& n : g.nodes()) {
        if (n->op_type == op_type) out.push_back(n.get());
    }
    return out;
}

template <typename T>
std::vector<T> values_of(const ir::Value* v) {
    EXPECT_TRUE(v && v->constant);
    if (!v || !v->constant) return {};
    const T* p = v->constant->data<T>();
    return std::vector<T>(p, p + v->constant->element_count());
}

// A small valid model: y = Relu(x).
ModelBuilder relu_model(int64_t opset = 17) {
    ModelBuilder b(opset);
    b.input("x", {2, 3}).output("y", {2, 3});
    b.node("Relu", {"x"}, {"y"}, "relu");
    return b;
}

// ---------------------------------------------------------------------------------------------------------------
// Successful loads

TEST(Loader, LoadsSimpleModelFromBytesAndFile) {
    ModelBuilder b = relu_model();
    b.proto().set_producer_name("prod");
    b.proto().set_model_version(3);
    auto* md = b.proto().add_metadata_props();
    md->set_key("author");
    md->set_value("me");
    ir::Model m = load(b);
    EXPECT_EQ(m.producer_name, "prod");
    EXPECT_EQ(m.model_version, 3);
    EXPECT_EQ(m.metadata.at("author"), "me");
    EXPECT_EQ(m.opsets.at(""), 17);
    ASSERT_EQ(m.graph->nodes().size(), 1u);
    const ir::Node& n = *m.graph->nodes()[0];
    EXPECT_EQ(n.name, "relu");
    EXPECT_EQ(n.op, OpKind::Relu);
    EXPECT_EQ(n.opset, 17);
    ASSERT_EQ(m.graph->inputs().size(), 1u);
    EXPECT_TRUE(m.graph->inputs()[0]->is_graph_input);
    EXPECT_EQ(m.graph->inputs()[0]->type.dtype, DType::Float);
    EXPECT_TRUE(m.graph->outputs()[0]->is_graph_output);

    std::string path = b.write(test_tmp_dir("simple") + "/m.onnx");
    ir::Model m2 = onnx::load_model_file(path);
    EXPECT_EQ(m2.graph->nodes().size(), 1u);
}

TEST(Loader, ImportsTypesSymbolsNamesDomainsAndOverridableInitializers) {
    ModelBuilder b(13);
    auto* op = b.proto().add_opset_import();
    op->set_domain("com.example");
    op->set_version(1);
    b.input("x", {-1, 3, 4}, 1, {"N", "", ""});
    b.input("bias", {3, 4});
    b.initializer_floats("bias", {3, 4}, std::vector<float>(12, 1.0f));
    b.initializer_floats("w", {1}, {2.0f});
    b.value_info("t", {-1, 3, 4});
    b.output("y");
    b.output("z");
    b.node("Add", {"x", "bias"}, {"t"});
    b.node("Mul", {"t", "w"}, {"y"}, "", "ai.onnx");
    b.node("MyOp", {"t"}, {"z"}, "custom", "com.example");
    ir::Model m = load(b);
    const ir::Graph& g = *m.graph;
    ASSERT_EQ(g.inputs().size(), 2u);
    const ir::Value* x = g.inputs()[0];
    ASSERT_TRUE(x->type.shape.has_value());
    EXPECT_EQ((*x->type.shape)[0].symbol, "N");
    EXPECT_FALSE((*x->type.shape)[0].known());
    EXPECT_EQ((*x->type.shape)[1].value, 3);
    const ir::Value* bias = g.find_value("bias");
    EXPECT_TRUE(bias->is_graph_input);
    EXPECT_TRUE(bias->constant.has_value());
    const ir::Value* w = g.find_value("w");
    EXPECT_FALSE(w->is_graph_input);
    EXPECT_EQ(values_of<float>(w), std::vector<float>{2.0f});
    EXPECT_EQ(g.find_value("t")->type.shape->size(), 3u);
    // Unnamed nodes get "<op_type>_<index>"; "ai.onnx" becomes "".
    ASSERT_NE(find_node(g, "Add_0"), nullptr);
    const ir::Node* mul = find_node(g, "Mul_1");
    ASSERT_NE(mul, nullptr);
    EXPECT_EQ(mul->domain, "");
    EXPECT_EQ(mul->op, OpKind::Mul);
    const ir::Node* custom = find_node(g, "custom");
    ASSERT_NE(custom, nullptr);
    EXPECT_EQ(custom->domain, "com.example");
    EXPECT_EQ(custom->op, OpKind::Unknown);
    EXPECT_EQ(custom->opset, 1);
}

TEST(Loader, UnknownAiOnnxOpImportsAsUnknown) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y");
    b.node("NoSuchOp", {"x"}, {"y"}, "n");
    ir::Model m = load(b);
    EXPECT_EQ(m.graph->nodes()[0]->op, OpKind::Unknown);
}

TEST(Loader, ImportsSubgraphsWithOuterScope) {
    ModelBuilder b(17);
    b.input("c", {}, 9).input("x", {2}).output("y");
    b.initializer_floats("k", {2}, {1, 2});
    auto& n = b.node("If", {"c"}, {"y"}, "if");
    for (const char* branch : {"then_branch", "else_branch"}) {
        auto& g = attr_graph(n, branch);
        g.set_name(branch);
        const std::string out = str(branch, "_out");
        auto* node = g.add_node();
        node->set_op_type("Add");
        node->add_input("x");
        node->add_input("k");
        node->add_output(out);
        g.add_output()->set_name(out);
    }
    ir::Model m = load(b);
    const ir::Node* iff = find_node(*m.graph, "if");
    ASSERT_NE(iff, nullptr);
    const ir::Attribute& then = iff->attr("then_branch");
    ASSERT_EQ(then.kind, ir::Attribute::Kind::Graph);
    ASSERT_TRUE(then.g);
    EXPECT_EQ(then.g->outer(), m.graph.get());
    const ir::Node& add = *then.g->nodes()[0];
    EXPECT_EQ(add.inputs[0], m.graph->find_value("x"));
    EXPECT_EQ(add.inputs[1], m.graph->find_value("k"));
    EXPECT_NO_THROW(then.g->verify());
}

TEST(Loader, ReadsAttributesOfEveryKind) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y");
    auto& n = b.node("Foo", {"x"}, {"y"}, "foo", "com.x");
    attr_int(n, "i", 5);
    attr_float(n, "f", 1.5f);
    attr_string(n, "s", "hi");
    attr_ints(n, "is", {1, 2});
    attr_floats(n, "fs", {0.5f});
    auto* t = n.add_attribute();
    t->set_name("t");
    t->set_type(::onnx::AttributeProto::TENSOR);
    t->mutable_t()->set_data_type(::onnx::TensorProto::INT32);
    t->mutable_t()->add_dims(2);
    t->mutable_t()->add_int32_data(7);
    t->mutable_t()->add_int32_data(8);
    auto* tp = n.add_attribute();
    tp->set_name("tp");
    tp->set_type(::onnx::AttributeProto::TYPE_PROTO);
    tp->mutable_tp()->mutable_tensor_type()->set_elem_type(10);
    ir::Model m = load(b);
    const ir::Node& node = *m.graph->nodes()[0];
    EXPECT_EQ(node.attr_int("i", 0), 5);
    EXPECT_EQ(node.attr_float("f", 0), 1.5f);
    EXPECT_EQ(node.attr_string("s", ""), "hi");
    EXPECT_EQ(node.attr_ints("is"), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(node.attr_floats("fs"), (std::vector<float>{0.5f}));
    EXPECT_EQ(node.attr("t").t.dtype(), DType::Int32);
    EXPECT_EQ(node.attr("t").t.data<int32_t>()[1], 8);
    EXPECT_EQ(node.attr("tp").type_info.dtype, DType::Float16);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

TEST(LoaderErrors, MissingFile) {
    expect_error([] { onnx::load_model_file("/nonexistent/dir/model.onnx"); }, ErrorCode::NotFound,
                 {"/nonexistent/dir/model.onnx"});
}

TEST(LoaderErrors, NotAProtobuf) {
    std::string dir = test_tmp_dir("garbage");
    write_file(dir + "/bad.onnx", "this is certainly not a protobuf \xff\xff\xff\xff");
    expect_error([&] { onnx::load_model_file(dir + "/bad.onnx"); }, ErrorCode::InvalidModel, {"bad.onnx"});
    std::string junk = "\xff\xff\xff";
    expect_error([&] { onnx::load_model_bytes(junk.data(), junk.size(), ""); }, ErrorCode::InvalidModel, {"<memory>"});
}

TEST(LoaderErrors, Truncated) {
    ModelBuilder b = relu_model();
    b.initializer_floats("w", {64}, std::vector<float>(64, 1.0f));
    std::string bytes = b.bytes();
    std::string dir = test_tmp_dir("truncated");
    write_file(dir + "/cut.onnx", bytes.substr(0, bytes.size() - 7));
    expect_error([&] { onnx::load_model_file(dir + "/cut.onnx"); }, ErrorCode::InvalidModel, {"cut.onnx"});
    expect_error([&] { onnx::load_model_bytes(bytes.data(), bytes.size() - 7, ""); }, ErrorCode::InvalidModel,
                 {"<memory>"});
}

TEST(LoaderErrors, EmptyGraph) {
    ModelBuilder b(17, "nothing");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"nothing", "empty"});
}

TEST(LoaderErrors, DanglingInput) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y");
    b.node("Add", {"x", "missing_w"}, {"y"}, "adder");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"adder", "missing_w"});
}

TEST(LoaderErrors, DanglingOutput) {
    ModelBuilder b(17);
    b.input("x", {2}).output("nowhere");
    b.node("Relu", {"x"}, {"y"}, "r");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"nowhere"});
}

TEST(LoaderErrors, DuplicateProducer) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y");
    b.node("Relu", {"x"}, {"y"}, "first");
    b.node("Neg", {"x"}, {"y"}, "second");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"'y'", "first", "second"});
}

TEST(LoaderErrors, InputAlsoProduced) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y");
    b.node("Relu", {"x"}, {"x"}, "clobber");
    b.node("Relu", {"x"}, {"y"}, "r");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"'x'", "clobber"});
}

TEST(LoaderErrors, DuplicateInitializer) {
    ModelBuilder b = relu_model();
    b.initializer_floats("w", {1}, {1});
    b.initializer_floats("w", {1}, {2});
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"'w'"});
}

TEST(LoaderErrors, Cycle) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y");
    b.node("Add", {"x", "b"}, {"a"}, "na");
    b.node("Relu", {"a"}, {"b"}, "nb");
    b.node("Relu", {"a"}, {"y"}, "nc");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"cycle"});
    try {
        load(b);
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_TRUE(msg.find("na") != std::string::npos || msg.find("nb") != std::string::npos) << msg;
    }
}

TEST(LoaderErrors, OpsetOutOfRange) {
    expect_error([] { load(relu_model(0)); }, ErrorCode::InvalidModel,
                 {"opset 0", "1", std::to_string(onnx::max_supported_opset())});
    int64_t too_new = onnx::max_supported_opset() + 1;
    expect_error([&] { load(relu_model(too_new)); }, ErrorCode::InvalidModel, {std::to_string(too_new)});
    EXPECT_EQ(onnx::min_supported_opset(), 1);
    EXPECT_NO_THROW(load(relu_model(1)));
    EXPECT_NO_THROW(load(relu_model(6)));
    // Before IR version 3 there was no opset_import: opset 1.
    ModelBuilder old = relu_model();
    old.proto().clear_opset_import();
    old.proto().set_ir_version(2);
    EXPECT_EQ(load(old).opsets.at(""), 1);
    EXPECT_NO_THROW(load(relu_model(onnx::max_supported_opset())));
}

TEST(LoaderErrors, AcceptsAiOnnxDomainName) {
    ModelBuilder b = relu_model(13);
    b.proto().mutable_opset_import(0)->set_domain("ai.onnx");
    ir::Model m = load(b);
    EXPECT_EQ(m.opsets.at(""), 13);
    b.proto().mutable_opset_import(0)->set_version(0);
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"opset 0"});
}

TEST(LoaderErrors, BadInitializerData) {
    ModelBuilder b = relu_model();
    b.initializer_floats("w", {4}, {1, 2});
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"'w'"});
}

// ---------------------------------------------------------------------------------------------------------------
// External data

std::string float_bytes(const std::vector<float>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// y = x + w, w stored externally at `location` with `offset`.
ModelBuilder external_model(const std::string& location, int64_t offset = -1, int64_t length = -1) {
    ModelBuilder b(17);
    b.input("x", {4}).output("y");
    b.initializer_external("w", {4}, 1, location, offset, length);
    b.node("Add", {"x", "w"}, {"y"}, "add");
    return b;
}

TEST(LoaderExternal, MappedFromPathAndFromBytes) {
    std::string dir = test_tmp_dir("external_ok");
    write_file(dir + "/data/weights.bin", std::string(16, '\0') + float_bytes({1, 2, 3, 4}));
    ModelBuilder b = external_model("data/weights.bin", 16, 16);
    std::string path = b.write(dir + "/m.onnx");
    ir::Model m = onnx::load_model_file(path);
    const ir::Value* w = m.graph->find_value("w");
    EXPECT_EQ(values_of<float>(w), (std::vector<float>{1, 2, 3, 4}));
    EXPECT_TRUE(w->constant->owns_data());
    // Memory-mapped, not copied: while the tensor lives, the process maps weights.bin, and the tensor's data
    // points into that mapping.
    {
        std::ifstream maps("/proc/self/maps");
        std::string line;
        bool mapped = false;
        auto addr = reinterpret_cast<uintptr_t>(w->constant->raw_data());
        while (std::getline(maps, line)) {
            if (line.find("weights.bin") == std::string::npos) continue;
            uintptr_t lo = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
            uintptr_t hi = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
            mapped = mapped || (addr >= lo && addr < hi);
        }
        EXPECT_TRUE(mapped) << "tensor data is not inside a mapping of weights.bin";
    }
    ir::Model m2 = load(b, dir);
    EXPECT_EQ(values_of<float>(m2.graph->find_value("w")), (std::vector<float>{1, 2, 3, 4}));
    // Without offset/length: from the start of the file.
    write_file(dir + "/plain.bin", float_bytes({5, 6, 7, 8}));
    ir::Model m3 = load(external_model("plain.bin"), dir);
    EXPECT_EQ(values_of<float>(m3.graph->find_value("w")), (std::vector<float>{5, 6, 7, 8}));
}

TEST(LoaderExternal, MemoryWithoutBaseDirIsRefused) {
    expect_error([] { load(external_model("w.bin")); }, ErrorCode::InvalidArgument, {"'w'", "w.bin"});
}

TEST(LoaderExternal, EscapingPathsAreRefused) {
    std::string dir = test_tmp_dir("external_escape");
    write_file(dir + "/outside.bin", float_bytes({1, 2, 3, 4}));
    fs::create_directories(dir + "/model/sub");
    for (const std::string& loc :
         std::vector<std::string>{"../outside.bin", "sub/../../outside.bin", dir + "/outside.bin", "/etc/passwd"}) {
        SCOPED_TRACE(loc);
        std::string path = external_model(loc).write(dir + "/model/m.onnx");
        expect_error([&] { onnx::load_model_file(path); }, ErrorCode::InvalidModel, {"'w'", loc});
    }
    // A symlink inside the folder that points outside it.
    fs::create_symlink(dir + "/outside.bin", dir + "/model/link.bin");
    std::string path = external_model("link.bin").write(dir + "/model/m.onnx");
    expect_error([&] { onnx::load_model_file(path); }, ErrorCode::InvalidModel, {"'w'", "link.bin"});
    // A path with ".." that stays inside is fine.
    write_file(dir + "/model/in.bin", float_bytes({1, 2, 3, 4}));
    path = external_model("sub/../in.bin").write(dir + "/model/m.onnx");
    EXPECT_NO_THROW(onnx::load_model_file(path));
}

TEST(LoaderExternal, MissingAndShortFiles) {
    std::string dir = test_tmp_dir("external_short");
    std::string path = external_model("nothere.bin").write(dir + "/m.onnx");
    expect_error([&] { onnx::load_model_file(path); }, ErrorCode::NotFound, {"nothere.bin", "'w'"});
    write_file(dir + "/short.bin", float_bytes({1, 2, 3}));
    path = external_model("short.bin").write(dir + "/m.onnx");
    expect_error([&] { onnx::load_model_file(path); }, ErrorCode::InvalidModel, {"'w'", "short.bin"});
    write_file(dir + "/four.bin", float_bytes({1, 2, 3, 4}));
    path = external_model("four.bin", 4, 16).write(dir + "/m.onnx");
    expect_error([&] { onnx::load_model_file(path); }, ErrorCode::InvalidModel, {"'w'", "four.bin"});
    path = external_model("four.bin", 0, 8).write(dir + "/m.onnx");
    expect_error([&] { onnx::load_model_file(path); }, ErrorCode::InvalidModel, {"'w'", "length"});
}

TEST(LoaderExternal, InMemoryInitializersReplaceFilesWithoutCopy) {
    // From bytes without a base directory: the file is never looked for.
    Tensor w = Tensor::from_vector<float>(DType::Float, {4}, {9, 8, 7, 6});
    onnx::InMemoryInitializers given{{"w", w}};
    std::string bytes = external_model("absent.bin").bytes();
    ir::Model m = onnx::load_model_bytes(bytes.data(), bytes.size(), "", given);
    const ir::Value* v = m.graph->find_value("w");
    EXPECT_EQ(values_of<float>(v), (std::vector<float>{9, 8, 7, 6}));
    EXPECT_EQ(v->constant->raw_data(), w.raw_data()) << "the in-memory tensor was copied";
    // From a file: the in-memory tensor wins over the file next to the model.
    std::string dir = test_tmp_dir("external_in_memory");
    write_file(dir + "/w.bin", float_bytes({1, 2, 3, 4}));
    std::string path = external_model("w.bin").write(dir + "/m.onnx");
    EXPECT_EQ(values_of<float>(onnx::load_model_file(path, given).graph->find_value("w")),
              (std::vector<float>{9, 8, 7, 6}));
    EXPECT_EQ(values_of<float>(onnx::load_model_file(path).graph->find_value("w")), (std::vector<float>{1, 2, 3, 4}));
}

TEST(LoaderExternal, InMemoryInitializerMismatchesAreRefused) {
    std::string bytes = external_model("absent.bin").bytes();
    auto load_with = [&](onnx::InMemoryInitializers given) {
        onnx::load_model_bytes(bytes.data(), bytes.size(), "", given);
    };
    expect_error(
        [&] {
            load_with({{"w", Tensor::from_vector<float>(DType::Float, {2}, {1, 2})}});
        },
        ErrorCode::InvalidArgument, {"'w'", "[4]", "[2]"});
    expect_error(
        [&] {
            load_with({{"w", Tensor::from_vector<int64_t>(DType::Int64, {4}, {1, 2, 3, 4})}});
        },
        ErrorCode::InvalidArgument, {"'w'", "tensor(float)", "tensor(int64)"});
    // A name that is no external initializer: an unknown one, and one stored inside the model.
    Tensor four = Tensor::from_vector<float>(DType::Float, {4}, {1, 2, 3, 4});
    expect_error(
        [&] {
            load_with({{"w", four}, {"nope", four}});
        },
        ErrorCode::InvalidArgument, {"'nope'", "external data"});
    ModelBuilder inline_w(17);
    inline_w.input("x", {4}).output("y");
    inline_w.initializer_floats("w", {4}, {1, 2, 3, 4});
    inline_w.node("Add", {"x", "w"}, {"y"}, "add");
    std::string inline_bytes = inline_w.bytes();
    expect_error(
        [&] {
            onnx::load_model_bytes(inline_bytes.data(), inline_bytes.size(), "", {{"w", four}});
        },
        ErrorCode::InvalidArgument, {"'w'", "external data"});
}

// ---------------------------------------------------------------------------------------------------------------
// Tensor files

TEST(LoaderTensorFile, TypedFieldsRawDataAndNonTensors) {
    std::string dir = test_tmp_dir("tensor_files");
    auto save = [&](const std::string& name, const ::onnx::TensorProto& t) {
        std::string bytes;
        t.SerializeToString(&bytes);
        write_file(dir + "/" + name, bytes);
        return dir + "/" + name;
    };
    ::onnx::TensorProto h;
    h.set_data_type(::onnx::TensorProto::FLOAT16);
    h.add_dims(2);
    h.add_int32_data(0x3C00);  // 1.0
    h.add_int32_data(0x4000);  // 2.0
    Tensor th = onnx::load_tensor_file(save("h.pb", h));
    EXPECT_EQ(th.dtype(), DType::Float16);
    EXPECT_EQ(th.data<uint16_t>()[1], 0x4000);

    ::onnx::TensorProto s;
    s.set_data_type(::onnx::TensorProto::STRING);
    s.add_dims(2);
    s.add_string_data("ab");
    s.add_string_data("");
    Tensor ts = onnx::load_tensor_file(save("s.pb", s));
    EXPECT_EQ(ts.data<std::string>()[0], "ab");

    ::onnx::TensorProto r;
    r.set_data_type(::onnx::TensorProto::INT64);
    r.add_dims(1);
    r.add_dims(2);
    std::vector<int64_t> v{-3, 9};
    r.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), 16));
    std::string rpath = save("r.pb", r);
    EXPECT_TRUE(onnx::is_tensor_file(rpath));
    Tensor tr = onnx::load_tensor_file(rpath);
    EXPECT_EQ(tr.shape(), (Shape{1, 2}));
    EXPECT_EQ(tr.data<int64_t>()[0], -3);

    ::onnx::TensorProto i4;
    i4.set_data_type(::onnx::TensorProto::INT4);
    i4.add_dims(3);
    i4.add_int32_data(225);  // onnx.helper.make_tensor('a', INT4, [3], [1, -2, 3]).int32_data == [225, 3]
    i4.add_int32_data(3);
    Tensor t4 = onnx::load_tensor_file(save("i4.pb", i4));
    EXPECT_EQ(t4.data<uint8_t>()[0], 225);

    ::onnx::SequenceProto seq;
    seq.set_name("seq");
    seq.set_elem_type(::onnx::SequenceProto::TENSOR);
    *seq.add_tensor_values() = r;
    std::string bytes;
    seq.SerializeToString(&bytes);
    write_file(dir + "/seq.pb", bytes);
    EXPECT_FALSE(onnx::is_tensor_file(dir + "/seq.pb"));
    expect_error([&] { onnx::load_tensor_file(dir + "/seq.pb"); }, ErrorCode::InvalidModel, {"seq.pb"});
    EXPECT_FALSE(onnx::is_tensor_file(dir + "/missing.pb"));
    expect_error([&] { onnx::load_tensor_file(dir + "/missing.pb"); }, ErrorCode::NotFound, {"missing.pb"});
}

// ---------------------------------------------------------------------------------------------------------------
// Opset normalisation

TEST(ImportNormalize, SqueezeAxesAttributeBecomesInput) {
    ModelBuilder b(11);
    b.input("x", {1, 3, 1}).output("y");
    attr_ints(b.node("Squeeze", {"x"}, {"y"}, "sq"), "axes", {0, 2});
    ir::Model m = load(b);
    const ir::Node* n = find_node(*m.graph, "sq");
    EXPECT_FALSE(n->has_attribute("axes"));
    ASSERT_EQ(n->inputs.size(), 2u);
    EXPECT_EQ(n->inputs[1]->constant->dtype(), DType::Int64);
    EXPECT_EQ(values_of<int64_t>(n->inputs[1]), (std::vector<int64_t>{0, 2}));
    EXPECT_EQ(n->op, OpKind::Squeeze);
    // Opset 13 input form stays as it is.
    ModelBuilder b13(13);
    b13.input("x", {1, 3}).output("y").initializer_ints("ax", {1}, {0});
    b13.node("Squeeze", {"x", "ax"}, {"y"}, "sq");
    ir::Model m13 = load(b13);
    EXPECT_EQ(find_node(*m13.graph, "sq")->inputs[1]->name, "ax");
}

TEST(ImportNormalize, ReduceAndSplitAndSliceAndPadAndClip) {
    ModelBuilder b(9);
    b.input("x", {2, 6}).output("r").output("s0").output("s1").output("sl").output("p").output("c");
    auto& r = b.node("ReduceMean", {"x"}, {"r"}, "rm");
    attr_ints(r, "axes", {1});
    attr_ints(b.node("Split", {"x"}, {"s0", "s1"}, "sp"), "split", {2, 4});
    auto& sl = b.node("Slice", {"x"}, {"sl"}, "sl");
    attr_ints(sl, "starts", {0});
    attr_ints(sl, "ends", {1});
    attr_ints(sl, "axes", {0});
    auto& p = b.node("Pad", {"x"}, {"p"}, "pad");
    attr_ints(p, "pads", {0, 1, 0, 1});
    attr_float(p, "value", 2.5f);
    auto& c = b.node("Clip", {"x"}, {"c"}, "clip");
    attr_float(c, "max", 6.0f);
    ir::Model m = load(b);
    const ir::Graph& g = *m.graph;
    EXPECT_EQ(values_of<int64_t>(find_node(g, "rm")->inputs[1]), (std::vector<int64_t>{1}));
    EXPECT_EQ(values_of<int64_t>(find_node(g, "sp")->inputs[1]), (std::vector<int64_t>{2, 4}));
    const ir::Node* slice = find_node(g, "sl");
    ASSERT_EQ(slice->inputs.size(), 4u);
    EXPECT_EQ(values_of<int64_t>(slice->inputs[2]), (std::vector<int64_t>{1}));
    EXPECT_TRUE(slice->attributes.empty());
    const ir::Node* pad = find_node(g, "pad");
    EXPECT_EQ(values_of<int64_t>(pad->inputs[1]), (std::vector<int64_t>{0, 1, 0, 1}));
    EXPECT_EQ(values_of<float>(pad->inputs[2]), (std::vector<float>{2.5f}));
    EXPECT_TRUE(pad->attributes.empty());
    const ir::Node* clip = find_node(g, "clip");
    ASSERT_EQ(clip->inputs.size(), 3u);
    EXPECT_EQ(clip->inputs[1], nullptr);
    EXPECT_EQ(values_of<float>(clip->inputs[2]), (std::vector<float>{6.0f}));
    EXPECT_NO_THROW(g.verify());
}

TEST(ImportNormalize, SplitWithoutSizesGetsNumOutputs) {
    ModelBuilder b(13);
    b.input("x", {6}).output("a").output("b");
    b.node("Split", {"x"}, {"a", "b"}, "sp");
    ir::Model m = load(b);
    EXPECT_EQ(find_node(*m.graph, "sp")->attr_int("num_outputs", 0), 2);
}

TEST(ImportNormalize, ClipOfUnknownTypeUsesCastLike) {
    ModelBuilder b(10);
    b.input("x", {}, 0).output("c");
    auto& c = b.node("Clip", {"x"}, {"c"}, "clip");
    attr_float(c, "min", 0.0f);
    ir::Model m = load(b);
    const ir::Node* clip = find_node(*m.graph, "clip");
    ASSERT_TRUE(clip->inputs[1]);
    ASSERT_TRUE(clip->inputs[1]->producer);
    EXPECT_EQ(clip->inputs[1]->producer->op, OpKind::CastLike);
    EXPECT_NO_THROW(m.graph->verify());
}

TEST(ImportNormalize, SoftmaxBefore13IsRewrittenAroundFlatten) {
    ModelBuilder b(11);
    b.input("x", {2, 3, 4}).output("y");
    attr_int(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", 1);
    ir::Model m = load(b);
    const ir::Graph& g = *m.graph;
    EXPECT_NO_THROW(g.verify());
    ASSERT_EQ(nodes_of(g, "Shape").size(), 1u);
    ASSERT_EQ(nodes_of(g, "Flatten").size(), 1u);
    ASSERT_EQ(nodes_of(g, "Reshape").size(), 1u);
    const ir::Node* sm = find_node(g, "sm");
    EXPECT_EQ(sm->attr_int("axis", 0), -1);
    EXPECT_EQ(sm->inputs[0]->producer->op_type, "Flatten");
    EXPECT_EQ(nodes_of(g, "Flatten")[0]->attr_int("axis", 0), 1);
    const ir::Value* y = g.find_value("y");
    EXPECT_EQ(y->producer->op_type, "Reshape");
    EXPECT_EQ(y->producer->inputs[0], sm->outputs[0]);
    EXPECT_EQ(y->producer->inputs[1]->producer->op_type, "Shape");
    EXPECT_TRUE(y->is_graph_output);

    // Last axis with known rank: no rewrite, the axis just becomes explicit.
    ModelBuilder b2(11);
    b2.input("x", {2, 3}).output("y");
    b2.node("LogSoftmax", {"x"}, {"y"}, "lsm");
    ir::Model m2 = load(b2);
    EXPECT_EQ(m2.graph->nodes().size(), 1u);
    EXPECT_EQ(find_node(*m2.graph, "lsm")->attr_int("axis", 0), -1);

    // Opset 13: untouched.
    ModelBuilder b3(13);
    b3.input("x", {2, 3, 4}).output("y");
    attr_int(b3.node("Softmax", {"x"}, {"y"}, "sm"), "axis", 1);
    ir::Model m3 = load(b3);
    EXPECT_EQ(m3.graph->nodes().size(), 1u);
    EXPECT_EQ(find_node(*m3.graph, "sm")->attr_int("axis", 0), 1);
}

TEST(ImportNormalize, UpsampleBecomesResize) {
    ModelBuilder b(7);
    b.input("x", {1, 1, 2, 2}).output("y");
    auto& u = b.node("Upsample", {"x"}, {"y"}, "up");
    attr_floats(u, "scales", {1, 1, 2, 3});
    attr_string(u, "mode", "nearest");
    ir::Model m = load(b);
    const ir::Node* n = find_node(*m.graph, "up");
    EXPECT_EQ(n->op, OpKind::Resize);
    EXPECT_EQ(n->op_type, "Resize");
    ASSERT_EQ(n->inputs.size(), 3u);
    EXPECT_EQ(n->inputs[1], nullptr);
    EXPECT_EQ(values_of<float>(n->inputs[2]), (std::vector<float>{1, 1, 2, 3}));
    EXPECT_EQ(n->attr_string("mode", ""), "nearest");
    EXPECT_EQ(n->attr_string("coordinate_transformation_mode", ""), "asymmetric");
    EXPECT_EQ(n->attr_string("nearest_mode", ""), "floor");

    // Upsample-9 with a scales input, linear.
    ModelBuilder b9(9);
    b9.input("x", {1, 1, 2, 2}).output("y").initializer_floats("s", {4}, {1, 1, 2, 2});
    attr_string(b9.node("Upsample", {"x", "s"}, {"y"}, "up"), "mode", "linear");
    ir::Model m9 = load(b9);
    const ir::Node* n9 = find_node(*m9.graph, "up");
    EXPECT_EQ(n9->op, OpKind::Resize);
    EXPECT_EQ(n9->inputs[2]->name, "s");
    EXPECT_EQ(n9->attr_string("mode", ""), "linear");
    EXPECT_FALSE(n9->has_attribute("nearest_mode"));

    // Resize-10 downsampling (X, scales) -> (X, null, scales), ceil like ONNX Runtime's legacy mode.
    ModelBuilder b10(10);
    b10.input("x", {1, 1, 4, 4}).output("y").initializer_floats("s", {4}, {1, 1, 0.5f, 0.5f});
    b10.node("Resize", {"x", "s"}, {"y"}, "rs");
    ir::Model m10 = load(b10);
    const ir::Node* n10 = find_node(*m10.graph, "rs");
    ASSERT_EQ(n10->inputs.size(), 3u);
    EXPECT_EQ(n10->inputs[1], nullptr);
    EXPECT_EQ(n10->attr_string("nearest_mode", ""), "ceil");
    EXPECT_EQ(n10->attr_string("coordinate_transformation_mode", ""), "asymmetric");
}

TEST(ImportNormalize, DropoutAndBatchNormLegacyAttributes) {
    ModelBuilder b(7);
    b.input("x", {1, 2, 2, 2}).output("y").output("d");
    for (const char* n : {"s", "b", "m", "v"}) b.initializer_floats(n, {2}, {1, 1});
    auto& bn = b.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}, "bn");
    attr_int(bn, "spatial", 1);
    attr_float(bn, "epsilon", 1e-3f);
    attr_float(b.node("Dropout", {"x"}, {"d"}, "do"), "ratio", 0.25f);
    ir::Model m = load(b);
    const ir::Node* bnn = find_node(*m.graph, "bn");
    EXPECT_FALSE(bnn->has_attribute("spatial"));
    EXPECT_TRUE(bnn->has_attribute("epsilon"));
    const ir::Node* d = find_node(*m.graph, "do");
    EXPECT_FALSE(d->has_attribute("ratio"));
    EXPECT_EQ(values_of<float>(d->inputs[1]), (std::vector<float>{0.25f}));
}

// ---------------------------------------------------------------------------------------------------------------
// Opsets 1 to 6

// The node producing input `i` of `n` (null when a constant or graph input).
const ir::Node* producer_of(const ir::Node* n, size_t i) {
    return n && i < n->inputs.size() && n->inputs[i] ? n->inputs[i]->producer : nullptr;
}

TEST(ImportLegacy, BinaryBroadcastAxisAppendsTrailingOnes) {
    ModelBuilder b(6);
    b.input("a", {2, 3, 4}).input("bias", {3}).output("y").output("z").output("w");
    auto& add = b.node("Add", {"a", "bias"}, {"y"}, "add");
    attr_int(add, "broadcast", 1);
    attr_int(add, "axis", 1);
    attr_ints(add, "consumed_inputs", {0, 0});
    // Trailing alignment (no axis) is numpy's already.
    b.input("c", {4});
    attr_int(b.node("Mul", {"a", "c"}, {"z"}, "mul"), "broadcast", 1);
    // A of unknown rank: the trailing 1s are computed at run time.
    b.node("Relu", {"a"}, {"r"}, "relu");
    auto& sub = b.node("Sub", {"r", "bias"}, {"w"}, "sub");
    attr_int(sub, "broadcast", 1);
    attr_int(sub, "axis", 1);
    ir::Model m = load(b);
    const ir::Graph& g = *m.graph;
    const ir::Node* a = find_node(g, "add");
    EXPECT_TRUE(a->attributes.empty());
    const ir::Node* unsq = producer_of(a, 1);
    ASSERT_TRUE(unsq);
    EXPECT_EQ(unsq->op, OpKind::Unsqueeze);
    EXPECT_EQ(unsq->inputs[0]->name, "bias");
    EXPECT_EQ(values_of<int64_t>(unsq->inputs[1]), (std::vector<int64_t>{1}));
    const ir::Node* mul = find_node(g, "mul");
    EXPECT_TRUE(mul->attributes.empty());
    EXPECT_EQ(mul->inputs[1]->name, "c");
    const ir::Node* reshape = producer_of(find_node(g, "sub"), 1);
    ASSERT_TRUE(reshape);
    EXPECT_EQ(reshape->op, OpKind::Reshape);
    EXPECT_EQ(reshape->inputs[0]->name, "bias");
    EXPECT_EQ(nodes_of(g, "ConstantOfShape").size(), 1u);
    EXPECT_NO_THROW(g.verify());
}

TEST(ImportLegacy, BinaryBroadcastAxisRunsLikeOnnx) {
    // y = a + b[:, None] (a [2, 3], b [2], broadcast=1, axis=0), once with a's rank known and once unknown.
    for (bool known : {true, false}) {
        SCOPED_TRACE(known);
        ModelBuilder b(6);
        b.input("a", {2, 3}).input("b", {2}).output("y");
        std::string lhs = "a";
        if (!known) {
            b.node("Identity", {"a"}, {"a2"}, "id");
            lhs = "a2";
        }
        auto& add = b.node("Add", {lhs, "b"}, {"y"}, "add");
        attr_int(add, "broadcast", 1);
        attr_int(add, "axis", 0);
        std::string bytes = b.bytes();
        Session s(bytes.data(), bytes.size());
        Tensor a = Tensor::from_vector<float>(DType::Float, {2, 3}, {1, 2, 3, 4, 5, 6});
        Tensor bb = Tensor::from_vector<float>(DType::Float, {2}, {10, 20});
        std::vector<Tensor> out = s.run({{"a", a}, {"b", bb}});
        ASSERT_EQ(out.size(), 1u);
        ASSERT_EQ(out[0].shape(), (Shape{2, 3}));
        std::vector<float> got(out[0].data<float>(), out[0].data<float>() + 6);
        EXPECT_EQ(got, (std::vector<float>{11, 12, 13, 24, 25, 26}));
    }
}

TEST(ImportLegacy, PReluSlopeAlongChannels) {
    ModelBuilder b(6);
    b.input("x", {2, 3, 4, 5}).output("y").output("z");
    b.initializer_floats("s", {3}, {0.1f, 0.2f, 0.3f});
    b.initializer_floats("one", {1}, {0.5f});
    b.node("PRelu", {"x", "s"}, {"y"}, "pr");
    b.node("PRelu", {"x", "one"}, {"z"}, "pr1");
    ir::Model m = load(b);
    const ir::Node* unsq = producer_of(find_node(*m.graph, "pr"), 1);
    ASSERT_TRUE(unsq);
    EXPECT_EQ(values_of<int64_t>(unsq->inputs[1]), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(find_node(*m.graph, "pr1")->inputs[1]->name, "one");
}

TEST(ImportLegacy, GemmConcatReshapeCastAndConsumedInputs) {
    ModelBuilder b(3);
    b.input("a", {2, 3}).input("w", {3, 4}).input("c", {4});
    b.output("g").output("cat").output("r").output("cast").output("n");
    auto& gemm = b.node("Gemm", {"a", "w", "c"}, {"g"}, "gemm");
    attr_int(gemm, "broadcast", 1);
    b.node("Concat", {"a", "a"}, {"cat"}, "cat");
    auto& rs = b.node("Reshape", {"a"}, {"r"}, "rs");
    attr_ints(rs, "shape", {3, 2});
    attr_ints(rs, "consumed_inputs", {1});
    attr_string(b.node("Cast", {"a"}, {"cast"}, "cast"), "to", "DOUBLE");
    attr_ints(b.node("Neg", {"a"}, {"n"}, "neg"), "consumed_inputs", {0});
    ir::Model m = load(b);
    const ir::Graph& g = *m.graph;
    EXPECT_FALSE(find_node(g, "gemm")->has_attribute("broadcast"));
    EXPECT_EQ(find_node(g, "cat")->attr_int("axis", -1), 1);
    const ir::Node* r = find_node(g, "rs");
    EXPECT_TRUE(r->attributes.empty());
    EXPECT_EQ(values_of<int64_t>(r->inputs[1]), (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(find_node(g, "cast")->attr_int("to", 0), 11);  // TensorProto.DOUBLE
    EXPECT_TRUE(find_node(g, "neg")->attributes.empty());
    // Concat-4 and later require axis: an explicit one stays.
    ModelBuilder b4(4);
    b4.input("a", {2, 3}).output("cat");
    attr_int(b4.node("Concat", {"a", "a"}, {"cat"}, "cat"), "axis", 0);
    EXPECT_EQ(find_node(*load(b4).graph, "cat")->attr_int("axis", -1), 0);
    // An unknown type name is refused by name.
    ModelBuilder bad(1);
    bad.input("a", {2}).output("y");
    attr_string(bad.node("Cast", {"a"}, {"y"}, "cast"), "to", "FLOAT37");
    expect_error([&] { load(bad); }, ErrorCode::InvalidModel, {"cast", "FLOAT37"});
}

TEST(ImportLegacy, UpsampleOneAndBatchNormTrainingAndLpPool) {
    ModelBuilder b(6);
    b.input("x", {1, 2, 2, 2}).output("u").output("bn").output("lp");
    auto& up = b.node("Upsample", {"x"}, {"u"}, "up");
    attr_float(up, "height_scale", 2.0f);
    attr_float(up, "width_scale", 3.0f);
    for (const char* n : {"s", "bi", "m", "v"}) b.initializer_floats(n, {2}, {1, 1});
    b.node("BatchNormalization", {"x", "s", "bi", "m", "v"}, {"bn"}, "bn");
    auto& lp = b.node("GlobalLpPool", {"x"}, {"lp"}, "lp");
    attr_float(lp, "p", 2.0f);
    ir::Model m = load(b);
    const ir::Node* u = find_node(*m.graph, "up");
    EXPECT_EQ(u->op, OpKind::Resize);
    EXPECT_EQ(values_of<float>(u->inputs[2]), (std::vector<float>{1, 1, 2, 3}));
    const ir::Node* bn = find_node(*m.graph, "bn");
    EXPECT_EQ(bn->attr_int("training_mode", 0), 1);  // is_test defaulted to 0
    EXPECT_FALSE(bn->has_attribute("is_test"));
    const ir::Attribute& p = find_node(*m.graph, "lp")->attr("p");
    EXPECT_EQ(p.kind, ir::Attribute::Kind::Int);
    EXPECT_EQ(p.i, 2);
    // is_test=1 is inference.
    ModelBuilder b2(6);
    b2.input("x", {1, 2, 2, 2}).output("bn");
    for (const char* n : {"s", "bi", "m", "v"}) b2.initializer_floats(n, {2}, {1, 1});
    attr_int(b2.node("BatchNormalization", {"x", "s", "bi", "m", "v"}, {"bn"}, "bn"), "is_test", 1);
    EXPECT_FALSE(find_node(*load(b2).graph, "bn")->has_attribute("training_mode"));
}

// ---------------------------------------------------------------------------------------------------------------
// Later ops whose old forms changed meaning

TEST(ImportCompat, ScatterDftAndRoiAlign) {
    ModelBuilder b(10);
    b.input("d", {1, 5}).input("i", {1, 2}, 7).input("u", {1, 2}).output("s");
    attr_int(b.node("Scatter", {"d", "i", "u"}, {"s"}, "sc"), "axis", 1);
    b.input("x", {1, 4, 4, 2}).input("rois", {1, 4}).input("bi", {1}, 7).output("r");
    b.node("RoiAlign", {"x", "rois", "bi"}, {"r"}, "ra");
    ir::Model m = load(b);
    const ir::Node* sc = find_node(*m.graph, "sc");
    EXPECT_EQ(sc->op, OpKind::ScatterElements);
    EXPECT_EQ(sc->attr_int("axis", 0), 1);
    EXPECT_EQ(find_node(*m.graph, "ra")->attr_string("coordinate_transformation_mode", ""), "output_half_pixel");

    ModelBuilder b17(17);
    b17.input("x", {1, 8, 1}).output("y").output("z");
    b17.node("DFT", {"x"}, {"y"}, "dft");  // axis defaults to 1 before 20
    b17.initializer_ints("len", {}, {4});
    auto& d2 = b17.node("DFT", {"x", "len"}, {"z"}, "dft2");
    attr_int(d2, "axis", -2);
    ir::Model m17 = load(b17);
    const ir::Node* dft = find_node(*m17.graph, "dft");
    ASSERT_EQ(dft->inputs.size(), 3u);
    EXPECT_EQ(dft->inputs[1], nullptr);
    EXPECT_EQ(dft->inputs[2]->constant->rank(), 0u);
    EXPECT_EQ(values_of<int64_t>(dft->inputs[2]), (std::vector<int64_t>{1}));
    EXPECT_FALSE(dft->has_attribute("axis"));
    const ir::Node* dft2 = find_node(*m17.graph, "dft2");
    EXPECT_EQ(dft2->inputs[1]->name, "len");
    EXPECT_EQ(values_of<int64_t>(dft2->inputs[2]), (std::vector<int64_t>{-2}));
}

TEST(ImportCompat, GroupNormPerGroupBecomesPerChannel) {
    ModelBuilder b(18);
    b.input("x", {2, 4, 3}).output("y").output("z");
    b.initializer_floats("scale", {2}, {1.0f, 2.0f});
    b.initializer_floats("bias", {2}, {0.5f, -0.5f});
    attr_int(b.node("GroupNormalization", {"x", "scale", "bias"}, {"y"}, "gn"), "num_groups", 2);
    // Scale and bias from a graph input: expanded at run time.
    b.input("gs", {2}).input("gb", {2});
    attr_int(b.node("GroupNormalization", {"x", "gs", "gb"}, {"z"}, "gn2"), "num_groups", 2);
    ir::Model m = load(b);
    const ir::Node* gn = find_node(*m.graph, "gn");
    EXPECT_EQ(values_of<float>(gn->inputs[1]), (std::vector<float>{1, 1, 2, 2}));
    EXPECT_EQ(values_of<float>(gn->inputs[2]), (std::vector<float>{0.5f, 0.5f, -0.5f, -0.5f}));
    const ir::Node* gn2 = find_node(*m.graph, "gn2");
    const ir::Node* reshape = producer_of(gn2, 1);
    ASSERT_TRUE(reshape);
    EXPECT_EQ(reshape->op, OpKind::Reshape);
    const ir::Node* expand = producer_of(reshape, 0);
    ASSERT_TRUE(expand);
    EXPECT_EQ(expand->op, OpKind::Expand);
    EXPECT_EQ(producer_of(expand, 0)->op, OpKind::Unsqueeze);
    EXPECT_NO_THROW(m.graph->verify());
    // Opset 21: untouched.
    ModelBuilder b21(21);
    b21.input("x", {2, 4, 3}).output("y");
    b21.initializer_floats("scale", {4}, {1, 1, 1, 1});
    b21.initializer_floats("bias", {4}, {0, 0, 0, 0});
    attr_int(b21.node("GroupNormalization", {"x", "scale", "bias"}, {"y"}, "gn"), "num_groups", 2);
    EXPECT_EQ(find_node(*load(b21).graph, "gn")->inputs[1]->name, "scale");
}

TEST(ImportCompat, Scan8WithBatchOneBecomesScan9) {
    ModelBuilder b(8);
    b.input("init", {1, 2}).input("xs", {1, 3, 2}).output("final").output("ys");
    auto& scan = b.node("Scan", {"", "init", "xs"}, {"final", "ys"}, "scan");
    attr_int(scan, "num_scan_inputs", 1);
    attr_ints(scan, "directions", {1});
    ::onnx::GraphProto& body = attr_graph(scan, "body");
    body.set_name("body");
    auto add_vi = [](google::protobuf::RepeatedPtrField<::onnx::ValueInfoProto>* list, const std::string& name) {
        auto* v = list->Add();
        v->set_name(name);
        v->mutable_type()->mutable_tensor_type()->set_elem_type(1);
    };
    add_vi(body.mutable_input(), "s_in");
    add_vi(body.mutable_input(), "x_in");
    add_vi(body.mutable_output(), "s_out");
    add_vi(body.mutable_output(), "y_out");
    auto* add = body.add_node();
    add->set_op_type("Add");
    add->add_input("s_in");
    add->add_input("x_in");
    add->add_output("s_out");
    auto* id = body.add_node();
    id->set_op_type("Identity");
    id->add_input("s_out");
    id->add_output("y_out");
    ir::Model m = load(b);
    const ir::Graph& g = *m.graph;
    const ir::Node* s = find_node(g, "scan");
    ASSERT_EQ(s->inputs.size(), 2u);
    for (const ir::Value* in : s->inputs) EXPECT_EQ(in->producer->op, OpKind::Squeeze);
    EXPECT_EQ(s->attr_ints("scan_input_directions"), (std::vector<int64_t>{1}));
    EXPECT_FALSE(s->has_attribute("directions"));
    EXPECT_EQ(g.find_value("final")->producer->op, OpKind::Unsqueeze);
    EXPECT_EQ(g.find_value("ys")->producer->op, OpKind::Unsqueeze);
    EXPECT_NO_THROW(g.verify());
    // A batch of 2 has no Scan-9 form: refused by name.
    b.proto()
        .mutable_graph()
        ->mutable_input(0)
        ->mutable_type()
        ->mutable_tensor_type()
        ->mutable_shape()
        ->mutable_dim(0)
        ->set_dim_value(2);
    expect_error([&] { load(b); }, ErrorCode::NotImplemented, {"scan", "batch size 2"});
}

// ---------------------------------------------------------------------------------------------------------------
// Model-local functions

// Adds function `name` of domain "local": outputs `outs` from inputs `ins` with `nodes` (built by the caller).
::onnx::FunctionProto& add_function(ModelBuilder& b, const std::string& name, std::vector<std::string> ins,
                                    std::vector<std::string> outs) {
    ::onnx::FunctionProto& f = *b.proto().add_functions();
    f.set_name(name);
    f.set_domain("local");
    for (const auto& s : ins) f.add_input(s);
    for (const auto& s : outs) f.add_output(s);
    auto* op = f.add_opset_import();
    op->set_domain("");
    op->set_version(b.proto().opset_import(0).version());
    return f;
}

::onnx::NodeProto& function_node(::onnx::FunctionProto& f, const std::string& op, std::vector<std::string> ins,
                                 std::vector<std::string> outs, const std::string& domain = "") {
    ::onnx::NodeProto& n = *f.add_node();
    n.set_op_type(op);
    n.set_domain(domain);
    for (const auto& s : ins) n.add_input(s);
    for (const auto& s : outs) n.add_output(s);
    return n;
}

void ref_attr(::onnx::NodeProto& n, const std::string& name, const std::string& ref,
              ::onnx::AttributeProto::AttributeType type) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_ref_attr_name(ref);
    a->set_type(type);
}

ModelBuilder function_model() {
    ModelBuilder b(17);
    auto* op = b.proto().add_opset_import();
    op->set_domain("local");
    op->set_version(1);
    // Scaled(x) = LeakyRelu(x, alpha=@alpha (default 0.5)) * 2
    ::onnx::FunctionProto& scaled = add_function(b, "Scaled", {"x"}, {"y"});
    scaled.add_attribute("unused");
    auto* def = scaled.add_attribute_proto();
    def->set_name("alpha");
    def->set_type(::onnx::AttributeProto::FLOAT);
    def->set_f(0.5f);
    ref_attr(function_node(scaled, "LeakyRelu", {"x"}, {"t"}), "alpha", "alpha", ::onnx::AttributeProto::FLOAT);
    auto& two = function_node(scaled, "Constant", {}, {"two"});
    attr_float(two, "value_float", 2.0f);
    function_node(scaled, "Mul", {"t", "two"}, {"y"});
    // Twice(a, b) = Scaled(a) + Scaled(b), calling Scaled with alpha=@k.
    ::onnx::FunctionProto& twice = add_function(b, "Twice", {"a", "b"}, {"s"});
    *twice.add_opset_import() = b.proto().opset_import(1);
    twice.add_attribute("k");
    ref_attr(function_node(twice, "Scaled", {"a"}, {"sa"}, "local"), "alpha", "k", ::onnx::AttributeProto::FLOAT);
    function_node(twice, "Scaled", {"b"}, {"sb"}, "local");
    function_node(twice, "Add", {"sa", "sb"}, {"s"});
    b.input("p", {2}).input("q", {2}).output("out1").output("out2");
    // Names the body also uses ("t", "two"), to check that the inlined values get fresh ones.
    b.node("Relu", {"p"}, {"t"}, "relu_t");
    auto& call = b.node("Twice", {"t", "q"}, {"out1"}, "call", "local");
    attr_float(call, "k", 0.1f);
    b.node("Scaled", {"q"}, {"two"}, "call2", "local");
    b.node("Identity", {"two"}, {"out2"}, "id");
    return b;
}

TEST(ImportFunctions, InlinesNestedCallsWithFreshNamesAndAttributes) {
    ModelBuilder b = function_model();
    ir::Model m = load(b);
    const ir::Graph& g = *m.graph;
    for (const auto& n : g.nodes()) EXPECT_NE(n->domain, "local") << n->describe();
    // Relu, 3 inlined Scaled (LeakyRelu, Constant, Mul each), Add, Identity.
    EXPECT_EQ(g.nodes().size(), 12u);
    auto leaky = nodes_of(g, "LeakyRelu");
    ASSERT_EQ(leaky.size(), 3u);
    std::vector<float> alphas;
    for (const ir::Node* n : leaky) alphas.push_back(n->attr_float("alpha", -1.0f));
    std::sort(alphas.begin(), alphas.end());
    EXPECT_EQ(alphas, (std::vector<float>{0.1f, 0.5f, 0.5f}));
    // The call's outputs keep their names; every internal value is new.
    EXPECT_EQ(g.find_value("out1")->producer->op_type, "Add");
    EXPECT_EQ(g.find_value("two")->producer->op_type, "Mul");
    EXPECT_EQ(g.find_value("t")->producer->op_type, "Relu");
    EXPECT_NO_THROW(g.verify());
}

TEST(ImportFunctions, InlinedModelRuns) {
    ModelBuilder b = function_model();
    std::string bytes = b.bytes();
    Session s(bytes.data(), bytes.size());
    Tensor p = Tensor::from_vector<float>(DType::Float, {2}, {-1, 2});
    Tensor q = Tensor::from_vector<float>(DType::Float, {2}, {-2, 3});
    std::vector<Tensor> out = s.run({{"p", p}, {"q", q}});
    ASSERT_EQ(out.size(), 2u);
    // numpy: t = relu(p) = [0, 2]; scaled(v, a) = where(v < 0, a * v, v) * 2
    // out1 = scaled(t, 0.1) + scaled(q, 0.5) = [0, 4] + [-2, 6] = [-2, 10]; out2 = scaled(q, 0.5) = [-2, 6]
    std::vector<float> o1(out[0].data<float>(), out[0].data<float>() + 2);
    std::vector<float> o2(out[1].data<float>(), out[1].data<float>() + 2);
    EXPECT_EQ(o1, (std::vector<float>{-2, 10}));
    EXPECT_EQ(o2, (std::vector<float>{-2, 6}));
}

TEST(ImportFunctions, RecursionAndArityAreRefused) {
    ModelBuilder b(17);
    auto* op = b.proto().add_opset_import();
    op->set_domain("local");
    op->set_version(1);
    ::onnx::FunctionProto& f = add_function(b, "Loop1", {"x"}, {"y"});
    function_node(f, "Loop1", {"x"}, {"y"}, "local");
    b.input("x", {1}).output("y");
    b.node("Loop1", {"x"}, {"y"}, "call", "local");
    expect_error([&] { load(b); }, ErrorCode::InvalidModel, {"Loop1", "calls itself"});

    ModelBuilder b2 = function_model();
    b2.proto().mutable_graph()->mutable_node(2)->add_input("q");  // Scaled takes one input
    expect_error([&] { load(b2); }, ErrorCode::InvalidModel, {"call2", "Scaled"});
}

// ---------------------------------------------------------------------------------------------------------------
// Real models and the onnx package's backend test data

TEST(LoaderModels, PaddleOcrClassifierLoadsAndVerifies) {
    fs::path path = site_packages() / "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    if (!fs::exists(path)) GTEST_SKIP() << path << " not installed";
    ir::Model m = onnx::load_model_file(path.string());
    EXPECT_GT(m.graph->nodes().size(), 50u);
    EXPECT_NO_THROW(m.graph->verify());
    for (const auto& n : m.graph->nodes()) EXPECT_NE(n->op, OpKind::Unknown) << n->describe();
}

TEST(LoaderModels, EveryBackendNodeTestModelLoads) {
    fs::path root = site_packages() / "onnx/backend/test/data/node";
    ASSERT_TRUE(fs::is_directory(root)) << root;
    int loaded = 0, tensors = 0, non_tensors = 0;
    for (const auto& entry : fs::directory_iterator(root)) {
        fs::path model = entry.path() / "model.onnx";
        if (!fs::exists(model)) continue;
        std::string test_name = entry.path().filename().string();
        SCOPED_TRACE(test_name);
        try {
            ir::Model m = onnx::load_model_file(model.string());
            ++loaded;
        } catch (const Error& e) {
            ADD_FAILURE() << e.what();
            continue;
        }
        fs::path data = entry.path() / "test_data_set_0";
        if (!fs::is_directory(data)) continue;
        for (const auto& f : fs::directory_iterator(data)) {
            if (f.path().extension() != ".pb") continue;
            if (onnx::is_tensor_file(f.path().string())) {
                EXPECT_NO_THROW(onnx::load_tensor_file(f.path().string())) << f.path();
                ++tensors;
            } else {
                ++non_tensors;
            }
        }
    }
    EXPECT_GT(loaded, 1000);
    EXPECT_GT(tensors, 2000);
    // Sequence and optional inputs/outputs (test_sequence_*, test_optional_*, loop/scan with sequences).
    EXPECT_GT(non_tensors, 10);
    EXPECT_LT(non_tensors, 300);
}

}  // namespace
}  // namespace kiln::test
