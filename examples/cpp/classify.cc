// An image classifier written against ONNX Runtime's C++ API only (the way an existing ONNX Runtime application
// looks); it builds against kiln's compatible headers with find_package(kiln).
//
//   classify MODEL.onnx INPUT.raw [DEVICE]
// reads the model's float input from INPUT.raw (raw float32 values, the input's element count), runs it on the
// OpenVINO execution provider (DEVICE: CPU unless given) and prints the five highest scores of the first output:
//   class <index> score <value>
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: classify MODEL.onnx INPUT.raw [DEVICE]\n";
        return 2;
    }
    const std::string device = argc > 3 ? argv[3] : "CPU";
    try {
        Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "classify");
        Ort::SessionOptions session_options;
        session_options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
        std::unordered_map<std::string, std::string> openvino_options;
        openvino_options["device_type"] = device;
        openvino_options["precision"] = "FP32";
        session_options.AppendExecutionProvider_OpenVINO_V2(openvino_options);
        Ort::Session session(env, argv[1], session_options);

        Ort::AllocatorWithDefaultOptions allocator;
        Ort::AllocatedStringPtr input_name = session.GetInputNameAllocated(0, allocator);
        Ort::AllocatedStringPtr output_name = session.GetOutputNameAllocated(0, allocator);
        Ort::TypeInfo input_type = session.GetInputTypeInfo(0);
        auto input_info = input_type.GetTensorTypeAndShapeInfo();
        if (input_info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
            std::cerr << "classify: the model's input is not float\n";
            return 1;
        }
        std::vector<int64_t> input_shape = input_info.GetShape();
        for (int64_t& d : input_shape) d = d < 0 ? 1 : d;  // a dynamic batch: one image
        size_t count = std::accumulate(input_shape.begin(), input_shape.end(), size_t{1},
                                       [](size_t a, int64_t d) { return a * static_cast<size_t>(d); });

        std::vector<float> input(count);
        std::ifstream file(argv[2], std::ios::binary);
        file.read(reinterpret_cast<char*>(input.data()), static_cast<std::streamsize>(count * sizeof(float)));
        if (!file || file.peek() != EOF) {
            std::cerr << "classify: " << argv[2] << " does not hold exactly " << count << " float32 values\n";
            return 1;
        }

        Ort::MemoryInfo memory_info = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
        Ort::Value input_tensor = Ort::Value::CreateTensor<float>(memory_info, input.data(), input.size(),
                                                                  input_shape.data(), input_shape.size());
        const char* input_names[] = {input_name.get()};
        const char* output_names[] = {output_name.get()};
        std::vector<Ort::Value> outputs =
            session.Run(Ort::RunOptions{nullptr}, input_names, &input_tensor, 1, output_names, 1);

        const float* scores = outputs[0].GetTensorData<float>();
        size_t classes = outputs[0].GetTensorTypeAndShapeInfo().GetElementCount();
        std::vector<size_t> order(classes);
        std::iota(order.begin(), order.end(), size_t{0});
        size_t k = std::min<size_t>(5, classes);
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](size_t a, size_t b) { return scores[a] > scores[b]; });
        for (size_t i = 0; i < k; ++i) std::printf("class %zu score %.9g\n", order[i], scores[order[i]]);
    } catch (const Ort::Exception& e) {
        std::cerr << "classify: " << e.what() << " (error code " << e.GetOrtErrorCode() << ")\n";
        return 1;
    }
    return 0;
}
