// External tensor data (TensorProto.data_location == EXTERNAL): files resolved relative to the model's folder and
// never outside it, memory-mapped so that large weights are not copied.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "kiln/tensor.h"
#include "onnx/mapped_file.h"
#include "onnx/model_paths.h"
#include "onnx/onnx-ml.pb.h"

namespace kiln::onnx {

// True when `data` suits elements of `dtype` (kernels read them through typed pointers): aligned to the element
// size, or to a byte for sub-byte and string types.
bool aligned_for(const void* data, DType dtype);

// Resolves the external data of the tensors of one model. One mapping per file, shared by its tensors.
class ExternalDataResolver {
  public:
    // `base_dir`: the model's folder; empty when the model came from memory without one (external data refused
    // with InvalidArgument). `in_memory` (kept by reference; the caller keeps it alive): external tensors whose
    // data comes from memory instead of a file.
    explicit ExternalDataResolver(std::string base_dir, const std::map<std::string, Tensor>& in_memory = {})
        : base_dir_(std::move(base_dir)), in_memory_(in_memory) {}

    // The tensor's data: the in-memory tensor of that name (shared, not copied; InvalidArgument when its type or
    // shape differs from the model's), else its external file, wrapped without copying when aligned.
    // `tensor_name` names it in messages. InvalidModel on an absolute or escaping path, a file too short, a bad
    // key; NotFound on a missing file.
    Tensor load(const ::onnx::TensorProto& proto, DType dtype, const Shape& shape, const std::string& tensor_name);

    // InvalidArgument naming the in-memory tensors that no external initializer of the model used.
    void check_all_in_memory_used() const;

  private:
    std::string base_dir_;
    const std::map<std::string, Tensor>& in_memory_;
    std::set<std::string> in_memory_used_;
    std::map<std::string, std::shared_ptr<MappedFile>> files_;
};

}  // namespace kiln::onnx
