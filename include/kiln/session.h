// kiln::Session: loads an ONNX model, optimises and partitions it over the configured providers, and runs it.
// A Session is immutable after construction; run() may be called from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/error.h"
#include "kiln/tensor.h"
#include "kiln/tensor_info.h"
#include "kiln/value.h"

namespace kiln {

// ONNX Runtime's levels, with its numeric values.
enum class GraphOptimizationLevel { DisableAll = 0, Basic = 1, Extended = 2, All = 99 };

using ProviderOptions = std::map<std::string, std::string>;

struct ProviderEntry {
    std::string name;  // "CPUExecutionProvider", "OpenVINOExecutionProvider"
    ProviderOptions options;
};

class SessionOptions {
  public:
    // Providers in priority order; the CPU provider is always implicitly last.
    SessionOptions& append_provider(std::string name, ProviderOptions options = {});
    SessionOptions& add_config_entry(std::string key, std::string value);
    // The value for `key`, or `fallback` when absent.
    std::string config_entry(const std::string& key, const std::string& fallback = "") const;
    // A "0"/"1" entry (absent: false); InvalidArgument naming the key for any other value.
    bool config_flag(const std::string& key) const;

    std::vector<ProviderEntry> providers;
    std::map<std::string, std::string> config_entries;
    int intra_op_threads = 0;  // 0: one per physical core
    int inter_op_threads = 0;
    GraphOptimizationLevel optimization_level = GraphOptimizationLevel::All;
    // Values for symbolic dims by name (add_free_dimension_override_by_name).
    std::map<std::string, int64_t> dim_overrides;
    // Profiling (ONNX Runtime's enable_profiling): each run's nodes and compiled subgraphs are timed, and
    // Session::end_profiling() writes the Chrome trace to "<profile_file_prefix>_<date>_<time>.json".
    bool enable_profiling = false;
    std::string profile_file_prefix = "kiln_profile";
    // When set, the optimised graph is written here as an ONNX model (ONNX Runtime's optimized_model_filepath).
    std::string optimized_model_filepath;
    // Data for initializers that the model stores as external data, by initializer name, used instead of the
    // files (ONNX Runtime's AddExternalInitializers). The tensors are shared, not copied: borrowed memory must
    // outlive the session. Each must match the initializer's type and shape, and name one with external data.
    std::map<std::string, Tensor> external_initializers;
};

// The model's descriptive fields (ONNX Runtime's ModelMetadata).
struct ModelMetadata {
    std::string producer_name;
    std::string graph_name;
    std::string domain;
    std::string description;                                 // the model's doc_string
    std::string graph_description;                           // the main graph's doc_string
    int64_t version = 0;                                     // model_version
    std::map<std::string, std::string> custom_metadata_map;  // metadata_props
};

// Which provider runs a node of the optimised graph, for `kiln ops` and verbose logs.
struct NodeAssignment {
    std::string node_name;
    std::string op_type;
    std::string provider;
    std::string reason;  // why a preferred provider did not take it; empty when taken by the first provider
};

// A subgraph a device provider compiled: its name (the node that stands for it), the provider, how many nodes of
// the optimised graph it holds, and what the provider says of it (device, precision it really uses, shapes).
struct CompiledPartitionInfo {
    std::string name;
    std::string provider;
    size_t node_count = 0;
    std::string description;
};

class Session {
  public:
    explicit Session(const std::string& model_path, const SessionOptions& options = {});
    // From bytes in memory (CreateSessionFromArray). External data, if any, is resolved against `base_dir`.
    Session(const void* model_data, size_t size, const SessionOptions& options = {}, const std::string& base_dir = "");
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    // The graph inputs a run must feed (initializers listed as inputs are not among them), and the outputs.
    const std::vector<ValueInfo>& inputs() const;
    const std::vector<ValueInfo>& outputs() const;
    // Initializers that are also graph inputs: a run may feed them to replace their value.
    const std::vector<ValueInfo>& overridable_initializers() const;
    const std::vector<NodeAssignment>& node_assignments() const;
    std::vector<CompiledPartitionInfo> compiled_partitions() const;
    const SessionOptions& options() const;
    const ModelMetadata& metadata() const;

    // Runs the model. `output_names` empty: all outputs in graph order. Thread-safe.
    // Outputs that are sequences or optionals fail with InvalidArgument: use run_values for those models.
    std::vector<Tensor> run(const std::vector<NamedTensor>& feeds,
                            const std::vector<std::string>& output_names = {}) const;
    // The same for any model: feeds and outputs may be tensors, sequences of tensors or none (an empty optional).
    std::vector<Value> run_values(const std::vector<NamedValue>& feeds,
                                  const std::vector<std::string>& output_names = {}) const;

    // Profiling (SessionOptions::enable_profiling): writes the events recorded so far (model loading, session
    // initialisation, each run and each node of it) as a Chrome trace to the file
    //     <profile_file_prefix>_<YYYY-MM-DD_HH-MM-SS>.json   (the local time the session started profiling)
    // and returns its path; "" when the session does not profile. Profiling stops, as in ONNX Runtime: later runs
    // are not recorded and later calls return "". InvalidArgument naming the file when it cannot be written. Safe to
    // call while other threads run the session.
    std::string end_profiling();

    struct Impl;

  private:
    std::vector<Value> run_values_checked(const std::vector<NamedValue>& feeds,
                                          const std::vector<std::string>& output_names) const;

    std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
