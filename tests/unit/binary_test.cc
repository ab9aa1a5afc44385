// Sanity cases of the Binary family's shape functions and CPU kernels. Expected arrays come from numpy (the line
// that produced each is in a comment).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/op_def.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::OpCase;

using test::values_of;

template <typename T>
Tensor make(DType d, Shape s, std::vector<T> v) {
    return Tensor::from_vector<T>(d, std::move(s), v);
}

Tensor iota_float(Shape s, float start = 0) {
    Tensor t(DType::Float, s);
    for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
    return t;
}

TEST(BinaryTest, AddSameShapeRowAndScalar) {
    // np.arange(6).reshape(2, 3) + np.array([10, 20, 30])
    auto row = OpCase("Add").input(iota_float({2, 3})).input(make<float>(DType::Float, {3}, {10, 20, 30})).run();
    EXPECT_EQ(row[0].shape(), (Shape{2, 3}));
    EXPECT_EQ(values_of<float>(row[0]), (std::vector<float>{10, 21, 32, 13, 24, 35}));
    // np.arange(4) - 1.5 (scalar on the right), 2 - np.arange(4) (on the left)
    auto right = OpCase("Sub").input(iota_float({4})).input(make<float>(DType::Float, {}, {1.5f})).run();
    EXPECT_EQ(values_of<float>(right[0]), (std::vector<float>{-1.5f, -0.5f, 0.5f, 1.5f}));
    auto left = OpCase("Sub").input(make<float>(DType::Float, {}, {2})).input(iota_float({4})).run();
    EXPECT_EQ(values_of<float>(left[0]), (std::vector<float>{2, 1, 0, -1}));
    // np.arange(4).reshape(2, 2) + np.arange(4).reshape(2, 2)
    auto same = OpCase("Add").input(iota_float({2, 2})).input(iota_float({2, 2})).run();
    EXPECT_EQ(values_of<float>(same[0]), (std::vector<float>{0, 2, 4, 6}));
}

TEST(BinaryTest, MulChannelBroadcastAndOuterProduct) {
    // (np.arange(12).reshape(1, 3, 2, 2) * np.array([1, 10, 100]).reshape(3, 1, 1)).ravel()
    auto ch =
        OpCase("Mul").input(iota_float({1, 3, 2, 2})).input(make<float>(DType::Float, {3, 1, 1}, {1, 10, 100})).run();
    EXPECT_EQ(ch[0].shape(), (Shape{1, 3, 2, 2}));
    EXPECT_EQ(values_of<float>(ch[0]), (std::vector<float>{0, 1, 2, 3, 40, 50, 60, 70, 800, 900, 1000, 1100}));
    // (np.arange(3).reshape(3, 1) * np.arange(2).reshape(1, 2) + ...) : outer product [3,1] x [2]
    auto outer = OpCase("Mul").input(iota_float({3, 1}, 1)).input(iota_float({2}, 1)).run();
    EXPECT_EQ(outer[0].shape(), (Shape{3, 2}));
    EXPECT_EQ(values_of<float>(outer[0]), (std::vector<float>{1, 2, 2, 4, 3, 6}));
}

TEST(BinaryTest, LargeBroadcastAcrossThreads) {
    const int64_t rows = 300, cols = 1001;
    Tensor a = iota_float({rows, cols});
    Tensor b = iota_float({cols}, 0.5f);
    auto out = OpCase("Add").input(a).input(b).threads(2).run();
    for (int64_t r = 0; r < rows; r += 7) {
        for (int64_t c = 0; c < cols; c += 13) {
            ASSERT_EQ(out[0].data<float>()[r * cols + c], a.data<float>()[r * cols + c] + b.data<float>()[c]);
        }
    }
    // [rows, 1] + [1, cols]: every row a broadcast scalar
    auto mixed = OpCase("Add").input(iota_float({rows, 1})).input(iota_float({1, cols})).threads(2).run();
    EXPECT_EQ(mixed[0].data<float>()[5 * cols + 17], 22.0f);
}

