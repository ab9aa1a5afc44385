// Sanity cases for the Layout family's shape functions and CPU kernels. Expected arrays come from numpy; the
// expression that produced each is in the comment next to it.
#include <gtest/gtest.h>

#include <limits>
#include <numeric>

#include "ops/op_def.h"
#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::OpCase;

Tensor f32(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(shape), v); }
Tensor i64(Shape shape, std::vector<int64_t> v) {
    return Tensor::from_vector<int64_t>(DType::Int64, std::move(shape), v);
}
Tensor i64s(std::vector<int64_t> v) { return i64({static_cast<int64_t>(v.size())}, v); }
// np.arange(n).reshape(shape) as float32
Tensor arange_f(Shape shape) {
    Tensor t(DType::Float, shape);
    for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = static_cast<float>(i);
    return t;
}
template <typename T>
std::vector<T> values(const Tensor& t) {
    return std::vector<T>(t.data<T>(), t.data<T>() + t.element_count());
}
std::vector<float> floats(std::vector<int> v) { return std::vector<float>(v.begin(), v.end()); }

// Runs the shape function alone with the given input infos and values (null: unknown at load time).
std::vector<TensorInfo> infer(const std::string& op, std::vector<TensorInfo> infos, std::vector<const Tensor*> vals,
                              ir::AttributeMap attrs = {}, int outputs = 1) {
    ir::Node node;
    node.name = "n";
    node.op_type = op;
    node.op = op_kind_from_name(op);
    node.attributes = std::move(attrs);
    node.outputs.assign(outputs, nullptr);
    ops::InferContext ctx{node, {}, vals, {}};
    for (auto& i : infos) ctx.inputs.push_back(&i);
    ops::infer_node(ctx);
    return ctx.outputs;
}

TensorInfo info(DType t, SymbolicShape s) { return TensorInfo{t, s}; }

TEST(LayoutTranspose, DefaultPermReverses) {
    auto out = OpCase("Transpose").input(arange_f({2, 3})).run();
    EXPECT_EQ(out[0].shape(), (Shape{3, 2}));
    EXPECT_EQ(values<float>(out[0]), floats({0, 3, 1, 4, 2, 5}));  // np.arange(6).reshape(2,3).T
}

TEST(LayoutTranspose, PermOutsideTheAxesIsRefused) {
    // ONNX's perm is a permutation of 0..rank-1; negative values are not axes here (onnxruntime refuses them too).
    test::expect_error(
        [] {
            OpCase("Transpose").input(arange_f({2, 3})).attr_ints("perm", {-1, 0}).run();
        },
        ErrorCode::InvalidModel, {"perm value -1", "rank-2"});
    test::expect_error(
        [] {
            OpCase("Transpose").input(arange_f({2, 3})).attr_ints("perm", {0, 2}).run();
        },
        ErrorCode::InvalidModel, {"perm value 2"});
}

TEST(LayoutTranspose, ThreeD) {
    auto out = OpCase("Transpose").input(arange_f({2, 3, 4})).attr_ints("perm", {2, 0, 1}).run();
    EXPECT_EQ(out[0].shape(), (Shape{4, 2, 3}));
    // np.arange(24).reshape(2,3,4).transpose(2,0,1)
    EXPECT_EQ(values<float>(out[0]),
              floats({0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23}));
}

TEST(LayoutTranspose, LargeTiledMatchesNaive) {
    // NCHW -> NHWC and [B,H,S,D] -> [B,H,D,S] on sizes that exercise tiles and partial tiles, two threads.
    for (auto perm : {std::vector<int64_t>{0, 2, 3, 1}, std::vector<int64_t>{0, 1, 3, 2}}) {
        Shape s{2, 37, 9, 45};
        Tensor x = arange_f(s);
        auto out = OpCase("Transpose").input(x).attr_ints("perm", perm).threads(2).run();
        Shape os{s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
        ASSERT_EQ(out[0].shape(), os);
        const float* o = out[0].data<float>();
        int64_t idx[4];
        int64_t k = 0;
        for (idx[0] = 0; idx[0] < os[0]; ++idx[0])
            for (idx[1] = 0; idx[1] < os[1]; ++idx[1])
                for (idx[2] = 0; idx[2] < os[2]; ++idx[2])
                    for (idx[3] = 0; idx[3] < os[3]; ++idx[3], ++k) {
                        int64_t in_idx[4];
                        for (int d = 0; d < 4; ++d) in_idx[perm[d]] = idx[d];
                        int64_t flat = ((in_idx[0] * s[1] + in_idx[1]) * s[2] + in_idx[2]) * s[3] + in_idx[3];
                        ASSERT_EQ(o[k], static_cast<float>(flat));
                    }
    }
}

TEST(LayoutTranspose, BadPermIsError) {
    EXPECT_THROW(OpCase("Transpose").input(arange_f({2, 3})).attr_ints("perm", {0, 0}).run(), Error);
}

TEST(LayoutReshape, ZeroCopiesAndMinusOneInfers) {
    auto out = OpCase("Reshape").input(arange_f({2, 3, 4})).input(i64s({0, -1})).run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 12}));
    EXPECT_EQ(values<float>(out[0])[13], 13.0f);
}

