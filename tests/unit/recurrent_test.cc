// Recurrent-family CPU kernel and shape-function tests (RNN, GRU, LSTM, LinearAttention, CausalConvWithState);
// expected values from the numpy expressions in the comments (sig = lambda x: 1 / (1 + np.exp(-x))).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kiln/session.h"
#include "support/expect_error.h"
#include "support/model_builder.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

Tensor vec(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(shape), v); }

std::vector<float> values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

void expect_values(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "at " << i;
}

TEST(RecurrentTest, RnnForwardWithBias) {
    // h = 0; for x in [1, 2]: h = np.tanh(0.5 * x + 0.5 * h + 0.1 + 0.2) -> [0.66403675, 0.9263485]
    auto out = test::OpCase("RNN")
                   .input(vec({2, 1, 1}, {1, 2}))
                   .input(vec({1, 1, 1}, {0.5f}))
                   .input(vec({1, 1, 1}, {0.5f}))
                   .input(vec({1, 2}, {0.1f, 0.2f}))
                   .attr_int("hidden_size", 1)
                   .outputs(2)
                   .run();
    EXPECT_EQ(out[0].shape(), Shape({2, 1, 1, 1}));
    EXPECT_EQ(out[1].shape(), Shape({1, 1, 1}));
    expect_values(out[0], {0.66403675f, 0.9263485f});
    expect_values(out[1], {0.9263485f});
}

TEST(RecurrentTest, PerDirectionActivationsWithAlphaBeta) {
    // Bidirectional RNN, W = R = 1, no bias, x = [1, -2]; activations [Affine, LeakyRelu], alpha [2, 0.1], beta [1]
    // (consumed in order by the activations that take them):
    //   forward Affine(2, 1): h0 = 2*1 + 1 = 3, h1 = 2*(-2 + 3) + 1 = 3
    //   reverse LeakyRelu(0.1): h1 = leaky(-2) = -0.2, h0 = leaky(1 - 0.2) = 0.8
    test::ModelBuilder b(22);
    b.input("x", {2, 1, 1}).output("y").output("y_h");
    b.initializer_floats("w", {2, 1, 1}, {1, 1});
    b.initializer_floats("r", {2, 1, 1}, {1, 1});
    ::onnx::NodeProto& n = b.node("RNN", {"x", "w", "r"}, {"y", "y_h"}, "rnn");
    test::attr_string(n, "direction", "bidirectional");
    test::attr_floats(n, "activation_alpha", {2.f, 0.1f});
    test::attr_floats(n, "activation_beta", {1.f});
    ::onnx::AttributeProto* acts = n.add_attribute();
    acts->set_name("activations");
    acts->set_type(::onnx::AttributeProto::STRINGS);
    acts->add_strings("Affine");
    acts->add_strings("LeakyRelu");
    std::string bytes = b.bytes();
    Session s(bytes.data(), bytes.size(), SessionOptions{});
    auto out = s.run({{"x", vec({2, 1, 1}, {1, -2})}});
    ASSERT_EQ(out[0].shape(), Shape({2, 2, 1, 1}));
    expect_values(out[0], {3, 0.8f, 3, -0.2f});
    expect_values(out[1], {3, 0.8f});
}

TEST(RecurrentTest, GruBothResetModes) {
    // W = [0.1, 0.2, 0.3], R = [0.4, 0.5, 0.6], Rb = [0, 0, 0.7], h = 0.5; for x in [1, -1]:
    //   z = sig(W[0]*x + R[0]*h); r = sig(W[1]*x + R[1]*h)
    //   hh = np.tanh(W[2]*x + R[2]*(r*h) + 0.7)        (linear_before_reset=0)
    //   hh = np.tanh(W[2]*x + r*(R[2]*h + 0.7))        (linear_before_reset=1)
    //   h = (1 - z) * hh + z * h
    const std::vector<std::vector<float>> want = {{0.63977665f, 0.5935306f}, {0.594235f, 0.43328905f}};
    for (int lbr = 0; lbr < 2; ++lbr) {
        auto out = test::OpCase("GRU")
                       .input(vec({2, 1, 1}, {1, -1}))
                       .input(vec({1, 3, 1}, {0.1f, 0.2f, 0.3f}))
                       .input(vec({1, 3, 1}, {0.4f, 0.5f, 0.6f}))
                       .input(vec({1, 6}, {0, 0, 0, 0, 0, 0.7f}))
                       .missing_input()
                       .input(vec({1, 1, 1}, {0.5f}))
                       .attr_int("linear_before_reset", lbr)
                       .outputs(2)
                       .run();
        expect_values(out[0], want[lbr]);
        expect_values(out[1], {want[lbr][1]});
    }
}

