// The execution providers a session can be given, by ONNX Runtime's names: one list.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kiln/session.h"
#include "providers/provider.h"

namespace kiln::rt {

inline constexpr const char* kCpuProvider = "CPUExecutionProvider";
inline constexpr const char* kOpenVINOProvider = "OpenVINOExecutionProvider";

using ProviderFactory = std::function<std::unique_ptr<providers::ExecutionProvider>(
    const ProviderOptions& provider_options, const SessionOptions& session_options)>;

// Adds a provider by name for later sessions (tests use it for stand-in providers). Thread-safe.
void register_provider(const std::string& name, ProviderFactory factory);

// Every provider name this build knows, in the order get_available_providers() lists them.
std::vector<std::string> available_providers();

// The device providers of `options` in priority order (the CPU provider, always last, is not among them).
// InvalidArgument naming an unknown provider or a bad option; DeviceError when a device is absent.
std::vector<std::unique_ptr<providers::ExecutionProvider>> make_providers(const SessionOptions& options);

}  // namespace kiln::rt
