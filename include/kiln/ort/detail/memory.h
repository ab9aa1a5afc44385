// Ort::MemoryInfo, Ort::AllocatorWithDefaultOptions and Ort::AllocatedStringPtr (part of onnxruntime_cxx_api.h).
// kiln runs on CPU memory only: the one memory info is CreateCpu's, the one allocator is the default CPU allocator.
#pragma once

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "kiln/ort/detail/exception.h"

namespace Ort {

struct MemoryInfo {
    explicit MemoryInfo(std::nullptr_t) {}
    // CPU memory; `type` and `mem_type` are kept (kiln has one CPU allocator for all of them).
    static MemoryInfo CreateCpu(OrtAllocatorType type, OrtMemType mem_type) {
        MemoryInfo info(nullptr);
        info.info_ = std::make_unique<OrtMemoryInfo>(OrtMemoryInfo{type, mem_type});
        return info;
    }
    OrtAllocatorType GetAllocatorType() const { return get().allocator_type; }
    OrtMemType GetMemoryType() const { return get().mem_type; }
    operator const OrtMemoryInfo*() const { return info_.get(); }  // NOLINT: ONNX Runtime converts implicitly

  private:
    const OrtMemoryInfo& get() const {
        if (!info_) detail::fail(ORT_INVALID_ARGUMENT, "Ort::MemoryInfo: the memory info is empty (nullptr)");
        return *info_;
    }
    std::unique_ptr<OrtMemoryInfo> info_;
};

namespace detail {

inline const OrtMemoryInfo* default_cpu_memory_info() {
    static const OrtMemoryInfo info{OrtDeviceAllocator, OrtMemTypeDefault};
    return &info;
}

inline void* default_alloc(OrtAllocator*, size_t size) {
    // 64-byte aligned, like kiln's own tensors; aligned_alloc needs a multiple of the alignment.
    return std::aligned_alloc(64, (size + 63) / 64 * 64 + (size == 0 ? 64 : 0));
}
inline void default_free(OrtAllocator*, void* p) { std::free(p); }
inline const OrtMemoryInfo* default_info(const OrtAllocator*) { return default_cpu_memory_info(); }

inline OrtAllocator* default_allocator() {
    static OrtAllocator allocator{1, &default_alloc, &default_free, &default_info};
    return &allocator;
}

// Frees a string returned by Get*NameAllocated with the allocator that made it.
struct AllocatedFree {
    OrtAllocator* allocator;
    explicit AllocatedFree(OrtAllocator* a) : allocator(a) {}
    void operator()(void* p) const {
        if (p) allocator->Free(allocator, p);
    }
};

}  // namespace detail

using AllocatedStringPtr = std::unique_ptr<char, detail::AllocatedFree>;

// ONNX Runtime's default CPU allocator.
struct AllocatorWithDefaultOptions {
    AllocatorWithDefaultOptions() : allocator_(detail::default_allocator()) {}
    operator OrtAllocator*() { return allocator_; }              // NOLINT: ONNX Runtime converts implicitly
    operator const OrtAllocator*() const { return allocator_; }  // NOLINT
    void* Alloc(size_t size) {
        void* p = allocator_->Alloc(allocator_, size);
        if (!p) detail::fail(ORT_FAIL, "AllocatorWithDefaultOptions::Alloc: cannot allocate " + std::to_string(size));
        return p;
    }
    void Free(void* p) { allocator_->Free(allocator_, p); }
    const OrtMemoryInfo* GetInfo() const { return allocator_->Info(allocator_); }

  private:
    OrtAllocator* allocator_;
};

namespace detail {

// A copy of `text` in memory from `allocator`.
inline AllocatedStringPtr allocated_string(const std::string& text, OrtAllocator* allocator, const char* what) {
    if (!allocator) fail(ORT_INVALID_ARGUMENT, std::string(what) + ": allocator is null");
    char* p = static_cast<char*>(allocator->Alloc(allocator, text.size() + 1));
    if (!p) fail(ORT_FAIL, std::string(what) + ": the allocator returned null");
    std::memcpy(p, text.c_str(), text.size() + 1);
    return AllocatedStringPtr(p, AllocatedFree(allocator));
}

}  // namespace detail
}  // namespace Ort
