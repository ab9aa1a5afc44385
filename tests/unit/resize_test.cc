// Resize CPU kernel and shape-function tests; expected values from numpy expressions in the comments.
#include <gtest/gtest.h>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

Tensor vec(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(shape), v); }

void expect_values(const Tensor& t, const std::vector<float>& want) {
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], 1e-5) << "at " << i;
}

const Tensor kX = vec({1, 1, 2, 2}, {1, 2, 3, 4});

TEST(ResizeTest, NearestUpsampleByTwo) {
    // np.repeat(np.repeat(x, 2, 2), 2, 3) (half_pixel, round_prefer_floor)
    for (int threads : {1, 2}) {
        auto y =
            test::OpCase("Resize").input(kX).missing_input().input(vec({4}, {1, 1, 2, 2})).threads(threads).run()[0];
        ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
        expect_values(y, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
    }
}

TEST(ResizeTest, BilinearHalfPixelUpsampleByTwo) {
    // Source coords (x + 0.5) / 2 - 0.5 = [-0.25, 0.25, 0.75, 1.25], clamped at the edges:
    // rows r0 = [1, 1.25, 1.75, 2], r1 = r0 + 2; output rows r0, .75 r0 + .25 r1, .25 r0 + .75 r1, r1
    auto y = test::OpCase("Resize")
                 .input(kX)
                 .missing_input()
                 .input(vec({4}, {1, 1, 2, 2}))
                 .attr_string("mode", "linear")
                 .run()[0];
    expect_values(y, {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
}

TEST(ResizeTest, LinearAlignCornersWithSizesAndAxes) {
    // axes [3], sizes [3], align_corners: columns at 0, 0.5, 1 -> [[1, 1.5, 2], [3, 3.5, 4]]
    Tensor sizes = Tensor::from_vector<int64_t>(DType::Int64, {1}, {3});
    auto y = test::OpCase("Resize")
                 .input(kX)
                 .missing_input()
                 .missing_input()
                 .input(sizes)
                 .attr_ints("axes", {3})
                 .attr_string("mode", "linear")
                 .attr_string("coordinate_transformation_mode", "align_corners")
                 .run()[0];
    ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 3}));
    expect_values(y, {1, 1.5f, 2, 3, 3.5f, 4});
}

TEST(ResizeTest, KeepAspectRatioNotLarger) {
    // sizes [4, 8] for 2x2 with not_larger: scale min(2, 4) = 2 -> 4x4
    Tensor sizes = Tensor::from_vector<int64_t>(DType::Int64, {2}, {4, 8});
    auto y = test::OpCase("Resize")
                 .input(kX)
                 .missing_input()
                 .missing_input()
                 .input(sizes)
                 .attr_ints("axes", {2, 3})
                 .attr_string("keep_aspect_ratio_policy", "not_larger")
                 .run()[0];
    EXPECT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
}

// sizes of 0 with antialias (the backend test resize_downsample_sizes_cubic_antialias run on zero inputs, found by
// fuzz/model_loader_fuzz): the scale 0 gave an infinite filter width before; the output is empty.
TEST(ResizeTest, AntialiasToSizeZeroIsEmpty) {
    for (const char* mode : {"linear", "cubic"}) {
        auto y = test::OpCase("Resize")
                     .input(kX)
                     .missing_input()
                     .missing_input()
                     .input(Tensor::from_vector<int64_t>(DType::Int64, {4}, std::vector<int64_t>{1, 1, 0, 0}))
                     .attr_int("antialias", 1)
                     .attr_string("mode", mode)
                     .run()[0];
        EXPECT_EQ(y.shape(), (Shape{1, 1, 0, 0})) << mode;
    }
}

TEST(ResizeTest, CubicIdentityScale) {
    // scale 1 on every axis leaves the input unchanged
    auto y = test::OpCase("Resize")
                 .input(kX)
                 .missing_input()
                 .input(vec({4}, {1, 1, 1, 1}))
                 .attr_string("mode", "cubic")
                 .run()[0];
    expect_values(y, {1, 2, 3, 4});
}

TEST(ResizeTest, TfCropAndResizeExtrapolates) {
    // roi [0, 0, 0, 0, 1, 1, 1, 2] along W maps output columns to 0, 1, 2 (beyond the input: extrapolation 9)
    Tensor roi = vec({8}, {0, 0, 0, 0, 1, 1, 1, 2});
    Tensor sizes = Tensor::from_vector<int64_t>(DType::Int64, {4}, {1, 1, 2, 3});
    auto y = test::OpCase("Resize")
                 .input(kX)
                 .input(roi)
                 .missing_input()
                 .input(sizes)
                 .attr_string("mode", "linear")
                 .attr_string("coordinate_transformation_mode", "tf_crop_and_resize")
                 .attr_float("extrapolation_value", 9.f)
                 .run()[0];
    expect_values(y, {1, 2, 9, 3, 4, 9});
}

TEST(ResizeTest, ScalesAndSizesTogetherIsAnError) {
    Tensor sizes = Tensor::from_vector<int64_t>(DType::Int64, {4}, {1, 1, 4, 4});
    EXPECT_THROW(test::OpCase("Resize").input(kX).missing_input().input(vec({4}, {1, 1, 2, 2})).input(sizes).run(),
                 Error);
}

TEST(ResizeTest, SizesFromAnEmptyAxisAreRejected) {
    // An empty input axis resized to 3 read the element before the input.
    test::expect_error(
        [] {
            test::OpCase("Resize")
                .input(vec({1, 0}, {}))
                .missing_input()
                .missing_input()
                .input(Tensor::from_vector<int64_t>(DType::Int64, {2}, {1, 3}))
                .attr_string("mode", "nearest")
                .run();
        },
        ErrorCode::InvalidArgument, {"Resize_under_test", "empty axis 1"});
}

}  // namespace
}  // namespace kiln
