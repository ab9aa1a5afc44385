// The files the ONNX writer makes: each written under a temporary name and renamed into place once complete, and
// the external data file that holds the tensors of a model too large for one proto. Internal to src/onnx/.
#pragma once

#include <google/protobuf/message_lite.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "kiln/tensor.h"
#include "onnx/onnx-ml.pb.h"

namespace kiln::onnx {

// A tensor whose TensorProto has everything but its bytes, which go in raw_data or an external data file once the
// size of the whole model is known. `proto` belongs to the ModelProto being built.
struct DeferredTensor {
    ::onnx::TensorProto* proto;
    Tensor tensor;
};

// A file written under a temporary name next to `path` and renamed to `path` by commit(), so that readers never see
// a partial file and a file mapped by this process (the source model's external data) keeps its old contents for
// the mapping. Removed when destroyed uncommitted. Errors are InvalidArgument naming `what` and `path`.
class OutputFile {
  public:
    OutputFile(std::string path, std::string what);
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    void write(const void* data, size_t size);
    void write_message(const google::protobuf::MessageLite& message);
    // Bytes written so far.
    uint64_t size() const { return size_; }
    void commit();

  private:
    [[noreturn]] void fail_io(const char* action, int err) const;

    std::string path_, temp_path_, what_;
    int fd_ = -1;
    uint64_t size_ = 0;
};

// Appends tensors to a model's external data file (ONNX's external-data format), each at an offset aligned to
// kExternalDataAlignment, and points their TensorProtos at it (location, offset and length keys).
class ExternalDataWriter {
  public:
    static constexpr uint64_t kExternalDataAlignment = 4096;

    // `model_path`: the model file being written; `location`: the data file relative to the model's folder, empty
    // for "<model file name>.data". InvalidArgument when `location` is absolute, leaves the folder or names the
    // model file itself.
    ExternalDataWriter(const std::string& model_path, const std::string& location);

    // Writes the tensor's bytes to the data file (created by the first call) and points its proto at them.
    void append(const DeferredTensor& tensor);
    // Renames the data file into place (after the model file is complete); nothing when no tensor went there.
    void commit();

  private:
    std::string location_, path_;  // as in the proto; on disk
    std::optional<OutputFile> file_;
};

}  // namespace kiln::onnx
