// Spatial-family CPU kernel and shape-function tests; expected values from the numpy expressions in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kiln/session.h"
#include "support/expect_error.h"
#include "support/model_builder.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

Tensor vec(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(shape), v); }
Tensor i64(Shape shape, std::vector<int64_t> v) {
    return Tensor::from_vector<int64_t>(DType::Int64, std::move(shape), v);
}
Tensor iota(Shape shape) {
    Tensor t(DType::Float, shape);
    for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = static_cast<float>(i);
    return t;
}

void expect_values(const Tensor& t, const Shape& shape, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(t.shape(), shape);
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "at " << i;
}

// A size that is a graph input (values unknown when the session is built): the output's rank and last dim are
// known, [N, ?, ?, 2] for a 4-entry size.
TEST(SpatialTest, AffineGridShapeWithRuntimeSize) {
    test::ModelBuilder b(20);
    b.input("theta", {2, 2, 3}).input("size", {4}, 7).output("grid");
    b.node("AffineGrid", {"theta", "size"}, {"grid"}, "grid");
    std::string bytes = b.bytes();
    Session session(bytes.data(), bytes.size());
    const TensorInfo& grid = session.outputs()[0].type;
    ASSERT_TRUE(grid.shape.has_value());
    ASSERT_EQ(grid.shape->size(), 4u) << symbolic_shape_to_string(grid.shape);
    EXPECT_EQ((*grid.shape)[0], Dim(2));
    EXPECT_FALSE((*grid.shape)[1].known());
    EXPECT_EQ((*grid.shape)[3], Dim(2));
}

TEST(SpatialTest, AffineGridIdentity) {
    Tensor theta = vec({1, 2, 3}, {1, 0, 0, 0, 1, 0});
    // align_corners=0: base coords -1 + (2i + 1) / 2 = [-0.5, 0.5]; grid[h, w] = (x_w, y_h)
    auto g = test::OpCase("AffineGrid").input(theta).input(i64({4}, {1, 1, 2, 2})).run()[0];
    expect_values(g, {1, 2, 2, 2}, {-0.5f, -0.5f, 0.5f, -0.5f, -0.5f, 0.5f, 0.5f, 0.5f});
    // align_corners=1 with a shift of +1 in x: x in [0, 2], y in [-1, 1]
    Tensor shift = vec({1, 2, 3}, {1, 0, 1, 0, 1, 0});
    auto a =
        test::OpCase("AffineGrid").input(shift).input(i64({4}, {1, 1, 2, 2})).attr_int("align_corners", 1).run()[0];
    expect_values(a, {1, 2, 2, 2}, {0, -1, 2, -1, 0, 1, 2, 1});
}

TEST(SpatialTest, AffineGridRejectsBadSize) {
    test::expect_error(
        [] {
            test::OpCase("AffineGrid").input(vec({1, 2, 3}, {1, 0, 0, 0, 1, 0})).input(i64({3}, {1, 1, 2})).run();
        },
        ErrorCode::InvalidArgument, {"AffineGrid", "size has 3 entries"});
}

TEST(SpatialTest, CenterCropPad) {
    // x = np.arange(6).reshape(2, 3) to [1, 5]: crop rows to x[0:1], pad cols by 1 each side -> [[0, 0, 1, 2, 0]]
    auto y = test::OpCase("CenterCropPad").input(iota({2, 3})).input(i64({2}, {1, 5})).run()[0];
    expect_values(y, {1, 5}, {0, 0, 1, 2, 0});
    // axes=[1] only: [2, 3] -> [2, 1] keeps the middle column: [[1], [4]]
    auto z = test::OpCase("CenterCropPad").input(iota({2, 3})).input(i64({1}, {1})).attr_ints("axes", {-1}).run()[0];
    expect_values(z, {2, 1}, {1, 4});
}

