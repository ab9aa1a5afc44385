// MatMul / Gemm CPU kernel and shape-function tests; expected values from naive loops or numpy expressions.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <random>

#include "support/op_runner.h"

namespace kiln {
namespace {

using test::random_tensor;

TEST(MatMulTest, BatchBroadcastMatchesLoops) {
    // A [2, 1, 3, 4] x B [3, 4, 5] -> [2, 3, 3, 5]; Y[i, j] = A[i, 0] @ B[j].
    Tensor a = random_tensor({2, 1, 3, 4}, 1), b = random_tensor({3, 4, 5}, 2);
    for (int threads : {1, 2}) {
        auto y = test::OpCase("MatMul").input(a).input(b).threads(threads).run()[0];
        ASSERT_EQ(y.shape(), (Shape{2, 3, 3, 5}));
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                for (int r = 0; r < 3; ++r)
                    for (int c = 0; c < 5; ++c) {
                        double acc = 0;
                        for (int k = 0; k < 4; ++k)
                            acc += a.data<float>()[(i * 3 + r) * 4 + k] * b.data<float>()[(j * 4 + k) * 5 + c];
                        EXPECT_NEAR(y.data<float>()[((i * 3 + j) * 3 + r) * 5 + c], acc, 1e-5);
                    }
    }
}

TEST(MatMulTest, SharedWeightTallGemm) {
    // [2, 7, 16] x [16, 33] (the BERT projection shape, scaled down), compared with a loop.
    Tensor a = random_tensor({2, 7, 16}, 3), b = random_tensor({16, 33}, 4);
    auto y = test::OpCase("MatMul").input(a).input(b).threads(2).run()[0];
    ASSERT_EQ(y.shape(), (Shape{2, 7, 33}));
    for (int r = 0; r < 14; ++r)
        for (int c = 0; c < 33; ++c) {
            double acc = 0;
            for (int k = 0; k < 16; ++k) acc += a.data<float>()[r * 16 + k] * b.data<float>()[k * 33 + c];
            EXPECT_NEAR(y.data<float>()[r * 33 + c], acc, 1e-5);
        }
}

TEST(MatMulTest, VectorPromotion) {
    // np.matmul([1, 2], [[1, 2, 3], [4, 5, 6]]) -> [9, 12, 15]; np.matmul([1, 2], [3, 4]) -> 11 (a scalar)
    Tensor v = Tensor::from_vector<float>(DType::Float, {2}, {1, 2});
    Tensor m = Tensor::from_vector<float>(DType::Float, {2, 3}, {1, 2, 3, 4, 5, 6});
    auto y = test::OpCase("MatMul").input(v).input(m).run()[0];
    ASSERT_EQ(y.shape(), (Shape{3}));
    EXPECT_FLOAT_EQ(y.data<float>()[0], 9.f);
    EXPECT_FLOAT_EQ(y.data<float>()[2], 15.f);
    Tensor w = Tensor::from_vector<float>(DType::Float, {2}, {3, 4});
    auto s = test::OpCase("MatMul").input(v).input(w).run()[0];
    ASSERT_EQ(s.shape(), Shape{});
    EXPECT_FLOAT_EQ(s.data<float>()[0], 11.f);
}

TEST(MatMulTest, Int64) {
    // np.matmul([[1, 2], [3, 4]], [[5], [6]]) -> [[17], [39]]
    Tensor a = Tensor::from_vector<int64_t>(DType::Int64, {2, 2}, {1, 2, 3, 4});
    Tensor b = Tensor::from_vector<int64_t>(DType::Int64, {2, 1}, {5, 6});
    auto y = test::OpCase("MatMul").input(a).input(b).run()[0];
    ASSERT_EQ(y.dtype(), DType::Int64);
    EXPECT_EQ(y.data<int64_t>()[0], 17);
    EXPECT_EQ(y.data<int64_t>()[1], 39);
}

TEST(MatMulTest, InnerDimensionMismatchIsAnError) {
    try {
        test::OpCase("MatMul").input(random_tensor({2, 3}, 1)).input(random_tensor({4, 5}, 2)).run();
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find("[2,3]"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("MatMul_under_test"), std::string::npos) << e.what();
    }
}

TEST(MatMulTest, OneThreadMeansOneThread) {
    // A single-threaded run cannot use more CPU time than wall time; OpenBLAS fanning out to every core would.
    Tensor a = random_tensor({512, 512}, 1), b = random_tensor({512, 512}, 2);
    test::OpCase("MatMul").input(a).input(b).threads(1).run();  // warm up
    auto wall0 = std::chrono::steady_clock::now();
    std::clock_t cpu0 = std::clock();
    for (int i = 0; i < 20; ++i) test::OpCase("MatMul").input(a).input(b).threads(1).run();
    double cpu = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    EXPECT_LE(cpu, wall * 1.3 + 0.01) << "cpu " << cpu << " s, wall " << wall << " s";
}

TEST(GemmTest, TransposesAlphaBetaAndBroadcastC) {
    // Y = 0.5 * A.T @ B.T + 2 * C with A [3, 2], B [4, 3], C [4] (broadcast over rows).
    Tensor a = random_tensor({3, 2}, 5), b = random_tensor({4, 3}, 6), c = random_tensor({4}, 7);
    for (int threads : {1, 2}) {
        auto y = test::OpCase("Gemm")
                     .input(a)
                     .input(b)
                     .input(c)
                     .attr_int("transA", 1)
                     .attr_int("transB", 1)
                     .attr_float("alpha", 0.5f)
                     .attr_float("beta", 2.f)
                     .threads(threads)
                     .run()[0];
        ASSERT_EQ(y.shape(), (Shape{2, 4}));
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 4; ++j) {
                double acc = 0;
                for (int k = 0; k < 3; ++k) acc += a.data<float>()[k * 2 + i] * b.data<float>()[j * 3 + k];
                EXPECT_NEAR(y.data<float>()[i * 4 + j], 0.5 * acc + 2 * c.data<float>()[j], 1e-5);
            }
    }
}

TEST(GemmTest, SingleRowTakesTheGemvPathForEveryTransposition) {
    // M = 1 (a classifier head): Y [1, 300] = A' [1, 70] @ B' [70, 300] (+ C), on 1 and 2 threads.
    const int64_t k = 70, n = 300;
    for (int ta : {0, 1})
        for (int tb : {0, 1})
            for (int threads : {1, 2}) {
                Tensor a = random_tensor(ta ? Shape{k, 1} : Shape{1, k}, 11);
                Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, 12);
                Tensor c = random_tensor({n}, 13);
                auto y = test::OpCase("Gemm")
                             .input(a)
                             .input(b)
                             .input(c)
                             .attr_int("transA", ta)
                             .attr_int("transB", tb)
                             .threads(threads)
                             .run()[0];
                ASSERT_EQ(y.shape(), (Shape{1, n}));
                for (int64_t j = 0; j < n; ++j) {
                    double acc = c.data<float>()[j];
                    for (int64_t p = 0; p < k; ++p)
                        acc += a.data<float>()[p] * b.data<float>()[tb ? j * k + p : p * n + j];
                    ASSERT_NEAR(y.data<float>()[j], acc, 1e-4) << "transA " << ta << " transB " << tb << " at " << j;
                }
            }
}

TEST(GemmTest, WithoutC) {
    // [[1, 2]] @ [[3], [4]] -> [[11]]
    auto y = test::OpCase("Gemm")
                 .input(Tensor::from_vector<float>(DType::Float, {1, 2}, {1, 2}))
                 .input(Tensor::from_vector<float>(DType::Float, {2, 1}, {3, 4}))
                 .run()[0];
    EXPECT_FLOAT_EQ(y.data<float>()[0], 11.f);
}

TEST(GemmTest, BadCShapeIsAnError) {
    EXPECT_THROW(test::OpCase("Gemm")
                     .input(random_tensor({2, 3}, 1))
                     .input(random_tensor({3, 4}, 2))
                     .input(random_tensor({3}, 3))
                     .run(),
                 Error);
}

}  // namespace
}  // namespace kiln
