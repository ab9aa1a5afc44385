// The ONNX writer: ir::Model -> ModelProto bytes or file, the loader's reverse (onnxruntime's
// optimized_model_filepath, and the OpenVINO provider handing a partition to OpenVINO's ONNX frontend).
//
// What is written is what the IR holds: nodes (names, domains, attributes of every kind, subgraphs with their
// outer-scope references), initializers of every dtype (raw_data little-endian, sub-byte and float8 types packed
// as ONNX packs them, strings in string_data), graph inputs (an input with a constant is an overridable
// initializer), outputs and value_info with dtypes, symbolic and unknown dims, sequence and optional types, model
// metadata, doc string and opset imports. Nodes are written in the IR's order when it is topological, else in a
// topological order; initializers and value_info in name order. The IR does not keep graph, node and value doc
// strings, sparse initializers (they are densified at import), functions (inlined at import) or training info, so
// neither does the written model.
//
// Opsets: the importer rewrites every ai.onnx node to the meaning of the newest opset (loader.h,
// max_supported_opset()), so the written model imports ai.onnx at that version, whatever the source model did;
// other domains keep the model's versions (ai.onnx.ml, ...), and a domain that nodes use but the model does not
// import is declared at version 1. Internal ops of domain "kiln" (FusedConv, FusedMatMul, made by the optimizer at
// level Extended and above) are written as they are, with opset import ("kiln", 1): such a model loads in kiln only,
// as onnxruntime's optimised models with com.microsoft ops load in onnxruntime only. ir_version is the newest the
// pinned onnx package knows (or the model's, when newer), as the declared opsets need.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"

namespace kiln::onnx {

// The largest message protobuf serialises (2 GiB - 1 bytes).
constexpr size_t kMaxProtoBytes = INT_MAX;

struct SaveOptions {
    // The largest proto written. A model whose tensors would make it larger is written with its tensor data in an
    // external file (save_model_file) or refused (save_model_bytes). Protobuf's limit unless a test lowers it.
    size_t max_proto_bytes = kMaxProtoBytes;
    // save_model_file only: write tensor data to the external data file even when the model fits in one proto.
    bool external_data = false;
    // save_model_file only: tensors smaller than this many bytes stay inside the proto when the others go to the
    // external data file (ONNX's size_threshold; onnxruntime's
    // session.optimized_model_external_initializers_min_size_in_bytes). String tensors always stay inside.
    size_t external_data_min_bytes = 1024;
    // save_model_file only: the external data file's name, relative to the model's folder and inside it; empty:
    // "<model file name>.data" (model.onnx -> model.onnx.data).
    std::string external_data_location;
};

// The model as ModelProto bytes. InvalidArgument when it would exceed options.max_proto_bytes (models with more
// than 2 GiB of weights must be saved to a file, with external data) or when options ask for external data.
std::string save_model_bytes(const ir::Model& model, const SaveOptions& options = {});

// Writes the model to `path`, with its tensor data in an external data file next to it (ONNX's external-data
// format: location, offset and length keys; offsets aligned to 4096 bytes, so that the loader maps the tensors
// without copying) when the model would exceed options.max_proto_bytes or options.external_data asks for it.
// Both files are written under temporary names and renamed into place, so a file that the model's tensors are
// mapped from is never truncated under them, and a failure leaves no partial file. InvalidArgument naming the
// path when a file cannot be written or the model does not fit even with external data.
void save_model_file(const ir::Model& model, const std::string& path, const SaveOptions& options = {});

// Writes `bytes` to `path` under a temporary name and renames it into place (no partial file on failure).
// InvalidArgument naming `what` and the path when it cannot be written.
void save_file(const std::string& path, const std::string& bytes, const std::string& what);

// A standalone model holding `graph` (which must not read values of an enclosing graph): opset imports as given
// (domain "" = ai.onnx; a domain that nodes use and `opsets` lacks is added as above), ir_version the newest the
// pinned onnx package knows, no metadata. InvalidArgument when it exceeds 2 GiB. With `function_bodies`, a node of
// an op listed in function_bodies.cc is written as its ONNX function body where the node's types fix it (for a
// device provider whose runtime lacks the op; kiln itself runs the op).
std::string save_graph_bytes(const ir::Graph& graph, const std::map<std::string, int64_t>& opsets,
                             bool function_bodies = false);

// The same, with each tensor of at least `min_bytes` left in kiln's memory: the proto names it with ONNX Runtime's
// in-memory external-data marker (location "*/_ORT_MEM_ADDR_/*", offset = the address of its bytes, length = their
// size), which OpenVINO's ONNX frontend reads from memory. For handing a partition to OpenVINO in this process only:
// the tensors must stay alive while it is read, and the bytes mean nothing elsewhere. kiln's own loader refuses the
// marker (it is no file inside the model's folder).
std::string save_graph_bytes_by_address(const ir::Graph& graph, const std::map<std::string, int64_t>& opsets,
                                        size_t min_bytes, bool function_bodies = false);

// What a content key hashes: the bytes of save_graph_bytes_by_address with each tensor of at least `min_bytes`
// marked by its position in `tensors` (offset 0, 1, ...) instead of its address, so that the bytes do not depend
// on where the tensors live; `tensors` receives those tensors (sharing their memory), whose contents complete the
// key. Not a model anything can load.
std::string save_graph_bytes_by_position(const ir::Graph& graph, const std::map<std::string, int64_t>& opsets,
                                         size_t min_bytes, std::vector<Tensor>* tensors, bool function_bodies = false);

}  // namespace kiln::onnx