TEST(SpatialTest, CenterCropPadRejectsShapeLength) {
    test::expect_error(
        [] {
            test::OpCase("CenterCropPad").input(iota({2, 3})).input(i64({1}, {1})).run();
        },
        ErrorCode::InvalidArgument, {"CenterCropPad", "1 entries"});
}

TEST(SpatialTest, Col2ImSumsOverlaps) {
    // image [1, 3], block [1, 2]: two blocks; col[k, b] lands at b + k -> [1, 2 + 3, 4]
    auto y = test::OpCase("Col2Im")
                 .input(vec({1, 2, 2}, {1, 2, 3, 4}))
                 .input(i64({2}, {1, 3}))
                 .input(i64({2}, {1, 2}))
                 .run()[0];
    expect_values(y, {1, 1, 1, 3}, {1, 5, 4});
    // non-overlapping 2x2 block on a 2x2 image is a reshape
    auto z = test::OpCase("Col2Im")
                 .input(vec({1, 4, 1}, {1, 2, 3, 4}))
                 .input(i64({2}, {2, 2}))
                 .input(i64({2}, {2, 2}))
                 .run()[0];
    expect_values(z, {1, 1, 2, 2}, {1, 2, 3, 4});
}

// Found by external_data_fuzz (fuzz/regressions/external_data/col2im_block_product_overflow.bin): block_shape
// entries whose product overflows int64 (signed overflow in shape inference).
TEST(SpatialTest, Col2ImRejectsBlockShapeOverflow) {
    const int64_t big = int64_t{1} << 32;
    test::expect_error(
        [&] {
            test::OpCase("Col2Im")
                .input(vec({1, 2, 2}, {1, 2, 3, 4}))
                .input(i64({2}, {big, big}))
                .input(i64({2}, {big, big}))
                .run();
        },
        ErrorCode::InvalidArgument, {"Col2Im", "overflows"});
}

TEST(SpatialTest, Col2ImRejectsBlockCount) {
    test::expect_error(
        [] {
            test::OpCase("Col2Im")
                .input(vec({1, 2, 3}, {1, 2, 3, 4, 5, 6}))
                .input(i64({2}, {1, 3}))
                .input(i64({2}, {1, 2}))
                .run();
        },
        ErrorCode::InvalidArgument, {"Col2Im", "sliding blocks 2"});
}

TEST(SpatialTest, DeformConvWithZeroOffsetIsConv) {
    // x = np.arange(9).reshape(3, 3), 2x2 ones kernel: window sums [[8, 12], [20, 24]]; mask 0.5 halves, B adds 1
    Tensor x = iota({1, 1, 3, 3});
    Tensor w = vec({1, 1, 2, 2}, {1, 1, 1, 1});
    Tensor offset(DType::Float, {1, 8, 2, 2});
    auto y = test::OpCase("DeformConv").input(x).input(w).input(offset).run()[0];
    expect_values(y, {1, 1, 2, 2}, {8, 12, 20, 24});
    Tensor mask = vec({1, 4, 2, 2}, std::vector<float>(16, 0.5f));
    auto m = test::OpCase("DeformConv").input(x).input(w).input(offset).input(vec({1}, {1})).input(mask).run()[0];
    expect_values(m, {1, 1, 2, 2}, {5, 7, 11, 13});
    // offset +1 in w for every tap of output (0, 0): samples x[0:2, 1:3] -> 1 + 2 + 4 + 5 = 12
    Tensor shifted(DType::Float, {1, 8, 2, 2});
    for (int k = 0; k < 4; ++k) shifted.data<float>()[(k * 2 + 1) * 4] = 1.f;
    auto s = test::OpCase("DeformConv").input(x).input(w).input(shifted).run()[0];
    expect_values(s, {1, 1, 2, 2}, {12, 12, 20, 24});
}

