// EPContext export and import with the OpenVINO provider on OpenVINO's CPU device: round trips (blobs in files and
// embedded; a whole and a partially supported model) give the original session's outputs without compiling, the
// written context model's structure, and the errors of export (existing output, folder, model from memory, per-shape
// partitions) and import (damaged or foreign blobs, other OpenVINO versions, blob paths leaving the model's folder,
// missing files, no OpenVINO provider).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <openvino/core/version.hpp>
#include <random>
#include <set>

#include "common/log.h"
#include "ir/graph.h"
#include "kiln/session.h"
#include "onnx/loader.h"
#include "support/expect_error.h"
#include "support/log_capture.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {
namespace fs = std::filesystem;

SessionOptions exporting(const std::string& ctx_path, bool embed, SessionOptions o = openvino()) {
    o.add_config_entry("ep.context_enable", "1");
    if (!ctx_path.empty()) o.add_config_entry("ep.context_file_path", ctx_path);
    o.add_config_entry("ep.context_embed_mode", embed ? "1" : "0");
    return o;
}

void expect_equal(const Tensor& got, const Tensor& want) {
    ASSERT_EQ(got.shape(), want.shape());
    ASSERT_EQ(got.dtype(), want.dtype());
    for (int64_t i = 0; i < got.element_count(); ++i) {
        ASSERT_EQ(got.data<float>()[i], want.data<float>()[i]) << "element " << i;
    }
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The OpenVINO provider's log lines while `f` runs.
std::vector<std::string> info_lines(const std::function<void()>& f) { return logged(f).all(); }

size_t count_containing(const std::vector<std::string>& lines, const std::string& needle) {
    size_t n = 0;
    for (const std::string& l : lines) n += l.find(needle) != std::string::npos;
    return n;
}

// The EPContext nodes of the model at `path`.
std::vector<const ir::Node*> context_nodes(const ir::Model& model) {
    std::vector<const ir::Node*> nodes;
    for (const auto& n : model.graph->nodes()) {
        if (n->op_type == "EPContext") nodes.push_back(n.get());
    }
    return nodes;
}

// Exports `b` (written to <dir>/model.onnx) to <dir>/model_ctx.onnx (the default path) and returns that path.
std::string export_model(const ModelBuilder& b, const std::string& dir, bool embed) {
    std::string model = b.write(dir + "/model.onnx");
    Session(model, exporting("", embed));
    return dir + "/model_ctx.onnx";
}

// Rewrites the string attribute `name` of every EPContext node of the ONNX file at `path`.
void set_context_attribute(const std::string& path, const std::string& name, const std::string& value) {
    ::onnx::ModelProto proto;
    std::string bytes = read_bytes(path);
    ASSERT_TRUE(proto.ParseFromString(bytes));
    for (auto& node : *proto.mutable_graph()->mutable_node()) {
        if (node.op_type() != "EPContext") continue;
        for (auto& a : *node.mutable_attribute()) {
            if (a.name() == name) a.set_s(value);
        }
    }
    write_file(path, proto.SerializeAsString());
}

// Exports `b` to the default path in a fresh folder for `test`, imports it and compares with the original session
// on inputs of `shapes`. Returns the context model's path.
std::string round_trip(const ModelBuilder& b, const std::string& test, bool embed, const std::vector<Shape>& shapes,
                       size_t partitions) {
    std::string dir = test_tmp_dir(test);
    std::string model = b.write(dir + "/model.onnx");
    std::vector<std::string> export_log = info_lines([&] { Session(model, exporting("", embed)); });
    std::string ctx = dir + "/model_ctx.onnx";
    EXPECT_TRUE(fs::is_regular_file(ctx));
    size_t blob_files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) blob_files += entry.path().extension() == ".blob";
    EXPECT_EQ(blob_files, embed ? 0u : partitions);

    Session original(model, openvino());
    std::unique_ptr<Session> imported;
    std::vector<std::string> import_log = info_lines([&] { imported = std::make_unique<Session>(ctx, openvino()); });
    EXPECT_EQ(count_containing(import_log, "from its EPContext blob"), partitions);
    EXPECT_EQ(count_containing(import_log, "compiled"), 0u) << "importing compiled a subgraph";
    EXPECT_GE(count_containing(export_log, "compiled"), 1u) << "the log line this test relies on has changed";
    for (size_t i = 0; i < shapes.size(); ++i) {
        Tensor x = random_floats(shapes[i], static_cast<uint32_t>(20 + i));
        expect_equal(imported->run({{"x", x}})[0], original.run({{"x", x}})[0]);
    }
    return ctx;
}

