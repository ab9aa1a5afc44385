// Tests of partitioning: ir::supported_clusters (no cycles, maximal groups), ir::extract_subgraph, and a session
// with a stand-in device provider that claims some op types and runs its subgraphs on kiln's own plan. The
// oracle is the same model on the CPU provider alone.
#include "runtime/partition.h"

#include <gtest/gtest.h>

#include <set>

#include "common/log.h"
#include "ir/clusters.h"
#include "ir/subgraph.h"
#include "kiln/session.h"
#include "onnx/loader.h"
#include "runtime/execution_plan.h"
#include "runtime/provider_registry.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

// x -> Relu(a) -> Sigmoid(u) -> Add(b, reads a and u) -> Neg(c) -> Tanh(d) -> y, and Neg(e) reads a -> z.
ModelBuilder diamond_model() {
    ModelBuilder b(17);
    b.input("x", {2, 3}).output("y", {2, 3}).output("z", {2, 3});
    b.node("Relu", {"x"}, {"ra"}, "a");
    b.node("Sigmoid", {"ra"}, {"su"}, "u");
    b.node("Add", {"ra", "su"}, {"ab"}, "b");
    b.node("Neg", {"ab"}, {"nc"}, "c");
    b.node("Tanh", {"nc"}, {"y"}, "d");
    b.node("Neg", {"ra"}, {"z"}, "e");
    return b;
}

std::set<std::string> names(const std::vector<const ir::Node*>& nodes) {
    std::set<std::string> s;
    for (const ir::Node* n : nodes) s.insert(n->name);
    return s;
}

TEST(SupportedClusters, NeverMergesAcrossAnUnsupportedPath) {
    ir::Model model = onnx::load_model_bytes(diamond_model().bytes().data(), diamond_model().bytes().size(), "");
    auto clusters = ir::supported_clusters(*model.graph, [](const ir::Node& n) { return n.op_type != "Sigmoid"; });
    // a and e at depth 0; b, c, d behind the unsupported Sigmoid at depth 1: merging a with b would make a cycle.
    ASSERT_EQ(clusters.size(), 2u);
    EXPECT_EQ(names(clusters[0]), (std::set<std::string>{"a", "e"}));
    EXPECT_EQ(names(clusters[1]), (std::set<std::string>{"b", "c", "d"}));
}

TEST(SupportedClusters, AllSupportedIsOneCluster) {
    std::string bytes = diamond_model().bytes();
    ir::Model model = onnx::load_model_bytes(bytes.data(), bytes.size(), "");
    auto clusters = ir::supported_clusters(*model.graph, [](const ir::Node&) { return true; });
    ASSERT_EQ(clusters.size(), 1u);
    EXPECT_EQ(clusters[0].size(), 6u);
}

TEST(ExtractSubgraph, InputsOutputsAndInitializers) {
    ModelBuilder b(17);
    b.input("x", {2, 3}).output("y", {2, 3});
    b.initializer_floats("w", {3}, {1, 2, 3});
    b.node("Add", {"x", "w"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"r"}, "relu");
    b.node("Sigmoid", {"r"}, {"y"}, "sig");
    std::string bytes = b.bytes();
    ir::Model model = onnx::load_model_bytes(bytes.data(), bytes.size(), "");
    std::vector<const ir::Node*> group;
    for (const auto& n : model.graph->nodes()) {
        if (n->name != "sig") group.push_back(n.get());
    }
    ir::Subgraph cut = ir::extract_subgraph(*model.graph, group);
    ASSERT_EQ(cut.graph->inputs().size(), 1u);
    EXPECT_EQ(cut.graph->inputs()[0]->name, "x");
    ASSERT_EQ(cut.graph->outputs().size(), 1u);
    EXPECT_EQ(cut.graph->outputs()[0]->name, "r");
    ir::Value* w = cut.graph->find_value("w");
    ASSERT_TRUE(w && w->constant);
    EXPECT_EQ(w->constant->raw_data(), model.graph->find_value("w")->constant->raw_data());  // shared, not copied
    EXPECT_NO_THROW(cut.graph->verify());
}

// Runs a standalone partition graph on kiln's own plan: the stand-in for a device's compiled model.
class PlanPartition : public providers::CompiledPartition {
  public:
    explicit PlanPartition(const ir::Graph& graph) {
        std::vector<const ir::Node*> all;
        for (const auto& n : graph.nodes()) all.push_back(n.get());
        cut_ = ir::extract_subgraph(graph, all);
        plan_ = std::make_unique<rt::ExecutionPlan>(*cut_.graph, 1);
    }
    std::vector<Tensor> run(const std::vector<const Tensor*>& inputs, const Allocate&) const override {
        std::vector<Value> slots = plan_->initial_slots();
        for (size_t i = 0; i < inputs.size(); ++i) slots[plan_->input_slots()[i]] = Value(*inputs[i]);
        std::vector<Tensor> out;
        for (Value& v : plan_->run(std::move(slots), plan_->output_slots())) out.push_back(v.tensor());
        ++runs;
        return out;
    }
    std::string describe() const override { return "stand-in"; }
    const char* provider_name() const override { return "StandInExecutionProvider"; }
    mutable std::atomic<int> runs{0};

  private:
    ir::Subgraph cut_;
    std::unique_ptr<rt::ExecutionPlan> plan_;
};

