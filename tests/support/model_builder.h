// Builds ONNX ModelProtos in C++ for loader tests, with the protobuf classes generated from the onnx package.
// Tests write them to bytes or to files under KILN_TEST_TMP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx-ml.pb.h"

namespace kiln::test {

class ModelBuilder {
  public:
    // A model importing ai.onnx at `opset`, ir_version 8, graph named `graph_name`.
    explicit ModelBuilder(int64_t opset = 17, const std::string& graph_name = "g");

    // A float graph input; dims < 0 are left unknown, `symbols` (same length, "" for none) name dims.
    ModelBuilder& input(const std::string& name, std::vector<int64_t> dims, int32_t elem_type = 1,
                        std::vector<std::string> symbols = {});
    ModelBuilder& output(const std::string& name, std::vector<int64_t> dims = {}, int32_t elem_type = 1);
    ModelBuilder& value_info(const std::string& name, std::vector<int64_t> dims, int32_t elem_type = 1);
    ModelBuilder& initializer_floats(const std::string& name, std::vector<int64_t> dims, std::vector<float> values);
    ModelBuilder& initializer_ints(const std::string& name, std::vector<int64_t> dims, std::vector<int64_t> values);
    // An initializer stored externally at `location` (offset/length keys only when >= 0).
    ModelBuilder& initializer_external(const std::string& name, std::vector<int64_t> dims, int32_t elem_type,
                                       const std::string& location, int64_t offset = -1, int64_t length = -1);
    // A node; returns it for attributes. `name` may be empty.
    ::onnx::NodeProto& node(const std::string& op_type, std::vector<std::string> inputs,
                            std::vector<std::string> outputs, const std::string& name = "",
                            const std::string& domain = "");

    ::onnx::ModelProto& proto() { return model_; }
    ::onnx::GraphProto& graph() { return *model_.mutable_graph(); }
    std::string bytes() const;
    // Writes the model to `path` (creating folders) and returns the path.
    std::string write(const std::string& path) const;

  private:
    ::onnx::ModelProto model_;
};

// Attribute helpers for NodeProtos.
void attr_int(::onnx::NodeProto& node, const std::string& name, int64_t v);
void attr_float(::onnx::NodeProto& node, const std::string& name, float v);
void attr_string(::onnx::NodeProto& node, const std::string& name, const std::string& v);
void attr_ints(::onnx::NodeProto& node, const std::string& name, std::vector<int64_t> v);
void attr_floats(::onnx::NodeProto& node, const std::string& name, std::vector<float> v);
::onnx::GraphProto& attr_graph(::onnx::NodeProto& node, const std::string& name);

// A fresh empty folder under KILN_TEST_TMP for one test.
std::string test_tmp_dir(const std::string& test_name);
// Writes `bytes` to `path`.
void write_file(const std::string& path, const std::string& bytes);

}  // namespace kiln::test
