// Tests of kiln::Session: runs from path and bytes, metadata, feed validation errors naming the culprit,
// unknown ops, overridable initializers, concurrent runs, and the Conv+BatchNormalization fusion pass.
#include "kiln/session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "kiln/kiln.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

// y = Relu(x + b), x: [N, 3] with N symbolic, b an overridable initializer [3].
ModelBuilder add_relu_model() {
    ModelBuilder b(17);
    b.input("x", {-1, 3}, 1, {"N", ""}).output("y", {-1, 3});
    b.initializer_floats("b", {3}, {1.0f, -2.0f, 0.5f});
    b.input("b", {3});
    b.node("Add", {"x", "b"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"y"}, "relu");
    return b;
}

Session session_of(const ModelBuilder& b, const SessionOptions& options = {}) {
    std::string bytes = b.bytes();
    return Session(bytes.data(), bytes.size(), options);
}

std::vector<float> floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

TEST(Session, RunsFromBytesAndFileWithMetadata) {
    ModelBuilder b = add_relu_model();
    std::string path = b.write(test_tmp_dir("session_runs") + "/model.onnx");
    std::vector<Session> sessions;
    sessions.push_back(session_of(b));
    sessions.emplace_back(path);
    for (const Session& s : sessions) {
        ASSERT_EQ(s.inputs().size(), 1u);
        EXPECT_EQ(s.inputs()[0].name, "x");
        ASSERT_EQ(s.overridable_initializers().size(), 1u);
        EXPECT_EQ(s.overridable_initializers()[0].name, "b");
        EXPECT_EQ(symbolic_shape_to_string(s.inputs()[0].type.shape), "[N,3]");
        EXPECT_EQ(s.outputs()[0].name, "y");
        Tensor x = Tensor::from_vector<float>(DType::Float, {2, 3}, {1, 1, 1, -5, 3, -1});
        auto out = s.run({{"x", x}});
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
        // numpy: np.maximum(x + [1, -2, 0.5], 0)
        EXPECT_EQ(floats(out[0]), (std::vector<float>{2, 0, 1.5, 0, 1, 0}));
    }
}

TEST(Session, OverridableInitializerCanBeFed) {
    Session s = session_of(add_relu_model());
    Tensor x = Tensor::from_vector<float>(DType::Float, {1, 3}, {1, 1, 1});
    Tensor b = Tensor::from_vector<float>(DType::Float, {3}, {-2, 0, 2});
    EXPECT_EQ(floats(s.run({{"x", x}, {"b", b}})[0]), (std::vector<float>{0, 1, 3}));
    EXPECT_EQ(floats(s.run({{"x", x}})[0]), (std::vector<float>{2, 0, 1.5}));
}

TEST(Session, ReportsModelMetadata) {
    ModelBuilder b = add_relu_model();
    b.proto().set_producer_name("builder");
    b.proto().set_domain("ai.example");
    b.proto().set_doc_string("model doc");
    b.proto().set_model_version(7);
    b.graph().set_name("main_graph");
    b.graph().set_doc_string("graph doc");
    auto* prop = b.proto().add_metadata_props();
    prop->set_key("author");
    prop->set_value("kiln");
    Session s = session_of(b);
    const ModelMetadata& m = s.metadata();
    EXPECT_EQ(m.producer_name, "builder");
    EXPECT_EQ(m.domain, "ai.example");
    EXPECT_EQ(m.description, "model doc");
    EXPECT_EQ(m.version, 7);
    EXPECT_EQ(m.graph_name, "main_graph");
    EXPECT_EQ(m.graph_description, "graph doc");
    EXPECT_EQ(m.custom_metadata_map, (std::map<std::string, std::string>{{"author", "kiln"}}));
}

