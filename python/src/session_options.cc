// _kiln.SessionOptions: kiln::SessionOptions field by field. Provider options travel as the raw string maps that
// kiln's provider parses (SessionOptions::append_provider); nothing here interprets them.
#include <nanobind/stl/map.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "kiln/session.h"

namespace kiln::python {

void bind_session_options(nb::module_& m) {
    nb::class_<SessionOptions>(m, "SessionOptions", "kiln::SessionOptions")
        .def(nb::init<>())
        .def(
            "append_provider",
            [](SessionOptions& o, std::string name, ProviderOptions options) {
                o.append_provider(std::move(name), std::move(options));
            },
            nb::arg("name"), nb::arg("options") = ProviderOptions())
        .def_prop_ro("providers",
                     [](const SessionOptions& o) {
                         std::vector<std::pair<std::string, ProviderOptions>> list;
                         for (const ProviderEntry& p : o.providers) list.emplace_back(p.name, p.options);
                         return list;
                     })
        .def_rw("config_entries", &SessionOptions::config_entries)
        .def_rw("intra_op_threads", &SessionOptions::intra_op_threads)
        .def_rw("inter_op_threads", &SessionOptions::inter_op_threads)
        .def_prop_rw(
            "optimization_level", [](const SessionOptions& o) { return static_cast<int>(o.optimization_level); },
            [](SessionOptions& o, int level) {
                KILN_CHECK(level == 0 || level == 1 || level == 2 || level == 99, InvalidArgument,
                           "graph optimization level ", level, " is not 0, 1, 2 or 99");
                o.optimization_level = static_cast<GraphOptimizationLevel>(level);
            })
        .def_rw("dim_overrides", &SessionOptions::dim_overrides)
        .def_rw("enable_profiling", &SessionOptions::enable_profiling)
        .def_rw("profile_file_prefix", &SessionOptions::profile_file_prefix)
        .def_rw("optimized_model_filepath", &SessionOptions::optimized_model_filepath)
        .def(
            "add_external_initializer",
            [](SessionOptions& o, const std::string& name, const Tensor& t) { o.external_initializers[name] = t; },
            nb::arg("name"), nb::arg("tensor"));
}

}  // namespace kiln::python
