#include "onnx/writer_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace kiln::onnx {

namespace fs = std::filesystem;

namespace {

// A name next to `path` that no other writer in this or another process uses at the same time.
std::string temporary_path(const std::string& path) {
    static std::atomic<uint64_t> counter{0};
    return str(path, ".tmp-", ::getpid(), "-", counter++);
}

}  // namespace

OutputFile::OutputFile(std::string path, std::string what)
    : path_(std::move(path)), temp_path_(temporary_path(path_)), what_(std::move(what)) {
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) fail_io("create", errno);
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void OutputFile::fail_io(const char* action, int err) const {
    fail(ErrorCode::InvalidArgument, "cannot ", action, " ", what_, " '", path_, "': ", std::strerror(err));
}

void OutputFile::write(const void* data, size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd_, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_io("write", n < 0 ? errno : EIO);
        p += n;
        size -= static_cast<size_t>(n);
        size_ += static_cast<uint64_t>(n);
    }
}

void OutputFile::write_message(const google::protobuf::MessageLite& message) {
    errno = 0;
    if (!message.SerializeToFileDescriptor(fd_)) fail_io("write", errno != 0 ? errno : EIO);
    size_ += message.ByteSizeLong();
}

void OutputFile::commit() {
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail_io("write", errno);
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail_io("replace", errno);
    temp_path_.clear();
}

namespace {

std::string data_location(const std::string& model_path, const std::string& location) {
    std::string model_name = fs::path(model_path).filename().string();
    if (location.empty()) return model_name + ".data";
    fs::path rel = fs::path(location).lexically_normal();
    bool inside = rel.is_relative() && !rel.has_root_name() && !rel.has_root_directory() && !rel.empty() &&
                  *rel.begin() != ".." && rel.filename() != "." && !rel.filename().empty();
    KILN_CHECK(inside, InvalidArgument, "external data location '", location,
               "' must be a file name relative to the model's folder, inside it");
    KILN_CHECK(rel != fs::path(model_name), InvalidArgument, "external data location '", location,
               "' is the model file itself");
    return rel.string();
}

}  // namespace

ExternalDataWriter::ExternalDataWriter(const std::string& model_path, const std::string& location)
    : location_(data_location(model_path, location)),
      path_((fs::path(model_path).parent_path() / location_).string()) {}

void ExternalDataWriter::append(const DeferredTensor& tensor) {
    static const char zeros[kExternalDataAlignment] = {};
    if (!file_) file_.emplace(path_, "external data file");
    uint64_t offset = (file_->size() + kExternalDataAlignment - 1) / kExternalDataAlignment * kExternalDataAlignment;
    file_->write(zeros, static_cast<size_t>(offset - file_->size()));
    size_t length = tensor.tensor.byte_size();
    file_->write(tensor.tensor.raw_data(), length);

    ::onnx::TensorProto* proto = tensor.proto;
    proto->clear_raw_data();
    proto->set_data_location(::onnx::TensorProto::EXTERNAL);
    auto add = [&](const char* key, const std::string& value) {
        auto* entry = proto->add_external_data();
        entry->set_key(key);
        entry->set_value(value);
    };
    add("location", location_);
    add("offset", std::to_string(offset));
    add("length", std::to_string(length));
}

void ExternalDataWriter::commit() {
    if (file_) file_->commit();
}

}  // namespace kiln::onnx
