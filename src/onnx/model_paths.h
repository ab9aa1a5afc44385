// Files a model names relative to its own folder (external data, EPContext blobs): the one rule for resolving them.
// Free of protobuf types, for use outside src/onnx/.
#pragma once

#include <string>

namespace kiln::onnx {

// `location`, a file name a model gives relative to its folder `base_dir`, joined to it. InvalidModel, beginning
// with `what` ("tensor 'w': external data"), when it is absolute or leaves the folder, by ".." or through a
// symbolic link. The file need not exist.
std::string resolve_inside_folder(const std::string& base_dir, const std::string& location, const std::string& what);

}  // namespace kiln::onnx