TEST(LayoutReshape, AllowZeroKeepsZero) {
    auto out = OpCase("Reshape").input(arange_f({0, 3})).input(i64s({3, 0})).attr_int("allowzero", 1).run();
    EXPECT_EQ(out[0].shape(), (Shape{3, 0}));
}

TEST(LayoutReshape, IncompatibleCountNamesNodeAndShapes) {
    try {
        OpCase("Reshape").input(arange_f({2, 3})).input(i64s({4, -1})).run();
        FAIL() << "no error";
    } catch (const Error& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("Reshape_under_test"), std::string::npos) << m;
        EXPECT_NE(m.find("[2,3]"), std::string::npos) << m;
        EXPECT_NE(m.find("[4,-1]"), std::string::npos) << m;
    }
}

TEST(LayoutReshape, UnknownShapeValueGivesRankOnly) {
    auto outs =
        infer("Reshape", {info(DType::Float, {Dim::named("N"), 3}), info(DType::Int64, {2})}, {nullptr, nullptr});
    ASSERT_TRUE(outs[0].has_rank());
    EXPECT_EQ(outs[0].shape->size(), 2u);
    EXPECT_FALSE((*outs[0].shape)[0].known());
}

TEST(LayoutSlice, NegativeStepsAndClamping) {
    // np.arange(24).reshape(2,3,4)[:, ::-1, -1:0:-2]
    auto out = OpCase("Slice")
                   .input(arange_f({2, 3, 4}))
                   .input(i64s({-1, -1}))
                   .input(i64s({INT64_MIN, 0}))
                   .input(i64s({1, -1}))
                   .input(i64s({-1, -2}))
                   .run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 3, 2}));
    EXPECT_EQ(values<float>(out[0]), floats({11, 9, 7, 5, 3, 1, 23, 21, 19, 17, 15, 13}));
}

TEST(LayoutSlice, DefaultAxesAndOutOfRangeEnd) {
    // np.arange(12).reshape(3,4)[1:1000, 1:3]
    auto out = OpCase("Slice").input(arange_f({3, 4})).input(i64s({1, 1})).input(i64s({1000, 3})).run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(values<float>(out[0]), floats({5, 6, 9, 10}));
}

TEST(LayoutSlice, ZeroStepIsError) {
    EXPECT_THROW(
        OpCase("Slice").input(arange_f({4})).input(i64s({0})).input(i64s({4})).input(i64s({0})).input(i64s({0})).run(),
        Error);
}

TEST(LayoutSlice, UnknownStartsKeepRankAndUntouchedDims) {
    Tensor axes = i64s({1});
    auto outs =
        infer("Slice",
              {info(DType::Float, {5, 7}), info(DType::Int64, {1}), info(DType::Int64, {1}), info(DType::Int64, {1})},
              {nullptr, nullptr, nullptr, &axes});
    ASSERT_TRUE(outs[0].has_rank());
    EXPECT_EQ((*outs[0].shape)[0].value, 5);
    EXPECT_FALSE((*outs[0].shape)[1].known());
}

TEST(LayoutGather, NegativeIndicesAxis1) {
    // np.take(np.arange(12).reshape(3,4), [[2,-1],[0,1]], axis=1)
    auto out = OpCase("Gather").input(arange_f({3, 4})).input(i64({2, 2}, {2, -1, 0, 1})).attr_int("axis", 1).run();
    EXPECT_EQ(out[0].shape(), (Shape{3, 2, 2}));
    EXPECT_EQ(values<float>(out[0]), floats({2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9}));
}

TEST(LayoutGather, OutOfRangeIndexIsInvalidArgument) {
    try {
        OpCase("Gather").input(arange_f({3, 4})).input(i64s({0, 3})).run();
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        std::string m = e.what();
        EXPECT_NE(m.find("Gather_under_test"), std::string::npos) << m;
        EXPECT_NE(m.find("index 3"), std::string::npos) << m;
    }
}

