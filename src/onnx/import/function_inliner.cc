#include "onnx/import/function_inliner.h"

#include <functional>
#include <unordered_set>
#include <vector>

#include "kiln/error.h"
#include "onnx/loader.h"

namespace kiln::onnx {

namespace {

constexpr int kMaxDepth = 64;

std::string canonical(const std::string& domain) { return domain == "ai.onnx" ? std::string() : domain; }

std::string function_key(const std::string& domain, const std::string& name, const std::string& overload) {
    return str(canonical(domain), '\n', name, '\n', overload);
}

using NodePtr = std::unique_ptr<::onnx::NodeProto>;

class Inliner {
  public:
    Inliner(const ::onnx::ModelProto& model, const OpsetMap& model_opsets, NodeOpsets& out) : out_(out) {
        for (const auto& fn : model.functions()) {
            std::string key = function_key(fn.domain(), fn.name(), fn.overload());
            KILN_CHECK(functions_.emplace(key, &fn).second, InvalidModel, "function '", fn.domain(), ".", fn.name(),
                       "' is defined more than once");
            auto opsets = std::make_shared<OpsetMap>(model_opsets);
            for (const auto& op : fn.opset_import()) (*opsets)[canonical(op.domain())] = op.version();
            auto ai = opsets->find("");
            if (ai != opsets->end()) {
                KILN_CHECK(ai->second >= min_supported_opset() && ai->second <= max_supported_opset(), InvalidModel,
                           "function '", fn.name(), "' imports ai.onnx opset ", ai->second, "; kiln supports opsets ",
                           min_supported_opset(), " to ", max_supported_opset());
            }
            opsets_[&fn] = std::move(opsets);
        }
    }

    void run(::onnx::GraphProto& graph) {
        collect_names(graph);
        inline_graph(graph, nullptr, 0);
    }

  private:
    const ::onnx::FunctionProto* find(const ::onnx::NodeProto& node) const {
        auto it = functions_.find(function_key(node.domain(), node.op_type(), node.overload()));
        return it == functions_.end() ? nullptr : it->second;
    }

    void collect_names(const ::onnx::GraphProto& g) {
        for (const auto& v : g.input()) used_.insert(v.name());
        for (const auto& v : g.output()) used_.insert(v.name());
        for (const auto& v : g.value_info()) used_.insert(v.name());
        for (const auto& t : g.initializer()) used_.insert(t.name());
        for (const auto& t : g.sparse_initializer()) used_.insert(t.values().name());
        for (const auto& n : g.node()) {
            node_names_.insert(n.name());
            for (const auto& s : n.input()) used_.insert(s);
            for (const auto& s : n.output()) used_.insert(s);
            for (const auto& a : n.attribute()) {
                if (a.has_g()) collect_names(a.g());
                for (const auto& sg : a.graphs()) collect_names(sg);
            }
        }
    }

    static std::string fresh_in(std::unordered_set<std::string>& used, int64_t& counter, const std::string& hint) {
        std::string name = hint;
        while (!used.insert(name).second) name = str(hint, "_", ++counter);
        return name;
    }

    // Expands the calls among `graph`'s nodes, in order. `opsets`: those of the function whose body `graph` belongs
    // to (null: the model's).
    void inline_graph(::onnx::GraphProto& graph, const std::shared_ptr<const OpsetMap>& opsets, int depth) {
        std::vector<NodePtr> result;
        for (const auto& n : graph.node()) process(std::make_unique<::onnx::NodeProto>(n), opsets, result, depth);
        graph.clear_node();
        // AddAllocated keeps the objects, so that the addresses recorded in out_ stay valid.
        for (auto& n : result) graph.mutable_node()->AddAllocated(n.release());
    }

    void process(NodePtr node, const std::shared_ptr<const OpsetMap>& opsets, std::vector<NodePtr>& result, int depth) {
        if (const ::onnx::FunctionProto* fn = find(*node)) {
            KILN_CHECK(depth < kMaxDepth, InvalidModel, "function '", fn->name(), "' calls itself (inlined ", depth,
                       " levels deep)");
            expand(*node, *fn, result, depth + 1);
            return;
        }
        for (auto& a : *node->mutable_attribute()) {
            if (a.has_g()) inline_graph(*a.mutable_g(), opsets, depth);
            for (auto& g : *a.mutable_graphs()) inline_graph(g, opsets, depth);
        }
        if (opsets) out_[node.get()] = opsets;
        result.push_back(std::move(node));
    }

