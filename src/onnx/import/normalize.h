// Opset normalisation: every ai.onnx node is rewritten to the meaning of the newest version of its op that the
// pinned onnx package defines, so kernels and passes know one version only. One table maps an op type to its
// normaliser (normalize.cc); the normalisers live one file per op family (normalize_*.cc).
//
// A normaliser sees a node of the model's opset (node.opset) and rewrites it in place: attributes that later
// versions take as inputs become int64/float constant inputs (initializers with fresh names), dropped legacy
// attributes are removed, and ops that changed meaning are decomposed into new nodes. node.opset keeps the
// model's version; node.op is set from the (possibly renamed) op_type afterwards.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln::onnx {

// Normalises every node of `graph` and of its subgraphs.
void normalize_graph(ir::Graph& graph);

namespace detail {

// Rewrites `node` (in `graph`); may add nodes to `graph` through add_node.
using Normalizer = std::function<void(ir::Graph& graph, ir::Node& node)>;

struct NormalizerEntry {
    const char* op_type;
    Normalizer fn;
};

// The families' tables, concatenated into one map in normalize.cc.
std::vector<NormalizerEntry> shape_normalizers();    // Squeeze, Unsqueeze, Split, Slice, Pad, TopK
std::vector<NormalizerEntry> reduce_normalizers();   // Reduce*
std::vector<NormalizerEntry> softmax_normalizers();  // Softmax, LogSoftmax, Hardmax
std::vector<NormalizerEntry> misc_normalizers();     // Clip, Dropout, BatchNormalization
std::vector<NormalizerEntry> resize_normalizers();   // Upsample, Resize
std::vector<NormalizerEntry> legacy_normalizers();   // opsets 1-6: legacy broadcast, Gemm, Concat, Reshape, Cast, ...
std::vector<NormalizerEntry> compat_normalizers();   // Scatter, DFT, RoiAlign, GroupNormalization, Scan

// Helpers shared by the normalisers.

// A new initializer holding `tensor`, named from `hint`.
ir::Value* add_constant(ir::Graph& graph, const std::string& hint, Tensor tensor);
// A new 1-D int64 initializer holding `values`, named from `hint`.
ir::Value* int64s(ir::Graph& graph, const std::string& hint, std::vector<int64_t> values);
// Sets (or replaces) an int / string attribute of `node`.
void set_int(ir::Node& node, const std::string& key, int64_t v);
void set_string(ir::Node& node, const std::string& key, const std::string& v);
// Sets input `index` of `node` (growing the list with omitted inputs as needed).
void set_input(ir::Node& node, size_t index, ir::Value* value);
// Moves the ints attribute `attr` of `node` into input `index` as a 1-D int64 initializer; no-op when absent.
void ints_attribute_to_input(ir::Graph& graph, ir::Node& node, const std::string& attr, size_t index);
// The element type of `v` when known (declared type or constant), else Undefined.
DType known_dtype(const ir::Value* v);
// A scalar constant of `value` in the type of `like`: directly when its type is known, else a float constant cast
// by a new CastLike node. Returns the value to use as the input.
ir::Value* scalar_like(ir::Graph& graph, ir::Node& node, const std::string& hint, double value, ir::Value* like);
// A new node in `graph` with fresh output values; returns it.
ir::Node* add_node(ir::Graph& graph, const std::string& op_type, const std::string& name_hint,
                   std::vector<ir::Value*> inputs, size_t output_count, int opset);
// A new node in `graph` producing the given (existing) values; call graph.relink() afterwards (normalize_graph
// does) when they had another producer.
ir::Node* add_node_producing(ir::Graph& graph, const std::string& op_type, const std::string& name_hint,
                             std::vector<ir::Value*> inputs, std::vector<ir::Value*> outputs, int opset);
// The rank of `v` when known (declared shape or constant), else -1.
int64_t known_rank(const ir::Value* v);
// The values of `v` as doubles when it is a constant of a numeric type; empty otherwise.
std::vector<double> constant_values(const ir::Value* v);

}  // namespace detail

}  // namespace kiln::onnx