TEST(LayoutGather, Strings) {
    Tensor s = Tensor::from_vector<std::string>(DType::String, {3}, {"a", "bb", "ccc"});
    auto out = OpCase("Gather").input(s).input(i64s({2, 0})).run();
    EXPECT_EQ(values<std::string>(out[0]), (std::vector<std::string>{"ccc", "a"}));
}

TEST(LayoutGatherElements, Axis1NegativeIndex) {
    // np.take_along_axis(np.arange(6).reshape(2,3), np.array([[1,2,0],[0,0,1]]), axis=1)
    auto out = OpCase("GatherElements")
                   .input(arange_f({2, 3}))
                   .input(i64({2, 3}, {1, -1, 0, 0, 0, 1}))
                   .attr_int("axis", 1)
                   .run();
    EXPECT_EQ(values<float>(out[0]), floats({1, 2, 0, 3, 3, 4}));
}

TEST(LayoutConcat, NegativeAxis) {
    // np.concatenate([np.arange(4).reshape(2,2), np.arange(2).reshape(2,1)], axis=-1)
    auto out = OpCase("Concat").input(arange_f({2, 2})).input(arange_f({2, 1})).attr_int("axis", -1).run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
    EXPECT_EQ(values<float>(out[0]), floats({0, 1, 0, 2, 3, 1}));
}

TEST(LayoutConcat, MismatchIsError) {
    EXPECT_THROW(OpCase("Concat").input(arange_f({2, 2})).input(arange_f({3, 1})).attr_int("axis", 1).run(), Error);
}

TEST(LayoutSplit, NumOutputsUnevenLast) {
    // np.array_split-like: [1..7] into 2,2,2,1 (ONNX test_split_1d_uneven_split_opset18)
    auto out = OpCase("Split").input(arange_f({7})).attr_int("num_outputs", 4).outputs(4).run();
    EXPECT_EQ(out[0].shape(), (Shape{2}));
    EXPECT_EQ(out[3].shape(), (Shape{1}));
    EXPECT_EQ(values<float>(out[3]), floats({6}));
}

TEST(LayoutSplit, SplitInputAxis1) {
    // np.split(np.arange(12).reshape(2,6), [2], axis=1)
    auto out = OpCase("Split").input(arange_f({2, 6})).input(i64s({2, 4})).attr_int("axis", 1).outputs(2).run();
    EXPECT_EQ(values<float>(out[0]), floats({0, 1, 6, 7}));
    EXPECT_EQ(values<float>(out[1]), floats({2, 3, 4, 5, 8, 9, 10, 11}));
}

TEST(LayoutSplit, WrongSumIsError) {
    EXPECT_THROW(OpCase("Split").input(arange_f({6})).input(i64s({2, 3})).outputs(2).run(), Error);
}

TEST(LayoutSqueeze, AxesAndDefault) {
    auto a = OpCase("Squeeze").input(arange_f({1, 3, 1})).input(i64s({-1})).run();
    EXPECT_EQ(a[0].shape(), (Shape{1, 3}));
    auto b = OpCase("Squeeze").input(arange_f({1, 3, 1})).run();
    EXPECT_EQ(b[0].shape(), (Shape{3}));
    EXPECT_THROW(OpCase("Squeeze").input(arange_f({1, 3, 1})).input(i64s({1})).run(), Error);
}

TEST(LayoutUnsqueeze, NegativeAxes) {
    // np.expand_dims(np.zeros((3,4)), (0,-1)).shape == (1,3,4,1)
    auto out = OpCase("Unsqueeze").input(arange_f({3, 4})).input(i64s({0, -1})).run();
    EXPECT_EQ(out[0].shape(), (Shape{1, 3, 4, 1}));
}

TEST(LayoutFlatten, Axes) {
    auto a = OpCase("Flatten").input(arange_f({2, 3, 4})).run();
    EXPECT_EQ(a[0].shape(), (Shape{2, 12}));
    auto b = OpCase("Flatten").input(arange_f({2, 3, 4})).attr_int("axis", -1).run();
    EXPECT_EQ(b[0].shape(), (Shape{6, 4}));
    auto c = OpCase("Flatten").input(arange_f({2, 3, 4})).attr_int("axis", 0).run();
    EXPECT_EQ(c[0].shape(), (Shape{1, 24}));
}

