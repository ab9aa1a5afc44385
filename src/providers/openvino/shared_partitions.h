// Weight sharing between the sessions of one process (session config ep.share_ep_contexts=1): a process-wide table
// from a partition's content key (model_cache.h: graph, weights by content, device, compile properties, OpenVINO
// version) to the compiled partition a session made, so that the next session with the same key runs the same
// ov::CompiledModel, with its one copy of the weights, instead of compiling its own. The table holds its entries
// weakly: a compiled model lives as long as a session uses it. Sessions share the compiled model's pool of infer
// requests too (it grows to the number of concurrent runs, and the compiled model's streams serve them all).
#pragma once

#include <memory>

#include "providers/openvino/compiled_subgraph.h"
#include "providers/openvino/model_cache.h"

namespace kiln::ov {

// The partition registered under `key` by a live session; null when there is none.
std::shared_ptr<const CompiledSubgraph> find_shared(const CacheKey& key);
// Registers `partition` under `key` (replacing an entry whose session has gone).
void publish_shared(const CacheKey& key, const std::shared_ptr<const CompiledSubgraph>& partition);
// Drops the entry for `key` (ep.stop_share_ep_contexts=1: later sessions compile their own); sessions using it keep
// it.
void forget_shared(const CacheKey& key);

// One session's handle on a shared compiled partition.
class SharedPartition : public providers::CompiledPartition {
  public:
    explicit SharedPartition(std::shared_ptr<const CompiledSubgraph> shared) : shared_(std::move(shared)) {}
    std::vector<Tensor> run(const std::vector<const Tensor*>& inputs, const Allocate& allocate) const override {
        return shared_->run(inputs, allocate);
    }
    std::string describe() const override { return shared_->describe(); }
    const char* provider_name() const override { return shared_->provider_name(); }
    std::string export_blob() const override { return shared_->export_blob(); }
    std::string sdk_version() const override { return shared_->sdk_version(); }
    const CompiledSubgraph* shared() const { return shared_.get(); }

  private:
    std::shared_ptr<const CompiledSubgraph> shared_;
};

}  // namespace kiln::ov
