// Signal-family CPU kernel and shape-function tests (DFT, STFT, windows, MelWeightMatrix); expected values from the
// numpy expressions in the comments.
#include <gtest/gtest.h>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

Tensor vec(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(DType::Float, std::move(shape), v); }
Tensor i64(Shape shape, std::vector<int64_t> v) {
    return Tensor::from_vector<int64_t>(DType::Int64, std::move(shape), v);
}
Tensor i32(Shape shape, std::vector<int32_t> v) {
    return Tensor::from_vector<int32_t>(DType::Int32, std::move(shape), v);
}

void expect_values(const Tensor& t, const Shape& shape, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(t.shape(), shape);
    ASSERT_EQ(t.element_count(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << "at " << i;
}

TEST(SignalTest, DftForwardOnesidedAndInverse) {
    Tensor x = vec({1, 4, 1}, {1, 2, 3, 4});
    // np.fft.fft([1, 2, 3, 4]) = [10, -2+2j, -2, -2-2j] (radix-2 path)
    auto y = test::OpCase("DFT").input(x).missing_input().input(i64({}, {1})).run()[0];
    expect_values(y, {1, 4, 2}, {10, 0, -2, 2, -2, 0, -2, -2});
    // np.fft.rfft([1, 2, 3, 4]) = [10, -2+2j, -2]
    auto r = test::OpCase("DFT").input(x).missing_input().input(i64({}, {1})).attr_int("onesided", 1).run()[0];
    expect_values(r, {1, 3, 2}, {10, 0, -2, 2, -2, 0});
    // np.fft.irfft([10, -2+2j, -2], n=4) = [1, 2, 3, 4]
    auto back = test::OpCase("DFT")
                    .input(r)
                    .missing_input()
                    .input(i64({}, {1}))
                    .attr_int("inverse", 1)
                    .attr_int("onesided", 1)
                    .run()[0];
    expect_values(back, {1, 4, 1}, {1, 2, 3, 4});
    // np.fft.ifft(np.fft.fft([1, 2, 3, 4])) = [1, 2, 3, 4] (complex output)
    auto inv = test::OpCase("DFT").input(y).missing_input().input(i64({}, {1})).attr_int("inverse", 1).run()[0];
    expect_values(inv, {1, 4, 2}, {1, 0, 2, 0, 3, 0, 4, 0});
}

TEST(SignalTest, DftOddLengthDefaultAxisAndPadding) {
    // np.fft.fft([1, 2, 3]) = [6, -1.5+0.8660254j, -1.5-0.8660254j]; default axis -2
    auto y = test::OpCase("DFT").input(vec({3, 1}, {1, 2, 3})).run()[0];
    expect_values(y, {3, 2}, {6, 0, -1.5f, 0.8660254f, -1.5f, -0.8660254f});
    // dft_length 4 zero-pads: np.fft.fft([1, 2, 3], n=4) = [6, -2-2j, 2, -2+2j]
    auto p = test::OpCase("DFT").input(vec({3, 1}, {1, 2, 3})).input(i64({}, {4})).run()[0];
    expect_values(p, {4, 2}, {6, 0, -2, -2, 2, 0, -2, 2});
}

TEST(SignalTest, DftRejectsTheComponentAxis) {
    test::expect_error(
        [] {
            test::OpCase("DFT").input(vec({3, 1}, {1, 2, 3})).missing_input().input(i64({}, {-1})).run();
        },
        ErrorCode::InvalidArgument, {"DFT", "axis -1"});
}

TEST(SignalTest, StftFramesAndWindow) {
    // frames [1, 2] and [3, 4]; np.fft.rfft: [3, -1], [7, -1]
    Tensor x = vec({1, 4, 1}, {1, 2, 3, 4});
    auto y = test::OpCase("STFT").input(x).input(i64({}, {2})).missing_input().input(i64({}, {2})).run()[0];
    expect_values(y, {1, 2, 2, 2}, {3, 0, -1, 0, 7, 0, -1, 0});
    // window [1, 0]: frames [1, 0] and [3, 0] -> rfft [1, 1], [3, 3]
    auto w = test::OpCase("STFT").input(x).input(i64({}, {2})).input(vec({2}, {1, 0})).run()[0];
    expect_values(w, {1, 2, 2, 2}, {1, 0, 1, 0, 3, 0, 3, 0});
}

TEST(SignalTest, StftRejectsMismatchedWindow) {
    test::expect_error(
        [] {
            test::OpCase("STFT")
                .input(vec({1, 4, 1}, {1, 2, 3, 4}))
                .input(i64({}, {2}))
                .input(vec({3}, {1, 1, 1}))
                .input(i64({}, {2}))
                .run();
        },
        ErrorCode::InvalidArgument, {"STFT", "window length 3"});
}

TEST(SignalTest, Windows) {
    // np.sin(np.pi * np.arange(4) / 4) ** 2 = [0, 0.5, 1, 0.5]; symmetric (N - 1 = 3): [0, 0.75, 0.75, 0]
    expect_values(test::OpCase("HannWindow").input(i32({}, {4})).run()[0], {4}, {0, 0.5f, 1, 0.5f});
    expect_values(test::OpCase("HannWindow").input(i32({}, {4})).attr_int("periodic", 0).run()[0], {4},
                  {0, 0.75f, 0.75f, 0});
    // 25/46 - 21/46 * np.cos(2 * np.pi * np.arange(4) / 4) = [0.08695652, 0.54347826, 1, 0.54347826]
    expect_values(test::OpCase("HammingWindow").input(i32({}, {4})).run()[0], {4},
                  {0.08695652f, 0.54347826f, 1, 0.54347826f});
    // 0.42 - 0.5 * np.cos(a) + 0.08 * np.cos(2 * a), a = 2 * np.pi * np.arange(4) / 4 -> [0, 0.34, 1, 0.34]
    expect_values(test::OpCase("BlackmanWindow").input(i32({}, {4})).run()[0], {4}, {0, 0.34f, 1, 0.34f});
    // output_datatype double
    auto d = test::OpCase("HannWindow").input(i64({}, {2})).attr_int("output_datatype", 11).run()[0];
    ASSERT_EQ(d.dtype(), DType::Double);
    EXPECT_NEAR(d.data<double>()[1], 1.0, 1e-12);
}

TEST(SignalTest, WindowRejectsNegativeSize) {
    test::expect_error([] { test::OpCase("HannWindow").input(i32({}, {-3})).run(); }, ErrorCode::InvalidArgument,
                       {"HannWindow", "-3"});
}

TEST(SignalTest, MelWeightMatrix) {
    // onnx.reference MelWeightMatrix(num_mel_bins=2, dft_length=16, sample_rate=16, lower=0, upper=8)
    auto y = test::OpCase("MelWeightMatrix")
                 .input(i32({}, {2}))
                 .input(i32({}, {16}))
                 .input(i32({}, {16}))
                 .input(vec({}, {0}))
                 .input(vec({}, {8}))
                 .run()[0];
    expect_values(y, {9, 2}, {0, 0, 0.5f, 0, 1, 0, 0.5f, 0.5f, 0, 1, 0, 0.5f, 0, 0, 0, 0, 0, 0});
}

TEST(SignalTest, MelWeightMatrixRejectsEdgesBeyondNyquist) {
    // upper edge 64 Hz at sample rate 16 maps past the 9 spectrogram bins
    test::expect_error(
        [] {
            test::OpCase("MelWeightMatrix")
                .input(i32({}, {2}))
                .input(i32({}, {16}))
                .input(i32({}, {16}))
                .input(vec({}, {0}))
                .input(vec({}, {64}))
                .run();
        },
        ErrorCode::InvalidArgument, {"MelWeightMatrix", "spectrogram bins"});
}

}  // namespace
}  // namespace kiln