TEST(RecurrentTest, LstmPeepholesAndCellState) {
    // W = [0.1, 0.2, 0.3, 0.4] (i, o, f, c), R = [0.5, 0.6, 0.7, 0.8], P = [0.1, 0.2, 0.3], h = 0.1, c = 0.2;
    // for x in [1, 2]: g = W*x + R*h; i = sig(g[0] + P[0]*c); f = sig(g[2] + P[2]*c); c = f*c + i*np.tanh(g[3])
    //                  o = sig(g[1] + P[1]*c); h = o * np.tanh(c)      -> Y [0.20270161, 0.39393303], c 0.689463
    auto out = test::OpCase("LSTM")
                   .input(vec({2, 1, 1}, {1, 2}))
                   .input(vec({1, 4, 1}, {0.1f, 0.2f, 0.3f, 0.4f}))
                   .input(vec({1, 4, 1}, {0.5f, 0.6f, 0.7f, 0.8f}))
                   .missing_input()
                   .missing_input()
                   .input(vec({1, 1, 1}, {0.1f}))
                   .input(vec({1, 1, 1}, {0.2f}))
                   .input(vec({1, 3}, {0.1f, 0.2f, 0.3f}))
                   .outputs(3)
                   .run();
    expect_values(out[0], {0.20270161f, 0.39393303f});
    expect_values(out[1], {0.39393303f});
    expect_values(out[2], {0.689463f});
}

// Inputs of a 2-step, 2-batch, hidden-2 LSTM used by the consistency tests below.
struct LstmInputs {
    Tensor x = vec({3, 2, 2}, {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f, 0.9f, 1.0f, -1.1f, 0.2f});
    Tensor w = vec({1, 8, 2}, {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f, 0.7f, 0.8f, -0.1f, 0.3f, 0.2f, -0.4f, 0.6f, 0.1f,
                               -0.2f, 0.5f});
    Tensor r = vec({1, 8, 2}, {0.2f, -0.1f, 0.3f, 0.1f, -0.4f, 0.2f, 0.5f, -0.3f, 0.1f, 0.4f, -0.2f, 0.3f, 0.2f, 0.2f,
                               -0.1f, 0.6f});
};

Tensor slice_rows(const Tensor& t, int64_t first, int64_t count) {
    // Rows [first, first + count) of the leading axis.
    Shape s = t.shape();
    int64_t row = t.element_count() / s[0];
    s[0] = count;
    std::vector<float> v(t.data<float>() + first * row, t.data<float>() + (first + count) * row);
    return vec(s, v);
}

TEST(RecurrentTest, LstmSequenceLensMatchesTruncatedRun) {
    // Batch entry 1 with sequence_lens 1 must give the same Y_h as a run on the first step only, and Y zeros after.
    LstmInputs in;
    auto full = test::OpCase("LSTM")
                    .input(in.x)
                    .input(in.w)
                    .input(in.r)
                    .missing_input()
                    .input(Tensor::from_vector<int32_t>(DType::Int32, {2}, {3, 1}))
                    .outputs(2)
                    .run();
    auto one = test::OpCase("LSTM").input(slice_rows(in.x, 0, 1)).input(in.w).input(in.r).outputs(2).run();
    // Y [3, 1, 2, 2]: step 0 matches, batch 1 of steps 1 and 2 is zero.
    for (int j = 0; j < 2; ++j) {
        EXPECT_NEAR(values(full[1])[2 + j], values(one[1])[2 + j], 1e-6f);
        EXPECT_EQ(values(full[0])[4 + 2 + j], 0.f);
        EXPECT_EQ(values(full[0])[8 + 2 + j], 0.f);
    }
    // Batch 0 (full length) is unaffected: its Y_h equals the last step of Y.
    for (int j = 0; j < 2; ++j) EXPECT_EQ(values(full[1])[j], values(full[0])[8 + j]);
}

