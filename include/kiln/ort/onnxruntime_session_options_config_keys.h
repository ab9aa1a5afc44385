// ONNX Runtime's session config keys (Ort::SessionOptions::AddConfigEntry) that kiln reads, with ONNX Runtime's
// names and values. A key that kiln does not read is absent here rather than accepted and ignored.
#ifndef KILN_ORT_ONNXRUNTIME_SESSION_OPTIONS_CONFIG_KEYS_H
#define KILN_ORT_ONNXRUNTIME_SESSION_OPTIONS_CONFIG_KEYS_H

// "1": fail session creation when a node cannot run on the appended execution provider (no CPU fallback).
static const char* const kOrtSessionOptionsDisableCPUEPFallback = "session.disable_cpu_ep_fallback";

// With SetOptimizedModelFilePath: initializers go to this external data file next to the optimised model...
static const char* const kOrtSessionOptionsOptimizedModelExternalInitializersFileName =
    "session.optimized_model_external_initializers_file_name";
// ... when they hold at least this many bytes.
static const char* const kOrtSessionOptionsOptimizedModelExternalInitializersMinSizeInBytes =
    "session.optimized_model_external_initializers_min_size_in_bytes";

// EPContext models (OpenVINO compiled blobs inside an ONNX model):
// "1": write <model>_ctx.onnx with EPContext nodes after compiling ("0", the default: do not).
static const char* const kOrtSessionOptionEpContextEnable = "ep.context_enable";
// Path of the EPContext model to write (default: the model's path with .onnx -> _ctx.onnx).
static const char* const kOrtSessionOptionEpContextFilePath = "ep.context_file_path";
// "1": the compiled blob is embedded in the node; "0" (default): a separate .bin file next to the model.
static const char* const kOrtSessionOptionEpContextEmbedMode = "ep.context_embed_mode";
// Prefix of the EPContext nodes' names, to keep merged models unique.
static const char* const kOrtSessionOptionEpContextNodeNamePrefix = "ep.context_node_name_prefix";
// "1": sessions share one EP context workspace (weight sharing).
static const char* const kOrtSessionOptionShareEpContexts = "ep.share_ep_contexts";

#endif  // KILN_ORT_ONNXRUNTIME_SESSION_OPTIONS_CONFIG_KEYS_H