TEST(LayoutExpand, Bidirectional) {
    // np.broadcast_to(np.arange(3).reshape(3,1), (2,3,4)) -- shape (2,1,4) broadcasts with (3,1)
    auto out = OpCase("Expand").input(arange_f({3, 1})).input(i64s({2, 1, 4})).run();
    EXPECT_EQ(out[0].shape(), (Shape{2, 3, 4}));
    EXPECT_EQ(values<float>(out[0])[4 * 2 + 3], 2.0f);
    EXPECT_EQ(values<float>(out[0])[12 + 4 * 1], 1.0f);
}

TEST(LayoutTile, TwoByTwo) {
    // np.tile(np.arange(6).reshape(2,3), (2,2))
    auto out = OpCase("Tile").input(arange_f({2, 3})).input(i64s({2, 2})).run();
    EXPECT_EQ(out[0].shape(), (Shape{4, 6}));
    EXPECT_EQ(values<float>(out[0]), floats({0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}));
}

TEST(LayoutPad, ConstantWithNegativePads) {
    // np.pad(np.arange(6).reshape(2,3)[:, 1:], [(1,0),(0,1)], constant_values=9)
    auto out = OpCase("Pad").input(arange_f({2, 3})).input(i64s({1, -1, 0, 1})).input(f32({}, {9})).run();
    EXPECT_EQ(out[0].shape(), (Shape{3, 3}));
    EXPECT_EQ(values<float>(out[0]), floats({9, 9, 9, 1, 2, 9, 4, 5, 9}));
}

TEST(LayoutPad, ReflectEdgeWrap) {
    // np.pad(np.arange(6).reshape(2,3), [(1,0),(2,1)], mode='reflect')
    auto r = OpCase("Pad").input(arange_f({2, 3})).input(i64s({1, 2, 0, 1})).attr_string("mode", "reflect").run();
    EXPECT_EQ(values<float>(r[0]), floats({5, 4, 3, 4, 5, 4, 2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4}));
    // np.pad(np.arange(6).reshape(2,3), [(0,1),(1,2)], mode='wrap')
    auto w = OpCase("Pad").input(arange_f({2, 3})).input(i64s({0, 1, 1, 2})).attr_string("mode", "wrap").run();
    EXPECT_EQ(values<float>(w[0]), floats({2, 0, 1, 2, 0, 1, 5, 3, 4, 5, 3, 4, 2, 0, 1, 2, 0, 1}));
    // np.pad(np.arange(6).reshape(2,3), [(1,1),(0,2)], mode='edge')
    auto e = OpCase("Pad").input(arange_f({2, 3})).input(i64s({1, 0, 1, 2})).attr_string("mode", "edge").run();
    EXPECT_EQ(values<float>(e[0]), floats({0, 1, 2, 2, 2, 0, 1, 2, 2, 2, 3, 4, 5, 5, 5, 3, 4, 5, 5, 5}));
}

TEST(LayoutPad, AxesInput) {
    // np.pad(np.arange(6).reshape(2,3), [(0,0),(1,0)])
    auto out = OpCase("Pad").input(arange_f({2, 3})).input(i64s({1, 0})).missing_input().input(i64s({-1})).run();
    EXPECT_EQ(values<float>(out[0]), floats({0, 0, 1, 2, 0, 3, 4, 5}));
}

TEST(LayoutTrilu, UpperAndLower) {
    // np.triu(np.arange(12).reshape(3,4), 1)
    auto u = OpCase("Trilu").input(arange_f({3, 4})).input(i64({}, {1})).run();
    EXPECT_EQ(values<float>(u[0]), floats({0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11}));
    // np.tril(np.arange(12).reshape(3,4), -1)
    auto l = OpCase("Trilu").input(arange_f({3, 4})).input(i64({}, {-1})).attr_int("upper", 0).run();
    EXPECT_EQ(values<float>(l[0]), floats({0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0}));
}