TEST(Session, ExternalInitializersFromMemory) {
    // y = x + w, w external in a file that does not exist: the session takes it from the options.
    ModelBuilder b(17);
    b.input("x", {3}).output("y");
    b.initializer_external("w", {3}, 1, "missing.bin");
    b.node("Add", {"x", "w"}, {"y"}, "add");
    SessionOptions options;
    options.external_initializers["w"] = Tensor::from_vector<float>(DType::Float, {3}, {10, 20, 30});
    Session s = session_of(b, options);
    auto out = s.run({{"x", Tensor::from_vector<float>(DType::Float, {3}, {1, 2, 3})}});
    EXPECT_EQ(floats(out[0]), (std::vector<float>{11, 22, 33}));
    options.external_initializers["v"] = options.external_initializers["w"];
    expect_error([&] { session_of(b, options); }, ErrorCode::InvalidArgument, {"'v'"});
}

TEST(Kiln, AvailableProvidersEndWithCpu) {
    std::vector<std::string> providers = available_providers();
    ASSERT_FALSE(providers.empty());
    EXPECT_EQ(providers.back(), "CPUExecutionProvider");
}

TEST(Kiln, LogSeverityIsCheckedAndKept) {
    int before = log_severity();
    set_log_severity(3);
    EXPECT_EQ(log_severity(), 3);
    expect_error([] { set_log_severity(5); }, ErrorCode::InvalidArgument, {"5"});
    expect_error([] { set_log_severity(-1); }, ErrorCode::InvalidArgument, {"-1"});
    EXPECT_EQ(log_severity(), 3);
    set_log_severity(before);
}

TEST(SessionErrors, WrongFeedName) {
    Session s = session_of(add_relu_model());
    Tensor x(DType::Float, {1, 3});
    expect_error([&] { s.run({{"X_typo", x}}); }, ErrorCode::InvalidArgument, {"'X_typo'", "'x'"});
}

TEST(SessionErrors, MissingFeed) {
    Session s = session_of(add_relu_model());
    expect_error([&] { s.run({}); }, ErrorCode::InvalidArgument, {"'x'", "missing"});
}

TEST(SessionErrors, WrongFeedDtype) {
    Session s = session_of(add_relu_model());
    Tensor x(DType::Int64, {1, 3});
    expect_error([&] { s.run({{"x", x}}); }, ErrorCode::InvalidArgument, {"'x'", "tensor(float)", "tensor(int64)"});
}

TEST(SessionErrors, WrongFeedRank) {
    Session s = session_of(add_relu_model());
    Tensor x(DType::Float, {3});
    expect_error([&] { s.run({{"x", x}}); }, ErrorCode::InvalidArgument, {"'x'", "rank 2", "rank 1"});
}

TEST(SessionErrors, WrongFeedStaticDim) {
    Session s = session_of(add_relu_model());
    Tensor x(DType::Float, {2, 4});
    expect_error([&] { s.run({{"x", x}}); }, ErrorCode::InvalidArgument, {"'x'", "dimension 1", "3", "[2,4]"});
}

TEST(SessionErrors, WrongOutputName) {
    Session s = session_of(add_relu_model());
    Tensor x(DType::Float, {1, 3});
    expect_error([&] { s.run({{"x", x}}, {"nope"}); }, ErrorCode::InvalidArgument, {"'nope'"});
}

TEST(SessionErrors, UnknownOpNamesOpDomainAndNode) {
    ModelBuilder b(17);
    b.input("x", {2}).output("y", {2});
    b.proto().add_opset_import()->set_domain("com.example");
    b.proto().mutable_opset_import(1)->set_version(1);
    b.node("FancyOp", {"x"}, {"y"}, "fancy_node", "com.example");
    expect_error([&] { session_of(b); }, ErrorCode::NotImplemented, {"FancyOp", "com.example", "fancy_node"});
}

TEST(SessionErrors, UnknownProvider) {
    SessionOptions options;
    options.append_provider("TotallyNotAProvider");
    expect_error([&] { session_of(add_relu_model(), options); }, ErrorCode::InvalidArgument, {"TotallyNotAProvider"});
}