TEST(EpContext, RoundTripWithBlobFilesGivesTheOriginalOutputsWithoutCompiling) {
    round_trip(conv_model(), "EpContext_RoundTripFiles", false, {{1, 4, 8, 8}}, 1);
}

TEST(EpContext, RoundTripWithEmbeddedBlobsGivesTheOriginalOutputsWithoutCompiling) {
    round_trip(conv_model(), "EpContext_RoundTripEmbedded", true, {{1, 4, 8, 8}}, 1);
}

TEST(EpContext, PartiallySupportedModelKeepsItsCpuNodesAndRoundTrips) {
    for (bool embed : {false, true}) {
        std::string path = round_trip(split_model(), embed ? "EpContext_PartialEmbedded" : "EpContext_Partial", embed,
                                      {{1, 8}, {3, 8}}, 2);
        ir::Model ctx = onnx::load_model_file(path);
        std::multiset<std::string> ops;
        for (const auto& n : ctx.graph->nodes()) ops.insert(n->op_type);
        EXPECT_EQ(ops, (std::multiset<std::string>{"EPContext", "EPContext", "Cast", "Cast", "Neg"}));
    }
}

TEST(EpContext, ContextModelHasTheGraphSignatureAndOneNodePerPartition) {
    std::string dir = test_tmp_dir("EpContext_Structure");
    std::string model = split_model().write(dir + "/model.onnx");
    SessionOptions options = exporting(dir + "/out.onnx", false);
    options.add_config_entry("ep.context_node_name_prefix", "m1_");
    Session(model, options);
    ir::Model ctx = onnx::load_model_file(dir + "/out.onnx");
    ASSERT_EQ(ctx.graph->inputs().size(), 1u);
    EXPECT_EQ(ctx.graph->inputs()[0]->name, "x");
    ASSERT_EQ(ctx.graph->outputs().size(), 1u);
    EXPECT_EQ(ctx.graph->outputs()[0]->name, "y");
    EXPECT_EQ(ctx.opsets.at("com.microsoft"), 1);
    auto nodes = context_nodes(ctx);
    ASSERT_EQ(nodes.size(), 2u);
    for (const ir::Node* n : nodes) {
        EXPECT_EQ(n->domain, "com.microsoft");
        EXPECT_EQ(n->name.rfind("m1_OpenVINOExecutionProvider_subgraph_", 0), 0u) << n->name;
        EXPECT_EQ(n->attr_string("partition_name", ""), n->name);
        EXPECT_EQ(n->attr_int("embed_mode", -1), 0);
        EXPECT_EQ(n->attr_int("main_context", -1), 1);
        EXPECT_EQ(n->attr_string("source", ""), kOpenVINO);
        EXPECT_EQ(n->attr_string("ep_sdk_version", ""), str(OPENVINO_VERSION_MAJOR, ".", OPENVINO_VERSION_MINOR));
        std::string file = n->attr_string("ep_cache_context", "");
        EXPECT_EQ(file, "out_" + n->name + ".blob");
        EXPECT_GT(fs::file_size(dir + "/" + file), 0u);
        // Every output carries its type (value_info), since no shape function knows EPContext.
        for (const ir::Value* v : n->outputs) EXPECT_EQ(v->type.dtype, DType::Float) << v->name;
    }
    // The first partition reads x and feeds Cast; the second reads Cast's output and writes y.
    std::set<std::string> io;
    for (const ir::Node* n : nodes) {
        for (const ir::Value* v : n->inputs) io.insert("in:" + v->name);
        for (const ir::Value* v : n->outputs) io.insert("out:" + v->name);
    }
    EXPECT_EQ(io, (std::set<std::string>{"in:x", "out:r", "in:f", "out:y"}));
}

