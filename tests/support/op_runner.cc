#include "support/op_runner.h"

#include <random>

#include "ops/op_def.h"
#include "providers/cpu/kernel.h"

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
#undef KILN_OPCASE_ATTR

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
    std::vector<TensorInfo> infos(inputs_.size());
    ops::InferContext ictx{node, {}, {}, {}};
    for (size_t i = 0; i < inputs_.size(); ++i) {
        if (!present_[i]) {
            node.inputs.push_back(nullptr);
            ictx.inputs.push_back(nullptr);
            ictx.values.push_back(nullptr);
            continue;
        }
        ir::Value* v = graph_.find_value("in" + std::to_string(i));
        if (!v) v = graph_.add_value("in" + std::to_string(i));
        infos[i] = TensorInfo{inputs_[i].dtype(), SymbolicShape(inputs_[i].shape().begin(), inputs_[i].shape().end())};
        v->type = infos[i];
        node.inputs.push_back(v);
        ictx.inputs.push_back(&infos[i]);
        ictx.values.push_back(&inputs_[i]);
    }
    for (int i = 0; i < output_count_; ++i) {
        ir::Value* v = graph_.find_value("out" + std::to_string(i));
        if (!v) v = graph_.add_value("out" + std::to_string(i));
        node.outputs.push_back(v);
    }
    ops::infer_node(ictx);
    std::vector<Tensor> outs;
    for (int i = 0; i < output_count_; ++i) {
        const TensorInfo& info = ictx.outputs[i];
        KILN_CHECK(info.is_static(), Internal, node.describe(), ": output ", i,
                   " shape not inferred: ", symbolic_shape_to_string(info.shape));
        outs.emplace_back(info.dtype, info.static_shape());
    }
    auto kernel = cpu::create_kernel(node);
    cpu::KernelContext kctx{node, {}, {}, threads_};
    for (size_t i = 0; i < inputs_.size(); ++i) kctx.inputs.push_back(present_[i] ? &inputs_[i] : nullptr);
    for (auto& t : outs) kctx.outputs.push_back(&t);
    kernel->run(kctx);
    return outs;
}

}  // namespace kiln::test
