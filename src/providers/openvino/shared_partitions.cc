#include "providers/openvino/shared_partitions.h"

#include <map>
#include <mutex>

namespace kiln::ov {
namespace {

struct Table {
    std::mutex mutex;
    std::map<CacheKey, std::weak_ptr<const CompiledSubgraph>> entries;
};

Table& table() {
    static Table* t = new Table();  // never destroyed: sessions may outlive static destruction
    return *t;
}

}  // namespace

std::shared_ptr<const CompiledSubgraph> find_shared(const CacheKey& key) {
    Table& t = table();
    std::lock_guard<std::mutex> lock(t.mutex);
    auto it = t.entries.find(key);
    if (it == t.entries.end()) return nullptr;
    std::shared_ptr<const CompiledSubgraph> live = it->second.lock();
    if (!live) t.entries.erase(it);
    return live;
}

void publish_shared(const CacheKey& key, const std::shared_ptr<const CompiledSubgraph>& partition) {
    Table& t = table();
    std::lock_guard<std::mutex> lock(t.mutex);
    for (auto it = t.entries.begin(); it != t.entries.end();) {  // entries of sessions that have gone
        it = it->second.expired() ? t.entries.erase(it) : std::next(it);
    }
    t.entries[key] = partition;
}

void forget_shared(const CacheKey& key) {
    Table& t = table();
    std::lock_guard<std::mutex> lock(t.mutex);
    t.entries.erase(key);
}

}  // namespace kiln::ov