TEST(SessionErrors, HugeTensorIsRefusedNotAllocated) {
    // ConstantOfShape([2^59]) of float: 2^61 bytes, whose size arithmetic would wrap without the limit.
    ModelBuilder b(17);
    b.input("shape", {1}, 7).output("y", {-1});
    b.node("ConstantOfShape", {"shape"}, {"y"}, "fill");
    Session s = session_of(b);
    Tensor shape = Tensor::from_vector<int64_t>(DType::Int64, {1}, {int64_t(1) << 59});
    expect_error([&] { s.run({{"shape", shape}}); }, ErrorCode::InvalidArgument, {"'fill'", "limit"});
}

TEST(Session, ConcurrentRunsMatchSequentialOnes) {
    Session s = session_of(add_relu_model());
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-3, 3);
    std::vector<Tensor> inputs, expected;
    for (int i = 0; i < 16; ++i) {
        Tensor x(DType::Float, {64, 3});
        for (int64_t k = 0; k < x.element_count(); ++k) x.data<float>()[k] = dist(rng);
        inputs.push_back(x);
        expected.push_back(s.run({{"x", x}})[0]);
    }
    std::vector<std::thread> threads;
    std::vector<int> mismatches(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int rep = 0; rep < 50; ++rep) {
                for (size_t i = 0; i < inputs.size(); ++i) {
                    if (floats(s.run({{"x", inputs[i]}})[0]) != floats(expected[i])) ++mismatches[t];
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int m : mismatches) EXPECT_EQ(m, 0);
}

// x -> Conv(3x3, 4 channels) -> BatchNormalization -> y, optionally also exposing the Conv output.
ModelBuilder conv_bn_model(bool expose_conv_output) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1, 1);
    auto random = [&](size_t n, float lo = 0) {
        std::vector<float> v(n);
        for (float& x : v) x = lo + std::abs(dist(rng));
        return v;
    };
    ModelBuilder b(17);
    b.input("x", {1, 2, 6, 6}).output("y", {1, 4, 6, 6});
    if (expose_conv_output) b.output("c", {1, 4, 6, 6});
    b.initializer_floats("w", {4, 2, 3, 3}, random(72, -0.5f));
    b.initializer_floats("bias", {4}, random(4, -0.5f));
    b.initializer_floats("gamma", {4}, random(4, 0.5f));
    b.initializer_floats("beta", {4}, random(4, -0.5f));
    b.initializer_floats("mean", {4}, random(4, -0.5f));
    b.initializer_floats("var", {4}, random(4, 0.5f));
    attr_ints(b.node("Conv", {"x", "w", "bias"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
    b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"y"}, "bn");
    return b;
}

TEST(PassFuseConvBatchNorm, FusesAndKeepsOutputs) {
    Tensor x(DType::Float, {1, 2, 6, 6});
    for (int64_t i = 0; i < x.element_count(); ++i) x.data<float>()[i] = std::sin(0.3f * i);
    SessionOptions plain, fused;
    plain.optimization_level = GraphOptimizationLevel::DisableAll;
    fused.optimization_level = GraphOptimizationLevel::All;
    Session a = session_of(conv_bn_model(false), plain);
    Session b = session_of(conv_bn_model(false), fused);
    EXPECT_EQ(a.node_assignments().size(), 2u);
    EXPECT_EQ(b.node_assignments().size(), 1u);
    auto ya = floats(a.run({{"x", x}})[0]);
    auto yb = floats(b.run({{"x", x}})[0]);
    ASSERT_EQ(ya.size(), yb.size());
    for (size_t i = 0; i < ya.size(); ++i) EXPECT_NEAR(ya[i], yb[i], 1e-5f * (1 + std::abs(ya[i])));
}

TEST(PassFuseConvBatchNorm, DoesNotFireWhenConvOutputIsAlsoAGraphOutput) {
    SessionOptions fused;
    fused.optimization_level = GraphOptimizationLevel::All;
    Session s = session_of(conv_bn_model(true), fused);
    EXPECT_EQ(s.node_assignments().size(), 2u);
}

}  // namespace
}  // namespace kiln::test
