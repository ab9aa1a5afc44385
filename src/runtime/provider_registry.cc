#include "runtime/provider_registry.h"

#include <map>
#include <mutex>

#include "providers/openvino/provider.h"

namespace kiln::rt {
namespace {

std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
}

// The device providers built into kiln, then any registered at run time.
std::map<std::string, ProviderFactory>& registered() {
    static std::map<std::string, ProviderFactory> factories = {
        {kOpenVINOProvider,
         [](const ProviderOptions& provider_options, const SessionOptions& session_options) {
             return ov::make_provider(provider_options, session_options);
         }},
    };
    return factories;
}

ProviderFactory factory_of(const std::string& name) {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registered().find(name);
    return it == registered().end() ? ProviderFactory() : it->second;
}

}  // namespace

void register_provider(const std::string& name, ProviderFactory factory) {
    std::lock_guard<std::mutex> lock(registry_mutex());
    registered()[name] = std::move(factory);
}

std::vector<std::string> available_providers() {
    std::vector<std::string> names;
    {
        std::lock_guard<std::mutex> lock(registry_mutex());
        for (const auto& [name, factory] : registered()) names.push_back(name);
    }
    names.push_back(kCpuProvider);
    return names;
}

std::vector<std::unique_ptr<providers::ExecutionProvider>> make_providers(const SessionOptions& options) {
    std::vector<std::unique_ptr<providers::ExecutionProvider>> made;
    for (const ProviderEntry& p : options.providers) {
        if (p.name == kCpuProvider) continue;
        if (ProviderFactory factory = factory_of(p.name)) {
            made.push_back(factory(p.options, options));
            continue;
        }
        std::string known;
        for (const std::string& name : available_providers()) known += (known.empty() ? "" : ", ") + name;
        fail(ErrorCode::InvalidArgument, "unknown execution provider '", p.name, "' (available: ", known, ")");
    }
    return made;
}

}  // namespace kiln::rt
