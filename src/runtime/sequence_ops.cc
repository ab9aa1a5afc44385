// Sequence and optional ops: the runtime runs them on its values (src/runtime/execution_plan.h). Every tensor that
// enters a sequence or an optional is copied, so that no sequence holds a buffer the memory planner recycles.
#include <cstring>
#include <string>

#include "ops/shape_util.h"
#include "runtime/execution_plan.h"

namespace kiln::rt {
namespace {

using Tensors = std::vector<Tensor>;

struct Args {
    const Step& step;
    std::vector<Value>& slots;

    const ir::Node& node() const { return *step.node; }
    bool has(size_t i) const { return i < step.inputs.size() && step.inputs[i] >= 0; }
    const Value& in(size_t i) const {
        KILN_CHECK(has(i), InvalidModel, node().describe(), ": input ", i, " is required");
        return slots[step.inputs[i]];
    }
    const Tensor& tensor(size_t i) const { return in(i).tensor(str(node().describe(), ": input ", i).c_str()); }
    const Tensors& sequence(size_t i) const { return in(i).sequence(str(node().describe(), ": input ", i).c_str()); }
    void set(size_t i, Value v) const {
        if (i < step.outputs.size() && step.outputs[i] >= 0) slots[step.outputs[i]] = std::move(v);
    }
};

int64_t scalar_int(const Tensor& t, const ir::Node& node, const char* what) {
    auto values = ops::tensor_to_int64s(t);
    KILN_CHECK(values.size() == 1, InvalidArgument, node.describe(), ": ", what, " must be a single integer, got ",
               shape_to_string(t.shape()));
    return values[0];
}

// A position into a sequence of `size` tensors; `size` itself is allowed when `inserting`.
size_t position(int64_t pos, size_t size, bool inserting, const ir::Node& node) {
    auto n = static_cast<int64_t>(size);
    int64_t p = pos < 0 ? pos + n : pos;
    KILN_CHECK(p >= 0 && (p < n || (inserting && p == n)), InvalidArgument, node.describe(), ": position ", pos,
               " is out of range for a sequence of ", size, " tensors");
    return static_cast<size_t>(p);
}

// Copies `count` elements from `src` at element `from` to `dst` at element `to` (strings element by element).
void copy_elements(const Tensor& src, int64_t from, Tensor& dst, int64_t to, int64_t count) {
    if (count <= 0) return;
    if (src.dtype() == DType::String) {
        for (int64_t i = 0; i < count; ++i) dst.data<std::string>()[to + i] = src.data<std::string>()[from + i];
        return;
    }
    size_t bytes = dtype_bits(src.dtype()) / 8;
    std::memcpy(static_cast<char*>(dst.raw_data()) + to * bytes,
                static_cast<const char*>(src.raw_data()) + from * bytes, count * bytes);
}

void check_byte_sized(DType dtype, const ir::Node& node) {
    KILN_CHECK(dtype == DType::String || dtype_bits(dtype) % 8 == 0, NotImplemented, node.describe(), ": ",
               dtype_name(dtype), " tensors are not supported in sequences");
}

// Concatenates `parts` along `axis` (each part's shape equal outside that axis).
Tensor concat(const Tensors& parts, int64_t axis, const ir::Node& node) {
    const Tensor& first = parts.at(0);
    check_byte_sized(first.dtype(), node);
    Shape shape = first.shape();
    int64_t total = 0;
    for (const Tensor& p : parts) {
        bool same = p.dtype() == first.dtype() && p.rank() == first.rank();
        for (size_t d = 0; same && d < shape.size(); ++d) same = d == size_t(axis) || p.shape()[d] == shape[d];
        KILN_CHECK(same, InvalidArgument, node.describe(), ": cannot concatenate ", shape_to_string(p.shape()),
                   " with ", shape_to_string(shape), " along axis ", axis);
        total += p.shape()[axis];
    }
    shape[axis] = total;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
    for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
    Tensor out(first.dtype(), shape);
    int64_t offset = 0;
    for (const Tensor& p : parts) {
        int64_t block = p.shape()[axis] * inner;
        for (int64_t o = 0; o < outer; ++o) copy_elements(p, o * block, out, o * total * inner + offset, block);
        offset += block;
    }
    return out;
}

// The slices [start, start + length) along `axis` of `t`.
Tensor slice(const Tensor& t, int64_t axis, int64_t start, int64_t length) {
    Shape shape = t.shape();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
    for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
    int64_t extent = shape[axis];
    shape[axis] = length;
    Tensor out(t.dtype(), shape);
    for (int64_t o = 0; o < outer; ++o) {
        copy_elements(t, (o * extent + start) * inner, out, o * length * inner, length * inner);
    }
    return out;
}

void concat_from_sequence(const Args& a) {
    const ir::Node& node = a.node();
    const Tensors& seq = a.sequence(0);
    KILN_CHECK(!seq.empty(), InvalidArgument, node.describe(), ": cannot concatenate an empty sequence");
    bool new_axis = node.attr_int("new_axis", 0) != 0;
    auto rank = static_cast<int64_t>(seq[0].rank());
    int64_t axis = ops::normalize_axis(node, node.attr_int("axis", 0), new_axis ? rank + 1 : rank);
    if (!new_axis) return a.set(0, concat(seq, axis, node));
    Tensors parts;
    for (const Tensor& t : seq) {
        Shape shape = t.shape();
        KILN_CHECK(static_cast<int64_t>(shape.size()) == rank, InvalidArgument, node.describe(),
                   ": sequence tensors differ in rank");
        shape.insert(shape.begin() + axis, 1);
        parts.push_back(t.reshaped(shape));
    }
    a.set(0, concat(parts, axis, node));
}

void split_to_sequence(const Args& a) {
    const ir::Node& node = a.node();
    const Tensor& input = a.tensor(0);
    check_byte_sized(input.dtype(), node);
    KILN_CHECK(input.rank() >= 1, InvalidArgument, node.describe(), ": input must have rank >= 1");
    int64_t axis = ops::normalize_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(input.rank()));
    int64_t extent = input.shape()[axis];
    std::vector<int64_t> lengths;
    bool squeeze = false;
    if (!a.has(1)) {
        lengths.assign(extent, 1);
        squeeze = node.attr_int("keepdims", 1) == 0;
    } else {
        const Tensor& split = a.tensor(1);
        auto values = ops::tensor_to_int64s(split);
        if (split.rank() == 0) {
            KILN_CHECK(values[0] > 0, InvalidArgument, node.describe(), ": split must be positive, got ", values[0]);
            for (int64_t at = 0; at < extent; at += values[0]) lengths.push_back(std::min(values[0], extent - at));
        } else {
            int64_t sum = 0;
            for (int64_t v : values) {
                KILN_CHECK(v >= 0, InvalidArgument, node.describe(), ": negative split length ", v);
                sum += v;
            }
            KILN_CHECK(sum == extent, InvalidArgument, node.describe(), ": split lengths add up to ", sum,
                       ", the axis has ", extent);
            lengths = values;
        }
    }
    Tensors parts;
    int64_t start = 0;
    for (int64_t length : lengths) {
        Tensor part = slice(input, axis, start, length);
        if (squeeze) {
            Shape shape = part.shape();
            shape.erase(shape.begin() + axis);
            part = part.reshaped(shape);
        }
        parts.push_back(std::move(part));
        start += length;
    }
    a.set(0, Value::sequence(std::move(parts)));
}

// SequenceMap: runs the body once per position of the input sequences; tensor inputs go to every run whole.
void sequence_map(const Args& a) {
    const ir::Node& node = a.node();
    size_t count = a.sequence(0).size();
    for (size_t i = 1; i < a.step.inputs.size(); ++i) {
        if (a.has(i) && a.in(i).is_sequence()) {
            KILN_CHECK(a.sequence(i).size() == count, InvalidArgument, node.describe(),
                       ": input sequences differ in length (", count, " vs ", a.sequence(i).size(), ")");
        }
    }
    std::vector<Tensors> collected(a.step.outputs.size());
    for (size_t k = 0; k < count; ++k) {
        std::vector<Value> body_inputs;
        for (size_t i = 0; i < a.step.inputs.size(); ++i) {
            const Value& v = a.in(i);
            body_inputs.push_back(v.is_sequence() ? Value(v.sequence()[k]) : v);
        }
        std::vector<Value> out = run_subplan(a.step, 0, a.slots, body_inputs);
        for (size_t j = 0; j < collected.size(); ++j)
            collected[j].push_back(out[j].tensor("SequenceMap body output").clone());
    }
    for (size_t j = 0; j < collected.size(); ++j) a.set(j, Value::sequence(std::move(collected[j])));
}

}  // namespace

