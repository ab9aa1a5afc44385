#include "providers/openvino/provider.h"

#include <set>

#include "common/log.h"
#include "ir/clusters.h"
#include "providers/openvino/compiled_subgraph.h"
#include "providers/openvino/devices.h"
#include "providers/openvino/options.h"
#include "providers/openvino/properties.h"
#include "providers/openvino/support_probe.h"

namespace kiln::ov {
namespace {

// Ops worth a call into OpenVINO on their own; a lone node of any other op stays on the CPU provider when the
// graph is split anyway (a call costs more than the op).
bool heavy(const ir::Node& node) {
    static const std::set<std::string> ops = {"Conv",          "ConvTranspose", "ConvInteger", "QLinearConv", "MatMul",
                                              "MatMulInteger", "QLinearMatMul", "Gemm",        "LSTM",        "GRU",
                                              "RNN",           "Attention",     "Einsum",      "If",          "Loop",
                                              "Scan"};
    return node.domain.empty() && ops.count(node.op_type) != 0;
}

bool reads_a_runtime_value(const std::vector<const ir::Node*>& cluster) {
    std::set<const ir::Node*> members(cluster.begin(), cluster.end());
    for (const ir::Node* node : cluster) {
        for (const ir::Value* v : node->inputs) {
            if (v && (!v->constant || v->is_graph_input) && !(v->producer && members.count(v->producer))) return true;
        }
        if (!ir::implicit_inputs(*node).empty()) return true;
    }
    return false;
}

class OpenVINOProvider : public providers::ExecutionProvider {
  public:
    explicit OpenVINOProvider(OpenVINOOptions options)
        : options_(std::move(options)),
          device_(options_.device.target()),
          properties_(compile_properties(options_, device_)),
          probe_(device_, properties_) {}

    const std::string& name() const override { return name_; }

    providers::Capability claim(const ir::Graph& graph) override {
        providers::Capability capability;
        std::set<const ir::Node*> unsupported;
        for (const auto& node : graph.nodes()) {
            std::string why = probe_.why_not(*node);
            if (why.empty()) continue;
            unsupported.insert(node.get());
            capability.reasons[node.get()] = why;
        }
        auto clusters = ir::supported_clusters(graph, [&](const ir::Node& node) { return !unsupported.count(&node); });
        bool whole_graph = unsupported.empty() && clusters.size() == 1;
        for (auto& cluster : clusters) {
            std::string dropped;
            if (!reads_a_runtime_value(cluster)) {
                dropped = "its subgraph reads no graph input (constant): left to the CPU provider";
            } else if (!whole_graph && cluster.size() == 1 && !heavy(*cluster[0])) {
                dropped = "a one-node subgraph between unsupported nodes: cheaper on the CPU provider";
            }
            if (dropped.empty()) {
                capability.groups.push_back(std::move(cluster));
                continue;
            }
            for (const ir::Node* node : cluster) capability.reasons[node] = dropped;
        }
        log_info(str(name_, ": ", capability.groups.size(), " subgraph(s) on OpenVINO ", device_, ", ",
                     capability.reasons.size(), " of ", graph.nodes().size(), " nodes left to the CPU provider"));
        return capability;
    }

    std::unique_ptr<providers::CompiledPartition> compile(const ir::Graph& partition) override {
        return std::make_unique<CompiledSubgraph>(partition, device_, properties_, options_.disable_dynamic_shapes);
    }

  private:
    std::string name_ = "OpenVINOExecutionProvider";
    OpenVINOOptions options_;
    std::string device_;
    ::ov::AnyMap properties_;
    SupportProbe probe_;
};

}  // namespace

std::unique_ptr<providers::ExecutionProvider> make_provider(const std::map<std::string, std::string>& options,
                                                            const SessionOptions& session_options) {
    std::vector<std::string> warnings;
    OpenVINOOptions parsed = parse_options(options, openvino_devices(), &warnings);
    for (const std::string& w : warnings) log_warning("OpenVINOExecutionProvider: " + w);
    (void)session_options;
    return std::make_unique<OpenVINOProvider>(std::move(parsed));
}

}  // namespace kiln::ov