// Offsets that no index type holds (found by fuzz/external_data_fuzz: 1e31 made the float -> index conversion
// undefined) and NaN: the taps fall outside the input and read zeros. Output (0, 0) gets the far offsets in h for all
// its taps, so it is the bias alone; the other outputs are the plain window sums plus the bias.
TEST(SpatialTest, DeformConvFarAndNaNOffsetsReadZeros) {
    Tensor x = iota({1, 1, 3, 3});
    Tensor w = vec({1, 1, 2, 2}, {1, 1, 1, 1});
    const float far[] = {1e31f, -3e38f, std::numeric_limits<float>::quiet_NaN(), 6e23f};
    Tensor offset(DType::Float, {1, 8, 2, 2});
    for (int k = 0; k < 4; ++k) offset.data<float>()[(k * 2) * 4] = far[k];
    auto y = test::OpCase("DeformConv").input(x).input(w).input(offset).input(vec({1}, {1})).run()[0];
    expect_values(y, {1, 1, 2, 2}, {1, 13, 21, 25});
}

TEST(SpatialTest, DeformConvRejectsOffsetShape) {
    test::expect_error(
        [] {
            test::OpCase("DeformConv")
                .input(iota({1, 1, 3, 3}))
                .input(vec({1, 1, 2, 2}, {1, 1, 1, 1}))
                .input(Tensor(DType::Float, {1, 4, 2, 2}))
                .run();
        },
        ErrorCode::InvalidArgument, {"DeformConv", "offset [1,4,2,2]"});
}

TEST(SpatialTest, EinsumMatmulDiagonalTransposeImplicit) {
    Tensor a = iota({2, 3});
    Tensor b = iota({3, 2});
    // np.arange(6).reshape(2, 3) @ np.arange(6).reshape(3, 2) = [[10, 13], [28, 40]]
    expect_values(test::OpCase("Einsum").input(a).input(b).attr_string("equation", "ij,jk->ik").run()[0], {2, 2},
                  {10, 13, 28, 40});
    // implicit output of "ij,jk" is "ik"
    expect_values(test::OpCase("Einsum").input(a).input(b).attr_string("equation", "ij,jk").run()[0], {2, 2},
                  {10, 13, 28, 40});
    // np.einsum('ii->i', np.arange(9).reshape(3, 3)) = [0, 4, 8]; 'ii' (implicit) is the trace 12
    expect_values(test::OpCase("Einsum").input(iota({3, 3})).attr_string("equation", "ii->i").run()[0], {3}, {0, 4, 8});
    expect_values(test::OpCase("Einsum").input(iota({3, 3})).attr_string("equation", "ii").run()[0], {}, {12});
    // np.einsum('...ij->...ji', np.arange(8).reshape(2, 2, 2)) = [[[0, 2], [1, 3]], [[4, 6], [5, 7]]]
    expect_values(test::OpCase("Einsum").input(iota({2, 2, 2})).attr_string("equation", "...ij->...ji").run()[0],
                  {2, 2, 2}, {0, 2, 1, 3, 4, 6, 5, 7});
    // three operands: np.einsum('i,i,i->', [0, 1, 2], [0, 1, 2], [0, 1, 2]) = 0 + 1 + 8 = 9
    expect_values(test::OpCase("Einsum")
                      .input(iota({3}))
                      .input(iota({3}))
                      .input(iota({3}))
                      .attr_string("equation", "i,i,i->")
                      .run()[0],
                  {}, {9});
    // broadcast ellipsis: np.einsum('...i,...i->...', ones((2, 1, 3)), arange(6).reshape(2, 3)) = [[3, 12], [3, 12]]
    expect_values(test::OpCase("Einsum")
                      .input(vec({2, 1, 3}, {1, 1, 1, 1, 1, 1}))
                      .input(iota({2, 3}))
                      .attr_string("equation", "...i,...i->...")
                      .run()[0],
                  {2, 2}, {3, 12, 3, 12});
}

