#include "support/op_runner.h"

#include <random>

#include "providers/cpu/evaluate.h"

namespace kiln::test {

Tensor random_tensor(Shape shape, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    Tensor t(DType::Float, std::move(shape));
    for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = dist(rng);
    return t;
}

OpCase::OpCase(const std::string& op_type) : node_(std::make_unique<ir::Node>()) {
    node_->name = op_type + "_under_test";
    node_->op_type = op_type;
    node_->op = op_kind_from_name(op_type);
    node_->domain = op_kind_domain(node_->op);
    KILN_CHECK(node_->op != OpKind::Unknown, NotImplemented, "OpCase: unknown op ", op_type);
}

OpCase& OpCase::input(Tensor t) {
    inputs_.push_back(std::move(t));
    present_.push_back(true);
    return *this;
}

OpCase& OpCase::missing_input() {
    inputs_.emplace_back();
    present_.push_back(false);
    return *this;
}

#define KILN_OPCASE_ATTR(fn, kind_name, field, type)     \
    OpCase& OpCase::fn(const std::string& key, type v) { \
        ir::Attribute a;                                 \
        a.kind = ir::Attribute::Kind::kind_name;         \
        a.field = std::move(v);                          \
        node_->attributes[key] = std::move(a);           \
        return *this;                                    \
    }
KILN_OPCASE_ATTR(attr_int, Int, i, int64_t)
KILN_OPCASE_ATTR(attr_float, Float, f, float)
KILN_OPCASE_ATTR(attr_string, String, s, const std::string&)
KILN_OPCASE_ATTR(attr_ints, Ints, ints, std::vector<int64_t>)
KILN_OPCASE_ATTR(attr_floats, Floats, floats, std::vector<float>)
KILN_OPCASE_ATTR(attr_tensor, Tensor, t, Tensor)
KILN_OPCASE_ATTR(attr_strings, Strings, strings, std::vector<std::string>)
#undef KILN_OPCASE_ATTR

OpCase& OpCase::attr(const std::string& key, ir::Attribute a) {
    node_->attributes[key] = std::move(a);
    return *this;
}

OpCase& OpCase::outputs(int n) {
    output_count_ = n;
    return *this;
}

OpCase& OpCase::threads(int n) {
    threads_ = n;
    return *this;
}

std::vector<Tensor> OpCase::run() {
    ir::Node& node = *node_;
    node.inputs.clear();
    node.outputs.clear();
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < inputs_.size(); ++i) {
        if (!present_[i]) {
            node.inputs.push_back(nullptr);
            inputs.push_back(nullptr);
            continue;
        }
        std::string name = "in" + std::to_string(i);
        ir::Value* v = graph_.find_value(name);
        if (!v) v = graph_.add_value(name);
        v->type = cpu::info_of(inputs_[i]);
        node.inputs.push_back(v);
        inputs.push_back(&inputs_[i]);
    }
    for (int i = 0; i < output_count_; ++i) {
        std::string name = "out" + std::to_string(i);
        ir::Value* v = graph_.find_value(name);
        node.outputs.push_back(v ? v : graph_.add_value(name));
    }
    return cpu::evaluate_node(node, inputs, threads_);
}

}  // namespace kiln::test
