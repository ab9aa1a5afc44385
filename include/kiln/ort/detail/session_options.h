// Ort::Env, Ort::SessionOptions and Ort::RunOptions (part of onnxruntime_cxx_api.h), over kiln::SessionOptions.
#pragma once

#include <cstdio>
#include <iostream>
#include <string>
#include <unordered_map>

#include "kiln/kiln.h"
#include "kiln/ort/detail/exception.h"

namespace Ort {

// ONNX Runtime's environment: here only the process-wide log severity (kiln::set_log_severity).
struct Env {
    Env(OrtLoggingLevel logging_level = ORT_LOGGING_LEVEL_WARNING, const char* /*logid*/ = "") {  // NOLINT
        detail::call([&] { kiln::set_log_severity(static_cast<int>(logging_level)); });
    }
    explicit Env(std::nullptr_t) {}
};

struct SessionOptions {
    SessionOptions() = default;
    explicit SessionOptions(std::nullptr_t) {}

    // 0: one thread per physical core (the default). ORT_INVALID_ARGUMENT when negative.
    SessionOptions& SetIntraOpNumThreads(int intra_op_num_threads) {
        options_.intra_op_threads = checked_threads("SetIntraOpNumThreads", intra_op_num_threads);
        return *this;
    }
    SessionOptions& SetInterOpNumThreads(int inter_op_num_threads) {
        options_.inter_op_threads = checked_threads("SetInterOpNumThreads", inter_op_num_threads);
        return *this;
    }
    SessionOptions& SetGraphOptimizationLevel(GraphOptimizationLevel graph_optimization_level) {
        switch (graph_optimization_level) {
            case ORT_DISABLE_ALL:
            case ORT_ENABLE_BASIC:
            case ORT_ENABLE_EXTENDED:
            case ORT_ENABLE_ALL:
                options_.optimization_level = static_cast<kiln::GraphOptimizationLevel>(graph_optimization_level);
                return *this;
        }
        detail::fail(ORT_INVALID_ARGUMENT,
                     "SetGraphOptimizationLevel: unknown level " + std::to_string(int(graph_optimization_level)));
    }
    // Each run is profiled; the Chrome trace goes to "<profile_file_prefix>_<date>_<time>.json", written by
    // Session::EndProfilingAllocated or when the session is destroyed.
    SessionOptions& EnableProfiling(const ORTCHAR_T* profile_file_prefix) {
        options_.enable_profiling = true;
        options_.profile_file_prefix = checked_string("EnableProfiling", profile_file_prefix);
        return *this;
    }
    // The optimised graph is written to this ONNX file when the session is created.
    SessionOptions& SetOptimizedModelFilePath(const ORTCHAR_T* optimized_model_file) {
        options_.optimized_model_filepath = checked_string("SetOptimizedModelFilePath", optimized_model_file);
        return *this;
    }
    // Keys: onnxruntime_session_options_config_keys.h and "ep.openvinoexecutionprovider.<option>". A later entry
    // with the same key replaces the earlier one. Values are checked when the session is created.
    SessionOptions& AddConfigEntry(const char* config_key, const char* config_value) {
        options_.add_config_entry(checked_string("AddConfigEntry key", config_key),
                                  checked_string("AddConfigEntry value", config_value));
        return *this;
    }
    // The OpenVINO execution provider with the V2 options (device_type, precision, num_of_threads, num_streams,
    // cache_dir, ...). Keys and values are checked when the session is created: ORT_INVALID_ARGUMENT naming the
    // option.
    SessionOptions& AppendExecutionProvider_OpenVINO_V2(
        const std::unordered_map<std::string, std::string>& provider_options = {}) {
        detail::call([&] {
            options_.append_provider("OpenVINOExecutionProvider",
                                     kiln::ProviderOptions(provider_options.begin(), provider_options.end()));
        });
        return *this;
    }
    // The legacy options struct, mapped to the V2 keys as ONNX Runtime maps them.
    SessionOptions& AppendExecutionProvider_OpenVINO(const OrtOpenVINOProviderOptions& provider_options) {
        return AppendExecutionProvider_OpenVINO_V2(legacy_openvino_options(provider_options));
    }

    // kiln extension: the kiln::SessionOptions these options stand for.
    const kiln::SessionOptions& kiln_options() const { return options_; }

    static std::unordered_map<std::string, std::string> legacy_openvino_options(const OrtOpenVINOProviderOptions& o) {
        std::unordered_map<std::string, std::string> v2;
        if (o.device_type) v2["device_type"] = o.device_type;
        if (o.device_id) v2["device_id"] = o.device_id;
        if (o.num_of_threads > 0) v2["num_of_threads"] = std::to_string(o.num_of_threads);
        if (o.cache_dir) v2["cache_dir"] = o.cache_dir;
        if (o.context) {
            char text[32];
            std::snprintf(text, sizeof(text), "%p", o.context);
            v2["context"] = text;
        }
        if (o.enable_opencl_throttling) v2["enable_opencl_throttling"] = "true";
        v2["disable_dynamic_shapes"] = o.enable_dynamic_shapes ? "false" : "true";
        if (o.enable_npu_fast_compile && kiln::log_severity() <= ORT_LOGGING_LEVEL_WARNING) {
            std::cerr << "kiln: OrtOpenVINOProviderOptions::enable_npu_fast_compile is deprecated and ignored\n";
        }
        return v2;
    }

  private:
    static int checked_threads(const char* what, int n) {
        if (n < 0) detail::fail(ORT_INVALID_ARGUMENT, std::string(what) + ": " + std::to_string(n) + " is negative");
        return n;
    }
    static std::string checked_string(const char* what, const char* text) {
        if (!text) detail::fail(ORT_INVALID_ARGUMENT, std::string(what) + " is null");
        return text;
    }

    kiln::SessionOptions options_;
};

// Per-run options: a tag for the caller's own bookkeeping.
struct RunOptions {
    RunOptions() = default;
    explicit RunOptions(std::nullptr_t) {}
    RunOptions& SetRunTag(const char* run_tag) {
        tag_ = run_tag ? run_tag : "";
        return *this;
    }
    const char* GetRunTag() const { return tag_.c_str(); }

  private:
    std::string tag_;
};

}  // namespace Ort
