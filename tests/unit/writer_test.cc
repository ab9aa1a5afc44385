// Tests of the ONNX writer (src/onnx/writer.h): load(save(load(x))) holds what load(x) holds and runs to identical
// outputs, on models built here and on the ONNX backend test models; tensor data packed as ONNX packs it; opset
// imports; external data for models over the proto limit; save_graph_bytes.
#include "onnx/writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "kiln/session.h"
#include "onnx/loader.h"
#include "onnx/onnx-ml.pb.h"
#include "support/expect_error.h"
#include "support/model_builder.h"
#include "support/model_compare.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;
using ::onnx::TensorProto;

ir::Model load(const std::string& bytes, const std::string& base_dir = "") {
    return onnx::load_model_bytes(bytes.data(), bytes.size(), base_dir);
}

ir::Model load(const ModelBuilder& b) { return load(b.bytes()); }

::onnx::ModelProto parse(const std::string& bytes) {
    ::onnx::ModelProto proto;
    EXPECT_TRUE(proto.ParseFromString(bytes));
    return proto;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::map<std::string, int64_t> opsets_of(const ::onnx::ModelProto& proto) {
    std::map<std::string, int64_t> out;
    for (const auto& op : proto.opset_import()) out[op.domain()] = op.version();
    return out;
}

const TensorProto* find_initializer(const ::onnx::GraphProto& g, const std::string& name) {
    for (const auto& t : g.initializer()) {
        if (t.name() == name) return &t;
    }
    return nullptr;
}

// Saves `model`, reloads it, expects the same structure, and expects saving the reloaded model to give the same
// bytes (the written form is a fixed point). Returns the bytes.
std::string expect_round_trip(const ir::Model& model) {
    std::string bytes = onnx::save_model_bytes(model);
    ir::Model again = load(bytes);
    expect_same_model(model, again);
    EXPECT_EQ(again.opsets.count("") ? again.opsets.at("") : onnx::max_supported_opset(), onnx::max_supported_opset());
    EXPECT_TRUE(onnx::save_model_bytes(again) == bytes) << "saving the reloaded model gives other bytes";
    return bytes;
}

SessionOptions one_thread() {
    SessionOptions options;
    options.intra_op_threads = 1;
    return options;
}

// ---------------------------------------------------------------------------------------------------------------
// Models built here

TEST(Writer, MetadataTypesSymbolicDimsAndOpsets) {
    ModelBuilder b(11);
    b.proto().set_producer_name("prod");
    b.proto().set_producer_version("1.2");
    b.proto().set_domain("org.example");
    b.proto().set_model_version(7);
    b.proto().set_doc_string("a model");
    for (auto [k, v] : {std::pair{"author", "me"}, std::pair{"license", "MIT"}}) {
        auto* md = b.proto().add_metadata_props();
        md->set_key(k);
        md->set_value(v);
    }
    auto* ml = b.proto().add_opset_import();
    ml->set_domain("ai.onnx.ml");
    ml->set_version(3);
    b.input("x", {-1, 3, -1}, 1, {"N", "", ""});  // symbolic, known and unknown dims
    b.input("bias", {3, 1});                      // an overridable initializer
    b.initializer_floats("bias", {3, 1}, {1, 2, 3});
    auto* seq = b.graph().add_input();  // a sequence of int64 tensors of unknown rank
    seq->set_name("seq");
    seq->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(7);
    auto* opt = b.graph().add_input();  // an optional float [2]
    opt->set_name("opt");
    auto* opt_tensor = opt->mutable_type()->mutable_optional_type()->mutable_elem_type()->mutable_tensor_type();
    opt_tensor->set_elem_type(1);
    opt_tensor->mutable_shape()->add_dim()->set_dim_value(2);
    b.value_info("t", {-1, 3, -1});
    b.output("y", {-1, 3, -1});
    b.output("n", {});
    b.output("has", {}, 9);
    b.node("Add", {"x", "bias"}, {"t"}, "add");
    b.node("Squeeze", {"t"}, {"y"}, "squeeze");  // opset 11: axes attribute -> none; stays a plain Squeeze
    b.node("SequenceLength", {"seq"}, {"n"}, "len");
    b.node("OptionalHasElement", {"opt"}, {"has"}, "has");
    ir::Model model = load(b);
    std::string bytes = expect_round_trip(model);

    ::onnx::ModelProto proto = parse(bytes);
    EXPECT_EQ(proto.ir_version(), ::onnx::IR_VERSION);
    EXPECT_EQ(proto.producer_name(), "prod");
    EXPECT_EQ(proto.model_version(), 7);
    EXPECT_EQ(opsets_of(proto), (std::map<std::string, int64_t>{{"", onnx::max_supported_opset()}, {"ai.onnx.ml", 3}}));
    const auto& g = proto.graph();
    ASSERT_EQ(g.input_size(), 4);
    const auto& x = g.input(0).type().tensor_type();
    EXPECT_EQ(x.elem_type(), 1);
    ASSERT_EQ(x.shape().dim_size(), 3);
    EXPECT_EQ(x.shape().dim(0).dim_param(), "N");
    EXPECT_EQ(x.shape().dim(1).dim_value(), 3);
    EXPECT_FALSE(x.shape().dim(2).has_dim_value() || x.shape().dim(2).has_dim_param());
    EXPECT_EQ(g.input(1).name(), "bias");
    EXPECT_NE(find_initializer(g, "bias"), nullptr);
    const auto& seq_elem = g.input(2).type().sequence_type().elem_type().tensor_type();
    EXPECT_EQ(seq_elem.elem_type(), 7);
    EXPECT_FALSE(seq_elem.has_shape());
    EXPECT_EQ(g.input(3).type().optional_type().elem_type().tensor_type().shape().dim(0).dim_value(), 2);
    ASSERT_EQ(g.value_info_size(), 1);
    EXPECT_EQ(g.value_info(0).name(), "t");

    ir::Model again = load(bytes);
    EXPECT_EQ(again.graph->find_value("seq")->type.kind, ValueKind::Sequence);
    EXPECT_EQ(again.graph->find_value("opt")->type.kind, ValueKind::OptionalTensor);
    EXPECT_EQ((*again.graph->find_value("x")->type.shape)[0].symbol, "N");
    EXPECT_TRUE(again.graph->find_value("bias")->is_graph_input);
}

// One initializer per ONNX data type, given as raw_data (random bytes: every bit pattern is a valid float8 or
// packed int4), each read by an Identity node.
TEST(Writer, InitializersOfEveryDtypeKeepTheirBytes) {
    ModelBuilder b(21);
    std::mt19937 rng(7);
    std::map<std::string, std::string> raw;
    for (int dt = 1; dt < kDTypeCount; ++dt) {
        auto dtype = static_cast<DType>(dt);
        std::string name = str("w_", dtype_name(dtype));
        auto* t = b.graph().add_initializer();
        t->set_name(name);
        t->set_data_type(dt);
        t->add_dims(5);  // odd, so that the packed sub-byte types end on a half-used byte
        if (dtype == DType::String) {
            for (const std::string& s : {std::string(), std::string("a"), std::string("zwei"),
                                         std::string("\xc3\xa9t\xc3\xa9"), std::string("nul\0in", 6)}) {
                t->add_string_data(s);
            }
        } else {
            std::string bytes(dtype_storage_bytes(dtype, 5), '\0');
            for (char& c : bytes) c = static_cast<char>(dtype == DType::Bool ? rng() % 2 : rng() % 256);
            t->set_raw_data(bytes);
            raw[name] = bytes;
        }
        b.node("Identity", {name}, {name + "_out"}, "id_" + name);
        b.output(name + "_out", {5}, dt);
    }
    ir::Model model = load(b);
    std::string bytes = expect_round_trip(model);
    ::onnx::ModelProto proto = parse(bytes);
    ASSERT_EQ(proto.graph().initializer_size(), kDTypeCount - 1);
    for (const auto& t : proto.graph().initializer()) {
        SCOPED_TRACE(t.name());
        EXPECT_EQ(t.dims_size(), 1);
        if (t.data_type() == TensorProto::STRING) {
            EXPECT_FALSE(t.has_raw_data());
            ASSERT_EQ(t.string_data_size(), 5);
            EXPECT_EQ(t.string_data(3), "\xc3\xa9t\xc3\xa9");
        } else {
            EXPECT_TRUE(t.raw_data() == raw.at(t.name()));
            EXPECT_EQ(t.int32_data_size() + t.float_data_size() + t.int64_data_size(), 0);
        }
    }
}

// Initializers given in the typed fields come out as raw_data, little-endian and packed as the ONNX spec says
// (onnx-ml.proto, TensorProto.raw_data); the expected bytes are written out by hand from that rule.
TEST(Writer, TypedFieldsBecomeLittleEndianPackedRawData) {
    ModelBuilder b(21);
    auto add = [&](const std::string& name, int32_t dt, int64_t n) {
        auto* t = b.graph().add_initializer();
        t->set_name(name);
        t->set_data_type(dt);
        t->add_dims(n);
        b.node("Identity", {name}, {name + "_out"});
        b.output(name + "_out", {n}, dt);
        return t;
    };
    auto* h = add("f16", TensorProto::FLOAT16, 2);  // 1.0, -2.0
    h->add_int32_data(0x3C00);
    h->add_int32_data(0xC000);
    auto* bf = add("bf16", TensorProto::BFLOAT16, 1);  // 1.0
    bf->add_int32_data(0x3F80);
    auto* i4 = add("i4", TensorProto::INT4, 3);  // [1, 2, -1]: 0x21, then -1 in the low nibble
    i4->add_int32_data(0x21);
    i4->add_int32_data(0x0F);
    auto* f8 = add("f8", TensorProto::FLOAT8E4M3FN, 2);  // 1.0 (0x38), -448 (0xFE)
    f8->add_int32_data(0x38);
    f8->add_int32_data(0xFE);
    auto* u64 = add("u64", TensorProto::UINT64, 1);
    u64->add_uint64_data(0x0102030405060708ull);
    auto* d = add("f64", TensorProto::DOUBLE, 1);  // 1.0
    d->add_double_data(1.0);
    auto* bl = add("b", TensorProto::BOOL, 3);
    for (int v : {1, 0, 1}) bl->add_int32_data(v);
    ::onnx::ModelProto proto = parse(expect_round_trip(load(b)));
    auto raw_of = [&](const std::string& name) {
        const TensorProto* t = find_initializer(proto.graph(), name);
        return t ? t->raw_data() : std::string("<missing>");
    };
    using namespace std::string_literals;
    EXPECT_EQ(raw_of("f16"), "\x00\x3C\x00\xC0"s);
    EXPECT_EQ(raw_of("bf16"), "\x80\x3F"s);
    EXPECT_EQ(raw_of("i4"), "\x21\x0F"s);
    EXPECT_EQ(raw_of("f8"), "\x38\xFE"s);
    EXPECT_EQ(raw_of("u64"), "\x08\x07\x06\x05\x04\x03\x02\x01"s);
    EXPECT_EQ(raw_of("f64"), "\x00\x00\x00\x00\x00\x00\xF0\x3F"s);
    EXPECT_EQ(raw_of("b"), "\x01\x00\x01"s);
}

TEST(Writer, AttributesOfEveryKindAndCustomDomains) {
    ModelBuilder b(17);
    auto* op = b.proto().add_opset_import();
    op->set_domain("com.example");
    op->set_version(4);
    b.input("x", {2}).output("y");
    auto& n = b.node("Foo", {"x", "", "x"}, {"y", ""}, "foo", "com.example");  // omitted inputs and outputs
    attr_int(n, "i", -5);
    attr_float(n, "f", 1.5f);
    attr_string(n, "s", std::string("bytes\0ok", 8));
    attr_ints(n, "is", {1, -2, 3});
    attr_floats(n, "fs", {0.5f, -0.0f});
    auto* strs = n.add_attribute();
    strs->set_name("ss");
    strs->set_type(::onnx::AttributeProto::STRINGS);
    strs->add_strings("a");
    strs->add_strings("");
    auto* t = n.add_attribute();
    t->set_name("t");
    t->set_type(::onnx::AttributeProto::TENSOR);
    t->mutable_t()->set_data_type(TensorProto::INT32);
    t->mutable_t()->add_dims(2);
    t->mutable_t()->add_int32_data(7);
    t->mutable_t()->add_int32_data(8);
    auto* ts = n.add_attribute();
    ts->set_name("ts");
    ts->set_type(::onnx::AttributeProto::TENSORS);
    auto* ts0 = ts->add_tensors();
    ts0->set_data_type(TensorProto::STRING);
    ts0->add_string_data("s");
    auto* ts1 = ts->add_tensors();
    ts1->set_data_type(TensorProto::FLOAT16);
    ts1->add_dims(0);  // an empty tensor
    auto* tp = n.add_attribute();
    tp->set_name("tp");
    tp->set_type(::onnx::AttributeProto::TYPE_PROTO);
    tp->mutable_tp()->mutable_tensor_type()->set_elem_type(10);
    ::onnx::GraphProto& g = attr_graph(n, "g");
    g.set_name("body");
    auto* body_in = g.add_input();
    body_in->set_name("a");
    body_in->mutable_type()->mutable_tensor_type()->set_elem_type(1);
    auto* neg = g.add_node();
    neg->set_op_type("Neg");
    neg->set_name("neg");
    neg->add_input("a");
    neg->add_output("b");
    g.add_output()->set_name("b");
    auto* gs = n.add_attribute();
    gs->set_name("gs");
    gs->set_type(::onnx::AttributeProto::GRAPHS);
    gs->add_graphs()->CopyFrom(g);
    gs->add_graphs()->CopyFrom(g);
    ir::Model model = load(b);
    ::onnx::ModelProto proto = parse(expect_round_trip(model));
    EXPECT_EQ(opsets_of(proto).at("com.example"), 4);
    const auto& node = proto.graph().node(0);
    EXPECT_EQ(node.domain(), "com.example");
    ASSERT_EQ(node.input_size(), 3);
    EXPECT_EQ(node.input(1), "");
    ASSERT_EQ(node.output_size(), 2);
    EXPECT_EQ(node.output(1), "");
    std::map<std::string, int> types;
    for (const auto& a : node.attribute()) types[a.name()] = a.type();
    using AP = ::onnx::AttributeProto;
    EXPECT_EQ(types, (std::map<std::string, int>{{"f", AP::FLOAT},
                                                 {"fs", AP::FLOATS},
                                                 {"g", AP::GRAPH},
                                                 {"gs", AP::GRAPHS},
                                                 {"i", AP::INT},
                                                 {"is", AP::INTS},
                                                 {"s", AP::STRING},
                                                 {"ss", AP::STRINGS},
                                                 {"t", AP::TENSOR},
                                                 {"tp", AP::TYPE_PROTO},
                                                 {"ts", AP::TENSORS}}));
}

// If branches and a Loop body read values of the enclosing graphs (an input, an initializer, a node output and,
// from the nested If, a value two levels up); the written model runs to the same outputs.
TEST(Writer, SubgraphsWithOuterScopeReferencesRunTheSame) {
    ModelBuilder b(17);
    b.input("c", {}, 9).input("x", {2}).output("y", {2}).output("sum", {2});
    b.initializer_floats("k", {2}, {1, 2});
    b.initializer_ints("trips", {}, {3});
    b.node("Mul", {"x", "k"}, {"xk"}, "mul");
    auto& iff = b.node("If", {"c"}, {"y"}, "if");
    for (const char* branch : {"then_branch", "else_branch"}) {
        auto& g = attr_graph(iff, branch);
        g.set_name(branch);
        auto* node = g.add_node();
        node->set_op_type(std::string(branch) == "then_branch" ? "Add" : "Sub");
        node->set_name(str(branch, "_op"));
        node->add_input("xk");
        node->add_input("k");
        node->add_output(str(branch, "_out"));
        g.add_output()->set_name(str(branch, "_out"));
    }
    // Loop: acc += x * k, three times; the body reads xk from the main graph.
    auto& loop = b.node("Loop", {"trips", "", "x"}, {"sum"}, "loop");
    auto& body = attr_graph(loop, "body");
    body.set_name("loop_body");
    for (auto [name, type] : {std::pair{"i", 7}, std::pair{"cond_in", 9}, std::pair{"acc", 1}}) {
        auto* in = body.add_input();
        in->set_name(name);
        in->mutable_type()->mutable_tensor_type()->set_elem_type(type);
    }
    auto* add = body.add_node();
    add->set_op_type("Add");
    add->set_name("acc_add");
    add->add_input("acc");
    add->add_input("xk");
    add->add_output("acc_next");
    auto* keep = body.add_node();
    keep->set_op_type("Identity");
    keep->set_name("keep_going");
    keep->add_input("cond_in");
    keep->add_output("cond_out");
    body.add_output()->set_name("cond_out");
    body.add_output()->set_name("acc_next");

    std::string original = b.bytes();
    ir::Model model = load(original);
    std::string bytes = expect_round_trip(model);
    Session s1(original.data(), original.size(), one_thread());
    Session s2(bytes.data(), bytes.size(), one_thread());
    Tensor x = Tensor::from_vector<float>(DType::Float, {2}, {0.5f, -3.0f});
    for (bool c : {true, false}) {
        Tensor cond = Tensor::from_vector<uint8_t>(DType::Bool, {}, {c});
        std::vector<NamedValue> feeds{{"c", cond}, {"x", x}};
        std::vector<Value> a = s1.run_values(feeds), r = s2.run_values(feeds);
        expect_identical_values(a, r, c ? "then" : "else");
        // Independent check: then = x*k + k = [1.5, -4], else = x*k - k = [-0.5, -8]; sum = x + 3*x*k.
        EXPECT_EQ(a[0].tensor().data<float>()[1], c ? -4.0f : -8.0f);
        EXPECT_EQ(a[1].tensor().data<float>()[1], -3.0f + 3 * -6.0f);
    }
}

// An opset-11 model: the importer turns Squeeze's axes attribute into an input and Clip's attributes into inputs
// (appending a CastLike node after its consumer when the type is unknown); the written model declares the newest
// ai.onnx opset, lists every node after its producers, and runs the same.
TEST(Writer, NormalisedOldOpsetModelIsWrittenAtTheNewestOpsetInTopologicalOrder) {
    ModelBuilder b(6);
    b.input("x", {1, 3}).output("y");
    b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_elem_type();  // type unknown
    auto& clip = b.node("Clip", {"x"}, {"c"}, "clip");
    attr_float(clip, "min", -0.5f);
    attr_float(clip, "max", 0.5f);
    auto& sq = b.node("Squeeze", {"c"}, {"y"}, "squeeze");
    attr_ints(sq, "axes", {0});
    std::string original = b.bytes();
    ir::Model model = load(original);
    std::string bytes = expect_round_trip(model);
    ::onnx::ModelProto proto = parse(bytes);
    EXPECT_EQ(opsets_of(proto).at(""), onnx::max_supported_opset());
    std::set<std::string> defined{"x"};
    for (const auto& t : proto.graph().initializer()) defined.insert(t.name());
    for (const auto& node : proto.graph().node()) {
        for (const auto& in : node.input())
            EXPECT_TRUE(in.empty() || defined.count(in)) << node.name() << " reads " << in;
        for (const auto& out : node.output()) defined.insert(out);
        EXPECT_EQ(node.attribute_size(), 0) << node.name() << ": the attributes became inputs";
    }
    EXPECT_GE(proto.graph().node_size(), 3);  // Clip, Squeeze and the CastLike normalisation added

    // The type was unknown when the file was loaded; feed float.
    Session s1(original.data(), original.size(), one_thread());
    Session s2(bytes.data(), bytes.size(), one_thread());
    std::vector<NamedTensor> feeds{{"x", Tensor::from_vector<float>(DType::Float, {1, 3}, {-2.0f, 0.25f, 9.0f})}};
    std::vector<Tensor> a = s1.run(feeds), r = s2.run(feeds);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_TRUE(same_tensor(a[0], r[0]));
    EXPECT_EQ(a[0].shape(), (Shape{3}));
    EXPECT_EQ(a[0].data<float>()[0], -0.5f);
}

// ---------------------------------------------------------------------------------------------------------------
// The ONNX backend test models

// A broad sample: control flow (If, Loop, Scan with sequences and optionals), sequence and optional ops, strings,
// float16/bfloat16/float8/int4/float4 data, constants, ai.onnx.ml, models of old opsets that the importer
// normalises, and the pytorch exports (real initializers).
const char* const kRunSample[] = {
    "node/test_if",
    "node/test_if_seq",
    "node/test_if_opt",
    "node/test_loop11",
    "node/test_loop13_seq",
    "node/test_loop16_seq_none",
    "node/test_scan9_sum",
    "node/test_scan_sum",
    "node/test_range_float_type_positive_delta_expanded",
    "node/test_sequence_map_add_2_sequences_expanded",
    "node/test_sequence_map_identity_1_sequence",
    "node/test_sequence_insert_at_back",
    "node/test_split_to_sequence_1",
    "node/test_optional_get_element_sequence",
    "node/test_optional_has_element_empty_optional_input",
    "node/test_optional_get_element_optional_tensor",
    "node/test_strnormalizer_export_monday_casesensintive_lower",
    "node/test_regex_full_match_basic",
    "node/test_string_concat",
    "node/test_string_split_basic",
    "node/test_ai_onnx_ml_label_encoder_string_int",
    "node/test_ai_onnx_ml_label_encoder_tensor_mapping",
    "node/test_ai_onnx_ml_tree_ensemble_set_membership",
    "node/test_ai_onnx_ml_binarizer",
    "node/test_cast_FLOAT_to_FLOAT16",
    "node/test_cast_FLOAT_to_BFLOAT16",
    "node/test_cast_FLOAT_to_FLOAT8E4M3FN",
    "node/test_cast_FLOAT_to_INT4",
    "node/test_cast_FLOAT_to_UINT4",
    "node/test_cast_FLOAT_to_FLOAT4E2M1",
    "node/test_dequantizelinear_e4m3fn",
    "node/test_dequantizelinear_int4",
    "node/test_dequantizelinear_uint4",
    "node/test_dequantizelinear_float4e2m1",
    "node/test_quantizelinear_int4",
    "node/test_constant",
    "node/test_constantofshape_int_zeros",
    "node/test_constant_pad",
    "node/test_upsample_nearest",
    "node/test_scatter_with_axis",
    "node/test_dft_axis",
    "node/test_softmax_example",
    "node/test_batchnorm_epsilon",
    "node/test_clip_default_inbounds",
    "node/test_gru_seq_length",
    "node/test_lstm_with_peepholes",
    "simple/test_sequence_model1",
    "simple/test_expand_shape_model1",
    "pytorch-converted/test_ConvTranspose2d",
    "pytorch-converted/test_Conv2d",
    "pytorch-converted/test_BatchNorm2d_eval",
    "pytorch-converted/test_Embedding",
    "pytorch-converted/test_GLU",
    "pytorch-converted/test_PReLU_1d",
    "pytorch-operator/test_operator_add_broadcast",
};

TEST(WriterBackend, SampleRoundTripsAndRunsToIdenticalOutputs) {
    for (const char* name : kRunSample) {
        SCOPED_TRACE(name);
        fs::path dir = backend_test_data() / name;
        ASSERT_TRUE(fs::exists(dir / "model.onnx")) << dir;
        std::string bytes = expect_round_trip(onnx::load_model_file((dir / "model.onnx").string()));
        Session original((dir / "model.onnx").string(), one_thread());
        Session written(bytes.data(), bytes.size(), one_thread());
        int data_sets = 0;
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (!entry.is_directory()) continue;
            expect_identical_values(run_test_data_set(original, entry.path()), run_test_data_set(written, entry.path()),
                                    entry.path().filename().string());
            ++data_sets;
        }
        EXPECT_GT(data_sets, 0);
    }
}

