// Transformer-family CPU kernel and shape-function tests; expected values from the numpy expressions in the comments
// (Attention values from onnx.reference.ops.op_attention._compute_attention).
#include <gtest/gtest.h>

#include <cmath>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

Tensor vec(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(shape), v); }
Tensor ints(Shape shape, std::vector<int64_t> v) {
    return Tensor::from_vector<int64_t>(DType::Int64, std::move(shape), v);
}

void expect_values(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "at " << i;
}

// Q [1, 1, 1, 2] = [1, 0]; K [1, 1, 2, 2] = [[1, 0], [0, 1]]; V [1, 1, 2, 1] = [[1], [3]]; scale 1.
// Returns the temporary it was given, which lives until the end of the caller's full expression.
test::OpCase& with_attention_inputs(test::OpCase&& c) {
    c.input(vec({1, 1, 1, 2}, {1, 0})).input(vec({1, 1, 2, 2}, {1, 0, 0, 1})).input(vec({1, 1, 2, 1}, {1, 3}));
    c.attr_float("scale", 1.f);
    return c;
}

TEST(TransformerTest, AttentionBasicCausalAndBoolMask) {
    // softmax([1, 0]) @ [1, 3] = 0.7310586 * 1 + 0.2689414 * 3
    auto y = with_attention_inputs(test::OpCase("Attention")).run()[0];
    ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 1}));
    expect_values(y, {1.5378828f});
    // is_causal: the query at position 0 sees key 0 only
    expect_values(with_attention_inputs(test::OpCase("Attention")).attr_int("is_causal", 1).run()[0], {1.f});
    // bool mask [[False, True]]: only key 1 takes part
    Tensor mask = Tensor::from_vector<uint8_t>(DType::Bool, {1, 2}, {0, 1});
    expect_values(with_attention_inputs(test::OpCase("Attention")).input(mask).run()[0], {3.f});
}

TEST(TransformerTest, AttentionWithPastAndQkOutput) {
    // past_key [[0, 1]], past_value [[5]]: scores [0, 1, 0] -> y = 2.2716494; present key / value concatenated.
    auto out = with_attention_inputs(test::OpCase("Attention"))
                   .missing_input()
                   .input(vec({1, 1, 1, 2}, {0, 1}))
                   .input(vec({1, 1, 1, 1}, {5}))
                   .outputs(4)
                   .run();
    expect_values(out[0], {2.2716494f});
    ASSERT_EQ(out[1].shape(), (Shape{1, 1, 3, 2}));
    expect_values(out[1], {0, 1, 1, 0, 0, 1});
    expect_values(out[2], {5, 1, 3});
    ASSERT_EQ(out[3].shape(), (Shape{1, 1, 1, 3}));
    expect_values(out[3], {0, 1, 0});
}

TEST(TransformerTest, AttentionGroupedQuery3d) {
    // Q [1, 1, 4] as 2 heads of 2 sharing one KV head: head 0 q=[1, 0] -> 1.5378828, head 1 q=[0, 1] -> 2.4621172
    auto y = test::OpCase("Attention")
                 .input(vec({1, 1, 4}, {1, 0, 0, 1}))
                 .input(vec({1, 2, 2}, {1, 0, 0, 1}))
                 .input(vec({1, 2, 1}, {1, 3}))
                 .attr_float("scale", 1.f)
                 .attr_int("q_num_heads", 2)
                 .attr_int("kv_num_heads", 1)
                 .threads(2)
                 .run()[0];
    ASSERT_EQ(y.shape(), (Shape{1, 1, 2}));
    expect_values(y, {1.5378828f, 2.4621172f});
}

TEST(TransformerTest, AttentionBadNonpadLengthIsAnError) {
    test::expect_error(
        [] {
            with_attention_inputs(test::OpCase("Attention"))
                .missing_input()
                .missing_input()
                .missing_input()
                .input(ints({1}, {7}))
                .run();
        },
        ErrorCode::InvalidArgument, {"nonpad_kv_seqlen", "7"});
    // 3 query heads cannot share 2 KV heads
    test::expect_error(
        [] {
            test::OpCase("Attention")
                .input(vec({1, 3, 1, 1}, {1, 1, 1}))
                .input(vec({1, 2, 1, 1}, {1, 1}))
                .input(vec({1, 2, 1, 1}, {1, 1}))
                .run();
        },
        ErrorCode::InvalidArgument, {"kv_num_heads"});
}

