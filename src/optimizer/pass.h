// Graph passes: Pass::run(Graph&, PassContext&) -> changed. The pass manager runs them to a fixed point, in
// the order of the level the session asked for, and verifies the graph after each pass in debug builds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/session.h"

namespace kiln::opt {

struct PassContext {
    int threads = 1;
    int64_t rewrites = 0;       // rewrites done so far (all passes)
    int64_t max_rewrites = -1;  // KILN_OPT_MAX_REWRITES: stop after this many (bisecting a wrong rewrite)
    bool may_rewrite() const { return max_rewrites < 0 || rewrites < max_rewrites; }
};

class Pass {
  public:
    virtual ~Pass() = default;
    virtual const char* name() const = 0;
    virtual bool run(ir::Graph& graph, PassContext& ctx) = 0;
};

// keep_dequantize_linear: leave DequantizeLinear nodes (and what only they feed) for a device provider's QDQ fusion.
std::unique_ptr<Pass> make_constant_folding(bool keep_dequantize_linear);
std::unique_ptr<Pass> make_dead_node_elimination();
std::unique_ptr<Pass> make_fuse_conv_batch_norm();
std::unique_ptr<Pass> make_fuse_conv_activation();
std::unique_ptr<Pass> make_fuse_gelu();
std::unique_ptr<Pass> make_fuse_mat_mul_bias();

// ONNX Runtime applies provider-independent rewrites before partitioning and the fusions into a provider's own
// ops after it, to the nodes that provider was given. kiln does the same:
enum class OptimizationStage {
    BeforePartitioning,  // constant folding but of DequantizeLinear, dead nodes, Conv+BatchNormalization: the
                         // result is standard ONNX
    CpuFusions,          // on the nodes left to the CPU provider: constant folding of what is left (DequantizeLinear
                         // of constant weights), and fusions into its internal ops (domain "kiln")
};

// Runs the passes of `level` and `stage` over `graph` (subgraphs included). Errors name the pass.
void optimize(ir::Graph& graph, GraphOptimizationLevel level, int threads, OptimizationStage stage);
// Both stages, for a graph that runs on the CPU provider alone.
void optimize(ir::Graph& graph, GraphOptimizationLevel level, int threads);

}  // namespace kiln::opt