TEST(LayoutDepthToSpace, DcrAndCrd) {
    // x = np.arange(8).reshape(1,8,1,1)
    // DCR: x.reshape(1,2,2,2,1,1).transpose(0,3,4,1,5,2).reshape(1,2,2,2)
    auto d = OpCase("DepthToSpace").input(arange_f({1, 8, 1, 1})).attr_int("blocksize", 2).run();
    EXPECT_EQ(d[0].shape(), (Shape{1, 2, 2, 2}));
    EXPECT_EQ(values<float>(d[0]), floats({0, 2, 4, 6, 1, 3, 5, 7}));
    // CRD: x.reshape(1,2,2,2,1,1).transpose(0,1,4,2,5,3).reshape(1,2,2,2)
    auto c =
        OpCase("DepthToSpace").input(arange_f({1, 8, 1, 1})).attr_int("blocksize", 2).attr_string("mode", "CRD").run();
    EXPECT_EQ(values<float>(c[0]), floats({0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(LayoutSpaceToDepth, RoundTrip) {
    // np.arange(16).reshape(1,1,4,4).reshape(1,1,2,2,2,2).transpose(0,3,5,1,2,4).reshape(1,4,2,2)
    auto s = OpCase("SpaceToDepth").input(arange_f({1, 1, 4, 4})).attr_int("blocksize", 2).run();
    EXPECT_EQ(s[0].shape(), (Shape{1, 4, 2, 2}));
    EXPECT_EQ(values<float>(s[0]), floats({0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15}));
    EXPECT_THROW(OpCase("SpaceToDepth").input(arange_f({1, 1, 3, 4})).attr_int("blocksize", 2).run(), Error);
}

TEST(LayoutShape, StartEnd) {
    auto a = OpCase("Shape").input(arange_f({2, 3, 4})).run();
    EXPECT_EQ(values<int64_t>(a[0]), (std::vector<int64_t>{2, 3, 4}));
    auto b = OpCase("Shape").input(arange_f({2, 3, 4})).attr_int("start", -2).attr_int("end", 100).run();
    EXPECT_EQ(values<int64_t>(b[0]), (std::vector<int64_t>{3, 4}));
    auto c = OpCase("Size").input(arange_f({2, 3, 4})).run();
    EXPECT_EQ(c[0].shape(), Shape{});
    EXPECT_EQ(values<int64_t>(c[0]), (std::vector<int64_t>{24}));
}

TEST(LayoutRange, IntNegativeDeltaAndFloat) {
    // np.arange(10, 4, -2)
    auto a = OpCase("Range").input(i64({}, {10})).input(i64({}, {4})).input(i64({}, {-2})).run();
    EXPECT_EQ(values<int64_t>(a[0]), (std::vector<int64_t>{10, 8, 6}));
    // np.arange(1, 2, 0.25, dtype=np.float32)
    auto b = OpCase("Range").input(f32({}, {1})).input(f32({}, {2})).input(f32({}, {0.25})).run();
    EXPECT_EQ(values<float>(b[0]), (std::vector<float>{1, 1.25, 1.5, 1.75}));
    // np.arange(3, 9, 3) -> [3, 6]; empty when limit is behind start
    auto c = OpCase("Range").input(i64({}, {3})).input(i64({}, {0})).input(i64({}, {1})).run();
    EXPECT_EQ(c[0].element_count(), 0);
}

TEST(LayoutConstantOfShape, ValueAndDefault) {
    auto a = OpCase("ConstantOfShape").input(i64s({2, 3})).run();
    EXPECT_EQ(a[0].dtype(), DType::Float);
    EXPECT_EQ(a[0].shape(), (Shape{2, 3}));
    auto b = OpCase("ConstantOfShape").input(i64s({4})).attr_tensor("value", i64({1}, {7})).run();
    EXPECT_EQ(values<int64_t>(b[0]), (std::vector<int64_t>{7, 7, 7, 7}));
}

TEST(LayoutConstant, Kinds) {
    auto a = OpCase("Constant").attr_ints("value_ints", {1, 2}).run();
    EXPECT_EQ(values<int64_t>(a[0]), (std::vector<int64_t>{1, 2}));
    auto b = OpCase("Constant").attr_tensor("value", f32({2}, {0.5, 1.5})).run();
    EXPECT_EQ(values<float>(b[0]), (std::vector<float>{0.5, 1.5}));
    auto c = OpCase("Constant").attr_float("value_float", 2.5f).run();
    EXPECT_EQ(c[0].shape(), Shape{});
}

TEST(LayoutEyeLike, OffsetAndDtype) {
    // np.eye(2, 3, k=1, dtype=np.int32)
    auto out = OpCase("EyeLike").input(arange_f({2, 3})).attr_int("k", 1).attr_int("dtype", 6).run();
    EXPECT_EQ(out[0].dtype(), DType::Int32);
    EXPECT_EQ(values<int32_t>(out[0]), (std::vector<int32_t>{0, 1, 0, 0, 0, 1}));
}

TEST(LayoutDtypes, MovesEveryWidth) {
    // Transpose of a [2,2] tensor of uint8, float16 bits, int64 and bool keeps each element's bytes.
    Tensor u8 = Tensor::from_vector<uint8_t>(DType::UInt8, {2, 2}, {1, 2, 3, 4});
    EXPECT_EQ(values<uint8_t>(OpCase("Transpose").input(u8).run()[0]), (std::vector<uint8_t>{1, 3, 2, 4}));
    Tensor h = Tensor::from_vector<uint16_t>(DType::Float16, {2, 2}, {0x3c00, 0x4000, 0x4200, 0x4400});
    EXPECT_EQ(values<uint16_t>(OpCase("Transpose").input(h).run()[0]),
              (std::vector<uint16_t>{0x3c00, 0x4200, 0x4000, 0x4400}));
    Tensor l = i64({2, 2}, {1, 2, 3, 4});
    EXPECT_EQ(values<int64_t>(OpCase("Transpose").input(l).run()[0]), (std::vector<int64_t>{1, 3, 2, 4}));
}

// Hostile values read from input data: each fails with InvalidArgument naming the node instead of trapping,
// overflowing or silently giving a wrong extent.
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

TEST(LayoutHostile, RangeInt64MinByMinusOneDoesNotTrap) {
    // (INT64_MIN - 0) / -1 overflowed (SIGFPE) in the element count.
    test::expect_error([] { OpCase("Range").input(i64({}, {0})).input(i64({}, {kI64Min})).input(i64({}, {-1})).run(); },
                       ErrorCode::InvalidArgument, {"Range_under_test", "int64"});
}

TEST(LayoutHostile, SliceHugeStepTakesOneElement) {
    // np.arange(5)[0:5:2**63-1] -> [0]; np.arange(5)[4:-10:-2**63] -> [4]
    auto up = OpCase("Slice")
                  .input(arange_f({5}))
                  .input(i64({1}, {0}))
                  .input(i64({1}, {5}))
                  .input(i64({1}, {0}))
                  .input(i64({1}, {kI64Max}))
                  .run();
    EXPECT_EQ(values<float>(up[0]), (std::vector<float>{0}));
    auto down = OpCase("Slice")
                    .input(arange_f({5}))
                    .input(i64({1}, {4}))
                    .input(i64({1}, {-10}))
                    .input(i64({1}, {0}))
                    .input(i64({1}, {kI64Min}))
                    .run();
    EXPECT_EQ(values<float>(down[0]), (std::vector<float>{4}));
    // Along an axis whose stride is not 1 (stride * step overflowed int64; found by external_data_fuzz):
    // np.arange(15).reshape(5, 3)[0:5:2**62] -> [[0, 1, 2]]
    auto rows = OpCase("Slice")
                    .input(arange_f({5, 3}))
                    .input(i64({1}, {0}))
                    .input(i64({1}, {5}))
                    .input(i64({1}, {0}))
                    .input(i64({1}, {int64_t{1} << 62}))
                    .run();
    EXPECT_EQ(rows[0].shape(), (Shape{1, 3}));
    EXPECT_EQ(values<float>(rows[0]), (std::vector<float>{0, 1, 2}));
}

TEST(LayoutHostile, TileRepeatOverflowIsRejected) {
    // 4 * (2**62 + 1) wrapped to 4.
    test::expect_error([] { OpCase("Tile").input(arange_f({4})).input(i64({1}, {(int64_t{1} << 62) + 1})).run(); },
                       ErrorCode::InvalidArgument, {"Tile_under_test", "overflows"});
}

TEST(LayoutHostile, PadOverflowIsRejected) {
    // 3 + INT64_MIN + (INT64_MIN + 1) wrapped to a valid-looking size.
    test::expect_error(
        [] {
            OpCase("Pad")
                .input(arange_f({3}))
                .input(i64({2}, {kI64Min, kI64Min + 1}))
                .attr_string("mode", "edge")
                .run();
        },
        ErrorCode::InvalidArgument, {"Pad_under_test", "pads"});
}

TEST(LayoutHostile, AffineGridSizeOfWrongLengthIsRejected) {
    // size's values unknown but its length 1 known: the shape function wrote before its output shape.
    ir::AttributeMap none;
    EXPECT_THROW(infer("AffineGrid", {info(DType::Float, {Dim(1), Dim(2), Dim(3)}), info(DType::Int64, {Dim(1)})},
                       {nullptr, nullptr}, none),
                 Error);
}

}  // namespace
}  // namespace kiln
