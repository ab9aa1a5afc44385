#include "support/openvino_models.h"

#include <random>

namespace kiln::test {

SessionOptions openvino(ProviderOptions options) {
    SessionOptions o;
    o.append_provider(kOpenVINO, std::move(options));
    return o;
}

Tensor random_floats(Shape shape, uint32_t seed) {
    Tensor t(DType::Float, shape);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = u(rng);
    return t;
}

std::vector<float> values(int64_t n, uint32_t seed) {
    Tensor t = random_floats({n}, seed);
    return {t.data<float>(), t.data<float>() + n};
}

ModelBuilder conv_model() {
    ModelBuilder b(17);
    b.input("x", {1, 4, 8, 8}).output("y", {1, 4, 8, 8});
    b.initializer_floats("w", {4, 4, 3, 3}, values(144, 4));
    auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
    attr_ints(conv, "pads", {1, 1, 1, 1});
    b.node("Add", {"c", "x"}, {"s"}, "add");
    b.node("Sigmoid", {"s"}, {"y"}, "sigmoid");
    return b;
}

ModelBuilder split_model() {
    ModelBuilder b(17);
    b.input("x", {-1, 8}, 1, {"N", ""}).output("y", {-1, 4});
    b.initializer_floats("w1", {8, 8}, values(64, 1));
    b.initializer_floats("w2", {8, 4}, values(32, 2));
    b.initializer_floats("bias", {4}, values(4, 3));
    b.node("MatMul", {"x", "w1"}, {"h"}, "mm1");
    b.node("Relu", {"h"}, {"r"}, "relu");
    attr_int(b.node("Cast", {"r"}, {"d"}, "to_double"), "to", 11);
    b.node("Neg", {"d"}, {"nd"}, "neg");
    attr_int(b.node("Cast", {"nd"}, {"f"}, "to_float"), "to", 1);
    b.node("MatMul", {"f", "w2"}, {"m2"}, "mm2");
    b.node("Add", {"m2", "bias"}, {"y"}, "add");
    return b;
}

}  // namespace kiln::test
