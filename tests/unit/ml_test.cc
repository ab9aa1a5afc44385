// Ml-family (ai.onnx.ml) CPU kernel and shape-function tests: ArrayFeatureExtractor, Binarizer, LabelEncoder,
// TreeEnsemble. Expected values from the numpy expressions in the comments or the ONNX node tests.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_error;
using test::OpCase;
using test::values_of;

using Strings = std::vector<std::string>;

Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(s), v); }
Tensor f64(Shape s, std::vector<double> v) { return Tensor::from_vector<double>(DType::Double, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(DType::Int64, std::move(s), v); }
Tensor str(Shape s, Strings v) { return Tensor::from_vector<std::string>(DType::String, std::move(s), v); }
Tensor u8(Shape s, std::vector<uint8_t> v) { return Tensor::from_vector<uint8_t>(DType::UInt8, std::move(s), v); }

TEST(MlTest, ArrayFeatureExtractor) {
    // x = np.arange(12.).reshape(3, 4); x[..., [3, 0]] -> [[3, 0], [7, 4], [11, 8]]
    std::vector<float> x(12);
    for (int i = 0; i < 12; ++i) x[i] = static_cast<float>(i);
    auto y = OpCase("ArrayFeatureExtractor").input(f32({3, 4}, x)).input(i64({2}, {3, 0})).run()[0];
    EXPECT_EQ(y.shape(), (Shape{3, 2}));
    EXPECT_EQ(values_of<float>(y), (std::vector<float>{3, 0, 7, 4, 11, 8}));
    // A 1-D input gives one row: ["a", "b", "c"][[2, 2]] -> [["c", "c"]]
    auto s = OpCase("ArrayFeatureExtractor").input(str({3}, {"a", "b", "c"})).input(i64({1, 2}, {2, 2})).run()[0];
    EXPECT_EQ(s.shape(), (Shape{1, 2}));
    EXPECT_EQ(values_of<std::string>(s), (Strings{"c", "c"}));
    expect_error(
        [&] {
            OpCase("ArrayFeatureExtractor").input(f32({3, 4}, x)).input(i64({1}, {4})).run();
        },
        ErrorCode::InvalidArgument, {"ArrayFeatureExtractor_under_test", "index 4"});
}

TEST(MlTest, Binarizer) {
    // np.where(x > 1, 1, 0) for x = [0.5, 1, 1.5, nan]
    auto y = OpCase("Binarizer").input(f32({4}, {0.5f, 1.f, 1.5f, NAN})).attr_float("threshold", 1.f).run()[0];
    EXPECT_EQ(values_of<float>(y), (std::vector<float>{0, 0, 1, 0}));
    auto z = OpCase("Binarizer").input(i64({3}, {-1, 0, 5})).run()[0];
    EXPECT_EQ(values_of<int64_t>(z), (std::vector<int64_t>{0, 0, 1}));
    expect_error([] { OpCase("Binarizer").input(str({1}, {"a"})).run(); }, ErrorCode::NotImplemented,
                 {"Binarizer_under_test", "string"});
}

TEST(MlTest, LabelEncoder) {
    // keys ["a", "b", "c"] -> [0, 1, 2], default 42: ["a", "d", "c"] -> [0, 42, 2]
    auto y = OpCase("LabelEncoder")
                 .input(str({3}, {"a", "d", "c"}))
                 .attr_tensor("keys_tensor", str({3}, {"a", "b", "c"}))
                 .attr_ints("values_int64s", {0, 1, 2})
                 .attr_int("default_int64", 42)
                 .run()[0];
    EXPECT_EQ(y.dtype(), DType::Int64);
    EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{0, 42, 2}));
    // float keys with NaN (matches any NaN); a repeated key takes the last value; default -0.0
    auto f = OpCase("LabelEncoder")
                 .input(f32({4}, {NAN, 1.f, 2.f, 3.f}))
                 .attr_floats("keys_floats", {1.f, NAN, 1.f})
                 .attr_floats("values_floats", {10.f, 20.f, 30.f})
                 .run()[0];
    auto fv = values_of<float>(f);
    EXPECT_EQ(fv[0], 20.f);
    EXPECT_EQ(fv[1], 30.f);
    EXPECT_EQ(fv[2], 0.f);
    EXPECT_TRUE(std::signbit(fv[2]));
    // int64 keys to an int16 values tensor; default_tensor
    Tensor vals = Tensor::from_vector<int16_t>(DType::Int16, {2}, {7, 8});
    auto t = OpCase("LabelEncoder")
                 .input(i64({3}, {5, 6, 9}))
                 .attr_ints("keys_int64s", {5, 6})
                 .attr_tensor("values_tensor", vals)
                 .attr_tensor("default_tensor", Tensor::from_vector<int16_t>(DType::Int16, {1}, {-5}))
                 .run()[0];
    EXPECT_EQ(t.dtype(), DType::Int16);
    EXPECT_EQ(values_of<int16_t>(t), (std::vector<int16_t>{7, 8, -5}));
    expect_error(
        [] {
            OpCase("LabelEncoder")
                .input(i64({1}, {1}))
                .attr_ints("keys_int64s", {1, 2})
                .attr_ints("values_int64s", {1})
                .run();
        },
        ErrorCode::InvalidModel, {"LabelEncoder_under_test", "2 keys but 1 values"});
    expect_error(
        [] {
            OpCase("LabelEncoder")
                .input(f32({1}, {1}))
                .attr_ints("keys_int64s", {1})
                .attr_ints("values_int64s", {1})
                .run();
        },
        ErrorCode::InvalidModel, {"LabelEncoder_under_test", "float"});
}