    void expand(const ::onnx::NodeProto& call, const ::onnx::FunctionProto& fn, std::vector<NodePtr>& result,
                int depth) {
        const std::string call_name = call.name().empty() ? call.op_type() : call.name();
        KILN_CHECK(call.input_size() <= fn.input_size() && call.output_size() <= fn.output_size(), InvalidModel,
                   "node '", call_name, "' (", call.op_type(), ") has ", call.input_size(), " inputs and ",
                   call.output_size(), " outputs; function '", fn.name(), "' takes ", fn.input_size(), " and ",
                   fn.output_size());
        // Function-scope names -> graph names.
        std::unordered_map<std::string, std::string> names;
        for (int i = 0; i < fn.input_size(); ++i) names[fn.input(i)] = i < call.input_size() ? call.input(i) : "";
        for (int i = 0; i < fn.output_size(); ++i) {
            bool given = i < call.output_size() && !call.output(i).empty();
            names[fn.output(i)] = given ? call.output(i) : fresh_in(used_, counter_, call_name + "/" + fn.output(i));
        }
        auto map_name = [&](const std::string& s) -> std::string {
            if (s.empty()) return s;
            auto it = names.find(s);
            if (it != names.end()) return it->second;
            std::string f = fresh_in(used_, counter_, call_name + "/" + s);
            names.emplace(s, f);
            return f;
        };
        // The call's attributes, then the function's defaults.
        std::unordered_map<std::string, const ::onnx::AttributeProto*> attrs;
        for (const auto& a : call.attribute()) attrs[a.name()] = &a;
        for (const auto& a : fn.attribute_proto()) attrs.emplace(a.name(), &a);

        const std::shared_ptr<const OpsetMap>& fn_opsets = opsets_.at(&fn);
        for (const auto& body : fn.node()) {
            auto node = std::make_unique<::onnx::NodeProto>(body);
            for (auto& s : *node->mutable_input()) s = map_name(s);
            for (auto& s : *node->mutable_output()) s = map_name(s);
            node->set_name(fresh_in(node_names_, counter_,
                                    call_name + "/" + (body.name().empty() ? body.op_type() : body.name())));
            substitute_attributes(*node->mutable_attribute(), attrs, map_name, {});
            process(std::move(node), fn_opsets, result, depth);
        }
    }

    // Resolves attribute references and renames the function-scope names that subgraphs read from outside.
    // `locals`: names defined by the enclosing subgraphs inside the function body (not function-scope names).
    void substitute_attributes(google::protobuf::RepeatedPtrField<::onnx::AttributeProto>& list,
                               const std::unordered_map<std::string, const ::onnx::AttributeProto*>& attrs,
                               const std::function<std::string(const std::string&)>& map_name,
                               const std::unordered_set<std::string>& locals) {
        google::protobuf::RepeatedPtrField<::onnx::AttributeProto> kept;
        for (auto& a : list) {
            if (!a.ref_attr_name().empty()) {
                auto it = attrs.find(a.ref_attr_name());
                if (it == attrs.end()) continue;  // not given and no default: the attribute is absent
                std::string name = a.name();
                a = *it->second;
                a.set_name(name);
            }
            if (a.has_g()) rename_subgraph(*a.mutable_g(), attrs, map_name, locals);
            for (auto& g : *a.mutable_graphs()) rename_subgraph(g, attrs, map_name, locals);
            *kept.Add() = std::move(a);
        }
        list.Swap(&kept);
    }

    void rename_subgraph(::onnx::GraphProto& g,
                         const std::unordered_map<std::string, const ::onnx::AttributeProto*>& attrs,
                         const std::function<std::string(const std::string&)>& map_name,
                         std::unordered_set<std::string> locals) {
        for (const auto& v : g.input()) locals.insert(v.name());
        for (const auto& t : g.initializer()) locals.insert(t.name());
        for (const auto& t : g.sparse_initializer()) locals.insert(t.values().name());
        for (const auto& n : g.node()) {
            for (const auto& s : n.output()) locals.insert(s);
        }
        auto outer = [&](const std::string& s) { return s.empty() || locals.count(s) ? s : map_name(s); };
        for (auto& n : *g.mutable_node()) {
            for (auto& s : *n.mutable_input()) s = outer(s);
            substitute_attributes(*n.mutable_attribute(), attrs, map_name, locals);
        }
        for (auto& v : *g.mutable_output()) v.set_name(outer(v.name()));
    }

    NodeOpsets& out_;
    std::unordered_map<std::string, const ::onnx::FunctionProto*> functions_;
    std::unordered_map<const ::onnx::FunctionProto*, std::shared_ptr<const OpsetMap>> opsets_;
    std::unordered_set<std::string> used_;
    std::unordered_set<std::string> node_names_;
    int64_t counter_ = 0;
};

}  // namespace

void inline_functions(const ::onnx::ModelProto& model, const OpsetMap& model_opsets, ::onnx::GraphProto& graph,
                      NodeOpsets& node_opsets) {
    if (model.functions_size() == 0) return;
    Inliner inliner(model, model_opsets, node_opsets);
    inliner.run(graph);
}

}  // namespace kiln::onnx
