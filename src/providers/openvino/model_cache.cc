#include "providers/openvino/model_cache.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <openvino/core/version.hpp>
#include <openvino/runtime/properties.hpp>
#include <ostream>
#include <sstream>
#include <streambuf>

#include "common/log.h"
#include "onnx/loader.h"
#include "onnx/mapped_file.h"
#include "onnx/writer.h"

namespace kiln::ov {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'O', 'V', 'C', '\0'};

// One streaming XXH3-128 state; every field is framed by its length, so that ("ab", "c") and ("a", "bc") differ.
class Hasher {
  public:
    Hasher() : state_(XXH3_createState()) {
        KILN_CHECK(state_ && XXH3_128bits_reset(state_) == XXH_OK, Internal, "cannot start an XXH3 hash");
    }
    ~Hasher() { XXH3_freeState(state_); }
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void add(const void* data, size_t size) {
        uint64_t n = size;
        XXH3_128bits_update(state_, &n, sizeof n);
        if (size) XXH3_128bits_update(state_, data, size);
    }
    void add(std::string_view s) { add(s.data(), s.size()); }
    CacheKey digest() const {
        XXH128_hash_t h = XXH3_128bits_digest(state_);
        return CacheKey{h.low64, h.high64};
    }

  private:
    XXH3_state_t* state_;
};

void put64(unsigned char* at, uint64_t v) {
    for (int i = 0; i < 8; ++i) at[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint64_t get64(const unsigned char* at) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | at[i];
    return v;
}

// A property's value as text for the key (nested maps of meta devices print their entries in order).
std::string property_text(const ::ov::Any& value) {
    if (value.is<::ov::AnyMap>()) {
        std::string text = "{";
        for (const auto& [key, v] : value.as<::ov::AnyMap>()) {
            if (property_changes_blob(key)) text += key + "=" + property_text(v) + ";";
        }
        return text + "}";
    }
    std::ostringstream out;
    value.print(out);
    return out.str();
}

// A file written under a temporary name in the folder of `path`, flushed and renamed into place by commit().
class TempFile {
  public:
    explicit TempFile(const std::string& path) : path_(path) {
        static std::atomic<uint64_t> counter{0};
        temp_ = str(path, ".tmp-", ::getpid(), "-", counter++);
        fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd_ < 0) failed("create");
    }
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!temp_.empty()) ::unlink(temp_.c_str());
    }
    void write_at(uint64_t offset, const void* data, size_t size) {
        const char* p = static_cast<const char*>(data);
        while (size > 0) {
            ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) failed("write");
            p += n;
            offset += static_cast<uint64_t>(n);
            size -= static_cast<size_t>(n);
        }
    }
    const std::string& temp_path() const { return temp_; }
    void commit() {
        if (::fsync(fd_) != 0) failed("flush");
        int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) failed("write");
        if (::rename(temp_.c_str(), path_.c_str()) != 0) failed("rename into");
        temp_.clear();
    }

  private:
    [[noreturn]] void failed(const char* action) const {
        fail(ErrorCode::InvalidArgument, "cannot ", action, " '", path_, "': ", std::strerror(errno));
    }
    std::string path_, temp_;
    int fd_ = -1;
};

// A seekable output stream into a TempFile, its position 0 at byte `base` of the file (OpenVINO's export seeks back
// to fill in offsets, as into a std::ostringstream).
class PayloadBuffer : public std::streambuf {
  public:
    PayloadBuffer(TempFile& file, uint64_t base) : file_(file), base_(base) {
        setp(buffer_.data(), buffer_.data() + buffer_.size());
    }
    // The payload's length: the furthest byte written.
    uint64_t size() {
        flush();
        return end_;
    }

  protected:
    int_type overflow(int_type c) override {
        flush();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override {
        flush();
        return 0;
    }
    pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
        flush();
        int64_t from = dir == std::ios_base::beg   ? 0
                       : dir == std::ios_base::cur ? static_cast<int64_t>(pos_)
                                                   : static_cast<int64_t>(end_);
        if (from + off < 0) return pos_type(off_type(-1));
        pos_ = static_cast<uint64_t>(from + off);
        return pos_type(static_cast<off_type>(pos_));
    }
    pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
        return seekoff(off_type(pos), std::ios_base::beg, which);
    }

  private:
    void flush() {
        size_t n = static_cast<size_t>(pptr() - pbase());
        if (n) file_.write_at(base_ + pos_, pbase(), n);
        pos_ += n;
        end_ = std::max(end_, pos_);
        setp(buffer_.data(), buffer_.data() + buffer_.size());
    }
    TempFile& file_;
    uint64_t base_;
    uint64_t pos_ = 0, end_ = 0;
    std::array<char, 1 << 16> buffer_;
};

}  // namespace

std::string CacheKey::hex() const {
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(high),
                  static_cast<unsigned long long>(low));
    return text;
}

uint64_t checksum64(const void* data, size_t size) { return XXH3_64bits(data, size); }

bool property_changes_blob(const std::string& name) {
    return name != ::ov::num_streams.name() && name != ::ov::inference_num_threads.name() &&
           name != ::ov::cache_dir.name();
}

