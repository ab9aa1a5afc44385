#include "ir/clusters.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace kiln::ir {
namespace {

struct DisjointSets {
    std::vector<int> parent;
    explicit DisjointSets(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
    int find(int x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    }
    void unite(int a, int b) {
        a = find(a);
        b = find(b);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
};

}  // namespace

std::vector<std::vector<const Node*>> supported_clusters(const Graph& graph,
                                                         const std::function<bool(const Node&)>& supported) {
    std::vector<Node*> order = graph.topological_order();
    std::unordered_map<const Node*, int> index;
    for (size_t i = 0; i < order.size(); ++i) index[order[i]] = static_cast<int>(i);
    std::vector<bool> ok(order.size());
    std::vector<int> depth(order.size(), 0);
    DisjointSets sets(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        const Node& node = *order[i];
        ok[i] = supported(node);
        std::vector<Value*> reads(node.inputs.begin(), node.inputs.end());
        for (Value* v : implicit_inputs(node)) reads.push_back(v);
        std::vector<int> producers;
        for (const Value* v : reads) {
            auto it = v && v->producer ? index.find(v->producer) : index.end();
            if (it == index.end()) continue;
            int p = it->second;
            depth[i] = std::max(depth[i], depth[p] + (ok[p] ? 0 : 1));
            producers.push_back(p);
        }
        if (!ok[i]) continue;
        for (int p : producers) {
            if (ok[p] && depth[p] == depth[i]) sets.unite(p, static_cast<int>(i));
        }
    }
    std::unordered_map<int, size_t> cluster_of_root;
    std::vector<std::vector<const Node*>> clusters;
    for (size_t i = 0; i < order.size(); ++i) {
        if (!ok[i]) continue;
        auto [it, fresh] = cluster_of_root.try_emplace(sets.find(static_cast<int>(i)), clusters.size());
        if (fresh) clusters.emplace_back();
        clusters[it->second].push_back(order[i]);
    }
    return clusters;
}

}  // namespace kiln::ir