TEST(SpatialTest, EinsumIntegerAndDouble) {
    auto y = test::OpCase("Einsum")
                 .input(i64({2, 2}, {1, 2, 3, 4}))
                 .input(i64({2}, {1, 1}))
                 .attr_string("equation", "ij,j->i")
                 .run()[0];
    ASSERT_EQ(y.dtype(), DType::Int64);
    EXPECT_EQ(y.data<int64_t>()[0], 3);
    EXPECT_EQ(y.data<int64_t>()[1], 7);
    Tensor d = Tensor::from_vector<double>(DType::Double, {2, 2}, {1, 2, 3, 4});
    auto z = test::OpCase("Einsum").input(d).input(d).attr_string("equation", "ij,ij->").run()[0];
    EXPECT_DOUBLE_EQ(z.data<double>()[0], 30.0);
}

TEST(SpatialTest, EinsumRejectsTermRankMismatch) {
    test::expect_error(
        [] {
            test::OpCase("Einsum").input(iota({2, 3})).attr_string("equation", "ijk->i").run();
        },
        ErrorCode::InvalidModel, {"Einsum", "rank 2"});
}

TEST(SpatialTest, GridSampleModes) {
    Tensor x = vec({1, 1, 2, 2}, {1, 2, 3, 4});
    // corners with align_corners=1 read the pixels; (0, 0) is the bilinear centre 2.5
    Tensor g = vec({1, 1, 5, 2}, {-1, -1, 1, -1, -1, 1, 1, 1, 0, 0});
    auto y = test::OpCase("GridSample").input(x).input(g).attr_int("align_corners", 1).run()[0];
    expect_values(y, {1, 1, 1, 5}, {1, 2, 3, 4, 2.5f});
    // nearest, align_corners=0: (-0.5, -0.5) -> pixel (0, 0); x = 2 is outside: zeros padding -> 0, border -> 2
    Tensor h = vec({1, 1, 2, 2}, {-0.5f, -0.5f, 2, -0.5f});
    auto n = test::OpCase("GridSample").input(x).input(h).attr_string("mode", "nearest").run()[0];
    expect_values(n, {1, 1, 1, 2}, {1, 0});
    auto b = test::OpCase("GridSample")
                 .input(x)
                 .input(h)
                 .attr_string("mode", "nearest")
                 .attr_string("padding_mode", "border")
                 .run()[0];
    expect_values(b, {1, 1, 1, 2}, {1, 2});
}

// Grid values that no index type holds (found by fuzz/external_data_fuzz: 6.5e27 made the float -> index conversion
// undefined). With zeros padding such a point, and NaN, reads zero pixels; border and reflection bring it back
// inside, so the output is one of the input's values (nearest) or between them (linear).
TEST(SpatialTest, GridSampleFarAndNaNCoordinates) {
    Tensor x = vec({1, 1, 2, 2}, {1, 2, 3, 4});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    Tensor g = vec({1, 1, 4, 2}, {6.5e27f, 0, -3e38f, 0.5f, 0, nan, 1e20f, -1e20f});
    for (const char* mode : {"nearest", "linear", "cubic"}) {
        auto zeros = test::OpCase("GridSample").input(x).input(g).attr_string("mode", mode).run()[0];
        expect_values(zeros, {1, 1, 1, 4}, {0, 0, 0, 0});
    }
    for (const char* padding : {"border", "reflection"}) {
        for (const char* mode : {"nearest", "linear"}) {
            Tensor far = vec({1, 1, 3, 2}, {6.5e27f, 0, -3e38f, 0.5f, 1e20f, -1e20f});
            auto y = test::OpCase("GridSample")
                         .input(x)
                         .input(far)
                         .attr_string("mode", mode)
                         .attr_string("padding_mode", padding)
                         .run()[0];
            for (int64_t i = 0; i < y.element_count(); ++i) {
                EXPECT_GE(y.data<float>()[i], 1.f) << padding << " " << mode << " point " << i;
                EXPECT_LE(y.data<float>()[i], 4.f) << padding << " " << mode << " point " << i;
            }
        }
    }
}

