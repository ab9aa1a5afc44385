#include <cstdlib>

#include "optimizer/pass.h"

namespace kiln::opt {
namespace {

std::vector<std::unique_ptr<Pass>> passes_for(GraphOptimizationLevel level, OptimizationStage stage) {
    std::vector<std::unique_ptr<Pass>> passes;
    if (level == GraphOptimizationLevel::DisableAll) return passes;
    if (stage == OptimizationStage::BeforePartitioning) {
        passes.push_back(make_constant_folding(/*keep_dequantize_linear=*/true));
        passes.push_back(make_dead_node_elimination());
        if (level != GraphOptimizationLevel::Basic) passes.push_back(make_fuse_conv_batch_norm());
        return passes;
    }
    passes.push_back(make_constant_folding(/*keep_dequantize_linear=*/false));
    if (level == GraphOptimizationLevel::Basic) {
        passes.push_back(make_dead_node_elimination());
        return passes;
    }
    passes.push_back(make_fuse_conv_activation());
    passes.push_back(make_fuse_gelu());
    passes.push_back(make_fuse_mat_mul_bias());
    passes.push_back(make_dead_node_elimination());
    return passes;
}

int64_t max_rewrites_from_env() {
    const char* env = std::getenv("KILN_OPT_MAX_REWRITES");
    return env ? std::atoll(env) : -1;
}

}  // namespace

void optimize(ir::Graph& graph, GraphOptimizationLevel level, int threads) {
    optimize(graph, level, threads, OptimizationStage::BeforePartitioning);
    optimize(graph, level, threads, OptimizationStage::CpuFusions);
}

void optimize(ir::Graph& graph, GraphOptimizationLevel level, int threads, OptimizationStage stage) {
    auto passes = passes_for(level, stage);
    PassContext ctx;
    ctx.threads = threads;
    ctx.max_rewrites = max_rewrites_from_env();
    constexpr int kMaxRounds = 8;
    for (int round = 0; round < kMaxRounds; ++round) {
        bool changed = false;
        for (auto& pass : passes) {
            try {
                changed |= pass->run(graph, ctx);
            } catch (const Error& e) {
                throw Error(e.code(), str("in pass ", pass->name(), ": ", e.what()));
            }
#ifndef NDEBUG
            graph.verify();
#endif
        }
        if (!changed) break;
    }
}

}  // namespace kiln::opt
