// Ops that index an axis of their input refuse a scalar (and weights of the wrong rank or size) with an error naming
// the node, at session creation when the rank is declared, at run time otherwise. Each row was found by
// fuzz/model_loader_fuzz (the edge-rank seeds of fuzz/make_seeds.py); before, the shape function or kernel read
// dims[axis] of an empty shape. The inputs are kept in fuzz/regressions/model_loader/.
#include <gtest/gtest.h>

#include "kiln/session.h"
#include "support/expect_error.h"
#include "support/model_builder.h"

namespace kiln::test {
namespace {

Session cpu_session(const ModelBuilder& b) {
    std::string bytes = b.bytes();
    SessionOptions options;
    options.intra_op_threads = 1;
    return Session(bytes.data(), bytes.size(), options);
}

TEST(EdgeRank, SplitOfAScalarIsRefused) {
    ModelBuilder b(18);
    b.input("x", {}).output("y0").output("y1");
    b.node("Split", {"x"}, {"y0", "y1"}, "split");
    expect_error([&] { cpu_session(b); }, ErrorCode::InvalidModel, {"split", "rank >= 1"});
}

TEST(EdgeRank, SqueezeOfAScalarWithAxesIsRefused) {
    ModelBuilder b(18);
    b.input("x", {}).output("y");
    b.initializer_ints("axes", {1}, {0});
    b.node("Squeeze", {"x", "axes"}, {"y"}, "squeeze");
    expect_error([&] { cpu_session(b); }, ErrorCode::InvalidModel, {"squeeze", "scalar"});
}

TEST(EdgeRank, SqueezeOfAScalarWithoutAxesIsTheScalar) {
    ModelBuilder b(18);
    b.input("x", {}).output("y");
    b.node("Squeeze", {"x"}, {"y"}, "squeeze");
    auto y = cpu_session(b).run({{"x", Tensor::from_vector<float>(DType::Float, {}, {2.5f})}});
    EXPECT_EQ(y[0].shape(), Shape{});
    EXPECT_EQ(y[0].data<float>()[0], 2.5f);
}

TEST(EdgeRank, SplitToSequenceOfAScalarIsRefusedAtRunTime) {
    ModelBuilder b(18);
    b.input("x", {}).output("n", {}, 7);
    b.node("SplitToSequence", {"x"}, {"s"}, "split");
    b.node("SequenceLength", {"s"}, {"n"});
    Session session = cpu_session(b);
    expect_error(
        [&] {
            session.run({{"x", Tensor::from_vector<float>(DType::Float, {}, {1.f})}});
        },
        ErrorCode::InvalidArgument, {"split", "rank >= 1"});
}

TEST(EdgeRank, DeformConvWeightOfAnotherRankIsRefused) {
    ModelBuilder b(19);
    b.input("x", {1, 1, 3, 3}).input("w", {1, 2, 2}).input("offset", {1, 8, 2, 2}).output("y");
    attr_ints(b.node("DeformConv", {"x", "w", "offset"}, {"y"}, "deform"), "kernel_shape", {2, 2});
    expect_error([&] { cpu_session(b); }, ErrorCode::InvalidModel, {"deform", "same rank"});
}

TEST(EdgeRank, AxesOfAScalarAreRefused) {
    for (const char* op : {"CenterCropPad", "MeanVarianceNormalization"}) {
        ModelBuilder b(18);
        b.input("x", {}).output("y");
        std::vector<std::string> inputs{"x"};
        if (std::string(op) == "CenterCropPad") {
            b.initializer_ints("shape", {1}, {1});
            inputs.push_back("shape");
        }
        attr_ints(b.node(op, inputs, {"y"}, "n"), "axes", {0});
        expect_error(
            [&] {
                cpu_session(b).run({{"x", Tensor::from_vector<float>(DType::Float, {}, {1.f})}});
            },
            ErrorCode::InvalidModel, {"'n'", "axis 0 is out of range for rank 0"});
    }
}

TEST(EdgeRank, DepthToSpaceBlocksizeWhoseSquareOverflowsIsRefused) {
    for (const char* op : {"DepthToSpace", "SpaceToDepth"}) {
        ModelBuilder b(18);
        b.input("x", {1, 4, 2, 2}).output("y");
        attr_int(b.node(op, {"x"}, {"y"}, "n"), "blocksize", int64_t{1} << 40);
        expect_error([&] { cpu_session(b); }, ErrorCode::InvalidModel, {"'n'", "blocksize"});
    }
}

TEST(EdgeRank, StftWindowOfRankZeroIsRefused) {
    ModelBuilder b(18);
    b.input("signal", {1, 8, 1}).input("window", {}).output("y");
    b.initializer_ints("step", {}, {2}).initializer_ints("length", {}, {4});
    b.node("STFT", {"signal", "step", "window", "length"}, {"y"}, "stft");
    expect_error([&] { cpu_session(b); }, ErrorCode::InvalidArgument, {"stft", "window must be 1-D"});
}

TEST(EdgeRank, NormalizationWithoutScaleIsRefused) {
    for (const char* op : {"LayerNormalization", "InstanceNormalization"}) {
        ModelBuilder b(18);
        b.input("x", {1, 2, 3}).output("y");
        b.node(op, {"x", "", "b"}, {"y"}, "n");
        b.initializer_floats("b", {2}, {0, 0});
        expect_error([&] { cpu_session(b); }, ErrorCode::InvalidModel, {"'n'", "needs input"});
    }
}

TEST(EdgeRank, OneHotDepthBeyondInt64IsRefused) {
    ModelBuilder b(18);
    b.input("indices", {2}, 7).output("y");
    b.initializer_floats("depth", {}, {-2.5e35f}).initializer_floats("values", {2}, {0, 1});
    b.node("OneHot", {"indices", "depth", "values"}, {"y"}, "onehot");
    expect_error([&] { cpu_session(b); }, ErrorCode::InvalidArgument, {"onehot", "depth", "int64's range"});
}

// The same check in the kernel, for inputs whose shapes are only known at run time.
TEST(EdgeRank, BatchNormalizationPerChannelSizesCheckedAtRunTime) {
    ModelBuilder b(15);
    b.input("x", {-1, -1, -1}).input("mean", {-1}).output("y", {-1, -1, -1});
    b.initializer_floats("scale", {2}, {1, 1}).initializer_floats("bias", {2}, {0, 0});
    b.initializer_floats("var", {2}, {1, 1});
    b.node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, "bn");
    Session session = cpu_session(b);
    Tensor x = Tensor::from_vector<float>(DType::Float, {1, 2, 2}, {1, 2, 3, 4});
    auto y = session.run({{"x", x}, {"mean", Tensor::from_vector<float>(DType::Float, {2}, {1, 3})}});
    EXPECT_NEAR(y[0].data<float>()[3], 1.f, 1e-4f);
    expect_error(
        [&] {
            session.run({{"x", x}, {"mean", Tensor(DType::Float, {0})}});
        },
        ErrorCode::InvalidArgument, {"bn", "input_mean [0] does not match 2 channels"});
}

}  // namespace
}  // namespace kiln::test