TEST(BinaryTest, IntegerDivTruncatesAndModFollowsSigns) {
    // Div: C truncation as the ONNX reference: [-7, 7, -7, 7] / [2, -2, -2, 2] -> [-3, -3, 3, 3]
    auto div = OpCase("Div")
                   .input(make<int32_t>(DType::Int32, {4}, {-7, 7, -7, 7}))
                   .input(make<int32_t>(DType::Int32, {4}, {2, -2, -2, 2}))
                   .run();
    EXPECT_EQ(values_of<int32_t>(div[0]), (std::vector<int32_t>{-3, -3, 3, 3}));
    // np.mod([-4, 7, 5, 4, -7, 8], [2, -3, 8, -2, 3, 5]) (test_mod_mixed_sign_int8)
    Tensor a = make<int8_t>(DType::Int8, {6}, {-4, 7, 5, 4, -7, 8});
    Tensor b = make<int8_t>(DType::Int8, {6}, {2, -3, 8, -2, 3, 5});
    EXPECT_EQ(values_of<int8_t>(OpCase("Mod").input(a).input(b).run()[0]), (std::vector<int8_t>{0, -2, 5, 0, 2, 3}));
    // np.fmod(a, b)
    EXPECT_EQ(values_of<int8_t>(OpCase("Mod").input(a).input(b).attr_int("fmod", 1).run()[0]),
              (std::vector<int8_t>{0, 1, 5, 0, -1, 3}));
    // np.fmod([-4.5, 7.5], [2, -2]) -> [-0.5, 1.5]
    auto fm = OpCase("Mod")
                  .input(make<float>(DType::Float, {2}, {-4.5f, 7.5f}))
                  .input(make<float>(DType::Float, {2}, {2, -2}))
                  .attr_int("fmod", 1)
                  .run();
    EXPECT_EQ(values_of<float>(fm[0]), (std::vector<float>{-0.5f, 1.5f}));
}

TEST(BinaryTest, PowMixedTypesAndScalarSquare) {
    // np.power(np.array([1, 2, 3], np.int32), np.array([4, 5, 6], np.float32)).astype(np.int32)
    auto mixed = OpCase("Pow")
                     .input(make<int32_t>(DType::Int32, {3}, {1, 2, 3}))
                     .input(make<float>(DType::Float, {3}, {4, 5, 6}))
                     .run();
    EXPECT_EQ(mixed[0].dtype(), DType::Int32);
    EXPECT_EQ(values_of<int32_t>(mixed[0]), (std::vector<int32_t>{1, 32, 729}));
    // np.power(np.array([1.5, -2], np.float32), np.int64(2))
    auto sq = OpCase("Pow")
                  .input(make<float>(DType::Float, {2}, {1.5f, -2}))
                  .input(make<int64_t>(DType::Int64, {}, {2}))
                  .run();
    EXPECT_EQ(values_of<float>(sq[0]), (std::vector<float>{2.25f, 4}));
    // np.power([2, 3], [10, 3]) in int64
    auto ints = OpCase("Pow")
                    .input(make<int64_t>(DType::Int64, {2}, {2, 3}))
                    .input(make<int64_t>(DType::Int64, {2}, {10, 3}))
                    .run();
    EXPECT_EQ(values_of<int64_t>(ints[0]), (std::vector<int64_t>{1024, 27}));
}

TEST(BinaryTest, VariadicSumMeanMax) {
    Tensor a = make<float>(DType::Float, {2, 1}, {1, 2});
    Tensor b = make<float>(DType::Float, {3}, {10, 20, 30});
    Tensor c = make<float>(DType::Float, {}, {100});
    // (a + b + c).ravel()
    auto sum = OpCase("Sum").input(a).input(b).input(c).run();
    EXPECT_EQ(sum[0].shape(), (Shape{2, 3}));
    EXPECT_EQ(values_of<float>(sum[0]), (std::vector<float>{111, 121, 131, 112, 122, 132}));
    // ((a + b + c) / 3).ravel()
    auto mean = OpCase("Mean").input(a).input(b).input(c).run();
    EXPECT_NEAR(mean[0].data<float>()[0], 37.0f, 1e-5f);
    EXPECT_NEAR(mean[0].data<float>()[5], 44.0f, 1e-5f);
    auto one = OpCase("Max").input(b).run();
    EXPECT_EQ(values_of<float>(one[0]), (std::vector<float>{10, 20, 30}));
    // np.maximum([1, nan, 3], [2, 0, nan]) -> [2, nan, nan]
    auto mx = OpCase("Max")
                  .input(make<float>(DType::Float, {3}, {1, std::nanf(""), 3}))
                  .input(make<float>(DType::Float, {3}, {2, 0, std::nanf("")}))
                  .run();
    EXPECT_EQ(mx[0].data<float>()[0], 2.0f);
    EXPECT_TRUE(std::isnan(mx[0].data<float>()[1]));
    EXPECT_TRUE(std::isnan(mx[0].data<float>()[2]));
    // np.minimum(np.array([5, 200], np.uint8), np.array([7, 3], np.uint8))
    auto mn = OpCase("Min")
                  .input(make<uint8_t>(DType::UInt8, {2}, {5, 200}))
                  .input(make<uint8_t>(DType::UInt8, {2}, {7, 3}))
                  .run();
    EXPECT_EQ(values_of<uint8_t>(mn[0]), (std::vector<uint8_t>{5, 3}));
}