// The tree of test_ai_onnx_ml_tree_ensemble_single_tree: node 0 (x0 <= 3.14) -> node 1 / node 2;
// node 1 (x0 <= 1.2) -> leaf 0 / leaf 1; node 2 (x0 <= 4.2) -> leaf 2 / leaf 3.
OpCase& single_tree(OpCase& c, Tensor x) {
    return c.input(std::move(x))
        .attr_ints("nodes_featureids", {0, 0, 0})
        .attr_tensor("nodes_modes", u8({3}, {0, 0, 0}))
        .attr_tensor("nodes_splits", f64({3}, {3.14, 1.2, 4.2}))
        .attr_ints("nodes_truenodeids", {1, 0, 1})
        .attr_ints("nodes_trueleafs", {0, 1, 1})
        .attr_ints("nodes_falsenodeids", {2, 2, 3})
        .attr_ints("nodes_falseleafs", {0, 1, 1})
        .attr_ints("leaf_targetids", {0, 1, 0, 1})
        .attr_tensor("leaf_weights", f64({4}, {5.23, 12.12, -12.23, 7.21}))
        .attr_ints("tree_roots", {0})
        .attr_int("n_targets", 2);
}

TEST(MlTest, TreeEnsembleSingleTree) {
    // x0 = [1.2, -0.12, 4.14] -> leaves 0, 0, 1 -> [[5.23, 0], [5.23, 0], [0, 12.12]]
    OpCase c("TreeEnsemble");
    auto y = single_tree(c, f64({3, 2}, {1.2, 3.4, -0.12, 1.66, 4.14, 1.77})).run()[0];
    EXPECT_EQ(y.shape(), (Shape{3, 2}));
    EXPECT_EQ(values_of<double>(y), (std::vector<double>{5.23, 0, 5.23, 0, 0, 12.12}));
    // LOGISTIC: 1 / (1 + exp(-[5.23, 0])) -> [0.99467, 0.5]
    OpCase lc("TreeEnsemble");
    auto l = single_tree(lc, f64({1, 1}, {0.0})).attr_int("post_transform", 2).run()[0];
    EXPECT_NEAR(l.data<double>()[0], 1.0 / (1.0 + std::exp(-5.23)), 1e-12);
    EXPECT_NEAR(l.data<double>()[1], 0.5, 1e-12);
    // Feature 0 does not exist in a [1, 0] input.
    expect_error(
        [] {
            OpCase e("TreeEnsemble");
            single_tree(e, f64({1, 0}, {})).run();
        },
        ErrorCode::InvalidArgument, {"TreeEnsemble_under_test", "feature id 0"});
}

