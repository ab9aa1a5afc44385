/* ONNX Runtime-compatible C declarations for kiln (include/kiln/ort/).
 *
 * This is NOT ONNX Runtime's C API: kiln has no OrtApi function table. The header holds only the C types, enums
 * and macros that the C++ compatibility header onnxruntime_cxx_api.h uses in its signatures, with ONNX Runtime's
 * names and numeric values, so that C++ code written for ONNX Runtime compiles unchanged:
 *   ORTCHAR_T / ORT_TSTR, OrtErrorCode, ONNXTensorElementDataType, ONNXType, GraphOptimizationLevel,
 *   OrtLoggingLevel, OrtAllocatorType, OrtMemType, OrtMemoryInfo, OrtAllocator, OrtOpenVINOProviderOptions.
 * Valid C and C++. */
#ifndef KILN_ORT_ONNXRUNTIME_C_API_H
#define KILN_ORT_ONNXRUNTIME_C_API_H

#include <stddef.h>
#include <stdint.h>

/* Paths are narrow strings on Linux, as in ONNX Runtime. */
#define ORTCHAR_T char
#define ORT_TSTR(X) X
#define ORT_API_CALL

#ifdef __cplusplus
extern "C" {
#endif

typedef enum OrtErrorCode {
    ORT_OK = 0,
    ORT_FAIL = 1,
    ORT_INVALID_ARGUMENT = 2,
    ORT_NO_SUCHFILE = 3,
    ORT_NO_MODEL = 4,
    ORT_ENGINE_ERROR = 5,
    ORT_RUNTIME_EXCEPTION = 6,
    ORT_INVALID_PROTOBUF = 7,
    ORT_MODEL_LOADED = 8,
    ORT_NOT_IMPLEMENTED = 9,
    ORT_INVALID_GRAPH = 10,
    ORT_EP_FAIL = 11
} OrtErrorCode;

/* The ONNX TensorProto.DataType values (kiln::DType has the same numbers). */
typedef enum ONNXTensorElementDataType {
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED = 0,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 = 2,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 = 3,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 = 4,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 = 5,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 = 6,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 = 7,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING = 8,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL = 9,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 = 10,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE = 11,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 = 12,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 = 13,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64 = 14,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX128 = 15,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16 = 16,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E4M3FN = 17,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E4M3FNUZ = 18,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E5M2 = 19,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E5M2FNUZ = 20,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT4 = 21,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT4 = 22
} ONNXTensorElementDataType;

typedef enum ONNXType {
    ONNX_TYPE_UNKNOWN = 0,
    ONNX_TYPE_TENSOR = 1,
    ONNX_TYPE_SEQUENCE = 2,
    ONNX_TYPE_MAP = 3,
    ONNX_TYPE_OPAQUE = 4,
    ONNX_TYPE_SPARSETENSOR = 5,
    ONNX_TYPE_OPTIONAL = 6
} ONNXType;

typedef enum GraphOptimizationLevel {
    ORT_DISABLE_ALL = 0,
    ORT_ENABLE_BASIC = 1,
    ORT_ENABLE_EXTENDED = 2,
    ORT_ENABLE_ALL = 99
} GraphOptimizationLevel;

/* kiln's log severities are the same numbers (kiln::set_log_severity). */
typedef enum OrtLoggingLevel {
    ORT_LOGGING_LEVEL_VERBOSE = 0,
    ORT_LOGGING_LEVEL_INFO = 1,
    ORT_LOGGING_LEVEL_WARNING = 2,
    ORT_LOGGING_LEVEL_ERROR = 3,
    ORT_LOGGING_LEVEL_FATAL = 4
} OrtLoggingLevel;

typedef enum OrtAllocatorType {
    OrtInvalidAllocator = -1,
    OrtDeviceAllocator = 0,
    OrtArenaAllocator = 1
} OrtAllocatorType;

typedef enum OrtMemType {
    OrtMemTypeCPUInput = -2,
    OrtMemTypeCPUOutput = -1,
    OrtMemTypeCPU = OrtMemTypeCPUOutput,
    OrtMemTypeDefault = 0
} OrtMemType;

/* Where a tensor's memory lives. kiln serves CPU memory only (Ort::MemoryInfo::CreateCpu). Its fields are kiln's;
 * ONNX Runtime keeps this type opaque, so code written for it does not read them. */
typedef struct OrtMemoryInfo {
    OrtAllocatorType allocator_type;
    OrtMemType mem_type;
} OrtMemoryInfo;

/* An allocator, laid out as ONNX Runtime's (version, Alloc, Free, Info). */
typedef struct OrtAllocator {
    uint32_t version;
    void*(ORT_API_CALL* Alloc)(struct OrtAllocator* this_, size_t size);
    void(ORT_API_CALL* Free)(struct OrtAllocator* this_, void* p);
    const struct OrtMemoryInfo*(ORT_API_CALL* Info)(const struct OrtAllocator* this_);
} OrtAllocator;

/* The legacy OpenVINO provider options (ONNX Runtime deprecates them for the V2 key/value map). The C++ API maps
 * them to the V2 keys: device_type, device_id, num_of_threads (when > 0), cache_dir, context (as "0x..."),
 * enable_opencl_throttling (when set), disable_dynamic_shapes (the negation of enable_dynamic_shapes).
 * enable_npu_fast_compile is ignored with a warning, as in ONNX Runtime. */
typedef struct OrtOpenVINOProviderOptions {
#ifdef __cplusplus
    OrtOpenVINOProviderOptions()
        : device_type{},
          enable_npu_fast_compile{},
          device_id{},
          num_of_threads{},
          cache_dir{},
          context{},
          enable_opencl_throttling{},
          enable_dynamic_shapes{} {}
#endif
    const char* device_type;               /* "CPU", "GPU", "NPU", "GPU.0", legacy "CPU_FP32" ...; NULL: default */
    unsigned char enable_npu_fast_compile; /* ignored (deprecated) */
    const char* device_id;                 /* deprecated; NULL: not set */
    size_t num_of_threads;                 /* 0: the device's default */
    const char* cache_dir;                 /* NULL: no model cache */
    void* context;                         /* OpenCL cl_context; NULL: none */
    unsigned char enable_opencl_throttling;
    unsigned char enable_dynamic_shapes;
} OrtOpenVINOProviderOptions;

#ifdef __cplusplus
}
#endif

#endif /* KILN_ORT_ONNXRUNTIME_C_API_H */