TEST(WriterBackend, EveryNodeModelRoundTrips) {
    int written = 0;
    for (const auto& entry : fs::directory_iterator(backend_test_data() / "node")) {
        fs::path model = entry.path() / "model.onnx";
        if (!fs::exists(model)) continue;
        SCOPED_TRACE(entry.path().filename().string());
        expect_round_trip(onnx::load_model_file(model.string()));
        ++written;
    }
    EXPECT_GT(written, 1000);
}

// ---------------------------------------------------------------------------------------------------------------
// External data

// Three initializers of 8000 bytes and a small one; a 4 KiB proto limit stands in for protobuf's 2 GiB.
ModelBuilder large_model() {
    ModelBuilder b(17);
    b.input("x", {2000}).output("y", {2000});
    std::string prev = "x";
    for (int i = 0; i < 3; ++i) {
        std::vector<float> w(2000);
        for (size_t k = 0; k < w.size(); ++k) w[k] = static_cast<float>(k % 7) * 0.25f - static_cast<float>(i);
        b.initializer_floats(str("w", i), {2000}, w);
        b.node("Add", {prev, str("w", i)}, {str("a", i)}, str("add", i));
        prev = str("a", i);
    }
    b.initializer_floats("scale", {1}, {0.5f});
    b.node("Mul", {prev, "scale"}, {"y"}, "scale");
    return b;
}

