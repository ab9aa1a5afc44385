// Tests of SessionOptions::optimized_model_filepath (src/runtime/optimized_model.h): the optimised model is written,
// loads and runs to the same outputs, declares kiln's internal ops, honours onnxruntime's external-data config keys,
// and is never written over the model the session was created from.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "kiln/session.h"
#include "onnx/loader.h"
#include "onnx/onnx-ml.pb.h"
#include "support/expect_error.h"
#include "support/model_builder.h"
#include "support/model_compare.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

::onnx::ModelProto parse_file(const fs::path& path) {
    ::onnx::ModelProto proto;
    EXPECT_TRUE(proto.ParseFromString(read_file(path))) << path;
    return proto;
}

std::vector<float> ramp(size_t n, float scale) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.7f * static_cast<float>(i) + 0.3f);
    return v;
}

// Conv -> BatchNormalization -> Relu (fused into one kiln FusedConv at level All), plus an Add of two initializers
// that constant folding computes once.
ModelBuilder conv_model() {
    ModelBuilder b(17);
    b.input("x", {1, 2, 5, 5}).output("y", {1, 3, 5, 5});
    b.initializer_floats("w", {3, 2, 3, 3}, ramp(54, 0.4f));
    b.initializer_floats("bias", {3}, ramp(3, 0.2f));
    b.initializer_floats("gamma", {3}, {1.5f, 0.5f, 1.0f});
    b.initializer_floats("beta", {3}, ramp(3, 0.3f));
    b.initializer_floats("mean", {3}, ramp(3, 0.1f));
    b.initializer_floats("var", {3}, {0.5f, 1.0f, 2.0f});
    b.initializer_floats("half_a", {1}, {0.25f});
    b.initializer_floats("half_b", {1}, {0.5f});
    attr_ints(b.node("Conv", {"x", "w", "bias"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
    b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"bn"}, "bn");
    b.node("Relu", {"bn"}, {"r"}, "relu");
    b.node("Add", {"half_a", "half_b"}, {"offset"}, "offset");
    b.node("Add", {"r", "offset"}, {"y"}, "shift");
    return b;
}

std::vector<NamedTensor> conv_feeds() {
    return {{"x", Tensor::from_vector<float>(DType::Float, {1, 2, 5, 5}, ramp(50, 1.0f))}};
}

SessionOptions options_at(GraphOptimizationLevel level, const std::string& optimized = "") {
    SessionOptions options;
    options.intra_op_threads = 1;
    options.optimization_level = level;
    options.optimized_model_filepath = optimized;
    return options;
}

TEST(OptimizedModelFilepath, WritesTheOptimisedModelThatLoadsAndRunsTheSame) {
    std::string dir = test_tmp_dir("optimized_model_all");
    std::string source = conv_model().write(dir + "/model.onnx");
    std::string optimized = dir + "/model.opt.onnx";
    Session s(source, options_at(GraphOptimizationLevel::All, optimized));
    ASSERT_TRUE(fs::exists(optimized));

    ::onnx::ModelProto proto = parse_file(optimized);
    std::map<std::string, int64_t> opsets;
    for (const auto& op : proto.opset_import()) opsets[op.domain()] = op.version();
    EXPECT_EQ(opsets, (std::map<std::string, int64_t>{{"", onnx::max_supported_opset()}, {"kiln", 1}}));
    ASSERT_EQ(static_cast<size_t>(proto.graph().node_size()), s.node_assignments().size());
    std::vector<std::string> ops;
    for (const auto& n : proto.graph().node()) ops.push_back(n.domain() + ":" + n.op_type());
    EXPECT_EQ(ops, (std::vector<std::string>{"kiln:FusedConv", ":Add"}));  // the offset was folded

    // The written model needs no more optimisation: it runs as written to the same outputs, and optimising it
    // again changes nothing.
    Session reloaded(optimized, options_at(GraphOptimizationLevel::DisableAll));
    EXPECT_EQ(reloaded.node_assignments().size(), s.node_assignments().size());
    Session plain(source, options_at(GraphOptimizationLevel::DisableAll));
    std::vector<Tensor> a = s.run(conv_feeds()), r = reloaded.run(conv_feeds()), p = plain.run(conv_feeds());
    EXPECT_TRUE(same_tensor(a[0], r[0]));
    ASSERT_EQ(p[0].element_count(), a[0].element_count());
    for (int64_t i = 0; i < p[0].element_count(); ++i) {
        EXPECT_NEAR(a[0].data<float>()[i], p[0].data<float>()[i], 1e-5f * (1 + std::abs(p[0].data<float>()[i])));
    }
    std::string again = dir + "/model.opt2.onnx";
    Session twice(optimized, options_at(GraphOptimizationLevel::All, again));
    expect_same_model(onnx::load_model_file(optimized), onnx::load_model_file(again));
}

TEST(OptimizedModelFilepath, BasicLevelWritesOnlyOnnxOps) {
    std::string dir = test_tmp_dir("optimized_model_basic");
    std::string source = conv_model().write(dir + "/model.onnx");
    Session s(source, options_at(GraphOptimizationLevel::Basic, dir + "/basic.onnx"));
    ::onnx::ModelProto proto = parse_file(dir + "/basic.onnx");
    for (const auto& op : proto.opset_import()) EXPECT_EQ(op.domain(), "");
    EXPECT_EQ(proto.graph().node_size(), 4);  // the Add of two initializers was folded
    Session reloaded(dir + "/basic.onnx", options_at(GraphOptimizationLevel::DisableAll));
    EXPECT_TRUE(same_tensor(s.run(conv_feeds())[0], reloaded.run(conv_feeds())[0]));
}

TEST(OptimizedModelFilepath, RefusedWhenItNamesTheSourceModel) {
    std::string dir = test_tmp_dir("optimized_model_same");
    std::string source = conv_model().write(dir + "/model.onnx");
    std::string before = read_file(source);
    fs::create_symlink("model.onnx", dir + "/link.onnx");
    for (const std::string& target : {source, dir + "/./model.onnx", dir + "/link.onnx"}) {
        SCOPED_TRACE(target);
        expect_error([&] { Session s(source, options_at(GraphOptimizationLevel::All, target)); },
                     ErrorCode::InvalidArgument, {"optimized_model_filepath", target, source});
    }
    // Also when the session was opened through the link.
    expect_error([&] { Session s(dir + "/link.onnx", options_at(GraphOptimizationLevel::All, source)); },
                 ErrorCode::InvalidArgument, {source, dir + "/link.onnx"});
    EXPECT_TRUE(read_file(source) == before);
    EXPECT_TRUE(fs::is_symlink(dir + "/link.onnx"));
}

TEST(OptimizedModelFilepath, SessionFromBytesWritesToo) {
    std::string dir = test_tmp_dir("optimized_model_bytes");
    std::string bytes = conv_model().bytes();
    Session s(bytes.data(), bytes.size(), options_at(GraphOptimizationLevel::Extended, dir + "/out.onnx"));
    Session reloaded(dir + "/out.onnx", options_at(GraphOptimizationLevel::DisableAll));
    EXPECT_TRUE(same_tensor(s.run(conv_feeds())[0], reloaded.run(conv_feeds())[0]));
}

TEST(OptimizedModelFilepath, OnnxruntimeExternalInitializerKeys) {
    std::string dir = test_tmp_dir("optimized_model_external");
    std::string source = conv_model().write(dir + "/model.onnx");
    SessionOptions options = options_at(GraphOptimizationLevel::Basic, dir + "/out.onnx");
    options.add_config_entry("session.optimized_model_external_initializers_file_name", "out.bin");
    options.add_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "100");
    Session s(source, options);
    ASSERT_TRUE(fs::exists(dir + "/out.bin"));
    ::onnx::ModelProto proto = parse_file(dir + "/out.onnx");
    int external = 0;
    for (const auto& t : proto.graph().initializer()) {
        bool big = t.name() == "w";  // 216 bytes; the others are 12 bytes or less
        EXPECT_EQ(t.data_location() == ::onnx::TensorProto::EXTERNAL, big) << t.name();
        external += big;
    }
    EXPECT_EQ(external, 1);
    EXPECT_EQ(fs::file_size(dir + "/out.bin"), 216u);
    Session reloaded(dir + "/out.onnx", options_at(GraphOptimizationLevel::DisableAll));
    EXPECT_TRUE(same_tensor(s.run(conv_feeds())[0], reloaded.run(conv_feeds())[0]));

    options.add_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1k");
    expect_error([&] { Session bad(source, options); }, ErrorCode::InvalidArgument,
                 {"session.optimized_model_external_initializers_min_size_in_bytes", "'1k'"});
}

TEST(OptimizedModelFilepath, UnwritablePathFailsTheSessionNamingIt) {
    std::string source = conv_model().write(test_tmp_dir("optimized_model_unwritable") + "/model.onnx");
    expect_error([&] { Session s(source, options_at(GraphOptimizationLevel::All, "/nonexistent-kiln/out.onnx")); },
                 ErrorCode::InvalidArgument, {"optimized_model_filepath", "/nonexistent-kiln/out.onnx"});
}

}  // namespace
}  // namespace kiln::test
