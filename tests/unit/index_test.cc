// Sanity cases of the Index family's shape functions and CPU kernels. Expected arrays come from numpy (the line
// that produced each is in a comment) or from the examples in the ONNX operator docs.
#include <gtest/gtest.h>

#include <algorithm>
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

Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(DType::Int64, std::move(s), v); }
Tensor boolean(Shape s, std::vector<uint8_t> v) { return Tensor::from_vector<uint8_t>(DType::Bool, std::move(s), v); }

TEST(IndexTest, Compress) {
    Tensor x = f32({3, 2}, {1, 2, 3, 4, 5, 6});  // x = np.arange(1, 7, dtype=np.float32).reshape(3, 2)
    // np.compress([0, 1, 1], x, axis=0)
    auto rows = OpCase("Compress").input(x).input(boolean({3}, {0, 1, 1})).attr_int("axis", 0).run();
    EXPECT_EQ(rows[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<float>(rows[0]), (std::vector<float>{3, 4, 5, 6}));
    // np.compress([1, 0, 1, 1], x) (flattened; shorter condition)
    auto flat = OpCase("Compress").input(x).input(boolean({4}, {1, 0, 1, 1})).run();
    EXPECT_EQ(values_of<float>(flat[0]), (std::vector<float>{1, 3, 4}));
    // A true condition beyond the axis length.
    expect_error(
        [&] {
            OpCase("Compress").input(x).input(boolean({3}, {0, 0, 1})).attr_int("axis", 1).run();
        },
        ErrorCode::InvalidArgument, {"Compress_under_test", "position 2"});
}

TEST(IndexTest, CumSumAndCumProd) {
    Tensor axis1 = Tensor::from_vector<int32_t>(DType::Int32, {}, {1});
    // np.cumsum(np.array([[1, 2, 3], [4, 5, 6]], np.float64), axis=1)
    Tensor a = Tensor::from_vector<double>(DType::Double, {2, 3}, {1, 2, 3, 4, 5, 6});
    auto sum = OpCase("CumSum").input(a).input(axis1).run();
    EXPECT_EQ(values_of<double>(sum[0]), (std::vector<double>{1, 3, 6, 4, 9, 15}));
    // v = np.array([1, 2, 3, 4, 5.]); np.cumsum(v[::-1])[::-1] - v (exclusive, reverse)
    Tensor v = Tensor::from_vector<double>(DType::Double, {5}, {1, 2, 3, 4, 5});
    Tensor axis0 = Tensor::from_vector<int64_t>(DType::Int64, {}, {0});
    auto rev = OpCase("CumSum").input(v).input(axis0).attr_int("exclusive", 1).attr_int("reverse", 1).run();
    EXPECT_EQ(values_of<double>(rev[0]), (std::vector<double>{14, 12, 9, 5, 0}));
    // np.cumprod(np.array([1, 2, 3, 4, 5], np.int32))
    Tensor iv = Tensor::from_vector<int32_t>(DType::Int32, {5}, {1, 2, 3, 4, 5});
    auto prod = OpCase("CumProd").input(iv).input(axis0).run();
    EXPECT_EQ(values_of<int32_t>(prod[0]), (std::vector<int32_t>{1, 2, 6, 24, 120}));
    expect_error([&] { OpCase("CumSum").input(v).input(axis1).run(); }, ErrorCode::InvalidModel,
                 {"CumSum_under_test", "axis 1"});
}

TEST(IndexTest, GatherND) {
    Tensor d = Tensor::from_vector<int32_t>(DType::Int32, {2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});  // np.arange(8)...
    // d[[1, 0], [0, 1]] -> [[4, 5], [2, 3]]
    auto out = OpCase("GatherND").input(d).input(i64({2, 2}, {1, 0, 0, 1})).run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<int32_t>(out[0]), (std::vector<int32_t>{4, 5, 2, 3}));
    // batch_dims=1: np.stack([d[0, 1], d[1, -2]])
    auto batch = OpCase("GatherND").input(d).input(i64({2, 1}, {1, -2})).attr_int("batch_dims", 1).run();
    EXPECT_EQ(batch[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<int32_t>(batch[0]), (std::vector<int32_t>{2, 3, 4, 5}));
    expect_error(
        [&] {
            OpCase("GatherND").input(d).input(i64({1, 2}, {0, 2})).run();
        },
        ErrorCode::InvalidArgument, {"GatherND_under_test", "index 2"});
}

TEST(IndexTest, NonZero) {
    // np.array(np.nonzero(np.array([[1, 0], [0, 3]])))
    auto out = OpCase("NonZero").input(f32({2, 2}, {1, 0, -0.0f, 3})).run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<int64_t>(out[0]), (std::vector<int64_t>{0, 1, 0, 1}));
    auto none = OpCase("NonZero").input(boolean({3}, {0, 0, 0})).run();
    EXPECT_EQ(none[0].shape(), (Shape{1, 0}));
}

