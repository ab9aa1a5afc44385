// A claimed subgraph compiled by OpenVINO, run through a pool of infer requests (one per concurrent run, grown on
// demand, so concurrent session runs use the compiled model's streams). Inputs are handed to OpenVINO without
// copying; outputs are written straight into the run's buffers when their shapes are static.
//
// Shapes: a subgraph whose inputs are static, or one compiled with dynamic dims, is compiled once at session
// creation. With disable_dynamic_shapes and dynamic inputs it is compiled for each new set of input shapes at run
// time, keeping the kShapeCacheSize most recently used compilations.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <openvino/runtime/compiled_model.hpp>
#include <openvino/runtime/core.hpp>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "providers/openvino/options.h"
#include "providers/provider.h"

namespace kiln::ov {

class CompiledSubgraph : public providers::CompiledPartition {
  public:
    static constexpr size_t kShapeCacheSize = 8;
    // Tensors smaller than this go into the proto handed to OpenVINO; larger ones stay in kiln's memory, by address
    // (and are hashed by content for a cache key).
    static constexpr size_t kInlineTensorBytes = 1024;

    // `partition`: the standalone subgraph (ir::extract_subgraph); `device` and `properties` for compile_model;
    // from `options`: disable_dynamic_shapes, and the reshape_input bounds and layouts of the partition's inputs
    // and outputs that it names.
    CompiledSubgraph(const ir::Graph& partition, std::string device, ::ov::AnyMap properties,
                     const OpenVINOOptions& options);
    // EPContext import: the partition from a blob of export_blob(), with core().import_model (no compile).
    // `partition` gives the input and output names. OpenVINO reads the blob in place and keeps referring to it
    // (weights), so the partition keeps it. InvalidModel naming `where` when OpenVINO refuses the blob.
    static std::unique_ptr<CompiledSubgraph> import(providers::Blob blob, const ir::Graph& partition,
                                                    std::string device, ::ov::AnyMap properties,
                                                    const std::string& where);
    ~CompiledSubgraph() override;

    std::vector<Tensor> run(const std::vector<const Tensor*>& inputs, const Allocate& allocate) const override;
    std::string describe() const override;
    const char* provider_name() const override { return "OpenVINOExecutionProvider"; }
    // export_model's bytes; Unsupported for a partition compiled per input shapes.
    std::string export_blob() const override;
    // The same bytes written to `out` (no copy in memory); the same errors.
    void export_to(std::ostream& out) const;
    std::string sdk_version() const override;

    // The running OpenVINO's "MAJOR.MINOR" (EPContext's ep_sdk_version).
    static std::string openvino_sdk_version();

  private:
    struct Compiled;

    CompiledSubgraph() = default;
    void set_names(const ir::Graph& partition);
    std::shared_ptr<Compiled> compile(const std::shared_ptr<::ov::Model>& model) const;
    // Matches kiln's inputs and outputs to the compiled model's ports. `model` (null for an imported model) tells
    // which outputs are computed by an op.
    void map_ports(Compiled& compiled, const ::ov::Model* model) const;
    std::shared_ptr<Compiled> for_shapes(const std::vector<const Tensor*>& inputs) const;

    std::string name_;
    std::string device_;
    ::ov::AnyMap properties_;
    std::vector<std::string> input_names_, output_names_;
    std::shared_ptr<Compiled> compiled_;  // null when compiled per input shapes
    providers::Blob blob_;                // an imported partition's blob, which its compiled model refers to
    // Per-shape compilation (disable_dynamic_shapes with dynamic inputs): the model to reshape, and an LRU list.
    std::shared_ptr<::ov::Model> model_;
    mutable std::mutex shapes_mutex_;
    mutable std::list<std::pair<std::string, std::shared_ptr<Compiled>>> by_shape_;
};

}  // namespace kiln::ov
