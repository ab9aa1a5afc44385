// A read-only memory mapping of a whole file (model files, external data, compiled blobs). No protobuf types, so
// the runtime may use it too.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace kiln::onnx {

// A read-only memory mapping of a whole file; unmapped when the last reference goes.
class MappedFile {
  public:
    // Maps `path`; NotFound when it does not exist, InvalidModel when it cannot be read. `what` names the file's
    // role in messages ("model file", "external data file").
    static std::shared_ptr<MappedFile> open(const std::string& path, const std::string& what);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const unsigned char* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

    // Lets the kernel drop this process's copies of the whole pages before byte `end`: their contents stay as they
    // are (read back from the file on the next access), but a file read once, as a parse does, does not stay
    // resident. Advice only; never fails.
    void drop_resident_pages(size_t end) const;

  private:
    MappedFile() = default;
    std::string path_;
    const unsigned char* data_ = nullptr;
    size_t size_ = 0;
    bool mapped_ = false;
};

// A whole file copied into memory (64-byte aligned), for bytes that must outlive changes to the file: OpenVINO's
// import keeps referring to the blob it is given, and a mapping faults when the file is truncated meanwhile. Errors
// as MappedFile::open.
struct FileCopy {
    std::shared_ptr<const unsigned char> data;
    size_t size = 0;
};
FileCopy read_file(const std::string& path, const std::string& what);

}  // namespace kiln::onnx
