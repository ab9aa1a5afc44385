#include "ir/graph.h"

#include <algorithm>
#include <unordered_set>

namespace kiln::ir {

const char* attribute_kind_name(Attribute::Kind kind) {
    switch (kind) {
        case Attribute::Kind::Float:
            return "float";
        case Attribute::Kind::Int:
            return "int";
        case Attribute::Kind::String:
            return "string";
        case Attribute::Kind::Tensor:
            return "tensor";
        case Attribute::Kind::Graph:
            return "graph";
        case Attribute::Kind::Floats:
            return "floats";
        case Attribute::Kind::Ints:
            return "ints";
        case Attribute::Kind::Strings:
            return "strings";
        case Attribute::Kind::Tensors:
            return "tensors";
        case Attribute::Kind::Graphs:
            return "graphs";
        case Attribute::Kind::TypeInfo:
            return "type_proto";
    }
    return "unknown";
}

std::string Node::describe() const { return str("node '", name, "' (", op_type, ")"); }

const Attribute* Node::find_attribute(const std::string& key) const {
    auto it = attributes.find(key);
    return it == attributes.end() ? nullptr : &it->second;
}

const Attribute& Node::attr(const std::string& key) const {
    const Attribute* a = find_attribute(key);
    if (!a) fail(ErrorCode::InvalidModel, describe(), ": required attribute '", key, "' is missing");
    return *a;
}

namespace {

const Attribute* typed(const Node& node, const std::string& key, Attribute::Kind kind) {
    const Attribute* a = node.find_attribute(key);
    if (a && a->kind != kind) {
        fail(ErrorCode::InvalidModel, node.describe(), ": attribute '", key, "' is ", attribute_kind_name(a->kind),
             ", expected ", attribute_kind_name(kind));
    }
    return a;
}

}  // namespace

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
    const Attribute* a = typed(*this, key, Attribute::Kind::Int);
    return a ? a->i : fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
    const Attribute* a = typed(*this, key, Attribute::Kind::Float);
    return a ? a->f : fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
    const Attribute* a = typed(*this, key, Attribute::Kind::String);
    return a ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key, const std::vector<int64_t>& fallback) const {
    const Attribute* a = typed(*this, key, Attribute::Kind::Ints);
    return a ? a->ints : fallback;
}

std::vector<float> Node::attr_floats(const std::string& key, const std::vector<float>& fallback) const {
    const Attribute* a = typed(*this, key, Attribute::Kind::Floats);
    return a ? a->floats : fallback;
}

Value* Graph::add_value(const std::string& value_name) {
    auto [it, inserted] = values_.try_emplace(value_name);
    KILN_CHECK(inserted, InvalidModel, "graph '", name, "': value name '", value_name, "' is defined more than once");
    it->second = std::make_unique<Value>();
    it->second->name = value_name;
    return it->second.get();
}

Value* Graph::find_value(const std::string& value_name) const {
    for (const Graph* g = this; g; g = g->outer_) {
        auto it = g->values_.find(value_name);
        if (it != g->values_.end()) return it->second.get();
    }
    return nullptr;
}

std::string Graph::unique_name(const std::string& hint) {
    std::string candidate;
    do {
        candidate = hint + "_k" + std::to_string(name_counter_++);
    } while (find_value(candidate));
    return candidate;
}

Node* Graph::add_node(std::unique_ptr<Node> node) {
    Node* raw = node.get();
    for (size_t i = 0; i < raw->outputs.size(); ++i) {
        if (Value* v = raw->outputs[i]) {
            v->producer = raw;
            v->producer_output = static_cast<int>(i);
        }
    }
    nodes_.push_back(std::move(node));
    return raw;
}

void Graph::relink() {
    for (auto& [n, v] : values_) {
        v->producer = nullptr;
        v->producer_output = -1;
    }
    for (auto& node : nodes_) {
        for (size_t i = 0; i < node->outputs.size(); ++i) {
            if (Value* v = node->outputs[i]) {
                v->producer = node.get();
                v->producer_output = static_cast<int>(i);
            }
        }
    }
}

namespace {

// Marks every value that `graph`'s nodes read or write, and what its subgraphs read from outer scopes.
void collect_used_values(const Graph& graph, std::unordered_set<const Value*>& used) {
    for (auto& node : graph.nodes()) {
        for (const Value* v : node->inputs) used.insert(v);
        for (const Value* v : node->outputs) used.insert(v);
        for (auto& [key, attr] : node->attributes) {
            if (attr.g) collect_used_values(*attr.g, used);
            for (auto& g : attr.graphs) collect_used_values(*g, used);
        }
    }
}

}  // namespace

