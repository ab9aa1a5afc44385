// Runs one op on the CPU provider without a model: builds the node, infers output shapes with the op's shape
// function, allocates outputs and runs the kernel. For op unit tests.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::test {

// The elements of `t` as a vector of T (T must match the tensor's storage type).
template <typename T>
std::vector<T> values_of(const Tensor& t) {
    return std::vector<T>(t.data<T>(), t.data<T>() + t.element_count());
}

// A float tensor of `shape` with values uniform in [-1, 1) from a fixed `seed`.
Tensor random_tensor(Shape shape, uint32_t seed);

class OpCase {
  public:
    explicit OpCase(const std::string& op_type);
    OpCase& input(Tensor t);
    OpCase& missing_input();  // an omitted optional input
    OpCase& attr_int(const std::string& key, int64_t v);
    OpCase& attr_float(const std::string& key, float v);
    OpCase& attr_string(const std::string& key, const std::string& v);
    OpCase& attr_ints(const std::string& key, std::vector<int64_t> v);
    OpCase& attr_floats(const std::string& key, std::vector<float> v);
    OpCase& attr_tensor(const std::string& key, Tensor t);
    OpCase& attr_strings(const std::string& key, std::vector<std::string> v);
    OpCase& attr(const std::string& key, ir::Attribute a);
    OpCase& outputs(int n);  // default 1
    OpCase& threads(int n);  // default 1
    // Runs and returns the outputs; throws kiln::Error like the runtime would.
    std::vector<Tensor> run();

  private:
    ir::Graph graph_;
    std::unique_ptr<ir::Node> node_;
    std::vector<Tensor> inputs_;
    std::vector<bool> present_;
    int output_count_ = 1;
    int threads_ = 1;
};

}  // namespace kiln::test
