// The extension module kiln._kiln: a thin layer over kiln's public C++ API (include/kiln/). It moves tensors
// between Python buffers and kiln without copying, releases the GIL while kiln works, and raises kiln::Error as
// the Python class registered for its code. The onnxruntime-compatible names and rules live in python/kiln/*.py.
#pragma once

#include <nanobind/nanobind.h>

#include "kiln/value.h"

namespace kiln::python {

namespace nb = nanobind;

// One function per bound class or group, called once from the module's init (module.cc).
void bind_errors(nb::module_& m);
void bind_tensor(nb::module_& m);
void bind_session_options(nb::module_& m);
void bind_session(nb::module_& m);

// A feed as Python passes it: a _kiln.Tensor, a list of them (a sequence) or None (an empty optional).
// TypeError for anything else.
Value value_from_python(nb::handle object, const std::string& name);
// A result the same way round: a _kiln.Tensor (owning kiln's buffer), a list of them, or None.
nb::object value_to_python(Value value);

}  // namespace kiln::python
