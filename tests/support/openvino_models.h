// Small models and helpers shared by the OpenVINO provider's tests (openvino_provider_test, epcontext_test).
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/session.h"
#include "support/model_builder.h"

namespace kiln::test {

inline constexpr const char* kOpenVINO = "OpenVINOExecutionProvider";

// Session options with the OpenVINO provider (device CPU, FP32 unless `options` say otherwise).
SessionOptions openvino(ProviderOptions options = {{"device_type", "CPU"}, {"precision", "FP32"}});

// Uniform in [-1, 1), seeded.
Tensor random_floats(Shape shape, uint32_t seed);
std::vector<float> values(int64_t n, uint32_t seed);

// y = Sigmoid(Conv(x, w) + x), x: [1, 4, 8, 8]: OpenVINO takes it whole (one partition).
ModelBuilder conv_model();

// y = Relu(MatMul(x, W1)) -> Cast(double) -> Neg -> Cast(float) -> MatMul(., W2) + b, x: [N, 8]. The float64 nodes
// stay on the CPU provider: two OpenVINO partitions, compiled with a dynamic batch.
ModelBuilder split_model();

}  // namespace kiln::test