TEST(RecurrentTest, BidirectionalReverseHalfMatchesReverseRun) {
    LstmInputs in;
    // Direction 1 of a bidirectional node with W / R duplicated equals a direction="reverse" node.
    const std::vector<float> wl = values(in.w), rl = values(in.r);
    const std::vector<float> w1(wl.begin(), wl.begin() + 12), r1(rl.begin(), rl.begin() + 12);
    std::vector<float> w2 = w1, r2 = r1;
    w2.insert(w2.end(), w1.begin(), w1.end());
    r2.insert(r2.end(), r1.begin(), r1.end());
    auto bi = test::OpCase("GRU")
                  .input(in.x)
                  .input(vec({2, 6, 2}, w2))
                  .input(vec({2, 6, 2}, r2))
                  .attr_string("direction", "bidirectional")
                  .outputs(2)
                  .run();
    auto rev = test::OpCase("GRU")
                   .input(in.x)
                   .input(vec({1, 6, 2}, w1))
                   .input(vec({1, 6, 2}, r1))
                   .attr_string("direction", "reverse")
                   .outputs(2)
                   .run();
    ASSERT_EQ(bi[0].shape(), Shape({3, 2, 2, 2}));
    ASSERT_EQ(bi[1].shape(), Shape({2, 2, 2}));
    // Y[t, 1, b, j] == Yrev[t, 0, b, j]
    for (int t = 0; t < 3; ++t)
        for (int k = 0; k < 4; ++k) EXPECT_NEAR(values(bi[0])[(t * 2 + 1) * 4 + k], values(rev[0])[t * 4 + k], 1e-6f);
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(values(bi[1])[4 + k], values(rev[1])[k], 1e-6f);
}

TEST(RecurrentTest, LayoutOneIsTransposedLayoutZero) {
    LstmInputs in;
    auto a = test::OpCase("RNN")
                 .input(in.x)
                 .input(vec({1, 2, 2}, {0.1f, 0.2f, -0.3f, 0.4f}))
                 .input(vec({1, 2, 2}, {0.5f, -0.6f, 0.7f, 0.8f}))
                 .threads(2)
                 .run()[0];
    // x [seq 3, batch 2, 2] -> [batch 2, seq 3, 2]
    std::vector<float> xt(12), xs = values(in.x);
    for (int t = 0; t < 3; ++t)
        for (int b = 0; b < 2; ++b)
            for (int j = 0; j < 2; ++j) xt[(b * 3 + t) * 2 + j] = xs[(t * 2 + b) * 2 + j];
    auto out = test::OpCase("RNN")
                   .input(vec({2, 3, 2}, xt))
                   .input(vec({1, 2, 2}, {0.1f, 0.2f, -0.3f, 0.4f}))
                   .input(vec({1, 2, 2}, {0.5f, -0.6f, 0.7f, 0.8f}))
                   .attr_int("layout", 1)
                   .outputs(2)
                   .run();
    ASSERT_EQ(out[0].shape(), Shape({2, 3, 1, 2}));
    ASSERT_EQ(out[1].shape(), Shape({2, 1, 2}));
    for (int t = 0; t < 3; ++t)
        for (int b = 0; b < 2; ++b)
            for (int j = 0; j < 2; ++j)
                EXPECT_NEAR(values(out[0])[(b * 3 + t) * 2 + j], values(a)[(t * 2 + b) * 2 + j], 1e-6f);
}

TEST(RecurrentTest, SequenceLensOutOfRangeIsRejected) {
    LstmInputs in;
    test::expect_error(
        [&] {
            test::OpCase("LSTM")
                .input(in.x)
                .input(in.w)
                .input(in.r)
                .missing_input()
                .input(Tensor::from_vector<int32_t>(DType::Int32, {2}, {3, 4}))
                .run();
        },
        ErrorCode::InvalidArgument, {"sequence_lens[1]", "LSTM"});
}

TEST(RecurrentTest, WrongWeightShapeIsRejected) {
    LstmInputs in;
    test::expect_error(
        [&] { test::OpCase("LSTM").input(in.x).input(in.r).input(in.w).attr_int("hidden_size", 3).run(); },
        ErrorCode::InvalidArgument, {"W", "LSTM"});
}

