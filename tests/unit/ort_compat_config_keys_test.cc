// The session config keys of onnxruntime_session_options_config_keys.h: ONNX Runtime's strings, and each one
// takes effect when given through Ort::SessionOptions::AddConfigEntry.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kiln/ort/onnxruntime_cxx_api.h"
#include "kiln/ort/onnxruntime_session_options_config_keys.h"
#include "onnx/onnx-ml.pb.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

Ort::SessionOptions on_openvino() {
    Ort::SessionOptions o;
    o.AppendExecutionProvider_OpenVINO_V2({{"device_type", "CPU"}, {"precision", "FP32"}});
    return o;
}

// The Ort::Exception of creating a session for `model` with `o`; fails the test when there is none.
Ort::Exception creation_error(const std::string& model, const Ort::SessionOptions& o) {
    try {
        Ort::Session s(Ort::Env(), model.c_str(), o);
    } catch (const Ort::Exception& e) {
        return e;
    }
    ADD_FAILURE() << "the session was created";
    return Ort::Exception("", ORT_OK);
}

TEST(OrtCompatConfigKeys, HaveOnnxRuntimesValues) {
    // The values of ONNX Runtime's onnxruntime_session_options_config_keys.h.
    EXPECT_STREQ(kOrtSessionOptionsDisableCPUEPFallback, "session.disable_cpu_ep_fallback");
    EXPECT_STREQ(kOrtSessionOptionsOptimizedModelExternalInitializersFileName,
                 "session.optimized_model_external_initializers_file_name");
    EXPECT_STREQ(kOrtSessionOptionsOptimizedModelExternalInitializersMinSizeInBytes,
                 "session.optimized_model_external_initializers_min_size_in_bytes");
    EXPECT_STREQ(kOrtSessionOptionEpContextEnable, "ep.context_enable");
    EXPECT_STREQ(kOrtSessionOptionEpContextFilePath, "ep.context_file_path");
    EXPECT_STREQ(kOrtSessionOptionEpContextEmbedMode, "ep.context_embed_mode");
    EXPECT_STREQ(kOrtSessionOptionEpContextNodeNamePrefix, "ep.context_node_name_prefix");
    EXPECT_STREQ(kOrtSessionOptionShareEpContexts, "ep.share_ep_contexts");
}

// y = Relu(x); ids = LabelEncoder(words): a string node, which OpenVINO cannot take (it has no string type).
ModelBuilder string_model() {
    ModelBuilder b(17);
    auto* ml = b.proto().add_opset_import();
    ml->set_domain("ai.onnx.ml");
    ml->set_version(2);
    b.input("x", {3}).input("words", {2}, 8).output("y", {3}).output("ids", {2}, 7);
    b.node("Relu", {"x"}, {"y"}, "relu");
    auto& encoder = b.node("LabelEncoder", {"words"}, {"ids"}, "encoder", "ai.onnx.ml");
    auto* keys = encoder.add_attribute();
    keys->set_name("keys_strings");
    keys->set_type(::onnx::AttributeProto::STRINGS);
    keys->add_strings("a");
    keys->add_strings("b");
    attr_ints(encoder, "values_int64s", {1, 2});
    return b;
}

TEST(OrtCompatConfigKeys, DisableCpuFallbackRefusesAPartialModel) {
    std::string model = string_model().write(test_tmp_dir("ort_compat_fallback") + "/strings.onnx");
    Ort::Session with_fallback(Ort::Env(), model.c_str(), on_openvino());  // LabelEncoder on the CPU provider
    Ort::SessionOptions o = on_openvino();
    o.AddConfigEntry(kOrtSessionOptionsDisableCPUEPFallback, "1");
    Ort::Exception e = creation_error(model, o);
    EXPECT_EQ(e.GetOrtErrorCode(), ORT_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find(kOrtSessionOptionsDisableCPUEPFallback), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("encoder"), std::string::npos) << e.what();
}

TEST(OrtCompatConfigKeys, EpContextNodeNamePrefixAndSharing) {
    std::string dir = test_tmp_dir("ort_compat_ctx_keys");
    std::string model = conv_model().write(dir + "/model.onnx");
    Ort::SessionOptions o = on_openvino();
    o.AddConfigEntry(kOrtSessionOptionEpContextEnable, "1");
    o.AddConfigEntry(kOrtSessionOptionEpContextEmbedMode, "1");
    o.AddConfigEntry(kOrtSessionOptionEpContextFilePath, (dir + "/ctx.onnx").c_str());
    o.AddConfigEntry(kOrtSessionOptionEpContextNodeNamePrefix, "part_a_");
    Ort::Session s(Ort::Env(), model.c_str(), o);
    ::onnx::ModelProto ctx;
    std::ifstream file(dir + "/ctx.onnx", std::ios::binary);
    ASSERT_TRUE(ctx.ParseFromIstream(&file));
    ASSERT_EQ(ctx.graph().node_size(), 1);
    EXPECT_EQ(ctx.graph().node(0).op_type(), "EPContext");
    EXPECT_EQ(ctx.graph().node(0).name().rfind("part_a_", 0), 0u) << ctx.graph().node(0).name();

    // ONNX Runtime's rule: a shared context cannot be embedded in each node.
    o.AddConfigEntry(kOrtSessionOptionShareEpContexts, "1");
    o.AddConfigEntry(kOrtSessionOptionEpContextFilePath, (dir + "/ctx2.onnx").c_str());
    Ort::Exception e = creation_error(model, o);
    EXPECT_EQ(e.GetOrtErrorCode(), ORT_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find(kOrtSessionOptionShareEpContexts), std::string::npos) << e.what();
}

TEST(OrtCompatConfigKeys, OptimizedModelExternalInitializers) {
    std::string dir = test_tmp_dir("ort_compat_external");
    std::string model = conv_model().write(dir + "/model.onnx");
    Ort::SessionOptions o;
    o.SetOptimizedModelFilePath((dir + "/optimized.onnx").c_str());
    o.AddConfigEntry(kOrtSessionOptionsOptimizedModelExternalInitializersFileName, "weights.bin");
    o.AddConfigEntry(kOrtSessionOptionsOptimizedModelExternalInitializersMinSizeInBytes, "0");
    Ort::Session s(Ort::Env(), model.c_str(), o);
    EXPECT_TRUE(std::filesystem::exists(dir + "/optimized.onnx"));
    ASSERT_TRUE(std::filesystem::exists(dir + "/weights.bin"));
    EXPECT_GE(std::filesystem::file_size(dir + "/weights.bin"), 144 * sizeof(float));

    o.SetOptimizedModelFilePath((dir + "/optimized2.onnx").c_str());
    o.AddConfigEntry(kOrtSessionOptionsOptimizedModelExternalInitializersMinSizeInBytes, "big");
    Ort::Exception e = creation_error(model, o);
    EXPECT_EQ(e.GetOrtErrorCode(), ORT_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find(kOrtSessionOptionsOptimizedModelExternalInitializersMinSizeInBytes),
              std::string::npos)
        << e.what();
}

}  // namespace
}  // namespace kiln::test
