// _kiln.Tensor: a kiln::Tensor held by Python. Numeric tensors share memory with Python in both directions:
// borrow() wraps a C-contiguous buffer (a numpy array) without copying and keeps it alive, buffer() lends the
// tensor's bytes to numpy with the Tensor object as their owner. Which numpy dtype the bytes are is decided in
// python/kiln/_dtypes.py (one table); this file only knows ONNX element type numbers and byte counts.
#include "kiln/tensor.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "bindings.h"

namespace kiln::python {
namespace {

DType checked_dtype(int element_type) {
    KILN_CHECK(dtype_is_valid(element_type), InvalidArgument, "element type ", element_type,
               " is not an ONNX tensor element type");
    return static_cast<DType>(element_type);
}

// A Python buffer export, released (with the GIL taken) when the last tensor sharing it goes, whichever thread
// that happens on.
struct BufferExport {
    Py_buffer view{};
    bool held = false;
    ~BufferExport() {
        if (!held) return;
        PyGILState_STATE state = PyGILState_Ensure();
        PyBuffer_Release(&view);
        PyGILState_Release(state);
    }
};

size_t alignment_of(DType dtype) {
    size_t bytes = static_cast<size_t>(dtype_bits(dtype) / 8);
    if (dtype == DType::Complex64 || dtype == DType::Complex128) bytes /= 2;
    return bytes == 0 ? 1 : bytes;
}

Tensor borrow(nb::handle buffer, int element_type, const Shape& shape) {
    DType dtype = checked_dtype(element_type);
    KILN_CHECK(dtype != DType::String, InvalidArgument, "string tensors cannot borrow a buffer; use from_strings");
    size_t need = dtype_storage_bytes(dtype, shape_element_count(shape));
    auto exported = std::make_shared<BufferExport>();
    if (PyObject_GetBuffer(buffer.ptr(), &exported->view, PyBUF_C_CONTIGUOUS) != 0) throw nb::python_error();
    exported->held = true;
    auto bytes = static_cast<size_t>(exported->view.len);
    KILN_CHECK(bytes == need, InvalidArgument, "buffer of ", bytes, " bytes for a ", dtype_tensor_string(dtype), " ",
               shape_to_string(shape), " tensor, which needs ", need);
    void* data = exported->view.buf;
    if (reinterpret_cast<uintptr_t>(data) % alignment_of(dtype) != 0) {
        // Kernels read whole elements: a misaligned buffer is copied rather than lent.
        Tensor copy(dtype, shape);
        if (need > 0) std::memcpy(copy.raw_data(), data, need);
        return copy;
    }
    return Tensor::wrap(dtype, shape, std::shared_ptr<const void>(exported, data), data);
}

Tensor from_strings(const std::vector<nb::handle>& items, const Shape& shape) {
    Tensor t(DType::String, shape);
    KILN_CHECK(static_cast<int64_t>(items.size()) == t.element_count(), InvalidArgument, items.size(),
               " strings for a string tensor of shape ", shape_to_string(shape));
    std::string* out = t.data<std::string>();
    for (size_t i = 0; i < items.size(); ++i) {
        if (nb::isinstance<nb::bytes>(items[i])) {
            nb::bytes b = nb::borrow<nb::bytes>(items[i]);
            out[i].assign(b.c_str(), b.size());
        } else if (nb::isinstance<nb::str>(items[i])) {
            Py_ssize_t size = 0;
            const char* utf8 = PyUnicode_AsUTF8AndSize(items[i].ptr(), &size);
            if (!utf8) throw nb::python_error();
            out[i].assign(utf8, static_cast<size_t>(size));
        } else {
            throw nb::type_error("a string tensor takes str or bytes elements");
        }
    }
    return t;
}

nb::list strings_of(const Tensor& t) {
    KILN_CHECK(t.dtype() == DType::String, InvalidArgument, "strings(): the tensor is ", dtype_tensor_string(t.dtype()),
               ", not a string tensor");
    nb::list items;
    const std::string* s = t.data<std::string>();
    for (int64_t i = 0; i < t.element_count(); ++i) {
        PyObject* text = PyUnicode_DecodeUTF8(s[i].data(), static_cast<Py_ssize_t>(s[i].size()), nullptr);
        if (!text) {  // not UTF-8: the raw bytes
            PyErr_Clear();
            items.append(nb::bytes(s[i].data(), s[i].size()));
            continue;
        }
        items.append(nb::steal(text));
    }
    return items;
}

}  // namespace

void bind_tensor(nb::module_& m) {
    m.def(
        "element_type_name", [](int element_type) { return std::string(dtype_name(static_cast<DType>(element_type))); },
        nb::arg("element_type"), "ONNX's name of an element type: 'float', 'int64', 'bfloat16', ...");
    nb::class_<Tensor>(m, "Tensor", "A kiln tensor: ONNX element type, shape and data")
        .def_static("borrow", &borrow, nb::arg("buffer"), nb::arg("element_type"), nb::arg("shape"),
                    "Wraps a C-contiguous buffer of exactly the tensor's byte size without copying (copied only "
                    "when misaligned for its element type); the buffer stays alive while the tensor does.")
        .def_static(
            "from_address",
            [](uintptr_t address, int element_type, const Shape& shape) {
                DType dtype = checked_dtype(element_type);
                KILN_CHECK(dtype != DType::String, InvalidArgument, "string tensors cannot wrap raw memory");
                KILN_CHECK(address != 0 || dtype_storage_bytes(dtype, shape_element_count(shape)) == 0, InvalidArgument,
                           "null buffer address for a ", dtype_tensor_string(dtype), " ", shape_to_string(shape),
                           " tensor");
                return Tensor::borrow(dtype, shape, reinterpret_cast<void*>(address));
            },
            nb::arg("address"), nb::arg("element_type"), nb::arg("shape"),
            "Wraps raw memory at `address` (IOBinding.bind_input's buffer_ptr); the caller keeps it alive.")
        .def_static(
            "zeros", [](int element_type, const Shape& shape) { return Tensor(checked_dtype(element_type), shape); },
            nb::arg("element_type"), nb::arg("shape"), "A new zero-filled tensor (empty strings for strings).")
        .def_static("from_strings", &from_strings, nb::arg("items"), nb::arg("shape"),
                    "A string tensor from str (UTF-8) or bytes items in row-major order.")
        .def_prop_ro("element_type", [](const Tensor& t) { return static_cast<int>(t.dtype()); })
        .def_prop_ro("shape", [](const Tensor& t) { return t.shape(); })
        .def_prop_ro("byte_size", [](const Tensor& t) { return t.byte_size(); })
        .def_prop_ro("address", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
        .def(
            "buffer",
            [](nb::handle self) {
                Tensor& t = nb::cast<Tensor&>(self);
                KILN_CHECK(t.dtype() != DType::String, InvalidArgument,
                           "buffer(): a string tensor has no byte buffer; use strings()");
                static uint8_t empty = 0;
                void* data = t.byte_size() > 0 ? t.raw_data() : &empty;
                return nb::ndarray<nb::numpy, uint8_t, nb::ndim<1>>(data, {t.byte_size()}, self);
            },
            "The tensor's bytes as a writable 1-D uint8 numpy array that shares its memory and keeps it alive.")
        .def("strings", &strings_of, "A string tensor's items as str (bytes where not UTF-8), row-major.");
}

}  // namespace kiln::python