TEST(RecurrentTest, LinearAttentionLinearRule) {
    // B=1, T=2, one head, d_k = d_v = 1, scale 1: S1 = 1*3 = 3, o1 = 1*3; S2 = 3 + 1*4 = 7, o2 = 2*7 = 14
    auto out = test::OpCase("LinearAttention")
                   .input(vec({1, 2, 1}, {1, 2}))
                   .input(vec({1, 2, 1}, {1, 1}))
                   .input(vec({1, 2, 1}, {3, 4}))
                   .attr_int("q_num_heads", 1)
                   .attr_int("kv_num_heads", 1)
                   .attr_float("scale", 1.f)
                   .attr_string("update_rule", "linear")
                   .outputs(2)
                   .run();
    expect_values(out[0], {3, 14});
    EXPECT_EQ(out[1].shape(), Shape({1, 1, 1, 1}));
    expect_values(out[1], {7});
}

TEST(RecurrentTest, LinearAttentionGatedDelta) {
    // q = [[1, 0], [.5, .5]], k = [[1, 0], [0, 1]], v = [[2], [3]], g = [-.5, -1] (per head), beta = [.5, .25]:
    // S = 0; for t: S *= np.exp(g[t]); u = beta[t] * (v[t] - S.T @ k[t]); S += np.outer(k[t], u);
    //               o[t] = q[t] @ S / np.sqrt(2)     -> o [0.70710677, 0.39523005], S [0.36787945, 0.75]
    auto out = test::OpCase("LinearAttention")
                   .input(vec({1, 2, 2}, {1, 0, 0.5f, 0.5f}))
                   .input(vec({1, 2, 2}, {1, 0, 0, 1}))
                   .input(vec({1, 2, 1}, {2, 3}))
                   .missing_input()
                   .input(vec({1, 2, 1}, {-0.5f, -1.f}))
                   .input(vec({1, 2, 1}, {0.5f, 0.25f}))
                   .attr_int("q_num_heads", 1)
                   .attr_int("kv_num_heads", 1)
                   .outputs(2)
                   .run();
    expect_values(out[0], {0.70710677f, 0.39523005f});
    expect_values(out[1], {0.36787945f, 0.75f});
}

TEST(RecurrentTest, LinearAttentionBadDecayShapeIsRejected) {
    test::expect_error(
        [&] {
            test::OpCase("LinearAttention")
                .input(vec({1, 1, 4}, {1, 2, 3, 4}))
                .input(vec({1, 1, 4}, {1, 2, 3, 4}))
                .input(vec({1, 1, 4}, {1, 2, 3, 4}))
                .missing_input()
                .input(vec({1, 1, 3}, {0, 0, 0}))
                .attr_int("q_num_heads", 2)
                .attr_int("kv_num_heads", 2)
                .attr_string("update_rule", "gated")
                .run();
        },
        ErrorCode::InvalidArgument, {"decay", "LinearAttention"});
}

TEST(RecurrentTest, CausalConvWithStateCarriesState) {
    // padded = np.concatenate([past=[5], x=[1, 2, 3]]); out[l] = padded[l:l+2] @ [1, 2] + 0.5 -> [7.5, 5.5, 8.5];
    // present = padded[-1:] = [3]
    auto out = test::OpCase("CausalConvWithState")
                   .input(vec({1, 1, 3}, {1, 2, 3}))
                   .input(vec({1, 1, 2}, {1, 2}))
                   .input(vec({1}, {0.5f}))
                   .input(vec({1, 1, 1}, {5}))
                   .outputs(2)
                   .run();
    expect_values(out[0], {7.5f, 5.5f, 8.5f});
    EXPECT_EQ(out[1].shape(), Shape({1, 1, 1}));
    expect_values(out[1], {3});
    // silu: y * sig(y) for y = [1, 2, 3] (kernel [1], no state) -> [0.7310586, 1.7615942, 2.8577223]
    auto s = test::OpCase("CausalConvWithState")
                 .input(vec({1, 1, 3}, {1, 2, 3}))
                 .input(vec({1, 1, 1}, {1}))
                 .attr_string("activation", "silu")
                 .run()[0];
    expect_values(s, {0.7310586f, 1.7615942f, 2.8577223f});
}

TEST(RecurrentTest, CausalConvWithStateBadPastStateIsRejected) {
    test::expect_error(
        [&] {
            test::OpCase("CausalConvWithState")
                .input(vec({1, 1, 3}, {1, 2, 3}))
                .input(vec({1, 1, 3}, {1, 2, 3}))
                .missing_input()
                .input(vec({1, 1, 1}, {5}))
                .run();
        },
        ErrorCode::InvalidArgument, {"past_state", "CausalConvWithState"});
}

}  // namespace
}  // namespace kiln
