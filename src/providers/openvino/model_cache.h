// kiln's own model cache for the OpenVINO provider's `cache_dir`, and the content key it shares with weight sharing
// between sessions (ep.share_ep_contexts).
//
// Key: XXH3-128 over the partition's ONNX bytes (tensors by position, save_graph_bytes_by_position), the contents of
// the tensors those bytes leave out, the device, the running OpenVINO's full version, and every compile property
// except the ones OpenVINO takes again at import (NUM_STREAMS, INFERENCE_NUM_THREADS, CACHE_DIR), plus the
// reshape_input and layout options that reshape the model before compiling. Weights by address are hashed by
// content, so two copies of one model have one key.
//
// File: "<cache_dir>/kiln_ov_<key as 32 hex digits>.blob":
//   bytes 0-7    magic "KILNOVC\0"
//   bytes 8-11   format version (little-endian uint32, kFormatVersion)
//   bytes 12-15  0
//   bytes 16-31  the key (low 64 bits, high 64 bits, little-endian)
//   bytes 32-39  payload length
//   bytes 40-47  XXH3-64 of the payload
//   bytes 48-63  0
//   bytes 64-    payload: OpenVINO's export_model bytes
// A file with another magic or format version, another key, a wrong length or checksum is not used: a warning names
// it, the partition is compiled and the file replaced. Files are written under a temporary name in the same folder,
// flushed to disk (fsync) and renamed into place, so processes sharing the folder never read a partial file.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <openvino/core/any.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "providers/openvino/options.h"
#include "providers/provider.h"

namespace kiln::ov {

struct CacheKey {
    uint64_t low = 0, high = 0;
    bool operator==(const CacheKey& other) const { return low == other.low && high == other.high; }
    bool operator<(const CacheKey& other) const { return high != other.high ? high < other.high : low < other.low; }
    std::string hex() const;  // 32 hex digits, high first
};

// XXH3-64 of `size` bytes (the payload checksum).
uint64_t checksum64(const void* data, size_t size);

// The compile properties that the key covers: all but the ones OpenVINO takes again at import.
bool property_changes_blob(const std::string& name);

// The key of compiling `partition` for `device` with `properties` and `options` under OpenVINO `ov_version`
// (openvino_full_version() unless a test asks otherwise). `tensor_min_bytes`: tensors of at least this size are
// hashed by content rather than in the graph bytes.
CacheKey partition_key(const ir::Graph& partition, const std::string& device, const ::ov::AnyMap& properties,
                       const OpenVINOOptions& options, size_t tensor_min_bytes, const std::string& ov_version);

// The running OpenVINO's build number ("2026.4.1-22982-...").
std::string openvino_full_version();

// The cache files of one folder.
class ModelCache {
  public:
    static constexpr uint32_t kFormatVersion = 1;
    static constexpr size_t kHeaderBytes = 64;

    explicit ModelCache(std::string folder) : folder_(std::move(folder)) {}

    std::string path_of(const CacheKey& key) const;
    // The payload stored under `key`, memory-mapped (no copy); nullopt when there is no file, or (with a warning
    // naming the file) when it is damaged, truncated or not one of kiln's for this key.
    std::optional<providers::Blob> find(const CacheKey& key) const;
    // Stores `payload` under `key` (temporary file, fsync, rename). A failure is a warning naming the file, never
    // an error: the session goes on without caching.
    void store(const CacheKey& key, std::string_view payload) const;
    // The same with the payload written by `write_payload` straight into the file (no copy in memory); an Error it
    // throws is a warning too.
    void store(const CacheKey& key, const std::function<void(std::ostream&)>& write_payload) const;

  private:
    std::string folder_;
};

}  // namespace kiln::ov
