// FlexAttention (ai.onnx.preview) CPU kernel tests. The oracle is the definition written out in the test: softmax(
// scale Q K^T) V with query head h reading K/V head h / (Hq / Hkv); the modifier subgraphs are checked through
// their effect (a zeroed score gives uniform weights, a doubled probability doubles the output).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_error;
using test::OpCase;
using test::random_tensor;
using test::values_of;

// A graph y = x * c (c a float scalar initializer), the shape of a score_mod / prob_mod subgraph.
std::shared_ptr<ir::Graph> times(float c) {
    auto g = std::make_shared<ir::Graph>();
    g->name = "times";
    ir::Value* x = g->add_value("x");
    x->is_graph_input = true;
    g->inputs().push_back(x);
    ir::Value* k = g->add_value("c");
    k->constant = Tensor::from_vector<float>(DType::Float, {}, {c});
    ir::Value* y = g->add_value("y");
    y->is_graph_output = true;
    auto node = std::make_unique<ir::Node>();
    node->name = "mul";
    node->op_type = "Mul";
    node->op = OpKind::Mul;
    node->inputs = {x, k};
    node->outputs = {y};
    g->add_node(std::move(node));
    g->outputs().push_back(y);
    g->relink();
    return g;
}

ir::Attribute graph_attr(std::shared_ptr<ir::Graph> g) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Graph;
    a.g = std::move(g);
    return a;
}

// softmax(scale Q K^T) V for Q [1, Hq, L, E], K [1, Hkv, S, E], V [1, Hkv, S, Ev]; probabilities times `prob_factor`.
std::vector<float> naive(const Tensor& q, const Tensor& k, const Tensor& v, double scale, double prob_factor = 1) {
    const int64_t hq = q.shape()[1], len = q.shape()[2], e = q.shape()[3];
    const int64_t hkv = k.shape()[1], s = k.shape()[2], ev = v.shape()[3];
    std::vector<float> y;
    for (int64_t h = 0; h < hq; ++h) {
        const int64_t kh = h / (hq / hkv);
        for (int64_t i = 0; i < len; ++i) {
            std::vector<double> w(s);
            double sum = 0;
            for (int64_t j = 0; j < s; ++j) {
                double dot = 0;
                for (int64_t c = 0; c < e; ++c)
                    dot += q.data<float>()[(h * len + i) * e + c] * k.data<float>()[(kh * s + j) * e + c];
                w[j] = std::exp(scale * dot);
                sum += w[j];
            }
            for (int64_t c = 0; c < ev; ++c) {
                double acc = 0;
                for (int64_t j = 0; j < s; ++j)
                    acc += w[j] / sum * prob_factor * v.data<float>()[(kh * s + j) * ev + c];
                y.push_back(static_cast<float>(acc));
            }
        }
    }
    return y;
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << "at " << i;
}

TEST(FlexAttentionTest, GroupedQueryHeadsAndDefaultScale) {
    Tensor q = random_tensor({1, 4, 3, 5}, 1), k = random_tensor({1, 2, 4, 5}, 2), v = random_tensor({1, 2, 4, 3}, 3);
    auto y = OpCase("FlexAttention").input(q).input(k).input(v).run()[0];
    EXPECT_EQ(y.shape(), (Shape{1, 4, 3, 3}));
    expect_near(values_of<float>(y), naive(q, k, v, 1 / std::sqrt(5.0)));
    auto scaled = OpCase("FlexAttention").input(q).input(k).input(v).attr_float("scale", 0.75f).run()[0];
    expect_near(values_of<float>(scaled), naive(q, k, v, 0.75));
}

TEST(FlexAttentionTest, ScoreModAndProbModSubgraphsApply) {
    Tensor q = random_tensor({1, 2, 3, 4}, 4), k = random_tensor({1, 2, 5, 4}, 5), v = random_tensor({1, 2, 5, 2}, 6);
    // score_mod zeroes every score: each output row is the mean of the head's V rows.
    auto y = OpCase("FlexAttention").input(q).input(k).input(v).attr("score_mod", graph_attr(times(0.f))).run()[0];
    std::vector<float> want;
    for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t c = 0; c < 2; ++c) {
                double sum = 0;
                for (int64_t j = 0; j < 5; ++j) sum += v.data<float>()[(h * 5 + j) * 2 + c];
                want.push_back(static_cast<float>(sum / 5));
            }
    expect_near(values_of<float>(y), want);
    // prob_mod doubles the probabilities after the softmax.
    auto z = OpCase("FlexAttention").input(q).input(k).input(v).attr("prob_mod", graph_attr(times(2.f))).run()[0];
    expect_near(values_of<float>(z), naive(q, k, v, 0.5, 2));
}

TEST(FlexAttentionTest, BadShapesAndSubgraphsAreErrors) {
    Tensor q = random_tensor({1, 3, 2, 4}, 7), k = random_tensor({1, 2, 2, 4}, 8), v = random_tensor({1, 2, 2, 4}, 9);
    expect_error([&] { OpCase("FlexAttention").input(q).input(k).input(v).run(); }, ErrorCode::InvalidArgument,
                 {"FlexAttention_under_test", "multiple"});
    Tensor q3 = random_tensor({3, 2, 4}, 10);
    expect_error([&] { OpCase("FlexAttention").input(q3).input(k).input(v).run(); }, ErrorCode::InvalidArgument,
                 {"FlexAttention_under_test", "rank 4"});
    // A subgraph that reads a value nobody defines.
    auto g = times(1.f);
    g->find_value("c")->constant.reset();
    Tensor q2 = random_tensor({1, 2, 2, 4}, 11);
    expect_error([&] { OpCase("FlexAttention").input(q2).input(k).input(v).attr("score_mod", graph_attr(g)).run(); },
                 ErrorCode::NotImplemented, {"score_mod of node 'FlexAttention_under_test'", "'c'"});
}

}  // namespace
}  // namespace kiln
