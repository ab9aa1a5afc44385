// The OpenVINO provider end to end on OpenVINO's CPU device: whole and partial graphs against the CPU provider
// (the oracle), the reasons kept for nodes left to the CPU provider, per-shape compilation, concurrent runs over
// several streams, option errors, and the OpenVINO behaviour the provider relies on (weights handed by address
// are copied while the model is read).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <openvino/openvino.hpp>
#include <random>
#include <thread>

#include "ir/graph.h"
#include "kiln/session.h"
#include "onnx/loader.h"
#include "onnx/writer.h"
#include "providers/openvino/ov_core.h"
#include "support/expect_error.h"
#include "support/expect_near.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

Session session_of(const ModelBuilder& b, const SessionOptions& options) {
    std::string bytes = b.bytes();
    return Session(bytes.data(), bytes.size(), options);
}

std::map<std::string, NodeAssignment> assignments(const Session& s) {
    std::map<std::string, NodeAssignment> by_name;
    for (const NodeAssignment& a : s.node_assignments()) by_name[a.node_name] = a;
    return by_name;
}

TEST(OpenVINOProvider, WholeGraphRunsOnOpenVINOAndMatchesTheCpuProvider) {
    Session device = session_of(conv_model(), openvino());
    Session cpu = session_of(conv_model(), SessionOptions());
    for (const auto& [name, a] : assignments(device)) EXPECT_EQ(a.provider, kOpenVINO) << name;
    auto compiled = device.compiled_partitions();
    ASSERT_EQ(compiled.size(), 1u);
    EXPECT_EQ(compiled[0].node_count, 3u);
    // precision FP32 pins f32 (this CPU's own default may be bf16)
    EXPECT_NE(compiled[0].description.find("inference precision f32"), std::string::npos) << compiled[0].description;
    EXPECT_NE(compiled[0].description.find("static shapes"), std::string::npos) << compiled[0].description;
    Tensor x = random_floats({1, 4, 8, 8}, 7);
    expect_near(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
}

TEST(OpenVINOProvider, Float64NodesStayOnTheCpuProviderWithTheirReason) {
    Session device = session_of(split_model(), openvino());
    Session cpu = session_of(split_model(), SessionOptions());
    auto placed = assignments(device);
    for (const char* n : {"mm1", "relu", "mm2", "add"}) EXPECT_EQ(placed[n].provider, kOpenVINO) << n;
    for (const char* n : {"to_double", "neg", "to_float"}) {
        EXPECT_EQ(placed[n].provider, "CPUExecutionProvider") << n;
        EXPECT_NE(placed[n].reason.find("float64"), std::string::npos) << n << ": " << placed[n].reason;
    }
    for (int64_t batch : {1, 3}) {
        Tensor x = random_floats({batch, 8}, 11);
        expect_near(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
    }
}

TEST(OpenVINOProvider, DisabledCpuFallbackNamesTheNodesAndWhy) {
    SessionOptions options = openvino();
    options.add_config_entry("session.disable_cpu_ep_fallback", "1");
    expect_error([&] { session_of(split_model(), options); }, ErrorCode::InvalidArgument,
                 {"disable_cpu_ep_fallback", "node 'to_double' (Cast)", "float64"});
}

// A lone light node between nodes OpenVINO cannot run is left to the CPU provider, as cheaper there; with CPU
// fallback disabled the user asked for every node OpenVINO can run to run there, and only the others are named.
TEST(OpenVINOProvider, DisabledCpuFallbackKeepsLoneNodesOnOpenVINO) {
    ModelBuilder b(17);
    b.input("x", {2, 8}).output("y", {2, 8});
    attr_int(b.node("Cast", {"x"}, {"d1"}, "to_double_1"), "to", 11);
    attr_int(b.node("Cast", {"d1"}, {"f1"}, "to_float_1"), "to", 1);
    b.node("Relu", {"f1"}, {"r"}, "lone_relu");
    attr_int(b.node("Cast", {"r"}, {"d2"}, "to_double_2"), "to", 11);
    attr_int(b.node("Cast", {"d2"}, {"y"}, "to_float_2"), "to", 1);
    EXPECT_EQ(assignments(session_of(b, openvino()))["lone_relu"].provider, "CPUExecutionProvider");
    SessionOptions options = openvino();
    options.add_config_entry("session.disable_cpu_ep_fallback", "1");
    try {
        session_of(b, options);
        FAIL() << "expected an error naming the float64 nodes";
    } catch (const Error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("node 'to_double_1' (Cast)"), std::string::npos) << what;
        EXPECT_EQ(what.find("lone_relu"), std::string::npos) << what;
    }
}

// A graph output computed from constants only is folded before partitioning (as ONNX Runtime does), so with the CPU
// fallback disabled no node is left to the CPU provider for it (as in the backend test test_constant).
TEST(OpenVINOProvider, ConstantGraphOutputNeedsNoCpuFallback) {
    ModelBuilder b(18);
    b.output("z", {3});
    b.initializer_floats("c", {3}, {1, -2, 3});
    b.node("Neg", {"c"}, {"z"}, "negate_constant");
    SessionOptions options = openvino();
    options.add_config_entry("session.disable_cpu_ep_fallback", "1");
    Session device = session_of(b, options);
    EXPECT_TRUE(device.node_assignments().empty());
    std::vector<Tensor> got = device.run({});
    ASSERT_EQ(got.size(), 1u);
    expect_near(got[0], session_of(b, SessionOptions()).run({})[0]);
    EXPECT_EQ(std::vector<float>(got[0].data<float>(), got[0].data<float>() + 3), (std::vector<float>{-1, 2, -3}));
}

TEST(OpenVINOProvider, DisableDynamicShapesCompilesPerInputShape) {
    Session device = session_of(split_model(), openvino({{"device_type", "CPU"}, {"disable_dynamic_shapes", "True"}}));
    Session cpu = session_of(split_model(), SessionOptions());
    for (int64_t batch : {2, 5, 2, 1}) {
        Tensor x = random_floats({batch, 8}, static_cast<uint32_t>(batch));
        expect_near(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
    }
}

TEST(OpenVINOProvider, ReshapeInputBoundsTheCompiledShapes) {
    ModelBuilder b = split_model();
    Session device = session_of(b, openvino({{"device_type", "CPU"}, {"reshape_input", "x[1..2,8]"}}));
    Session cpu = session_of(b, SessionOptions());
    Tensor x = random_floats({2, 8}, 5);
    expect_near(device.run({{"x", x}})[0], cpu.run({{"x", x}})[0]);
    // Batch 3 is outside the bounds the model was compiled for: OpenVINO's error, not a wrong answer.
    expect_error([&] { device.run({{"x", random_floats({3, 8}, 6)}}); }, ErrorCode::DeviceError, {"OpenVINO"});
    expect_error(
        [&] {
            session_of(b, openvino({{"reshape_input", "y[1,4]"}}));
        },
        ErrorCode::InvalidArgument, {"reshape_input", "'y'"});
}

TEST(OpenVINOProvider, ConcurrentRunsOverTwoStreamsGiveTheSingleThreadedResults) {
    Session device = session_of(conv_model(), openvino({{"device_type", "CPU"}, {"num_streams", "2"}}));
    std::vector<Tensor> inputs, expected;
    for (uint32_t i = 0; i < 4; ++i) {
        inputs.push_back(random_floats({1, 4, 8, 8}, 100 + i));
        expected.push_back(device.run({{"x", inputs.back()}})[0]);
    }
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int r = 0; r < 25; ++r) {
                size_t k = static_cast<size_t>(t + r) % inputs.size();
                Tensor got = device.run({{"x", inputs[k]}})[0];
                if (std::memcmp(got.raw_data(), expected[k].raw_data(), got.byte_size()) != 0) ++mismatches;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(mismatches.load(), 0);
}

TEST(OpenVINOProvider, ResizeWithAntialiasStaysOnTheCpuProvider) {
    ModelBuilder b(18);
    b.input("x", {1, 1, 8, 8}).output("y", {1, 1, 4, 4});
    b.initializer_floats("scales", {4}, {1.f, 1.f, 0.5f, 0.5f});
    auto& resize = b.node("Resize", {"x", "", "scales"}, {"y"}, "resize");
    attr_string(resize, "mode", "linear");
    attr_int(resize, "antialias", 1);
    Session device = session_of(b, openvino());
    auto placed = assignments(device);
    EXPECT_EQ(placed["resize"].provider, "CPUExecutionProvider");
    EXPECT_NE(placed["resize"].reason.find("antialias"), std::string::npos) << placed["resize"].reason;
    Tensor x = random_floats({1, 1, 8, 8}, 3);
    expect_near(device.run({{"x", x}})[0], session_of(b, SessionOptions()).run({{"x", x}})[0]);
}

// Resize linear/cubic with align_corners: on OpenVINO when every constant scale gives a whole output length (as
// PyTorch's interpolate(scale_factor=2, align_corners=True) exports), equal to the CPU provider; a scale of 0.6 on 8
// columns (output length 4.8, which ONNX's align_corners formula uses unrounded) stays on the CPU provider.
TEST(OpenVINOProvider, ResizeAlignCornersRunsOnOpenVINOWhenTheOutputLengthIsWhole) {
    for (const char* mode : {"linear", "cubic"}) {
        for (float scale : {2.0f, 0.5f, 0.6f}) {
            SCOPED_TRACE(std::string(mode) + " scale " + std::to_string(scale));
            const int64_t out = static_cast<int64_t>(std::floor(8 * scale));
            ModelBuilder b(18);
            b.input("x", {1, 2, 8, 8}).output("y", {1, 2, out, out});
            b.initializer_floats("scales", {4}, {1.f, 1.f, scale, scale});
            auto& resize = b.node("Resize", {"x", "", "scales"}, {"y"}, "resize");
            attr_string(resize, "mode", mode);
            attr_string(resize, "coordinate_transformation_mode", "align_corners");
            Session device = session_of(b, openvino());
            auto placed = assignments(device);
            const bool whole = 8 * scale == std::floor(8 * scale);
            EXPECT_EQ(placed["resize"].provider, whole ? "OpenVINOExecutionProvider" : "CPUExecutionProvider");
            if (!whole) EXPECT_NE(placed["resize"].reason.find("align_corners"), std::string::npos);
            Tensor x = random_floats({1, 2, 8, 8}, 4);
            expect_near(device.run({{"x", x}})[0], session_of(b, SessionOptions()).run({{"x", x}})[0]);
        }
    }
}

// Configurations where OpenVINO's result differs from ONNX's (found by the backend tests: manifests/openvino-cpu.txt)
// stay on the CPU provider with the difference as the reason; their neighbours run on OpenVINO. Either way the outputs
// equal the CPU provider's.
TEST(OpenVINOProvider, ConfigurationsWhereOpenVINODiffersStayOnTheCpuProvider) {
    struct Case {
        const char* name;
        bool differs;
        std::function<void(ModelBuilder&)> build;  // inputs x (and more), output y, node "op"
        std::vector<std::pair<std::string, Shape>> feeds;
    };
    auto quantize = [](int32_t type) {
        return [type](ModelBuilder& b) {
            b.input("x", {12}).output("y", {12}, type);
            b.initializer_floats("scale", {}, {0.5f});
            auto* zero = b.graph().add_initializer();
            zero->set_name("zero");
            zero->set_data_type(type);
            zero->add_int32_data(7);
            b.node("QuantizeLinear", {"x", "scale", "zero"}, {"y"}, "op");
        };
    };
    auto reduce_max = [](int64_t middle) {
        return [middle](ModelBuilder& b) {
            b.input("x", {2, middle, 4}).output("y", {2, 1, 4});
            b.initializer_ints("axes", {1}, {1});
            b.node("ReduceMax", {"x", "axes"}, {"y"}, "op");
        };
    };
    auto attention = [](bool causal) {
        return [causal](ModelBuilder& b) {
            b.input("q", {1, 2, 3, 4}).input("k", {1, 2, 3, 4}).input("v", {1, 2, 3, 4});
            b.input("past_k", {1, 2, 5, 4}).input("past_v", {1, 2, 5, 4});
            b.output("y", {1, 2, 3, 4}).output("present_k", {1, 2, 8, 4}).output("present_v", {1, 2, 8, 4});
            attr_int(
                b.node("Attention", {"q", "k", "v", "", "past_k", "past_v"}, {"y", "present_k", "present_v"}, "op"),
                "is_causal", causal ? 1 : 0);
        };
    };
    const std::vector<std::pair<std::string, Shape>> qkv = {{"q", {1, 2, 3, 4}},
                                                            {"k", {1, 2, 3, 4}},
                                                            {"v", {1, 2, 3, 4}},
                                                            {"past_k", {1, 2, 5, 4}},
                                                            {"past_v", {1, 2, 5, 4}}};
    const Case cases[] = {
        {"QuantizeLinear to uint16", true, quantize(::onnx::TensorProto::UINT16), {{"x", {12}}}},
        {"QuantizeLinear to int16", false, quantize(::onnx::TensorProto::INT16), {{"x", {12}}}},
        {"ReduceMax over an empty axis", true, reduce_max(0), {{"x", {2, 0, 4}}}},
        {"ReduceMax", false, reduce_max(3), {{"x", {2, 3, 4}}}},
        {"Attention causal with past", true, attention(true), qkv},
        {"Attention with past", false, attention(false), qkv},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        ModelBuilder b(24);
        c.build(b);
        Session device = session_of(b, openvino());
        NodeAssignment placed = assignments(device)["op"];
        EXPECT_EQ(placed.provider, c.differs ? "CPUExecutionProvider" : "OpenVINOExecutionProvider") << placed.reason;
        if (c.differs) EXPECT_NE(placed.reason.find("differs from ONNX"), std::string::npos) << placed.reason;
        std::vector<NamedTensor> feeds;
        uint32_t seed = 20;
        for (const auto& [name, shape] : c.feeds) feeds.push_back({name, random_floats(shape, seed++)});
        std::vector<Tensor> got = device.run(feeds), want = session_of(b, SessionOptions()).run(feeds);
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_EQ(got[i].shape(), want[i].shape());
            ASSERT_EQ(got[i].dtype(), want[i].dtype());
            if (c.differs || got[i].dtype() != DType::Float) {  // the same kernel (-inf included), or integers
                EXPECT_EQ(std::memcmp(got[i].raw_data(), want[i].raw_data(), got[i].byte_size()), 0);
            } else {
                expect_near(got[i], want[i]);
            }
        }
    }
}

TEST(OpenVINOProvider, SessionConfigEntriesWithTheProviderPrefixAreOptions) {
    SessionOptions options = openvino({});
    options.add_config_entry("ep.openvinoexecutionprovider.num_streams", "many");
    expect_error([&] { session_of(conv_model(), options); }, ErrorCode::InvalidArgument, {"num_streams"});
    SessionOptions good = openvino({});
    good.add_config_entry("ep.openvinoexecutionprovider.device_type", "CPU");
    EXPECT_NO_THROW(session_of(conv_model(), good));
}

TEST(OpenVINOProvider, BadOptionsAreTheParsersErrors) {
    expect_error(
        [&] {
            session_of(conv_model(), openvino({{"num_streams", "many"}}));
        },
        ErrorCode::InvalidArgument, {"num_streams"});
    expect_error(
        [&] {
            session_of(conv_model(), openvino({{"no_such_key", "1"}}));
        },
        ErrorCode::InvalidArgument, {"no_such_key"});
}

// The provider hands weights to OpenVINO by address and lets kiln's copy go once read_model returns
// (compiled_subgraph.cc); that is only safe while OpenVINO's ONNX frontend copies them. A new OpenVINO that
// shares them instead fails here instead of reading freed memory.
TEST(OpenVINOProvider, OpenVINOCopiesWeightsHandedByAddress) {
    ModelBuilder b(17);
    b.input("x", {1, 512}).output("y", {1, 512});
    b.initializer_floats("w", {512}, std::vector<float>(512, 1.f));
    b.node("Add", {"x", "w"}, {"y"}, "add");
    std::string bytes = b.bytes();
    ir::Model model = onnx::load_model_bytes(bytes.data(), bytes.size(), "");
    ir::Value* w = model.graph->find_value("w");
    Tensor owned(DType::Float, {512});
    for (int i = 0; i < 512; ++i) owned.data<float>()[i] = 1.f;
    w->constant = owned;
    std::string proto = onnx::save_graph_bytes_by_address(*model.graph, {{"", 17}}, 1024);
    ASSERT_LT(proto.size(), 1024u) << "the weights went into the proto";
    auto ov_model = ov::core().read_model(proto, ::ov::Tensor());
    for (int i = 0; i < 512; ++i) owned.data<float>()[i] = 5.f;  // kiln's copy changes (or goes) after reading
    ::ov::CompiledModel compiled = ov::core().compile_model(ov_model, "CPU");
    ::ov::InferRequest request = compiled.create_infer_request();
    std::vector<float> x(512, 0.f);
    request.set_input_tensor(::ov::Tensor(::ov::element::f32, ::ov::Shape{1, 512}, x.data()));
    request.infer();
    const float* y = request.get_output_tensor().data<float>();
    EXPECT_EQ(y[0], 1.f);
    EXPECT_EQ(y[511], 1.f);
}

}  // namespace
}  // namespace kiln::test