TEST(IndexTest, OneHot) {
    Tensor depth = f32({}, {3});
    // np.eye(3)[np.mod([0, -1, 3], 3)] with the out-of-range 3 giving all off_value: [[1,0,0],[0,0,1],[0,0,0]]
    auto out = OpCase("OneHot").input(i64({3}, {0, -1, 3})).input(depth).input(f32({2}, {0, 1})).run();
    EXPECT_EQ(out[0].shape(), (Shape{3, 3}));
    EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0}));
    // axis=0 with off/on = 2/5: (np.eye(3)[[2, 0]] * 3 + 2).T
    auto ax = OpCase("OneHot")
                  .input(i64({2}, {2, 0}))
                  .input(depth)
                  .input(Tensor::from_vector<int32_t>(DType::Int32, {2}, {2, 5}))
                  .attr_int("axis", 0)
                  .run();
    EXPECT_EQ(ax[0].shape(), (Shape{3, 2}));
    EXPECT_EQ(values_of<int32_t>(ax[0]), (std::vector<int32_t>{2, 5, 2, 2, 5, 2}));
    expect_error(
        [&] {
            OpCase("OneHot").input(i64({1}, {0})).input(depth).input(f32({3}, {0, 1, 2})).run();
        },
        ErrorCode::InvalidModel, {"OneHot_under_test", "values"});
}

TEST(IndexTest, ReverseSequence) {
    // x = np.arange(8).reshape(4, 2) (time-major); column 0 reversed over 4 steps, column 1 over 2
    Tensor x = f32({4, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
    auto out = OpCase("ReverseSequence").input(x).input(i64({2}, {4, 2})).run();
    EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{6, 3, 4, 1, 2, 5, 0, 7}));
    // batch-major: rows reversed over their first lens[b] entries
    auto bm = OpCase("ReverseSequence")
                  .input(x)
                  .input(i64({4}, {1, 2, 2, 0}))
                  .attr_int("batch_axis", 0)
                  .attr_int("time_axis", 1)
                  .run();
    EXPECT_EQ(values_of<float>(bm[0]), (std::vector<float>{0, 1, 3, 2, 5, 4, 6, 7}));
    expect_error(
        [&] {
            OpCase("ReverseSequence").input(x).input(i64({2}, {5, 1})).run();
        },
        ErrorCode::InvalidArgument, {"ReverseSequence_under_test", "5"});
}

TEST(IndexTest, ScatterElements) {
    // ONNX doc example (axis 0): [[2.0, 1.1, 0.0], [1.0, 0.0, 2.2], [0.0, 2.1, 1.2]]
    auto out = OpCase("ScatterElements")
                   .input(f32({3, 3}, std::vector<float>(9, 0)))
                   .input(i64({2, 3}, {1, 0, 2, 0, 2, 1}))
                   .input(f32({2, 3}, {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f}))
                   .run();
    EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{2.0f, 1.1f, 0, 1.0f, 0, 2.2f, 0, 2.1f, 1.2f}));
    Tensor data = f32({1, 5}, {1, 2, 3, 4, 5});
    // duplicates with add: d = data.copy(); np.add.at(d, (0, [1, 1]), [1.1, 2.1]) -> [1, 5.2, 3, 4, 5]
    auto add = OpCase("ScatterElements")
                   .input(data)
                   .input(i64({1, 2}, {1, 1}))
                   .input(f32({1, 2}, {1.1f, 2.1f}))
                   .attr_int("axis", 1)
                   .attr_string("reduction", "add")
                   .run();
    EXPECT_NEAR(values_of<float>(add[0])[1], 5.2f, 1e-6f);
    // max with a negative index: np.maximum.at(d, (0, [-1, 0]), [4, 7]) -> [7, 2, 3, 4, 5]
    auto mx = OpCase("ScatterElements")
                  .input(data)
                  .input(i64({1, 2}, {-1, 0}))
                  .input(f32({1, 2}, {4, 7}))
                  .attr_int("axis", 1)
                  .attr_string("reduction", "max")
                  .run();
    EXPECT_EQ(values_of<float>(mx[0]), (std::vector<float>{7, 2, 3, 4, 5}));
    expect_error(
        [&] {
            OpCase("ScatterElements")
                .input(data)
                .input(i64({1, 1}, {5}))
                .input(f32({1, 1}, {0}))
                .attr_int("axis", 1)
                .run();
        },
        ErrorCode::InvalidArgument, {"ScatterElements_under_test", "index 5"});
}