// Claims Relu, Add, Neg, Tanh; "compiling" a group that holds a Tanh fails when fail_tanh is set.
class StandInProvider : public providers::ExecutionProvider {
  public:
    explicit StandInProvider(bool fail_tanh) : fail_tanh_(fail_tanh) {}
    const std::string& name() const override { return name_; }
    providers::Capability claim(const ir::Graph& graph) override {
        static const std::set<std::string> ops = {"Relu", "Add", "Neg", "Tanh"};
        providers::Capability c;
        c.groups = ir::supported_clusters(graph, [](const ir::Node& n) { return ops.count(n.op_type) != 0; });
        for (const auto& n : graph.nodes()) {
            if (!ops.count(n->op_type)) c.reasons[n.get()] = "op " + n->op_type + " is not in the stand-in's list";
        }
        return c;
    }
    std::unique_ptr<providers::CompiledPartition> compile(const ir::Graph& partition) override {
        for (const auto& n : partition.nodes()) {
            KILN_CHECK(!(fail_tanh_ && n->op_type == "Tanh"), DeviceError, "stand-in cannot compile Tanh");
        }
        return std::make_unique<PlanPartition>(partition);
    }

  private:
    std::string name_ = "StandInExecutionProvider";
    bool fail_tanh_;
};

std::vector<float> floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

struct Registered {
    Registered() {
        rt::register_provider("StandInExecutionProvider", [](const ProviderOptions& o, const SessionOptions&) {
            return std::make_unique<StandInProvider>(o.count("fail_tanh") != 0);
        });
    }
};

std::vector<std::vector<float>> run_diamond(const SessionOptions& options) {
    static Registered registered;
    std::string bytes = diamond_model().bytes();
    Session session(bytes.data(), bytes.size(), options);
    Tensor x = Tensor::from_vector<float>(DType::Float, {2, 3}, {-1.5f, -0.5f, 0.f, 0.5f, 1.f, 2.f});
    std::vector<std::vector<float>> out;
    for (const Tensor& t : session.run({{"x", x}})) out.push_back(floats(t));
    return out;
}

TEST(ProviderPartitioning, SameOutputsAsCpuAndAssignmentsWithReasons) {
    static Registered registered;
    SessionOptions device;
    device.append_provider("StandInExecutionProvider");
    EXPECT_EQ(run_diamond(device), run_diamond(SessionOptions()));

    std::string bytes = diamond_model().bytes();
    Session session(bytes.data(), bytes.size(), device);
    std::map<std::string, NodeAssignment> by_name;
    for (const NodeAssignment& a : session.node_assignments()) by_name[a.node_name] = a;
    ASSERT_EQ(by_name.size(), 6u);
    for (const char* n : {"a", "b", "c", "d", "e"}) EXPECT_EQ(by_name[n].provider, "StandInExecutionProvider") << n;
    EXPECT_EQ(by_name["u"].provider, "CPUExecutionProvider");
    EXPECT_NE(by_name["u"].reason.find("Sigmoid is not in the stand-in's list"), std::string::npos);
}

TEST(ProviderPartitioning, CompileFailureFallsBackToCpuWithAWarning) {
    std::vector<std::string> warnings;
    LogSink previous = set_log_sink([&](LogLevel, const std::string& m) { warnings.push_back(m); });
    SessionOptions device;
    device.append_provider("StandInExecutionProvider", {{"fail_tanh", "1"}});
    auto got = run_diamond(device);
    set_log_sink(previous);
    EXPECT_EQ(got, run_diamond(SessionOptions()));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("stand-in cannot compile Tanh"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("run on the CPU provider"), std::string::npos) << warnings[0];
}

TEST(ProviderPartitioning, DisabledCpuFallbackNamesTheNodes) {
    static Registered registered;
    SessionOptions device;
    device.append_provider("StandInExecutionProvider");
    device.add_config_entry("session.disable_cpu_ep_fallback", "1");
    expect_error([&] { run_diamond(device); }, ErrorCode::InvalidArgument,
                 {"session.disable_cpu_ep_fallback", "node 'u' (Sigmoid)"});
    SessionOptions failing;
    failing.append_provider("StandInExecutionProvider", {{"fail_tanh", "1"}});
    failing.add_config_entry("session.disable_cpu_ep_fallback", "1");
    expect_error([&] { run_diamond(failing); }, ErrorCode::DeviceError,
                 {"stand-in cannot compile Tanh", "disable_cpu_ep_fallback"});
    SessionOptions bad_value;
    bad_value.add_config_entry("session.disable_cpu_ep_fallback", "yes");
    expect_error([&] { run_diamond(bad_value); }, ErrorCode::InvalidArgument,
                 {"session.disable_cpu_ep_fallback", "'yes'"});
    SessionOptions conflicting = device;
    conflicting.append_provider("CPUExecutionProvider");
    expect_error([&] { run_diamond(conflicting); }, ErrorCode::InvalidArgument,
                 {"conflicting", "CPUExecutionProvider"});
}

TEST(ProviderPartitioning, UnknownProviderListsTheAvailableOnes) {
    SessionOptions options;
    options.append_provider("NoSuchExecutionProvider");
    expect_error([&] { run_diamond(options); }, ErrorCode::InvalidArgument,
                 {"NoSuchExecutionProvider", "CPUExecutionProvider"});
}

}  // namespace
}  // namespace kiln::test