TEST(SpatialTest, GridSampleRejectsGridRank) {
    test::expect_error(
        [] {
            test::OpCase("GridSample").input(vec({1, 1, 2, 2}, {1, 2, 3, 4})).input(vec({1, 1, 2}, {0, 0})).run();
        },
        ErrorCode::InvalidArgument, {"GridSample", "grid"});
}

// Found by fuzz/regressions/model_loader/grid_sample_grid_batch_mismatch.onnx: a grid whose batch differs from X's
// made the kernel read past the grid.
TEST(SpatialTest, GridSampleRejectsGridOfAnotherBatch) {
    for (int64_t grid_batch : {0, 2}) {
        std::vector<float> zeros(static_cast<size_t>(grid_batch) * 2 * 2 * 2, 0.f);
        test::expect_error(
            [&] {
                test::OpCase("GridSample")
                    .input(vec({1, 1, 2, 2}, {1, 2, 3, 4}))
                    .input(vec({grid_batch, 2, 2, 2}, zeros))
                    .run();
            },
            ErrorCode::InvalidArgument, {"GridSample", "grid", "batch"});
    }
}

TEST(SpatialTest, MaxRoiPool) {
    // x = np.arange(16).reshape(4, 4), roi (0, 0)-(3, 3) in 2x2 bins: [[5, 7], [13, 15]]
    auto y = test::OpCase("MaxRoiPool")
                 .input(iota({1, 1, 4, 4}))
                 .input(vec({1, 5}, {0, 0, 0, 3, 3}))
                 .attr_ints("pooled_shape", {2, 2})
                 .run()[0];
    expect_values(y, {1, 1, 2, 2}, {5, 7, 13, 15});
}

TEST(SpatialTest, MaxRoiPoolRejectsBatchIndex) {
    test::expect_error(
        [] {
            test::OpCase("MaxRoiPool")
                .input(iota({1, 1, 4, 4}))
                .input(vec({1, 5}, {1, 0, 0, 3, 3}))
                .attr_ints("pooled_shape", {2, 2})
                .run();
        },
        ErrorCode::InvalidArgument, {"MaxRoiPool", "roi 0"});
}

TEST(SpatialTest, MaxUnpool) {
    // kernel [1, 2], strides [1, 2]: [5, 6] at flat indices [1, 3] of [1, 1, 1, 4] -> [0, 5, 0, 6]
    auto y = test::OpCase("MaxUnpool")
                 .input(vec({1, 1, 1, 2}, {5, 6}))
                 .input(i64({1, 1, 1, 2}, {1, 3}))
                 .attr_ints("kernel_shape", {1, 2})
                 .attr_ints("strides", {1, 2})
                 .run()[0];
    expect_values(y, {1, 1, 1, 4}, {0, 5, 0, 6});
    // output_shape [1, 1, 2, 5] places the [1, 4] result in the top-left corner
    auto z = test::OpCase("MaxUnpool")
                 .input(vec({1, 1, 1, 2}, {5, 6}))
                 .input(i64({1, 1, 1, 2}, {1, 3}))
                 .input(i64({4}, {1, 1, 2, 5}))
                 .attr_ints("kernel_shape", {1, 2})
                 .attr_ints("strides", {1, 2})
                 .run()[0];
    expect_values(z, {1, 1, 2, 5}, {0, 5, 0, 6, 0, 0, 0, 0, 0, 0});
}

TEST(SpatialTest, MaxUnpoolRejectsIndex) {
    test::expect_error(
        [] {
            test::OpCase("MaxUnpool")
                .input(vec({1, 1, 1, 2}, {5, 6}))
                .input(i64({1, 1, 1, 2}, {1, 4}))
                .attr_ints("kernel_shape", {1, 2})
                .attr_ints("strides", {1, 2})
                .run();
        },
        ErrorCode::InvalidArgument, {"MaxUnpool", "index 4"});
}