onnx::SaveOptions small_limit() {
    onnx::SaveOptions options;
    options.max_proto_bytes = 4096;
    return options;
}

std::map<std::string, std::string> external_keys(const TensorProto& t) {
    std::map<std::string, std::string> out;
    for (const auto& e : t.external_data()) out[e.key()] = e.value();
    return out;
}

TEST(WriterExternal, ModelOverTheLimitWritesExternalDataNextToIt) {
    std::string dir = test_tmp_dir("writer_external_large");
    std::string source = large_model().write(dir + "/source.onnx");
    ir::Model model = onnx::load_model_file(source);
    std::string path = dir + "/big.onnx";
    onnx::save_model_file(model, path, small_limit());

    ASSERT_TRUE(fs::exists(dir + "/big.onnx.data"));
    EXPECT_EQ(fs::file_size(dir + "/big.onnx.data"), 2 * 8192 + 8000u);  // at offsets 0, 8192 and 16384
    ::onnx::ModelProto proto = parse(read_file(path));
    EXPECT_LE(proto.ByteSizeLong(), 4096u);
    for (int i = 0; i < 3; ++i) {
        const TensorProto* w = find_initializer(proto.graph(), str("w", i));
        ASSERT_NE(w, nullptr);
        EXPECT_EQ(w->data_location(), TensorProto::EXTERNAL);
        EXPECT_FALSE(w->has_raw_data());
        auto keys = external_keys(*w);
        EXPECT_EQ(keys["location"], "big.onnx.data");
        EXPECT_EQ(std::stoll(keys["offset"]) % 4096, 0);
        EXPECT_EQ(keys["length"], "8000");
    }
    const TensorProto* scale = find_initializer(proto.graph(), "scale");
    ASSERT_NE(scale, nullptr);
    EXPECT_EQ(scale->data_location(), TensorProto::DEFAULT);  // under external_data_min_bytes
    EXPECT_EQ(scale->raw_data().size(), 4u);

    expect_same_model(model, onnx::load_model_file(path));
    Session s1(source, one_thread()), s2(path, one_thread());
    std::vector<NamedTensor> feeds{
        {"x", Tensor::from_vector<float>(DType::Float, {2000}, std::vector<float>(2000, 1))}};
    std::vector<Tensor> a = s1.run(feeds), r = s2.run(feeds);
    EXPECT_TRUE(same_tensor(a[0], r[0]));
    EXPECT_EQ(a[0].data<float>()[6], 0.5f * (1 + 3 * 1.5f - 3));  // x + sum_i (6 * 0.25 - i), scaled
    // No temporary file is left behind.
    int files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 3);
}

