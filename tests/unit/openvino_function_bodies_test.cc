// Ops that OpenVINO's ONNX frontend lacks but whose ONNX function body it can run (src/onnx/function_bodies.cc): the
// OpenVINO provider hands OpenVINO the body, so such a node stays inside an OpenVINO partition, with the CPU fallback
// disabled too; the results equal kiln's CPU provider, which runs the op itself (and the ONNX backend tests, in the
// openvino-cpu manifest). Where the node's types do not fix the body, the node stays on the CPU provider.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "kiln/session.h"
#include "support/expect_near.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"
#include "support/pass_check.h"

namespace kiln::test {
namespace {

struct CausalConvCase {
    const char* name;
    int64_t kernel;
    bool bias;
    bool past;
    const char* activation;
};

// relu -> CausalConvWithState -> relu on [2, 3, 5]: the op between two nodes OpenVINO runs anyway.
ModelBuilder causal_conv_model(const CausalConvCase& c, bool weight_shape_known = true) {
    ModelBuilder b(27);
    b.input("x", {2, 3, 5}).output("y", {2, 3, 5});
    if (c.past) b.input("past", {2, 3, c.kernel - 1});
    b.output("present", {2, 3, c.kernel - 1});
    if (weight_shape_known) {
        b.initializer_floats("w", {3, 1, c.kernel}, random_values(static_cast<size_t>(3 * c.kernel), 11));
    } else {
        b.input("w", {-1, -1, -1});  // dims unknown: the body's group and padding cannot be written
    }
    if (c.bias) b.initializer_floats("b", {3}, {0.5f, -0.25f, 0.125f});
    b.node("Relu", {"x"}, {"xr"}, "before");
    auto& conv = b.node("CausalConvWithState", {"xr", "w", c.bias ? "b" : "", c.past ? "past" : ""},
                        {"conv", "present"}, "causal_conv");
    attr_string(conv, "activation", c.activation);
    b.node("Relu", {"conv"}, {"y"}, "after");
    return b;
}

std::map<std::string, std::string> providers_of(const Session& s) {
    std::map<std::string, std::string> by_node;
    for (const NodeAssignment& a : s.node_assignments()) by_node[a.node_name] = a.provider + " " + a.reason;
    return by_node;
}

TEST(OpenVINOFunctionBodies, CausalConvWithStateRunsOnOpenVINOAsItsBody) {
    const CausalConvCase cases[] = {
        {"k3 bias past silu", 3, true, true, "silu"},
        {"k4 no bias no past", 4, false, false, "none"},
        {"k2 swish past", 2, false, true, "swish"},
        {"k1 bias no past", 1, true, false, "none"},
    };
    for (const CausalConvCase& c : cases) {
        SCOPED_TRACE(c.name);
        ModelBuilder b = causal_conv_model(c);
        SessionOptions options = openvino();
        options.add_config_entry("session.disable_cpu_ep_fallback", "1");
        std::string bytes = b.bytes();
        Session device(bytes.data(), bytes.size(), options);
        EXPECT_EQ(providers_of(device)["causal_conv"].rfind("OpenVINOExecutionProvider", 0), 0u);
        Session cpu(bytes.data(), bytes.size(), SessionOptions());
        std::vector<NamedTensor> feeds = {{"x", random_floats({2, 3, 5}, 12)}};
        if (c.past) feeds.push_back({"past", random_floats({2, 3, c.kernel - 1}, 13)});
        std::vector<Tensor> got = device.run(feeds), want = cpu.run(feeds);
        ASSERT_EQ(got.size(), 2u);
        expect_near(got[0], want[0], 1e-5f);
        expect_near(got[1], want[1], 1e-5f);
    }
}

TEST(OpenVINOFunctionBodies, UnknownWeightShapeLeavesTheOpToTheCpuProvider) {
    ModelBuilder b = causal_conv_model({"k3", 3, true, false, "silu"}, /*weight_shape_known=*/false);
    std::string bytes = b.bytes();
    Session device(bytes.data(), bytes.size(), openvino());
    const std::string placed = providers_of(device)["causal_conv"];
    EXPECT_EQ(placed.rfind("CPUExecutionProvider", 0), 0u) << placed;
    EXPECT_NE(placed.find("cannot convert"), std::string::npos) << placed;
    std::vector<NamedTensor> feeds = {{"x", random_floats({2, 3, 5}, 12)}, {"w", random_floats({3, 1, 3}, 11)}};
    Session cpu(bytes.data(), bytes.size(), SessionOptions());
    expect_near(device.run(feeds)[0], cpu.run(feeds)[0], 1e-5f);
}

}  // namespace
}  // namespace kiln::test