TEST(EpContext, ExistingOutputIsRefusedAndKept) {
    std::string dir = test_tmp_dir("EpContext_Existing");
    std::string model = conv_model().write(dir + "/model.onnx");
    write_file(dir + "/model_ctx.onnx", "keep me");
    expect_error([&] { Session(model, exporting("", true)); }, ErrorCode::InvalidArgument,
                 {"Failed to generate EP context model since the file", "model_ctx.onnx", "exists already"});
    EXPECT_EQ(read_bytes(dir + "/model_ctx.onnx"), "keep me");
}

TEST(EpContext, FolderAsOutputIsRefused) {
    std::string dir = test_tmp_dir("EpContext_Folder");
    std::string model = conv_model().write(dir + "/model.onnx");
    fs::create_directories(dir + "/out.onnx");
    expect_error([&] { Session(model, exporting(dir + "/out.onnx", false)); }, ErrorCode::InvalidArgument,
                 {"context_file_path should not point to a folder", "out.onnx"});
}

TEST(EpContext, ModelFromMemoryNeedsTheContextFilePath) {
    std::string dir = test_tmp_dir("EpContext_Memory");
    std::string bytes = conv_model().bytes();
    expect_error([&] { Session(bytes.data(), bytes.size(), exporting("", false)); }, ErrorCode::InvalidArgument,
                 {"ep.context_file_path"});
    // With it, export works, and a session from the context model's bytes finds the blob file next to that path.
    Session(bytes.data(), bytes.size(), exporting(dir + "/mem_ctx.onnx", false));
    std::string ctx = read_bytes(dir + "/mem_ctx.onnx");
    expect_error([&] { Session(ctx.data(), ctx.size(), openvino()); }, ErrorCode::InvalidArgument,
                 {"mem_ctx_OpenVINOExecutionProvider_subgraph_0.blob", "ep.context_file_path"});
    SessionOptions with_path = openvino();
    with_path.add_config_entry("ep.context_file_path", dir + "/mem_ctx.onnx");
    Session imported(ctx.data(), ctx.size(), with_path);
    Session original(bytes.data(), bytes.size(), openvino());
    Tensor x = random_floats({1, 4, 8, 8}, 5);
    expect_equal(imported.run({{"x", x}})[0], original.run({{"x", x}})[0]);
}

TEST(EpContext, SharedContextsWithEmbeddedBlobsAreRefused) {
    std::string dir = test_tmp_dir("EpContext_Share");
    std::string model = conv_model().write(dir + "/model.onnx");
    SessionOptions embed_and_share = exporting("", true);
    embed_and_share.add_config_entry("ep.share_ep_contexts", "1");
    expect_error([&] { Session(model, embed_and_share); }, ErrorCode::InvalidArgument,
                 {"ep.share_ep_contexts", "ep.context_embed_mode"});
    EXPECT_FALSE(fs::exists(dir + "/model_ctx.onnx"));
    // Sharing with blob files is accepted and writes the context model.
    SessionOptions files_and_share = exporting("", false);
    files_and_share.add_config_entry("ep.share_ep_contexts", "1");
    Session(model, files_and_share);
    EXPECT_TRUE(fs::exists(dir + "/model_ctx.onnx"));
}

TEST(EpContext, ContextModelIsNotExportedAgain) {
    std::string dir = test_tmp_dir("EpContext_Again");
    std::string ctx = export_model(conv_model(), dir, true);
    Session again(ctx, exporting("", true));  // would write model_ctx_ctx.onnx
    EXPECT_FALSE(fs::exists(dir + "/model_ctx_ctx.onnx"));
    Session(ctx, exporting(ctx, true));  // the output exists: still no error
}

TEST(EpContext, PerShapePartitionsCannotBeExported) {
    std::string dir = test_tmp_dir("EpContext_PerShape");
    std::string model = split_model().write(dir + "/model.onnx");
    SessionOptions options =
        exporting("", false, openvino({{"device_type", "CPU"}, {"disable_dynamic_shapes", "True"}}));
    expect_error([&] { Session(model, options); }, ErrorCode::Unsupported,
                 {"Exporting dynamically compiled models at runtime is not supported", "reshape_input",
                  "OpenVINOExecutionProvider_subgraph_0"});
    for (const auto& entry : fs::directory_iterator(dir)) EXPECT_EQ(entry.path().filename(), "model.onnx");
}