TEST(WriterExternal, BytesOverTheLimitAreRefused) {
    ir::Model model = load(large_model());
    expect_error([&] { onnx::save_model_bytes(model, small_limit()); }, ErrorCode::InvalidArgument,
                 {"4096", "save_model_file", "external data"});
    onnx::SaveOptions external;
    external.external_data = true;
    expect_error([&] { onnx::save_model_bytes(model, external); }, ErrorCode::InvalidArgument, {"save_model_file"});
}

TEST(WriterExternal, OptionsAskForExternalDataAtAChosenLocation) {
    std::string dir = test_tmp_dir("writer_external_forced");
    ir::Model model = load(large_model());
    onnx::SaveOptions options;
    options.external_data = true;
    options.external_data_location = "weights/../weights.bin";
    options.external_data_min_bytes = 0;
    onnx::save_model_file(model, dir + "/m.onnx", options);
    ::onnx::ModelProto proto = parse(read_file(dir + "/m.onnx"));
    for (const auto& t : proto.graph().initializer()) {
        EXPECT_EQ(t.data_location(), TensorProto::EXTERNAL) << t.name();  // the 4-byte one too: min bytes 0
        EXPECT_EQ(external_keys(t)["location"], "weights.bin");
    }
    expect_same_model(model, onnx::load_model_file(dir + "/m.onnx"));

    for (const char* bad : {"../outside.bin", "/tmp/abs.bin", "m.onnx", "sub/.."}) {
        options.external_data_location = bad;
        expect_error([&] { onnx::save_model_file(model, dir + "/m.onnx", options); }, ErrorCode::InvalidArgument,
                     {str("'", bad, "'")});
    }
}

