// Node attributes: the ONNX attribute kinds, protobuf-free.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "kiln/tensor.h"
#include "kiln/tensor_info.h"

namespace kiln::ir {

class Graph;

struct Attribute {
    enum class Kind { Float, Int, String, Tensor, Graph, Floats, Ints, Strings, Tensors, Graphs, TypeInfo };
    Kind kind = Kind::Int;
    float f = 0;
    int64_t i = 0;
    std::string s;
    Tensor t;
    std::shared_ptr<Graph> g;
    std::vector<float> floats;
    std::vector<int64_t> ints;
    std::vector<std::string> strings;
    std::vector<Tensor> tensors;
    std::vector<std::shared_ptr<Graph>> graphs;
    TensorInfo type_info;  // TYPE_PROTO attributes (tensor types only)
};

const char* attribute_kind_name(Attribute::Kind kind);

using AttributeMap = std::map<std::string, Attribute>;

}  // namespace kiln::ir
