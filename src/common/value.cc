#include "kiln/value.h"

#include "kiln/tensor_info.h"

namespace kiln {

const char* value_kind_name(ValueKind kind) {
    switch (kind) {
        case ValueKind::Tensor:
            return "tensor";
        case ValueKind::Sequence:
            return "sequence";
        case ValueKind::OptionalTensor:
            return "optional(tensor)";
        case ValueKind::OptionalSequence:
            return "optional(sequence)";
    }
    return "?";
}

Value Value::sequence(std::vector<Tensor> tensors) {
    return sequence(std::make_shared<const std::vector<Tensor>>(std::move(tensors)));
}

Value Value::sequence(std::shared_ptr<const std::vector<Tensor>> tensors) {
    KILN_CHECK(tensors != nullptr, InvalidArgument, "Value::sequence: null sequence");
    Value v;
    v.v_ = std::move(tensors);
    return v;
}

Value Value::none() {
    Value v;
    v.v_ = std::monostate{};
    return v;
}

const char* Value::kind_name() const {
    if (is_tensor()) return "tensor";
    if (is_sequence()) return "sequence";
    return "none";
}

const Tensor& Value::tensor(const char* what) const {
    const Tensor* t = std::get_if<Tensor>(&v_);
    KILN_CHECK(t, InvalidArgument, what, ": expected a tensor, got ", kind_name());
    return *t;
}

Tensor& Value::tensor(const char* what) {
    Tensor* t = std::get_if<Tensor>(&v_);
    KILN_CHECK(t, InvalidArgument, what, ": expected a tensor, got ", kind_name());
    return *t;
}

const std::shared_ptr<const std::vector<Tensor>>& Value::sequence_ptr(const char* what) const {
    const Sequence* s = std::get_if<Sequence>(&v_);
    KILN_CHECK(s, InvalidArgument, what, ": expected a sequence, got ", kind_name());
    return *s;
}

const std::vector<Tensor>& Value::sequence(const char* what) const { return *sequence_ptr(what); }

Value Value::clone() const {
    if (is_tensor()) return Value(std::get<Tensor>(v_).clone());
    if (is_none()) return none();
    std::vector<Tensor> copies;
    for (const Tensor& t : sequence()) copies.push_back(t.clone());
    return sequence(std::move(copies));
}

}  // namespace kiln
