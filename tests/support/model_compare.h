// Comparisons for the writer's round-trip tests: two ir::Models with the same structure (nodes, attributes,
// constants, types), two runs with identical outputs, and the ONNX backend test data to run them on.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/session.h"
#include "kiln/value.h"

namespace kiln::test {

// The ONNX backend test data of the pinned onnx package (folders node/, simple/, ...).
std::filesystem::path backend_test_data();

// Expects `b` to hold what `a` holds: graph names, inputs and outputs (names, types, constants), every node (name,
// op type, domain, op, input and output names, attributes of every kind, subgraphs recursively) and every
// constant; node order may differ. Types of intermediate values are compared where `a` knows the element type.
// Model fields: ir_version and opsets are not compared (the writer changes them), the rest is. Failures name the
// graph and node.
void expect_same_model(const ir::Model& a, const ir::Model& b);
void expect_same_graph(const ir::Graph& a, const ir::Graph& b, const std::string& where);

// True when both tensors have the same dtype, shape and bytes (strings compared as strings).
bool same_tensor(const Tensor& a, const Tensor& b);
// Expects identical values (tensors, sequences or none), `what` naming them in failures.
void expect_identical_values(const std::vector<Value>& a, const std::vector<Value>& b, const std::string& what);

// Runs `session` on the inputs of a backend test data set folder (input_N.pb, read as the session declares them).
std::vector<Value> run_test_data_set(const Session& session, const std::filesystem::path& data_set);

}  // namespace kiln::test
