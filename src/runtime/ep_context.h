// EPContext: ONNX Runtime's precompiled-model format. A context model is the optimised graph with each compiled
// partition replaced by a com.microsoft EPContext node that carries the provider's compiled blob (in the node, or
// in a file next to the model), so that a later session imports the blob instead of compiling.
//
// Session config keys (ONNX Runtime's names): ep.context_enable=1 writes the context model after partitioning;
// ep.context_file_path names it (default: the model path with .onnx -> _ctx.onnx; required for a model from memory,
// both to write and to find the blob files of one); ep.context_embed_mode=1 puts the blobs in the nodes (default 0:
// one file per partition, "<ctx model stem>_<partition>.blob"); ep.context_node_name_prefix prefixes the node names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/session.h"
#include "providers/provider.h"
#include "runtime/execution_plan.h"

namespace kiln::rt {

struct EpContextOptions {
    bool enable = false;           // ep.context_enable
    std::string file_path;         // ep.context_file_path
    bool embed = false;            // ep.context_embed_mode
    std::string node_name_prefix;  // ep.context_node_name_prefix
};

// The EPContext keys of the session's config entries; InvalidArgument naming a key whose value is not "0" or "1".
EpContextOptions parse_ep_context_options(const SessionOptions& options);

// A com.microsoft EPContext node.
bool is_ep_context_node(const ir::Node& node);

// A context node imported by the provider named in its `source`; the node stays in the graph and runs as the
// partition.
struct ImportedContext {
    const ir::Node* node;
    const providers::ExecutionProvider* provider;
    std::unique_ptr<providers::CompiledPartition> partition;
};

// Imports every EPContext node of `graph` with the provider whose name is the node's `source`, without compiling.
// Blob files resolve against the folder of `model_path` (empty for a model from memory: of options.file_path) and
// must stay inside it. Errors name the node: Unsupported when no provider of the session made it, NotFound for a
// missing blob file, InvalidModel for a bad attribute, a path leaving the folder, a version or blob the provider
// refuses; NotImplemented for main_context=0 (contexts shared between nodes).
// The blobs of embed_mode=1 nodes move out of their ep_cache_context attribute into the partitions.
std::vector<ImportedContext> import_ep_contexts(
    ir::Graph& graph, const std::vector<std::unique_ptr<providers::ExecutionProvider>>& providers,
    const std::string& model_path, const EpContextOptions& options);

// Writes the context model of `model` (the optimised graph, partitioned) with the blobs of `partitions`.
// Nothing is written for a model that already holds EPContext nodes (as ONNX Runtime), or (with a warning) one
// without partitions. InvalidArgument when the output path is missing (model from memory), a folder, or an
// existing file (never overwritten); the partitions' export errors (Unsupported for a partition compiled per input
// shapes). Files are written under temporary names and renamed into place.
void export_ep_context(ir::Model& model, const PartitionMap& partitions, const std::string& model_path,
                       const EpContextOptions& options);

// The path export_ep_context writes for a session on `model_path` (empty for a model from memory).
std::string ep_context_model_path(const std::string& model_path, const EpContextOptions& options);

}  // namespace kiln::rt