std::string openvino_full_version() { return ::ov::get_openvino_version().buildNumber; }

CacheKey partition_key(const ir::Graph& partition, const std::string& device, const ::ov::AnyMap& properties,
                       const OpenVINOOptions& options, size_t tensor_min_bytes, const std::string& ov_version) {
    Hasher h;
    h.add("kiln OpenVINO partition key 1");
    h.add(ov_version);
    h.add(device);
    for (const auto& [name, value] : properties) {  // AnyMap is ordered by name
        if (!property_changes_blob(name)) continue;
        h.add(name);
        h.add(property_text(value));
    }
    for (const InputShape& s : options.reshape_input) {
        h.add("reshape_input " + s.name);
        for (const DimBounds& d : s.dims) h.add(str(d.min, "..", d.max));
    }
    for (const TensorLayout& l : options.layout) h.add("layout " + l.name + " " + l.layout);
    std::vector<Tensor> tensors;
    h.add(onnx::save_graph_bytes_by_position(partition, {{"", onnx::max_supported_opset()}}, tensor_min_bytes, &tensors,
                                             /*function_bodies=*/true));
    for (const Tensor& t : tensors) h.add(t.raw_data(), t.byte_size());
    return h.digest();
}

std::string ModelCache::path_of(const CacheKey& key) const {
    return (fs::path(folder_) / ("kiln_ov_" + key.hex() + ".blob")).string();
}

std::optional<providers::Blob> ModelCache::find(const CacheKey& key) const {
    const std::string path = path_of(key);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    // Read into memory, not mapped: OpenVINO's import keeps referring to the bytes it is given, and a mapping
    // faults (SIGBUS) when another process truncates or rewrites the file while a session uses it.
    onnx::FileCopy file;
    try {
        file = onnx::read_file(path, "model cache file");
    } catch (const Error& e) {
        log_warning(str("OpenVINOExecutionProvider: cannot read the model cache file '", path, "' (", e.what(),
                        "); compiling instead"));
        return std::nullopt;
    }
    const unsigned char* p = file.data.get();
    const size_t size = file.size;
    std::string problem;
    if (size < kHeaderBytes || std::memcmp(p, kMagic, sizeof kMagic) != 0) {
        problem = "not a kiln model cache file";
    } else if (uint64_t v = get64(p + 8); v != kFormatVersion) {
        problem = str("format version ", v, ", this kiln writes ", kFormatVersion);
    } else if (CacheKey{get64(p + 16), get64(p + 24)} != key) {
        problem = str("it holds key ", CacheKey{get64(p + 16), get64(p + 24)}.hex(), ", not the key its name says");
    } else if (get64(p + 32) != size - kHeaderBytes) {
        problem = str("truncated or padded: the header gives ", get64(p + 32), " payload bytes, the file has ",
                      size - kHeaderBytes);
    } else if (checksum64(p + kHeaderBytes, size - kHeaderBytes) != get64(p + 40)) {
        problem = "the payload's checksum does not match (damaged)";
    }
    if (!problem.empty()) {
        log_warning(str("OpenVINOExecutionProvider: ignoring the model cache file '", path, "': ", problem,
                        "; compiling instead and replacing it"));
        return std::nullopt;
    }
    return providers::Blob{file.data, reinterpret_cast<const char*>(p) + kHeaderBytes, size - kHeaderBytes};
}

void ModelCache::store(const CacheKey& key, const std::function<void(std::ostream&)>& write_payload) const {
    const std::string path = path_of(key);
    try {
        TempFile file(path);
        PayloadBuffer buffer(file, kHeaderBytes);
        std::ostream out(&buffer);
        write_payload(out);
        out.flush();
        KILN_CHECK(out.good(), InvalidArgument, "cannot write '", path, "': the payload's stream failed");
        const uint64_t size = buffer.size();
        uint64_t checksum = 0;
        {  // the payload as written, read back (OpenVINO seeks while writing, so it is hashed afterwards)
            std::shared_ptr<onnx::MappedFile> written = onnx::MappedFile::open(file.temp_path(), "model cache file");
            KILN_CHECK(written->size() == kHeaderBytes + size, Internal, "model cache file '", file.temp_path(),
                       "' has ", written->size(), " bytes, expected ", kHeaderBytes + size);
            checksum = checksum64(written->data() + kHeaderBytes, size);
        }
        unsigned char header[kHeaderBytes] = {};
        std::memcpy(header, kMagic, sizeof kMagic);
        put64(header + 8, kFormatVersion);
        put64(header + 16, key.low);
        put64(header + 24, key.high);
        put64(header + 32, size);
        put64(header + 40, checksum);
        file.write_at(0, header, sizeof header);
        file.commit();
    } catch (const Error& e) {
        log_warning(str("OpenVINOExecutionProvider: could not write the model cache file: ", e.what()));
    }
}

void ModelCache::store(const CacheKey& key, std::string_view payload) const {
    store(key, [&](std::ostream& out) { out.write(payload.data(), static_cast<std::streamsize>(payload.size())); });
}

}  // namespace kiln::ov
