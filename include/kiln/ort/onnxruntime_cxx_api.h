// ONNX Runtime-compatible C++ API for kiln: the part of ONNX Runtime's onnxruntime_cxx_api.h that inference
// applications use, with ONNX Runtime's names, signatures and semantics, implemented inline over kiln's own C++
// API (include/kiln/). An application written for ONNX Runtime builds against kiln with its include path set to
// include/kiln/ort (find_package(kiln) and kiln.pc do that) and kiln::kiln on its link line.
//
// Provided: Ort::Env, Ort::SessionOptions (threads, optimisation level, config entries, the OpenVINO provider by
// the V2 map or the legacy struct, profiling, optimised model path), Ort::Session (from a path or bytes; input
// and output counts, names and type info; Run with names, into pre-allocated outputs, or with an IoBinding;
// EndProfilingAllocated), Ort::IoBinding, Ort::Value (CreateTensor over a user buffer or allocating, data access,
// type and shape), Ort::TypeInfo, Ort::TensorTypeAndShapeInfo, Ort::MemoryInfo::CreateCpu, Ort::RunOptions,
// Ort::AllocatorWithDefaultOptions, Ort::Exception (with the OrtErrorCode of kiln's error kind:
// InvalidModel -> ORT_INVALID_GRAPH, InvalidArgument -> ORT_INVALID_ARGUMENT, NotFound -> ORT_NO_SUCHFILE,
// NotImplemented -> ORT_NOT_IMPLEMENTED, Unsupported and DeviceError -> ORT_EP_FAIL, Internal -> ORT_FAIL).
// Anything else of ONNX Runtime's API is absent, so that code using it fails to compile rather than at run time.
#pragma once

#include "kiln/ort/detail/exception.h"
#include "kiln/ort/detail/memory.h"
#include "kiln/ort/detail/session.h"
#include "kiln/ort/detail/session_options.h"
#include "kiln/ort/detail/type_info.h"
#include "kiln/ort/detail/value.h"
#include "kiln/ort/onnxruntime_c_api.h"
#include "kiln/ort/onnxruntime_session_options_config_keys.h"