TEST(SpatialTest, NonMaxSuppression) {
    // box 1 overlaps box 0 with IoU 0.9 / 1.1 > 0.5 and is suppressed; box 2 is disjoint
    Tensor boxes = vec({1, 3, 4}, {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 10, 1, 11});
    Tensor scores = vec({1, 1, 3}, {0.9f, 0.8f, 0.7f});
    auto y = test::OpCase("NonMaxSuppression")
                 .input(boxes)
                 .input(scores)
                 .input(i64({1}, {3}))
                 .input(vec({1}, {0.5f}))
                 .run()[0];
    ASSERT_EQ(y.shape(), (Shape{2, 3}));
    std::vector<int64_t> want{0, 0, 0, 0, 0, 2};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(y.data<int64_t>()[i], want[i]);
    // score_threshold 0.75 leaves only box 0; max_output_boxes_per_class omitted selects nothing
    auto s = test::OpCase("NonMaxSuppression")
                 .input(boxes)
                 .input(scores)
                 .input(i64({1}, {3}))
                 .input(vec({1}, {0.5f}))
                 .input(vec({1}, {0.75f}))
                 .run()[0];
    EXPECT_EQ(s.shape(), (Shape{1, 3}));
    EXPECT_EQ(test::OpCase("NonMaxSuppression").input(boxes).input(scores).run()[0].shape(), (Shape{0, 3}));
}

TEST(SpatialTest, NonMaxSuppressionRejectsScoreShape) {
    test::expect_error(
        [] {
            test::OpCase("NonMaxSuppression")
                .input(vec({1, 2, 4}, {0, 0, 1, 1, 0, 0, 1, 1}))
                .input(vec({1, 1, 3}, {1, 1, 1}))
                .run();
        },
        ErrorCode::InvalidArgument, {"NonMaxSuppression", "scores [1,1,3]"});
}

TEST(SpatialTest, RoiAlign) {
    // x = np.arange(16).reshape(4, 4): output_half_pixel roi (0, 0)-(4, 4), 1x1 output, sampling 2 samples
    // (1, 1), (1, 3), (3, 1), (3, 3) -> mean(5, 7, 13, 15) = 10; max mode -> 15
    Tensor x = iota({1, 1, 4, 4});
    Tensor rois = vec({1, 4}, {0, 0, 4, 4});
    auto run = [&](const char* mode) {
        return test::OpCase("RoiAlign")
            .input(x)
            .input(rois)
            .input(i64({1}, {0}))
            .attr_string("coordinate_transformation_mode", "output_half_pixel")
            .attr_string("mode", mode)
            .attr_int("output_height", 1)
            .attr_int("output_width", 1)
            .attr_int("sampling_ratio", 2)
            .run()[0];
    };
    expect_values(run("avg"), {1, 1, 1, 1}, {10});
    expect_values(run("max"), {1, 1, 1, 1}, {15});
}

// Found by external_data_fuzz (fuzz/regressions/external_data/roi_align_nan_roi.bin): a NaN roi converted NaN to
// int64. A NaN roi has no sample inside the map: zeros, with the adaptive grid and with a fixed sampling ratio.
TEST(SpatialTest, RoiAlignNaNRoiGivesZeros) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int64_t ratio : {0, 2}) {
        auto y = test::OpCase("RoiAlign")
                     .input(iota({1, 1, 4, 4}))
                     .input(vec({1, 4}, {nan, 0, 4, nan}))
                     .input(i64({1}, {0}))
                     .attr_int("output_height", 1)
                     .attr_int("output_width", 1)
                     .attr_int("sampling_ratio", ratio)
                     .run()[0];
        expect_values(y, {1, 1, 1, 1}, {0});
    }
}