TEST(BinaryTest, ComparisonsAndLogicGiveBool) {
    // np.arange(6).reshape(2, 3) > np.array([1, 3, 5])
    auto gt = OpCase("Greater").input(iota_float({2, 3})).input(make<float>(DType::Float, {3}, {1, 3, 5})).run();
    EXPECT_EQ(gt[0].dtype(), DType::Bool);
    EXPECT_EQ(values_of<uint8_t>(gt[0]), (std::vector<uint8_t>{0, 0, 0, 1, 1, 0}));
    // np.logical_xor([True, True, False], True)
    auto x = OpCase("Xor")
                 .input(make<uint8_t>(DType::Bool, {3}, {1, 1, 0}))
                 .input(make<uint8_t>(DType::Bool, {}, {1}))
                 .run();
    EXPECT_EQ(values_of<uint8_t>(x[0]), (std::vector<uint8_t>{0, 0, 1}));
    Tensor s1(DType::String, {2});
    s1.data<std::string>()[0] = "kiln";
    s1.data<std::string>()[1] = "onnx";
    Tensor s2(DType::String, {});
    s2.data<std::string>()[0] = "onnx";
    EXPECT_EQ(values_of<uint8_t>(OpCase("Equal").input(s1).input(s2).run()[0]), (std::vector<uint8_t>{0, 1}));
}

TEST(BinaryTest, WhereBroadcastsThreeWays) {
    // np.where(np.array([[True], [False]]), np.array([1, 2, 3]), np.int64(-1))
    auto out = OpCase("Where")
                   .input(make<uint8_t>(DType::Bool, {2, 1}, {1, 0}))
                   .input(make<int64_t>(DType::Int64, {3}, {1, 2, 3}))
                   .input(make<int64_t>(DType::Int64, {}, {-1}))
                   .run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
    EXPECT_EQ(out[0].dtype(), DType::Int64);
    EXPECT_EQ(values_of<int64_t>(out[0]), (std::vector<int64_t>{1, 2, 3, -1, -1, -1}));
}

TEST(BinaryTest, BitShiftAndPRelu) {
    // np.left_shift(np.array([16, 4, 1], np.uint8), np.array([1, 2, 3], np.uint8))
    auto shl = OpCase("BitShift")
                   .input(make<uint8_t>(DType::UInt8, {3}, {16, 4, 1}))
                   .input(make<uint8_t>(DType::UInt8, {3}, {1, 2, 3}))
                   .attr_string("direction", "LEFT")
                   .run();
    EXPECT_EQ(values_of<uint8_t>(shl[0]), (std::vector<uint8_t>{32, 16, 8}));
    EXPECT_THROW(OpCase("BitShift")
                     .input(make<uint8_t>(DType::UInt8, {1}, {1}))
                     .input(make<uint8_t>(DType::UInt8, {1}, {1}))
                     .attr_string("direction", "UP")
                     .run(),
                 Error);
    // x = np.arange(-3, 3).reshape(2, 3); np.where(x < 0, x * [0.1, 0.2, 0.3], x)
    auto prelu =
        OpCase("PRelu").input(iota_float({2, 3}, -3)).input(make<float>(DType::Float, {3}, {0.1f, 0.2f, 0.3f})).run();
    std::vector<float> got = values_of<float>(prelu[0]);
    std::vector<float> want = {-0.3f, -0.4f, -0.3f, 0, 1, 2};
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(got[i], want[i], 1e-6f);
}

TEST(BinaryTest, ShapeFunctionBroadcastsSymbolicDims) {
    ir::Node node;
    node.name = "add";
    node.op_type = "Add";
    node.op = OpKind::Add;
    ir::Value out;
    node.outputs.push_back(&out);
    TensorInfo a{DType::Float, SymbolicShape{Dim::named("N"), Dim(1), Dim(4)}};
    TensorInfo b{DType::Float, SymbolicShape{Dim(3), Dim(1)}};
    ops::InferContext ctx{node, {&a, &b}, {nullptr, nullptr}, {TensorInfo{}}};
    ops::infer_node(ctx);
    EXPECT_EQ(symbolic_shape_to_string(ctx.outputs[0].shape), "[N,3,4]");
    TensorInfo unranked{DType::Float, std::nullopt};
    ops::InferContext ctx2{node, {&a, &unranked}, {nullptr, nullptr}, {TensorInfo{}}};
    ops::infer_node(ctx2);
    EXPECT_FALSE(ctx2.outputs[0].has_rank());
    EXPECT_EQ(ctx2.outputs[0].dtype, DType::Float);
}

TEST(BinaryTest, ErrorsNameTheNode) {
    try {
        OpCase("Add").input(iota_float({2, 3})).input(iota_float({4})).run();
        FAIL() << "expected InvalidArgument";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find("Add_under_test"), std::string::npos) << e.what();
    }
    try {
        OpCase("Add").input(iota_float({2})).input(make<int32_t>(DType::Int32, {2}, {1, 2})).run();
        FAIL() << "expected InvalidModel";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidModel);
    }
    try {
        OpCase("And").input(iota_float({2})).input(iota_float({2})).run();
        FAIL() << "expected NotImplemented";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NotImplemented);
    }
}

}  // namespace
}  // namespace kiln