TEST(TransformerTest, RotaryEmbedding) {
    // x = [1, 2, 3, 4] at position 1 with cos = [0, 1], sin = [1, 0]:
    // halves: x1 = [1, 2], x2 = [3, 4] -> [cos*x1 - sin*x2, sin*x1 + cos*x2] = [-3, 2, 1, 4]
    Tensor cache_cos = vec({2, 2}, {1, 1, 0, 1});
    Tensor cache_sin = vec({2, 2}, {0, 0, 1, 0});
    auto y = test::OpCase("RotaryEmbedding")
                 .input(vec({1, 1, 1, 4}, {1, 2, 3, 4}))
                 .input(cache_cos)
                 .input(cache_sin)
                 .input(ints({1, 1}, {1}))
                 .run()[0];
    expect_values(y, {-3, 2, 1, 4});
    // interleaved: x1 = x[0::2] = [1, 3], x2 = x[1::2] = [2, 4] -> real [-2, 3], imag [1, 4] -> [-2, 1, 3, 4]
    auto z = test::OpCase("RotaryEmbedding")
                 .input(vec({1, 1, 4}, {1, 2, 3, 4}))
                 .input(cache_cos)
                 .input(cache_sin)
                 .input(ints({1, 1}, {1}))
                 .attr_int("interleaved", 1)
                 .attr_int("num_heads", 1)
                 .run()[0];
    expect_values(z, {-2, 1, 3, 4});
}

TEST(TransformerTest, RotaryEmbeddingBadPositionIsAnError) {
    test::expect_error(
        [] {
            test::OpCase("RotaryEmbedding")
                .input(vec({1, 1, 1, 2}, {1, 2}))
                .input(vec({2, 1}, {1, 1}))
                .input(vec({2, 1}, {0, 0}))
                .input(ints({1, 1}, {5}))
                .run();
        },
        ErrorCode::InvalidArgument, {"position_ids", "5"});
}

TEST(TransformerTest, RmsNormalization) {
    // x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-5) * [1, 2] for x = [[1, 2], [3, 4]]
    auto y = test::OpCase("RMSNormalization").input(vec({2, 2}, {1, 2, 3, 4})).input(vec({2}, {1, 2})).run()[0];
    expect_values(y, {0.63245428f, 2.5298171f, 0.84852779f, 2.26274085f});
    EXPECT_THROW(
        test::OpCase("RMSNormalization").input(vec({2}, {1, 2})).input(vec({2}, {1, 2})).attr_int("axis", 1).run(),
        Error);
}

TEST(TransformerTest, GroupNormalization) {
    // x [1, 4, 1, 1] = [1, 3, 2, 6], 2 groups: [1, 3] -> [-1, 1], [2, 6] -> [-1, 1] (eps 0);
    // * scale [1, 2, 1, 2] + bias [0, 0, 1, 1] -> [-1, 2, 0, 3]
    auto y = test::OpCase("GroupNormalization")
                 .input(vec({1, 4, 1, 1}, {1, 3, 2, 6}))
                 .input(vec({4}, {1, 2, 1, 2}))
                 .input(vec({4}, {0, 0, 1, 1}))
                 .attr_int("num_groups", 2)
                 .attr_float("epsilon", 0.f)
                 .run()[0];
    expect_values(y, {-1, 2, 0, 3});
    // 4 channels do not split into 3 groups
    test::expect_error(
        [] {
            test::OpCase("GroupNormalization")
                .input(vec({1, 4, 1, 1}, {1, 3, 2, 6}))
                .input(vec({4}, {1, 1, 1, 1}))
                .input(vec({4}, {0, 0, 0, 0}))
                .attr_int("num_groups", 3)
                .run();
        },
        ErrorCode::InvalidArgument, {"num_groups"});
}

TEST(TransformerTest, Lrn) {
    // size 2 window [c, c + 1]: c0: 1 / (1 + 2/2 * (1 + 4))^1 = 1/6; c1: 2 / (1 + 4) = 0.4
    auto y = test::OpCase("LRN")
                 .input(vec({1, 2, 1, 1}, {1, 2}))
                 .attr_int("size", 2)
                 .attr_float("alpha", 2.f)
                 .attr_float("beta", 1.f)
                 .attr_float("bias", 1.f)
                 .run()[0];
    expect_values(y, {1.f / 6.f, 0.4f});
}

