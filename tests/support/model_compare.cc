#include "support/model_compare.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "onnx/loader.h"

namespace kiln::test {

namespace fs = std::filesystem;

fs::path backend_test_data() { return KILN_ONNX_TEST_DATA; }

bool same_tensor(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
    if (a.dtype() == DType::String) {
        for (int64_t i = 0; i < a.element_count(); ++i) {
            if (a.data<std::string>()[i] != b.data<std::string>()[i]) return false;
        }
        return true;
    }
    return a.byte_size() == b.byte_size() &&
           (a.byte_size() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0);
}

namespace {

std::string type_string(const TensorInfo& t) {
    return str(value_kind_name(t.kind), " ", dtype_name(t.dtype), " ", symbolic_shape_to_string(t.shape));
}

void expect_same_type(const TensorInfo& a, const TensorInfo& b, const std::string& what) {
    EXPECT_EQ(type_string(a), type_string(b)) << what;
    // symbolic_shape_to_string shows symbols and '?' alike for unknown dims; compare them exactly.
    EXPECT_TRUE(a.shape == b.shape) << what << ": dims or symbols differ";
}

std::vector<std::string> names_of(const std::vector<ir::Value*>& values) {
    std::vector<std::string> names;
    for (const ir::Value* v : values) names.push_back(v ? v->name : "");
    return names;
}

void expect_same_attribute(const ir::Attribute& a, const ir::Attribute& b, const std::string& where) {
    using K = ir::Attribute::Kind;
    ASSERT_EQ(attribute_kind_name(a.kind), std::string(attribute_kind_name(b.kind))) << where;
    switch (a.kind) {
        case K::Float:
            EXPECT_EQ(std::memcmp(&a.f, &b.f, sizeof(float)), 0) << where << ": " << a.f << " vs " << b.f;
            break;
        case K::Int:
            EXPECT_EQ(a.i, b.i) << where;
            break;
        case K::String:
            EXPECT_EQ(a.s, b.s) << where;
            break;
        case K::Tensor:
            EXPECT_TRUE(same_tensor(a.t, b.t)) << where;
            break;
        case K::Graph:
            expect_same_graph(*a.g, *b.g, where);
            break;
        case K::Floats:
            ASSERT_EQ(a.floats.size(), b.floats.size()) << where;
            EXPECT_TRUE(a.floats.empty() ||
                        std::memcmp(a.floats.data(), b.floats.data(), a.floats.size() * sizeof(float)) == 0)
                << where;
            break;
        case K::Ints:
            EXPECT_EQ(a.ints, b.ints) << where;
            break;
        case K::Strings:
            EXPECT_EQ(a.strings, b.strings) << where;
            break;
        case K::Tensors:
            ASSERT_EQ(a.tensors.size(), b.tensors.size()) << where;
            for (size_t i = 0; i < a.tensors.size(); ++i) EXPECT_TRUE(same_tensor(a.tensors[i], b.tensors[i])) << where;
            break;
        case K::Graphs:
            ASSERT_EQ(a.graphs.size(), b.graphs.size()) << where;
            for (size_t i = 0; i < a.graphs.size(); ++i) expect_same_graph(*a.graphs[i], *b.graphs[i], where);
            break;
        case K::TypeInfo:
            expect_same_type(a.type_info, b.type_info, where);
            break;
    }
}

void expect_same_node(const ir::Node& a, const ir::Node& b, const std::string& where) {
    EXPECT_EQ(a.op_type, b.op_type) << where;
    EXPECT_EQ(a.domain, b.domain) << where;
    EXPECT_EQ(a.op, b.op) << where;
    EXPECT_EQ(names_of(a.inputs), names_of(b.inputs)) << where;
    EXPECT_EQ(names_of(a.outputs), names_of(b.outputs)) << where;
    ASSERT_EQ(a.attributes.size(), b.attributes.size()) << where;
    for (const auto& [key, attr] : a.attributes) {
        auto it = b.attributes.find(key);
        ASSERT_NE(it, b.attributes.end()) << where << ": attribute '" << key << "' is missing";
        expect_same_attribute(attr, it->second, str(where, ", attribute '", key, "'"));
    }
}

// Nodes by name and first output (names need not be unique in ONNX).
std::map<std::string, const ir::Node*> nodes_by_key(const ir::Graph& g) {
    std::map<std::string, const ir::Node*> out;
    for (const auto& n : g.nodes()) {
        std::string key = n->name;
        for (const ir::Value* v : n->outputs) key += "|" + (v ? v->name : "");
        out[key] = n.get();
    }
    return out;
}

}  // namespace

void expect_same_graph(const ir::Graph& a, const ir::Graph& b, const std::string& where_outer) {
    const std::string where = str(where_outer, " graph '", a.name, "'");
    EXPECT_EQ(a.name, b.name) << where;
    EXPECT_EQ(names_of(a.inputs()), names_of(b.inputs())) << where;
    EXPECT_EQ(names_of(a.outputs()), names_of(b.outputs())) << where;
    for (size_t i = 0; i < a.inputs().size() && i < b.inputs().size(); ++i) {
        expect_same_type(a.inputs()[i]->type, b.inputs()[i]->type, str(where, " input '", a.inputs()[i]->name, "'"));
    }
    for (size_t i = 0; i < a.outputs().size() && i < b.outputs().size(); ++i) {
        expect_same_type(a.outputs()[i]->type, b.outputs()[i]->type,
                         str(where, " output '", a.outputs()[i]->name, "'"));
    }
    for (const auto& [name, va] : a.values()) {
        auto it = b.values().find(name);
        bool used = va->constant || va->producer || va->is_graph_input;
        if (!used) continue;
        ASSERT_NE(it, b.values().end()) << where << ": value '" << name << "' is missing";
        const ir::Value& vb = *it->second;
        EXPECT_EQ(va->constant.has_value(), vb.constant.has_value()) << where << ": value '" << name << "'";
        if (va->constant && vb.constant) {
            EXPECT_TRUE(same_tensor(*va->constant, *vb.constant)) << where << ": constant '" << name << "'";
        }
        EXPECT_EQ(va->is_graph_input, vb.is_graph_input) << where << ": value '" << name << "'";
        EXPECT_EQ(va->is_graph_output, vb.is_graph_output) << where << ": value '" << name << "'";
        if (va->type.dtype != DType::Undefined) expect_same_type(va->type, vb.type, str(where, " value '", name, "'"));
    }
    auto na = nodes_by_key(a), nb = nodes_by_key(b);
    ASSERT_EQ(na.size(), nb.size()) << where << ": node count";
    for (const auto& [key, node] : na) {
        auto it = nb.find(key);
        ASSERT_NE(it, nb.end()) << where << ": " << node->describe() << " is missing";
        expect_same_node(*node, *it->second, str(where, ", ", node->describe()));
    }
}

void expect_same_model(const ir::Model& a, const ir::Model& b) {
    EXPECT_EQ(a.producer_name, b.producer_name);
    EXPECT_EQ(a.producer_version, b.producer_version);
    EXPECT_EQ(a.domain, b.domain);
    EXPECT_EQ(a.doc_string, b.doc_string);
    EXPECT_EQ(a.model_version, b.model_version);
    EXPECT_EQ(a.metadata, b.metadata);
    expect_same_graph(*a.graph, *b.graph, "main");
}

void expect_identical_values(const std::vector<Value>& a, const std::vector<Value>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(std::string(a[i].kind_name()), b[i].kind_name()) << what << " output " << i;
        if (a[i].is_tensor()) {
            EXPECT_TRUE(same_tensor(a[i].tensor(), b[i].tensor())) << what << " output " << i;
        } else if (a[i].is_sequence()) {
            const auto& sa = a[i].sequence();
            const auto& sb = b[i].sequence();
            ASSERT_EQ(sa.size(), sb.size()) << what << " output " << i;
            for (size_t k = 0; k < sa.size(); ++k) {
                EXPECT_TRUE(same_tensor(sa[k], sb[k])) << what << " output " << i << " element " << k;
            }
        }
    }
}

std::vector<Value> run_test_data_set(const Session& session, const fs::path& data_set) {
    std::vector<NamedValue> feeds;
    const std::vector<ValueInfo>& inputs = session.inputs();
    for (size_t k = 0; k < inputs.size(); ++k) {
        fs::path file = data_set / str("input_", k, ".pb");
        if (!fs::exists(file)) break;
        feeds.push_back({inputs[k].name, onnx::load_value_file(file.string(), inputs[k].kind)});
    }
    return session.run_values(feeds);
}

}  // namespace kiln::test
