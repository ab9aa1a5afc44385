// Sequence and optional values through kiln::Session: sequence outputs and inputs (run_values), tensor outputs of
// a sequence model through run(), and the errors for the wrong kind of value.
#include <gtest/gtest.h>

#include "kiln/session.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

Session session_of(const ModelBuilder& b) {
    std::string bytes = b.bytes();
    return Session(bytes.data(), bytes.size());
}

std::vector<float> floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

// A graph input or output of type seq(tensor(float)).
void sequence_value(::onnx::ValueInfoProto* v, const std::string& name) {
    v->set_name(name);
    v->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(1);
}

// s = [x, x, y] (SequenceConstruct then SequenceInsert); n = len(s); c = concat(s, axis 0).
ModelBuilder construct_model() {
    ModelBuilder b(17);
    b.input("x", {1, 2}).input("y", {1, 2});
    b.node("SequenceConstruct", {"x", "x"}, {"s0"});
    b.node("SequenceInsert", {"s0", "y"}, {"s"});
    b.node("SequenceLength", {"s"}, {"n"});
    attr_int(b.node("ConcatFromSequence", {"s"}, {"c"}), "axis", 0);
    sequence_value(b.graph().add_output(), "s");
    b.output("n", {}, 7).output("c", {3, 2});
    return b;
}

TEST(Sequence, ConstructInsertLengthConcat) {
    Session s = session_of(construct_model());
    ASSERT_EQ(s.outputs().size(), 3u);
    EXPECT_EQ(s.outputs()[0].kind, ValueKind::Sequence);
    EXPECT_EQ(s.outputs()[1].kind, ValueKind::Tensor);
    Tensor x = Tensor::from_vector<float>(DType::Float, {1, 2}, {1, 2});
    Tensor y = Tensor::from_vector<float>(DType::Float, {1, 2}, {3, 4});
    auto out = s.run_values({{"x", x}, {"y", y}});
    ASSERT_EQ(out.size(), 3u);
    ASSERT_TRUE(out[0].is_sequence());
    const auto& seq = out[0].sequence();
    ASSERT_EQ(seq.size(), 3u);
    EXPECT_EQ(floats(seq[0]), (std::vector<float>{1, 2}));
    EXPECT_EQ(floats(seq[2]), (std::vector<float>{3, 4}));
    EXPECT_EQ(out[1].tensor().data<int64_t>()[0], 3);
    // numpy: np.concatenate([x, x, y], axis=0)
    EXPECT_EQ(floats(out[2].tensor()), (std::vector<float>{1, 2, 1, 2, 3, 4}));
    // Tensor outputs of a sequence model through the tensor API.
    auto tensors = s.run({{"x", x}, {"y", y}}, {"c", "n"});
    ASSERT_EQ(tensors.size(), 2u);
    EXPECT_EQ(tensors[0].shape(), (Shape{3, 2}));
    EXPECT_EQ(tensors[1].data<int64_t>()[0], 3);
}

TEST(Sequence, TensorApiRefusesSequenceOutput) {
    Session s = session_of(construct_model());
    Tensor x(DType::Float, {1, 2});
    expect_error([&] { s.run({{"x", x}, {"y", x}}); }, ErrorCode::InvalidArgument, {"'s'", "sequence", "run_values"});
}

// y = s[-1]; z = SplitToSequence(y) along axis 1, keepdims 0; m = len(z).
ModelBuilder sequence_input_model() {
    ModelBuilder b(17);
    sequence_value(b.graph().add_input(), "s");
    b.initializer_ints("last", {}, {-1});
    b.node("SequenceAt", {"s", "last"}, {"y"});
    auto& split = b.node("SplitToSequence", {"y"}, {"z"});
    attr_int(split, "axis", 1);
    attr_int(split, "keepdims", 0);
    b.node("SequenceLength", {"z"}, {"m"});
    b.output("y", {-1, -1}).output("m", {}, 7);
    return b;
}

TEST(Sequence, SequenceInput) {
    Session s = session_of(sequence_input_model());
    ASSERT_EQ(s.inputs().size(), 1u);
    EXPECT_EQ(s.inputs()[0].kind, ValueKind::Sequence);
    std::vector<Tensor> tensors{Tensor::from_vector<float>(DType::Float, {1, 1}, {7}),
                                Tensor::from_vector<float>(DType::Float, {2, 3}, {1, 2, 3, 4, 5, 6})};
    auto out = s.run_values({{"s", Value::sequence(tensors)}});
    EXPECT_EQ(out[0].tensor().shape(), (Shape{2, 3}));
    EXPECT_EQ(floats(out[0].tensor()), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(out[1].tensor().data<int64_t>()[0], 3);
    // The sequence that was fed is left as it was.
    EXPECT_EQ(floats(tensors[1]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Sequence, WrongKindOfFeed) {
    Session s = session_of(sequence_input_model());
    Tensor t(DType::Float, {1, 1});
    expect_error([&] { s.run_values({{"s", t}}); }, ErrorCode::InvalidArgument, {"'s'", "sequence"});
    expect_error([&] { s.run_values({{"s", Value::none()}}); }, ErrorCode::InvalidArgument, {"'s'", "none"});
    Value ints = Value::sequence({Tensor(DType::Int64, {1})});
    expect_error([&] { s.run_values({{"s", ints}}); }, ErrorCode::InvalidArgument, {"'s'", "tensor(int64)"});
}

TEST(Sequence, SequenceAtOutOfRange) {
    Session s = session_of(sequence_input_model());
    expect_error(
        [&] {
            s.run_values({{"s", Value::sequence(std::vector<Tensor>{})}});
        },
        ErrorCode::InvalidArgument, {"SequenceAt", "out of range"});
}

// h = OptionalHasElement(Optional(type: tensor(float))) — an optional that holds nothing.
TEST(Optional, EmptyOptionalHasNoElement) {
    ModelBuilder b(18);
    auto& opt = b.node("Optional", {}, {"o"});
    auto* type = opt.add_attribute();
    type->set_name("type");
    type->set_type(::onnx::AttributeProto::TYPE_PROTO);
    type->mutable_tp()->mutable_tensor_type()->set_elem_type(1);
    b.node("OptionalHasElement", {"o"}, {"h"});
    b.output("h", {}, 9);
    Session s = session_of(b);
    auto out = s.run({});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data<uint8_t>()[0], 0);
}

}  // namespace
}  // namespace kiln::test