TEST(EpContext, WithoutTheOpenVINOProviderTheSessionNamesTheNodeAndTheProvider) {
    std::string ctx = export_model(conv_model(), test_tmp_dir("EpContext_NoProvider"), true);
    expect_error([&] { Session(ctx, SessionOptions()); }, ErrorCode::Unsupported,
                 {"node 'OpenVINOExecutionProvider_subgraph_0' (EPContext)", kOpenVINO});
}

TEST(EpContext, OtherOpenVINOVersionIsRefusedNamingBoth) {
    std::string ctx = export_model(conv_model(), test_tmp_dir("EpContext_Version"), true);
    set_context_attribute(ctx, "ep_sdk_version", "2023.0");
    expect_error([&] { Session(ctx, openvino()); }, ErrorCode::InvalidModel,
                 {"2023.0", str(OPENVINO_VERSION_MAJOR, ".", OPENVINO_VERSION_MINOR), "EPContext"});
}

TEST(EpContext, DamagedOrForeignBlobsAreClearErrors) {
    std::string dir = test_tmp_dir("EpContext_Damaged");
    std::string ctx = export_model(conv_model(), dir, false);
    std::string blob_path = dir + "/model_ctx_OpenVINOExecutionProvider_subgraph_0.blob";
    std::string blob = read_bytes(blob_path);
    ASSERT_GT(blob.size(), 64u);
    std::string flipped = blob;
    for (size_t i = 0; i < 32; ++i) flipped[i] = static_cast<char>(~flipped[i]);
    for (const std::string& bad : {blob.substr(0, blob.size() / 2), flipped, std::string("not a blob at all"),
                                   read_bytes(dir + "/model.onnx"), std::string()}) {
        write_file(blob_path, bad);
        try {
            Session s(ctx, openvino());
            ADD_FAILURE() << "a damaged blob of " << bad.size() << " bytes was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::InvalidModel) << e.what();
            for (const char* needle : {"node 'OpenVINOExecutionProvider_subgraph_0' (EPContext)",
                                       "OpenVINO could not import its compiled blob", "Cannot import compiled blob"}) {
                if (std::string(needle) == "Cannot import compiled blob" && bad.size() == blob.size() / 2) continue;
                EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            }
        }
    }
}

TEST(EpContext, MissingBlobFileIsNotFound) {
    std::string dir = test_tmp_dir("EpContext_Missing");
    std::string ctx = export_model(conv_model(), dir, false);
    fs::remove(dir + "/model_ctx_OpenVINOExecutionProvider_subgraph_0.blob");
    expect_error([&] { Session(ctx, openvino()); }, ErrorCode::NotFound,
                 {"model_ctx_OpenVINOExecutionProvider_subgraph_0.blob", "not found"});
}

TEST(EpContext, BlobPathsLeavingTheModelsFolderAreRefused) {
    std::string dir = test_tmp_dir("EpContext_Escape");
    std::string ctx = export_model(conv_model(), dir + "/inner", false);
    std::string blob = dir + "/inner/model_ctx_OpenVINOExecutionProvider_subgraph_0.blob";
    fs::copy_file(blob, dir + "/x.blob");
    fs::create_symlink(dir + "/x.blob", dir + "/inner/link.blob");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"../x.blob", "leaves the model's folder"},
        {dir + "/x.blob", "is absolute"},
        {"link.blob", "outside the model's folder"},
    };
    for (const auto& [location, why] : cases) {
        set_context_attribute(ctx, "ep_cache_context", location);
        expect_error([&] { Session(ctx, openvino()); }, ErrorCode::InvalidModel, {"EPContext", location, why});
    }
}

TEST(EpContext, BadConfigValueNamesTheKey) {
    std::string bytes = conv_model().bytes();
    SessionOptions options = openvino();
    options.add_config_entry("ep.context_embed_mode", "yes");
    expect_error([&] { Session(bytes.data(), bytes.size(), options); }, ErrorCode::InvalidArgument,
                 {"ep.context_embed_mode", "yes"});
}

}  // namespace
}  // namespace kiln::test