TEST(MlTest, TreeEnsembleMembershipAndAverage) {
    // test_ai_onnx_ml_tree_ensemble_set_membership: x <= 11 ? (x in {1.2, 3.7, 8, 9} ? leaf 0 : (x in {12, 7}
    // ? leaf 1 : leaf 3)) : leaf 2; NaN fails x <= 11.
    OpCase c("TreeEnsemble");
    c.input(f32({6, 1}, {1.2f, 3.4f, -0.12f, NAN, 12.f, 7.f}))
        .attr_ints("nodes_featureids", {0, 0, 0})
        .attr_tensor("nodes_modes", u8({3}, {0, 6, 6}))
        .attr_tensor("nodes_splits", f32({3}, {11.f, 232344.f, NAN}))
        .attr_ints("nodes_truenodeids", {1, 0, 1})
        .attr_ints("nodes_trueleafs", {0, 1, 1})
        .attr_ints("nodes_falsenodeids", {2, 2, 3})
        .attr_ints("nodes_falseleafs", {1, 0, 1})
        .attr_ints("leaf_targetids", {0, 1, 2, 3})
        .attr_tensor("leaf_weights", f32({4}, {1, 10, 1000, 100}))
        .attr_tensor("membership_values", f32({8}, {1.2f, 3.7f, 8.f, 9.f, NAN, 12.f, 7.f, NAN}))
        .attr_ints("tree_roots", {0})
        .attr_int("n_targets", 4);
    auto y = c.run()[0];
    EXPECT_EQ(values_of<float>(y), (std::vector<float>{1, 0, 0,    0, 0, 0, 0,    100, 0, 0,  0, 100,  //
                                                       0, 0, 1000, 0, 0, 0, 1000, 0,   0, 10, 0, 0}));
    // Two single-leaf trees for target 0 (weights 2 and 4) averaged -> 3; SOFTMAX over [3, 0] ->
    // [e^3 / (e^3 + 1), 1 / (e^3 + 1)]
    auto avg = OpCase("TreeEnsemble")
                   .input(f32({1, 1}, {0.f}))
                   .attr_ints("nodes_featureids", {0, 0})
                   .attr_tensor("nodes_modes", u8({2}, {0, 0}))
                   .attr_tensor("nodes_splits", f32({2}, {0, 0}))
                   .attr_ints("nodes_truenodeids", {0, 1})
                   .attr_ints("nodes_trueleafs", {1, 1})
                   .attr_ints("nodes_falsenodeids", {0, 1})
                   .attr_ints("nodes_falseleafs", {1, 1})
                   .attr_ints("leaf_targetids", {0, 0})
                   .attr_tensor("leaf_weights", f32({2}, {2, 4}))
                   .attr_ints("tree_roots", {0, 1})
                   .attr_int("n_targets", 2)
                   .attr_int("aggregate_function", 0)
                   .attr_int("post_transform", 1)
                   .run()[0];
    double e3 = std::exp(3.0);
    EXPECT_NEAR(avg.data<float>()[0], e3 / (e3 + 1), 1e-6);
    EXPECT_NEAR(avg.data<float>()[1], 1 / (e3 + 1), 1e-6);
    // A cycle between nodes is rejected when the kernel is made.
    expect_error(
        [] {
            OpCase("TreeEnsemble")
                .input(f32({1, 1}, {0.f}))
                .attr_ints("nodes_featureids", {0, 0})
                .attr_tensor("nodes_modes", u8({2}, {0, 0}))
                .attr_tensor("nodes_splits", f32({2}, {0, 0}))
                .attr_ints("nodes_truenodeids", {1, 0})
                .attr_ints("nodes_trueleafs", {0, 0})
                .attr_ints("nodes_falsenodeids", {0, 0})
                .attr_ints("nodes_falseleafs", {1, 1})
                .attr_ints("leaf_targetids", {0})
                .attr_tensor("leaf_weights", f32({1}, {1}))
                .attr_ints("tree_roots", {0})
                .run();
        },
        ErrorCode::InvalidModel, {"TreeEnsemble_under_test", "cycle"});
}

}  // namespace
}  // namespace kiln