TEST(IndexTest, ScatterND) {
    Tensor data = f32({8}, {1, 2, 3, 4, 5, 6, 7, 8});
    // ONNX doc example: [1, 11, 3, 10, 9, 6, 7, 12]
    auto out = OpCase("ScatterND").input(data).input(i64({4, 1}, {4, 3, 1, 7})).input(f32({4}, {9, 10, 11, 12})).run();
    EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12}));
    // mul with a duplicate: d = data.copy(); np.multiply.at(d, [0, 0, 2], [2, 3, 10]) -> [6, 2, 30, ...]
    auto mul = OpCase("ScatterND")
                   .input(data)
                   .input(i64({3, 1}, {0, 0, 2}))
                   .input(f32({3}, {2, 3, 10}))
                   .attr_string("reduction", "mul")
                   .run();
    EXPECT_EQ(values_of<float>(mul[0]), (std::vector<float>{6, 2, 30, 4, 5, 6, 7, 8}));
    // slices: d = np.zeros((2, 2)); d[1] = [5, 6]
    auto rows =
        OpCase("ScatterND").input(f32({2, 2}, {0, 0, 0, 0})).input(i64({1, 1}, {1})).input(f32({1, 2}, {5, 6})).run();
    EXPECT_EQ(values_of<float>(rows[0]), (std::vector<float>{0, 0, 5, 6}));
    expect_error(
        [&] {
            OpCase("ScatterND").input(data).input(i64({1, 1}, {-9})).input(f32({1}, {0})).run();
        },
        ErrorCode::InvalidArgument, {"ScatterND_under_test", "index -9"});
}

TEST(IndexTest, TensorScatter) {
    Tensor past = f32({2, 3, 1}, std::vector<float>(6, 0));
    Tensor update = f32({2, 2, 1}, {1, 2, 3, 4});
    // circular, write_indices [0, 2]: batch 0 gets 1, 2 at 0, 1; batch 1 gets 3 at 2 and 4 at (2 + 1) % 3 = 0
    auto out =
        OpCase("TensorScatter").input(past).input(update).input(i64({2}, {0, 2})).attr_string("mode", "circular").run();
    EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{1, 2, 0, 4, 0, 3}));
    // linear without write_indices: both written at 0
    auto lin = OpCase("TensorScatter").input(past).input(update).run();
    EXPECT_EQ(values_of<float>(lin[0]), (std::vector<float>{1, 2, 0, 3, 4, 0}));
    expect_error(
        [&] {
            OpCase("TensorScatter").input(past).input(update).input(i64({2}, {0, 2})).run();
        },
        ErrorCode::InvalidArgument, {"TensorScatter_under_test", "write index 2"});
}