namespace {

bool owns(const Graph& graph, const Value* v) {
    auto it = graph.values().find(v->name);
    return it != graph.values().end() && it->second.get() == v;
}

// Adds to `out` what `graph`'s nodes read that `graph` does not own, recursing into nested subgraphs.
void collect_outer_reads(const Graph& graph, std::vector<Value*>& out) {
    auto add = [&](Value* v) {
        if (v && !owns(graph, v) && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    };
    for (auto& node : graph.nodes()) {
        for (Value* v : node->inputs) add(v);
        for (auto& [key, attr] : node->attributes) {
            std::vector<Value*> inner;
            if (attr.g) collect_outer_reads(*attr.g, inner);
            for (auto& g : attr.graphs) collect_outer_reads(*g, inner);
            for (Value* v : inner) add(v);
        }
    }
    for (Value* v : graph.outputs()) add(v);
}

}  // namespace

std::vector<Value*> implicit_inputs(const Node& node) {
    std::vector<Value*> reads;
    for (auto& [key, attr] : node.attributes) {
        if (attr.g) collect_outer_reads(*attr.g, reads);
        for (auto& g : attr.graphs) collect_outer_reads(*g, reads);
    }
    return reads;
}

void Graph::prune_values() {
    std::unordered_set<const Value*> used;
    collect_used_values(*this, used);
    for (Value* v : inputs_) used.insert(v);
    for (Value* v : outputs_) used.insert(v);
    for (auto it = values_.begin(); it != values_.end();) {
        if (!used.count(it->second.get())) {
            it = values_.erase(it);
        } else {
            ++it;
        }
    }
}

std::vector<Node*> Graph::topological_order() const {
    std::unordered_map<const Node*, int> pending;
    std::unordered_map<const Value*, std::vector<Node*>> consumers;
    for (auto& node : nodes_) pending[node.get()] = 0;
    // Only producers of this graph order its nodes; values from enclosing graphs are ready beforehand.
    auto local = [&](const Node* producer) { return producer && pending.count(producer); };
    for (auto& node : nodes_) {
        int count = 0;
        std::vector<Value*> reads(node->inputs.begin(), node->inputs.end());
        for (Value* v : implicit_inputs(*node)) reads.push_back(v);
        for (const Value* v : reads) {
            if (v && local(v->producer) && v->producer != node.get()) {
                ++count;
                consumers[v].push_back(node.get());
            } else if (v && v->producer == node.get()) {
                fail(ErrorCode::InvalidModel, "graph '", name, "': ", node->describe(), " consumes its own output '",
                     v->name, "' (cycle)");
            }
        }
        pending[node.get()] = count;
    }
    std::vector<Node*> order;
    order.reserve(nodes_.size());
    for (auto& node : nodes_) {
        if (pending[node.get()] == 0) order.push_back(node.get());
    }
    for (size_t i = 0; i < order.size(); ++i) {
        for (const Value* out : order[i]->outputs) {
            if (!out) continue;
            auto it = consumers.find(out);
            if (it == consumers.end()) continue;
            for (Node* c : it->second) {
                if (--pending[c] == 0) order.push_back(c);
            }
        }
    }
    if (order.size() != nodes_.size()) {
        // Every node still pending waits on a pending local producer; walking those producers back from any of
        // them must come round to a node twice, and that node and the ones walked since form a cycle.
        const Node* start = nullptr;
        for (auto& node : nodes_) {
            if (pending[node.get()] > 0) {
                start = node.get();
                break;
            }
        }
        auto pending_producer = [&](const Node* node) -> const Node* {
            std::vector<Value*> reads(node->inputs.begin(), node->inputs.end());
            for (Value* v : implicit_inputs(*node)) reads.push_back(v);
            for (const Value* v : reads) {
                if (v && local(v->producer) && pending[v->producer] > 0) return v->producer;
            }
            return nullptr;
        };
        std::vector<const Node*> walk;
        std::unordered_map<const Node*, size_t> seen;
        for (const Node* n = start; n && !seen.count(n); n = pending_producer(n)) {
            seen[n] = walk.size();
            walk.push_back(n);
        }
        const Node* again = walk.empty() ? nullptr : pending_producer(walk.back());
        KILN_CHECK(again && seen.count(again), Internal, "graph '", name, "': nodes left unordered without a cycle");
        std::string cycle = again->describe();  // in data-flow order: each node feeds the next
        for (size_t i = walk.size(); i-- > seen[again] + 1;) cycle += " -> " + walk[i]->describe();
        fail(ErrorCode::InvalidModel, "graph '", name, "' has a cycle through ", again->describe(), ": ", cycle, " -> ",
             again->describe());
    }
    return order;
}

void Graph::verify() const {
    std::unordered_set<const Value*> defined;
    for (const Value* v : inputs_) defined.insert(v);
    for (auto& [n, v] : values_) {
        if (v->constant) defined.insert(v.get());
    }
    for (auto& node : nodes_) {
        for (const Value* v : node->outputs) {
            if (!v) continue;
            KILN_CHECK(v->producer == node.get(), InvalidModel, "graph '", name, "': value '", v->name,
                       "' is produced by more than one node (", node->describe(), ")");
            KILN_CHECK(!defined.count(v) || v->producer == node.get(), InvalidModel, "graph '", name, "': value '",
                       v->name, "' is both an input/initializer and the output of ", node->describe());
        }
    }
    for (auto& node : nodes_) {
        for (const Value* v : node->inputs) {
            if (!v) continue;
            bool ok = v->producer || defined.count(v) || (outer_ && outer_->find_value(v->name) == v);
            KILN_CHECK(ok, InvalidModel, "graph '", name, "': ", node->describe(), " reads '", v->name,
                       "', which no node, graph input or initializer defines");
        }
    }
    for (const Value* v : outputs_) {
        bool ok = v->producer || defined.count(v) || (outer_ && outer_->find_value(v->name) == v);
        KILN_CHECK(ok, InvalidModel, "graph '", name, "': output '", v->name, "' is never produced");
    }
    topological_order();
}

}  // namespace kiln::ir
