// kiln::Error -> the Python exception class that python/kiln/_errors.py registers for its code (by the code's
// name, error_code_name()), with the C++ message unchanged.
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <mutex>

#include "bindings.h"
#include "kiln/error.h"

namespace kiln::python {
namespace {

// Class objects by code name, plus "" for the base class. They live as long as the process: the references are
// never released, so that raising stays valid while the interpreter shuts down.
std::map<std::string, PyObject*>& error_classes() {
    static std::map<std::string, PyObject*> classes;
    return classes;
}

PyObject* error_class(ErrorCode code) {
    const auto& classes = error_classes();
    auto it = classes.find(error_code_name(code));
    if (it == classes.end()) it = classes.find("");
    return it == classes.end() ? PyExc_RuntimeError : it->second;
}

}  // namespace

void bind_errors(nb::module_& m) {
    nb::register_exception_translator([](const std::exception_ptr& p, void*) {
        try {
            std::rethrow_exception(p);
        } catch (const Error& e) {
            PyErr_SetString(error_class(e.code()), e.what());
        }
    });
    m.def(
        "register_error_classes",
        [](const std::map<std::string, nb::handle>& classes) {
            for (const auto& [name, cls] : classes) {
                if (!PyExceptionClass_Check(cls.ptr())) {
                    throw nb::type_error(("error class for '" + name + "' is not an exception class").c_str());
                }
                cls.inc_ref();
                error_classes()[name] = cls.ptr();
            }
        },
        nb::arg("classes"),
        "Sets the exception class raised for each kiln error code name ('' = the class for any other code).");
    m.def("error_code_names", [] {
        std::vector<std::string> names;
        for (int code = 0; code < kErrorCodeCount; ++code)
            names.push_back(error_code_name(static_cast<ErrorCode>(code)));
        return names;
    });
    m.def(
        "raise_error",
        [](const std::string& code_name, const std::string& message) {
            for (int code = 0; code < kErrorCodeCount; ++code) {
                if (code_name == error_code_name(static_cast<ErrorCode>(code))) {
                    throw Error(static_cast<ErrorCode>(code), message);
                }
            }
            throw nb::value_error(("no kiln error code '" + code_name + "'").c_str());
        },
        "Raises kiln::Error with that code (for tests of the translation).");
}

}  // namespace kiln::python