// The source model's external data is mapped while a model with the same data file name is written over it: the
// file is replaced (renamed into place), not truncated under the mapping, and the written tensors come from the
// mapped memory.
TEST(WriterExternal, MappedSourceDataSurvivesBeingReplaced) {
    std::string dir = test_tmp_dir("writer_external_mapped");
    ir::Model first = load(large_model());
    onnx::save_model_file(first, dir + "/m.onnx", small_limit());
    ir::Model mapped = onnx::load_model_file(dir + "/m.onnx");  // tensors mapped from m.onnx.data
    onnx::SaveOptions forced = small_limit();
    forced.external_data = true;
    forced.external_data_min_bytes = 0;  // another layout: the small tensor moves out too
    onnx::save_model_file(mapped, dir + "/m.onnx", forced);
    expect_same_model(first, mapped);  // still readable, same contents
    expect_same_model(first, onnx::load_model_file(dir + "/m.onnx"));
}

TEST(WriterErrors, UnwritablePathsNameThePath) {
    ir::Model model = load(large_model());
    expect_error([&] { onnx::save_model_file(model, "/nonexistent-kiln-dir/m.onnx"); }, ErrorCode::InvalidArgument,
                 {"/nonexistent-kiln-dir/m.onnx"});
    std::string dir = test_tmp_dir("writer_errors");
    expect_error([&] { onnx::save_model_file(model, dir + "/"); }, ErrorCode::InvalidArgument, {dir});
}

