// _kiln.Session: kiln::Session with the GIL released while it loads, compiles and runs, so that other Python
// threads (and concurrent runs of the same session) proceed.
#include "kiln/session.h"

#include <nanobind/stl/map.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <utility>

#include "bindings.h"

namespace kiln::python {
namespace {

// A graph input or output: (name, ONNX element type, kind, shape). The shape is None when the rank is unknown,
// else a list of int (known), str (symbolic) or None (unknown) per dimension.
nb::tuple value_info_to_python(const ValueInfo& info) {
    nb::object shape = nb::none();
    if (info.type.shape) {
        nb::list dims;
        for (const Dim& d : *info.type.shape) {
            if (d.known()) {
                dims.append(d.value);
            } else if (!d.symbol.empty()) {
                dims.append(d.symbol);
            } else {
                dims.append(nb::none());
            }
        }
        shape = std::move(dims);
    }
    return nb::make_tuple(info.name, static_cast<int>(info.type.dtype), value_kind_name(info.kind), shape);
}

nb::list value_infos_to_python(const std::vector<ValueInfo>& infos) {
    nb::list list;
    for (const ValueInfo& info : infos) list.append(value_info_to_python(info));
    return list;
}

}  // namespace

Value value_from_python(nb::handle object, const std::string& name) {
    if (object.is_none()) return Value::none();
    if (nb::isinstance<Tensor>(object)) return Value(nb::cast<Tensor>(object));
    if (nb::isinstance<nb::list>(object) || nb::isinstance<nb::tuple>(object)) {
        std::vector<Tensor> tensors;
        for (nb::handle item : object) {
            if (!nb::isinstance<Tensor>(item)) {
                throw nb::type_error(("input '" + name + "': a sequence holds _kiln.Tensor items").c_str());
            }
            tensors.push_back(nb::cast<Tensor>(item));
        }
        return Value::sequence(std::move(tensors));
    }
    throw nb::type_error(("input '" + name + "': expected a _kiln.Tensor, a list of them or None").c_str());
}

nb::object value_to_python(Value value) {
    if (value.is_none()) return nb::none();
    if (value.is_tensor()) return nb::cast(std::move(value.tensor()));
    nb::list items;
    for (const Tensor& t : value.sequence()) items.append(nb::cast(t));
    return items;
}

void bind_session(nb::module_& m) {
    nb::class_<Session>(m, "Session", "kiln::Session")
        .def(
            "__init__",
            [](Session* self, const std::string& path, const SessionOptions& options) {
                nb::gil_scoped_release unlocked;
                new (self) Session(path, options);
            },
            nb::arg("path"), nb::arg("options"))
        .def_static(
            "from_bytes",
            [](nb::bytes model, const SessionOptions& options, const std::string& base_dir) {
                nb::gil_scoped_release unlocked;  // `model` is immutable and referenced by the caller
                return Session(model.c_str(), model.size(), options, base_dir);
            },
            nb::arg("model"), nb::arg("options"), nb::arg("base_dir"))
        .def("inputs", [](const Session& s) { return value_infos_to_python(s.inputs()); })
        .def("outputs", [](const Session& s) { return value_infos_to_python(s.outputs()); })
        .def("overridable_initializers",
             [](const Session& s) { return value_infos_to_python(s.overridable_initializers()); })
        .def("metadata",
             [](const Session& s) {
                 const ModelMetadata& md = s.metadata();
                 nb::dict d;
                 d["producer_name"] = md.producer_name;
                 d["graph_name"] = md.graph_name;
                 d["domain"] = md.domain;
                 d["description"] = md.description;
                 d["graph_description"] = md.graph_description;
                 d["version"] = md.version;
                 d["custom_metadata_map"] = md.custom_metadata_map;
                 return d;
             })
        .def("node_assignments",
             [](const Session& s) {
                 nb::list list;
                 for (const NodeAssignment& a : s.node_assignments()) {
                     list.append(nb::make_tuple(a.node_name, a.op_type, a.provider, a.reason));
                 }
                 return list;
             })
        .def(
            "run",
            [](const Session& s, const std::vector<std::pair<std::string, nb::handle>>& feeds,
               const std::vector<std::string>& output_names) {
                // The feeds hold the inputs' buffers until the GIL is back, so none is released without it.
                std::vector<NamedValue> values;
                values.reserve(feeds.size());
                for (const auto& [name, object] : feeds) values.push_back({name, value_from_python(object, name)});
                std::vector<Value> results;
                {
                    nb::gil_scoped_release unlocked;
                    results = s.run_values(values, output_names);
                }
                nb::list out;
                for (Value& v : results) out.append(value_to_python(std::move(v)));
                return out;
            },
            nb::arg("feeds"), nb::arg("output_names"),
            "Runs with [(name, Tensor | [Tensor] | None)] feeds; returns the outputs in the same forms.")
        .def(
            "end_profiling",
            [](Session& s) {
                nb::gil_scoped_release unlocked;
                return s.end_profiling();
            },
            "Writes the profile; returns its path, or '' when the session does not profile.");
}

}  // namespace kiln::python
