#include "support/model_builder.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kiln::test {

namespace fs = std::filesystem;

namespace {

void set_type(::onnx::ValueInfoProto* vi, const std::vector<int64_t>& dims, int32_t elem_type,
              const std::vector<std::string>& symbols = {}) {
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
        auto* d = shape->add_dim();
        if (i < symbols.size() && !symbols[i].empty()) {
            d->set_dim_param(symbols[i]);
        } else if (dims[i] >= 0) {
            d->set_dim_value(dims[i]);
        }
    }
}

::onnx::AttributeProto* add_attr(::onnx::NodeProto& node, const std::string& name,
                                 ::onnx::AttributeProto::AttributeType type) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
}

}  // namespace

ModelBuilder::ModelBuilder(int64_t opset, const std::string& graph_name) {
    model_.set_ir_version(8);
    model_.set_producer_name("kiln-test");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name(graph_name);
}

ModelBuilder& ModelBuilder::input(const std::string& name, std::vector<int64_t> dims, int32_t elem_type,
                                  std::vector<std::string> symbols) {
    auto* vi = graph().add_input();
    vi->set_name(name);
    set_type(vi, dims, elem_type, symbols);
    return *this;
}

ModelBuilder& ModelBuilder::output(const std::string& name, std::vector<int64_t> dims, int32_t elem_type) {
    auto* vi = graph().add_output();
    vi->set_name(name);
    set_type(vi, dims, elem_type);
    return *this;
}

ModelBuilder& ModelBuilder::value_info(const std::string& name, std::vector<int64_t> dims, int32_t elem_type) {
    auto* vi = graph().add_value_info();
    vi->set_name(name);
    set_type(vi, dims, elem_type);
    return *this;
}

ModelBuilder& ModelBuilder::initializer_floats(const std::string& name, std::vector<int64_t> dims,
                                               std::vector<float> values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return *this;
}

ModelBuilder& ModelBuilder::initializer_ints(const std::string& name, std::vector<int64_t> dims,
                                             std::vector<int64_t> values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t v : values) t->add_int64_data(v);
    return *this;
}

ModelBuilder& ModelBuilder::initializer_external(const std::string& name, std::vector<int64_t> dims, int32_t elem_type,
                                                 const std::string& location, int64_t offset, int64_t length) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(elem_type);
    for (int64_t d : dims) t->add_dims(d);
    t->set_data_location(::onnx::TensorProto::EXTERNAL);
    auto add = [&](const std::string& k, const std::string& v) {
        auto* e = t->add_external_data();
        e->set_key(k);
        e->set_value(v);
    };
    add("location", location);
    if (offset >= 0) add("offset", std::to_string(offset));
    if (length >= 0) add("length", std::to_string(length));
    return *this;
}

::onnx::NodeProto& ModelBuilder::node(const std::string& op_type, std::vector<std::string> inputs,
                                      std::vector<std::string> outputs, const std::string& name,
                                      const std::string& domain) {
    auto* n = graph().add_node();
    n->set_op_type(op_type);
    if (!name.empty()) n->set_name(name);
    if (!domain.empty()) n->set_domain(domain);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return *n;
}

std::string ModelBuilder::bytes() const {
    std::string out;
    if (!model_.SerializeToString(&out)) throw std::runtime_error("ModelBuilder: cannot serialise");
    return out;
}

std::string ModelBuilder::write(const std::string& path) const {
    write_file(path, bytes());
    return path;
}

void attr_int(::onnx::NodeProto& node, const std::string& name, int64_t v) {
    add_attr(node, name, ::onnx::AttributeProto::INT)->set_i(v);
}
void attr_float(::onnx::NodeProto& node, const std::string& name, float v) {
    add_attr(node, name, ::onnx::AttributeProto::FLOAT)->set_f(v);
}
void attr_string(::onnx::NodeProto& node, const std::string& name, const std::string& v) {
    add_attr(node, name, ::onnx::AttributeProto::STRING)->set_s(v);
}
void attr_ints(::onnx::NodeProto& node, const std::string& name, std::vector<int64_t> v) {
    auto* a = add_attr(node, name, ::onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
}
void attr_floats(::onnx::NodeProto& node, const std::string& name, std::vector<float> v) {
    auto* a = add_attr(node, name, ::onnx::AttributeProto::FLOATS);
    for (float x : v) a->add_floats(x);
}
::onnx::GraphProto& attr_graph(::onnx::NodeProto& node, const std::string& name) {
    return *add_attr(node, name, ::onnx::AttributeProto::GRAPH)->mutable_g();
}

std::string test_tmp_dir(const std::string& test_name) {
    fs::path dir = fs::path(KILN_TEST_TMP) / "loader" / test_name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

void write_file(const std::string& path, const std::string& bytes) {
    fs::path p(path);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace kiln::test