// ---------------------------------------------------------------------------------------------------------------
// save_graph_bytes

TEST(SaveGraphBytes, StandaloneModelWithTheGivenOpsets) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y");
    b.initializer_floats("k", {2}, {1, 2});
    b.node("Add", {"x", "k"}, {"t"}, "add");
    b.node("Mine", {"t"}, {"y"}, "mine", "com.mine");  // a domain the opsets leave out
    ir::Model model = load(b);
    std::string bytes = onnx::save_graph_bytes(*model.graph, {{"", 13}, {"ai.onnx.ml", 2}});
    ::onnx::ModelProto proto = parse(bytes);
    EXPECT_EQ(proto.ir_version(), ::onnx::IR_VERSION);
    EXPECT_EQ(opsets_of(proto), (std::map<std::string, int64_t>{{"", 13}, {"ai.onnx.ml", 2}, {"com.mine", 1}}));
    EXPECT_EQ(proto.graph().node_size(), 2);
    EXPECT_NE(find_initializer(proto.graph(), "k"), nullptr);
    expect_same_graph(*model.graph, *load(bytes).graph, "standalone");
}

TEST(SaveGraphBytes, SubgraphReadingItsEnclosingGraphIsRefused) {
    ModelBuilder b(17);
    b.input("c", {}, 9).input("x", {2}).output("y");
    auto& iff = b.node("If", {"c"}, {"y"}, "if");
    for (const char* branch : {"then_branch", "else_branch"}) {
        auto& g = attr_graph(iff, branch);
        g.set_name(branch);
        auto* node = g.add_node();
        node->set_op_type("Neg");
        node->set_name(str(branch, "_neg"));
        node->add_input("x");
        node->add_output(str(branch, "_out"));
        g.add_output()->set_name(str(branch, "_out"));
    }
    ir::Model model = load(b);
    const ir::Graph& then = *model.graph->nodes()[0]->attr("then_branch").g;
    expect_error(
        [&] {
            onnx::save_graph_bytes(then, {{"", 17}});
        },
        ErrorCode::InvalidArgument, {"then_branch_neg", "'x'", "enclosing graph"});
}

}  // namespace
}  // namespace kiln::test
