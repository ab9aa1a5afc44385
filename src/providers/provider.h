// The interface between the runtime and a device provider (the OpenVINO provider). At session build time the
// provider claims groups of nodes of the optimised graph and compiles each group into a CompiledPartition, which
// the execution plan runs as one step. Nodes nobody claims run on the CPU provider (src/providers/cpu/).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "kiln/error.h"
#include "kiln/tensor.h"

namespace kiln::providers {

// Bytes a provider may keep for as long as it likes: moved in (owned) or a view of memory that `keeper` keeps
// alive (a mapped blob file).
struct Blob {
    std::shared_ptr<const void> keeper;
    const char* data = nullptr;
    size_t size = 0;

    static Blob owned(std::string bytes) {
        auto held = std::make_shared<const std::string>(std::move(bytes));
        return Blob{held, held->data(), held->size()};
    }
};

// A compiled group of nodes. run() is called concurrently by the session's runs and must be thread-safe.
class CompiledPartition {
  public:
    virtual ~CompiledPartition() = default;
    // Gives an output tensor of `dtype` and `shape` (contents unspecified) from the run's buffer pool.
    using Allocate = std::function<Tensor(DType dtype, const Shape& shape)>;
    // `inputs` in the order of the partition graph's inputs; returns its outputs in graph order, allocated with
    // `allocate` (or, where the provider owns the memory for the rest of the run, its own tensors).
    virtual std::vector<Tensor> run(const std::vector<const Tensor*>& inputs, const Allocate& allocate) const = 0;
    // One line for logs and profiles: device, precision, static or dynamic shapes.
    virtual std::string describe() const = 0;
    // The name of the provider that compiled it ("OpenVINOExecutionProvider").
    virtual const char* provider_name() const = 0;
    // EPContext export: the compiled form as bytes that the same provider turns back into a partition with
    // ExecutionProvider::import_blob, and the version of the SDK that made them (written as ep_sdk_version).
    // NotImplemented, or Unsupported naming the reason, when the partition cannot be exported.
    virtual std::string export_blob() const {
        fail(ErrorCode::NotImplemented, provider_name(), " cannot export its compiled partitions");
    }
    virtual std::string sdk_version() const { return ""; }
};

// What a provider takes of a graph: connected node groups, each to become one partition, and for every node it
// leaves, why (printed by `kiln ops -e openvino` and the verbose log).
struct Capability {
    std::vector<std::vector<const ir::Node*>> groups;
    std::unordered_map<const ir::Node*, std::string> reasons;
};

class ExecutionProvider {
  public:
    virtual ~ExecutionProvider() = default;
    // ONNX Runtime's name ("OpenVINOExecutionProvider").
    virtual const std::string& name() const = 0;
    virtual Capability claim(const ir::Graph& graph) = 0;
    // Compiles `partition`: a standalone graph holding one group's nodes, whose inputs are the values the group
    // reads from outside (constants stay initializers) and whose outputs are the values read outside it.
    virtual std::unique_ptr<CompiledPartition> compile(const ir::Graph& partition) = 0;
    // EPContext import: rebuilds a partition from a blob that export_blob() gave, without compiling. `partition` is
    // the standalone graph of the context node (its inputs and outputs, in order); `sdk_version` what the node
    // says made the blob. InvalidModel when the version differs from the running SDK or the blob is not one of
    // this provider's; NotImplemented when the provider has no import.
    // The partition may keep `blob` for as long as it lives.
    virtual std::unique_ptr<CompiledPartition> import_blob(Blob blob, const std::string& sdk_version,
                                                           const ir::Graph& partition) {
        (void)blob, (void)sdk_version, (void)partition;
        fail(ErrorCode::NotImplemented, name(), " cannot import compiled partitions");
    }
};

}  // namespace kiln::providers
