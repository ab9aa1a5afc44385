// NB_MODULE(_kiln): the module-level functions and the registration of the bound classes.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "kiln/kiln.h"

namespace kiln::python {

NB_MODULE(_kiln, m) {
    m.doc() = "kiln's C++ runtime; use the kiln package, not this module";
    bind_errors(m);
    bind_tensor(m);
    bind_session_options(m);
    bind_session(m);

    m.def("version_string", [] { return std::string(version_string()); });
    m.def("available_providers", &available_providers,
          "The execution providers of this build in default priority order, CPUExecutionProvider last.");
    m.def("set_log_severity", &set_log_severity, nb::arg("severity"),
          "Process-wide log threshold: 0 verbose, 1 info, 2 warning, 3 error, 4 fatal.");
    m.def("log_severity", &log_severity);
}

}  // namespace kiln::python
