// kiln::Value: what a model input or output holds — a tensor, a sequence of tensors, or nothing (an optional
// without a value). Copying a Value shares its data, like Tensor; a sequence is immutable once built.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "kiln/tensor.h"

namespace kiln {

class Value {
  public:
    // No value yet (not the same as none(): a slot that nothing has written).
    Value() = default;
    Value(Tensor t) : v_(std::move(t)) {}  // NOLINT: a tensor is a value
    static Value sequence(std::vector<Tensor> tensors);
    static Value sequence(std::shared_ptr<const std::vector<Tensor>> tensors);
    // An optional that holds nothing.
    static Value none();

    bool is_tensor() const { return std::holds_alternative<Tensor>(v_); }
    bool is_sequence() const { return std::holds_alternative<Sequence>(v_); }
    bool is_none() const { return std::holds_alternative<std::monostate>(v_); }
    // True for the default-constructed value (an empty tensor).
    bool empty() const { return is_tensor() && std::get<Tensor>(v_).empty(); }

    // InvalidArgument naming `what` when the value is not of that kind.
    const Tensor& tensor(const char* what = "value") const;
    Tensor& tensor(const char* what = "value");
    const std::vector<Tensor>& sequence(const char* what = "value") const;
    const std::shared_ptr<const std::vector<Tensor>>& sequence_ptr(const char* what = "value") const;

    // "tensor", "sequence" or "none".
    const char* kind_name() const;
    // A deep copy (tensors cloned).
    Value clone() const;

  private:
    using Sequence = std::shared_ptr<const std::vector<Tensor>>;
    std::variant<Tensor, Sequence, std::monostate> v_;
};

// A named value, as passed to Session::run_values.
struct NamedValue {
    std::string name;
    Value value;
};

}  // namespace kiln