TEST(IndexTest, TopK) {
    Tensor x = f32({2, 4}, {3, 1, 3, 2, 0, 5, 5, 1});
    Tensor k = i64({1}, {2});
    // Largest, ties by lower index: np.argsort(-x, kind='stable')[:, :2] -> [[0, 2], [1, 2]]
    auto big = OpCase("TopK").input(x).input(k).outputs(2).run();
    EXPECT_EQ(big[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<float>(big[0]), (std::vector<float>{3, 3, 5, 5}));
    EXPECT_EQ(values_of<int64_t>(big[1]), (std::vector<int64_t>{0, 2, 1, 2}));
    // Smallest along axis 0: np.argsort(x, axis=0, kind='stable')[:1]
    auto small =
        OpCase("TopK").input(x).input(i64({1}, {1})).attr_int("axis", 0).attr_int("largest", 0).outputs(2).run();
    EXPECT_EQ(values_of<float>(small[0]), (std::vector<float>{0, 1, 3, 1}));
    EXPECT_EQ(values_of<int64_t>(small[1]), (std::vector<int64_t>{1, 0, 0, 1}));
    expect_error([&] { OpCase("TopK").input(x).input(i64({1}, {5})).outputs(2).run(); }, ErrorCode::InvalidArgument,
                 {"TopK_under_test", "K 5"});
}

TEST(IndexTest, Unique) {
    // y, i, inv, c = np.unique([3, 1, 5, 1, 5, 2], True, True, True)
    auto s = OpCase("Unique").input(f32({6}, {3, 1, 5, 1, 5, 2})).outputs(4).run();
    EXPECT_EQ(values_of<float>(s[0]), (std::vector<float>{1, 2, 3, 5}));
    EXPECT_EQ(values_of<int64_t>(s[1]), (std::vector<int64_t>{1, 5, 0, 2}));
    EXPECT_EQ(values_of<int64_t>(s[2]), (std::vector<int64_t>{2, 0, 3, 0, 3, 1}));
    EXPECT_EQ(values_of<int64_t>(s[3]), (std::vector<int64_t>{2, 1, 1, 2}));
    // ONNX doc example 1 (sorted=0)
    auto u = OpCase("Unique").input(i64({6}, {2, 1, 1, 3, 4, 3})).attr_int("sorted", 0).outputs(4).run();
    EXPECT_EQ(values_of<int64_t>(u[0]), (std::vector<int64_t>{2, 1, 3, 4}));
    EXPECT_EQ(values_of<int64_t>(u[1]), (std::vector<int64_t>{0, 1, 3, 4}));
    EXPECT_EQ(values_of<int64_t>(u[2]), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
    EXPECT_EQ(values_of<int64_t>(u[3]), (std::vector<int64_t>{1, 2, 2, 1}));
    // ONNX doc example 3 (axis 0): np.unique(x, axis=0, return_index=True, ...)
    auto a = OpCase("Unique").input(i64({3, 3}, {1, 0, 0, 1, 0, 0, 2, 3, 4})).attr_int("axis", 0).outputs(4).run();
    EXPECT_EQ(a[0].shape(), (Shape{2, 3}));
    EXPECT_EQ(values_of<int64_t>(a[0]), (std::vector<int64_t>{1, 0, 0, 2, 3, 4}));
    EXPECT_EQ(values_of<int64_t>(a[1]), (std::vector<int64_t>{0, 2}));
    EXPECT_EQ(values_of<int64_t>(a[2]), (std::vector<int64_t>{0, 0, 1}));
    EXPECT_EQ(values_of<int64_t>(a[3]), (std::vector<int64_t>{2, 1}));
    // axis 1 of [[2, 1, 2], [0, 5, 0]]: np.unique(x, axis=1) -> [[1, 2], [5, 0]]
    auto c = OpCase("Unique").input(i64({2, 3}, {2, 1, 2, 0, 5, 0})).attr_int("axis", 1).run();
    EXPECT_EQ(c[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<int64_t>(c[0]), (std::vector<int64_t>{1, 2, 5, 0}));
}

TEST(IndexTest, TopKLargeAcrossThreadsMatchesStableSort) {
    const int64_t rows = 300, cols = 257, k = 7;
    Tensor x(DType::Float, {rows, cols});
    for (int64_t i = 0; i < rows * cols; ++i) x.data<float>()[i] = static_cast<float>((i * 7919) % 61);
    auto out = OpCase("TopK").input(x).input(i64({1}, {k})).outputs(2).threads(2).run();
    for (int64_t r = 0; r < rows; ++r) {
        // np.argsort(-row, kind='stable')[:k]
        std::vector<int64_t> order(cols);
        for (int64_t j = 0; j < cols; ++j) order[j] = j;
        const float* row = x.data<float>() + r * cols;
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return row[a] > row[b]; });
        for (int64_t j = 0; j < k; ++j) {
            ASSERT_EQ(out[1].data<int64_t>()[r * k + j], order[j]) << "row " << r << " rank " << j;
            ASSERT_EQ(out[0].data<float>()[r * k + j], row[order[j]]);
        }
    }
}

TEST(IndexTest, UniqueStrings) {
    // np.unique(["b", "a", "b", "c"], return_counts=True) -> ["a", "b", "c"], [1, 2, 1]
    auto out = OpCase("Unique")
                   .input(Tensor::from_vector<std::string>(DType::String, {4}, {"b", "a", "b", "c"}))
                   .outputs(4)
                   .run();
    EXPECT_EQ(values_of<std::string>(out[0]), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(values_of<int64_t>(out[3]), (std::vector<int64_t>{1, 2, 1}));
}

TEST(IndexTest, TensorScatterHugeWriteIndexIsRejected) {
    // write + seq overflowed and passed the bounds check, writing far outside the cache.
    expect_error(
        [&] {
            OpCase("TensorScatter")
                .input(f32({1, 4, 1}, {0, 0, 0, 0}))
                .input(f32({1, 1, 1}, {1}))
                .input(i64({1}, {std::numeric_limits<int64_t>::max()}))
                .attr_int("axis", 1)
                .run();
        },
        ErrorCode::InvalidArgument, {"TensorScatter_under_test", "write index"});
}

}  // namespace
}  // namespace kiln