void run_sequence_step(const Step& step, std::vector<Value>& slots) {
    Args a{step, slots};
    const ir::Node& node = *step.node;
    switch (node.op) {
        case OpKind::SequenceEmpty:
            return a.set(0, Value::sequence(Tensors{}));
        case OpKind::SequenceConstruct: {
            Tensors tensors;
            for (size_t i = 0; i < step.inputs.size(); ++i) tensors.push_back(a.tensor(i).clone());
            return a.set(0, Value::sequence(std::move(tensors)));
        }
        case OpKind::SequenceAt: {
            const Tensors& seq = a.sequence(0);
            size_t p = position(scalar_int(a.tensor(1), node, "position"), seq.size(), false, node);
            return a.set(0, seq[p].clone());
        }
        case OpKind::SequenceInsert: {
            Tensors seq = a.sequence(0);
            size_t p =
                a.has(2) ? position(scalar_int(a.tensor(2), node, "position"), seq.size(), true, node) : seq.size();
            seq.insert(seq.begin() + static_cast<std::ptrdiff_t>(p), a.tensor(1).clone());
            return a.set(0, Value::sequence(std::move(seq)));
        }
        case OpKind::SequenceErase: {
            Tensors seq = a.sequence(0);
            int64_t pos = a.has(1) ? scalar_int(a.tensor(1), node, "position") : -1;
            seq.erase(seq.begin() + static_cast<std::ptrdiff_t>(position(pos, seq.size(), false, node)));
            return a.set(0, Value::sequence(std::move(seq)));
        }
        case OpKind::SequenceLength:
            return a.set(0,
                         Tensor::from_vector<int64_t>(DType::Int64, {}, {static_cast<int64_t>(a.sequence(0).size())}));
        case OpKind::ConcatFromSequence:
            return concat_from_sequence(a);
        case OpKind::SplitToSequence:
            return split_to_sequence(a);
        case OpKind::SequenceMap:
            return sequence_map(a);
        case OpKind::Optional:
            return a.set(0, a.has(0) ? a.in(0).clone() : Value::none());
        case OpKind::OptionalHasElement: {
            bool has = a.has(0) && !a.in(0).is_none();
            return a.set(0, Tensor::from_vector<uint8_t>(DType::Bool, {}, {uint8_t(has)}));
        }
        case OpKind::OptionalGetElement: {
            KILN_CHECK(!a.in(0).is_none(), InvalidArgument, node.describe(), ": the optional holds no value");
            return a.set(0, a.in(0).clone());
        }
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a sequence or optional op");
    }
}

}  // namespace kiln::rt