// Adaptive sampling (ceil(roi extent / bins) samples per bin) of a roi much larger than the image: only the samples
// over the image are computed, the others are zeros that count in the average and take part in the maximum (found
// by external_data_fuzz: a roi of 1e13 pixels made the kernel try every sample). Checked against the formula
// evaluated sample by sample (all of them) on a roi small enough for that, and on a huge one for bounded work.
float roi_align_by_every_sample(const Tensor& x, float extent, int64_t bins, bool max_mode, int64_t bin_y,
                                int64_t bin_x) {
    const int64_t h = x.shape()[2], w = x.shape()[3];
    const float* p = x.data<float>();
    double b = (extent - 0.0) / bins;  // output_half_pixel: no offset
    int64_t g = static_cast<int64_t>(std::ceil(extent / bins));
    double acc = 0, best = -1e30;
    for (int64_t iy = 0; iy < g; ++iy) {
        for (int64_t ix = 0; ix < g; ++ix) {
            double yy = bin_y * b + (iy + 0.5) * b / g, xx = bin_x * b + (ix + 0.5) * b / g, v = 0;
            if (yy >= -1 && yy <= h && xx >= -1 && xx <= w) {
                yy = std::min(std::max(yy, 0.0), double(h - 1));
                xx = std::min(std::max(xx, 0.0), double(w - 1));
                int64_t y0 = int64_t(yy), x0 = int64_t(xx), y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
                double ly = yy - y0, lx = xx - x0;
                double c[4] = {(1 - ly) * (1 - lx) * p[y0 * w + x0], (1 - ly) * lx * p[y0 * w + x1],
                               ly * (1 - lx) * p[y1 * w + x0], ly * lx * p[y1 * w + x1]};
                v = max_mode ? std::max(std::max(c[0], c[1]), std::max(c[2], c[3])) : c[0] + c[1] + c[2] + c[3];
            }
            acc += v;
            best = std::max(best, v);
        }
    }
    return static_cast<float>(max_mode ? best : acc / double(g * g));
}

TEST(SpatialTest, RoiAlignRoiFarLargerThanTheImage) {
    Tensor x = iota({1, 1, 4, 4});
    auto run = [&](float extent, const char* mode) {
        return test::OpCase("RoiAlign")
            .input(x)
            .input(vec({1, 4}, {0, 0, extent, extent}))
            .input(i64({1}, {0}))
            .attr_string("coordinate_transformation_mode", "output_half_pixel")
            .attr_string("mode", mode)
            .attr_int("output_height", 2)
            .attr_int("output_width", 2)
            .run()[0];
    };
    for (const char* mode : {"avg", "max"}) {
        bool max_mode = std::string(mode) == "max";
        Tensor y = run(60.f, mode);  // 30 x 30 samples per bin, most outside the image
        for (int64_t b = 0; b < 4; ++b)
            EXPECT_NEAR(y.data<float>()[b], roi_align_by_every_sample(x, 60.f, 2, max_mode, b / 2, b % 2), 1e-4f)
                << mode << " bin " << b;
        Tensor huge = run(2e9f, mode);  // 1e9 x 1e9 samples per bin; the image is under a few of them
        EXPECT_NEAR(huge.data<float>()[0], max_mode ? 15.f : 0.f, 1e-6f) << mode;
    }
    // More samples than int64 counts: refused.
    test::expect_error([&] { run(1e13f, "avg"); }, ErrorCode::InvalidArgument, {"RoiAlign", "roi 0"});
}

TEST(SpatialTest, RoiAlignRejectsBatchIndex) {
    test::expect_error(
        [] {
            test::OpCase("RoiAlign")
                .input(iota({1, 1, 4, 4}))
                .input(vec({1, 4}, {0, 0, 4, 4}))
                .input(i64({1}, {2}))
                .run();
        },
        ErrorCode::InvalidArgument, {"RoiAlign", "batch_indices[0] = 2"});
}

}  // namespace
}  // namespace kiln