TEST(TransformerTest, MeanVarianceNormalization) {
    // axes (0, 2, 3) of x [1, 2, 1, 2]: channel 0 [1, 3] -> [-1, 1]; channel 1 [2, 2] -> 0 / (0 + 1e-9) = 0
    auto y = test::OpCase("MeanVarianceNormalization").input(vec({1, 2, 1, 2}, {1, 3, 2, 2})).run()[0];
    expect_values(y, {-1, 1, 0, 0});
}

TEST(TransformerTest, NegativeLogLikelihoodLoss) {
    // -x[i, target[i]] for x = [[-1, -2], [-3, -4]], target [0, 1] -> [1, 4]; mean 2.5; sum 5
    Tensor x = vec({2, 2}, {-1, -2, -3, -4});
    Tensor t = ints({2}, {0, 1});
    auto none = test::OpCase("NegativeLogLikelihoodLoss").input(x).input(t).attr_string("reduction", "none").run()[0];
    expect_values(none, {1, 4});
    expect_values(test::OpCase("NegativeLogLikelihoodLoss").input(x).input(t).run()[0], {2.5f});
    // weight [1, 3]: (1 * 1 + 3 * 4) / (1 + 3) = 3.25
    expect_values(test::OpCase("NegativeLogLikelihoodLoss").input(x).input(t).input(vec({2}, {1, 3})).run()[0],
                  {3.25f});
    // ignore_index 1: only element 0 counts -> mean 1
    expect_values(test::OpCase("NegativeLogLikelihoodLoss").input(x).input(t).attr_int("ignore_index", 1).run()[0],
                  {1.f});
}

TEST(TransformerTest, LossTargetOutOfRangeIsAnError) {
    test::expect_error(
        [] {
            test::OpCase("NegativeLogLikelihoodLoss").input(vec({1, 2}, {-1, -2})).input(ints({1}, {2})).run();
        },
        ErrorCode::InvalidArgument, {"target[0]", "2"});
    test::expect_error(
        [] {
            test::OpCase("SoftmaxCrossEntropyLoss").input(vec({1, 2}, {0, 1})).input(ints({1}, {-1})).run();
        },
        ErrorCode::InvalidArgument, {"target[0]"});
}

TEST(TransformerTest, SoftmaxCrossEntropyLossWithLogProb) {
    // log_softmax([0, ln 3]) = [ln(1/4), ln(3/4)] = [-1.3862944, -0.2876821]; target 1 -> loss 0.2876821
    auto out = test::OpCase("SoftmaxCrossEntropyLoss")
                   .input(vec({1, 2}, {0, std::log(3.f)}))
                   .input(ints({1}, {1}))
                   .outputs(2)
                   .run();
    ASSERT_EQ(out[0].shape(), Shape{});
    expect_values(out[0], {0.2876821f});
    expect_values(out[1], {-1.3862944f, -0.2876821f});
}

TEST(TransformerTest, ShrinkAndSwish) {
    // np.where(x < -1.5, x + 0.5, np.where(x > 1.5, x - 0.5, 0)) for x = [-2, -1, 0, 1, 2]
    auto y = test::OpCase("Shrink")
                 .input(vec({5}, {-2, -1, 0, 1, 2}))
                 .attr_float("lambd", 1.5f)
                 .attr_float("bias", 0.5f)
                 .run()[0];
    expect_values(y, {-1.5f, 0, 0, 0, 1.5f});
    // int32: x = [-3, 0, 3], lambd 1, bias 1 -> [-2, 0, 2]
    auto yi = test::OpCase("Shrink")
                  .input(Tensor::from_vector<int32_t>(DType::Int32, {3}, {-3, 0, 3}))
                  .attr_float("lambd", 1.f)
                  .attr_float("bias", 1.f)
                  .run()[0];
    EXPECT_EQ(yi.data<int32_t>()[0], -2);
    EXPECT_EQ(yi.data<int32_t>()[2], 2);
    // x / (1 + np.exp(-x)) for x = [-1, 0, 1]
    auto s = test::OpCase("Swish").input(vec({3}, {-1, 0, 1})).run()[0];
    expect_values(s, {-0.2689414f, 0.f, 0.7310586f});
    EXPECT_THROW(test::OpCase("Swish").input(Tensor::from_vector<int32_t>(DType::Int32, {1}, {1})).run(), Error);
}

}  // namespace
}  // namespace kiln
