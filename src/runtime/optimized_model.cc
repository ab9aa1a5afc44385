#include "runtime/optimized_model.h"

#include <charconv>
#include <filesystem>

#include "onnx/writer.h"

namespace kiln::rt {

namespace fs = std::filesystem;

namespace {

const char* const kExternalFileKey = "session.optimized_model_external_initializers_file_name";
const char* const kExternalMinSizeKey = "session.optimized_model_external_initializers_min_size_in_bytes";

bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec) && !ec;
    return fs::absolute(a, ec).lexically_normal() == fs::absolute(b, ec).lexically_normal();
}

size_t parse_size(const std::string& key, const std::string& text) {
    size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    KILN_CHECK(!text.empty() && ec == std::errc() && end == text.data() + text.size(), InvalidArgument,
               "session config entry '", key, "' must be a non-negative integer, got '", text, "'");
    return value;
}

}  // namespace

void save_optimized_model(const ir::Model& model, const SessionOptions& options, const std::string& source_path) {
    const std::string& path = options.optimized_model_filepath;
    if (path.empty()) return;
    KILN_CHECK(source_path.empty() || !same_file(path, source_path), InvalidArgument, "optimized_model_filepath '",
               path, "' is the model file the session was created from ('", source_path,
               "'); writing the optimised model there would overwrite it");
    onnx::SaveOptions save;
    save.external_data_location = options.config_entry(kExternalFileKey);
    save.external_data = !save.external_data_location.empty();
    std::string min_size = options.config_entry(kExternalMinSizeKey);
    if (!min_size.empty()) save.external_data_min_bytes = parse_size(kExternalMinSizeKey, min_size);
    try {
        onnx::save_model_file(model, path, save);
    } catch (const Error& e) {
        throw Error(e.code(), str("while writing the optimised model (optimized_model_filepath): ", e.what()));
    }
}

}  // namespace kiln::rt
