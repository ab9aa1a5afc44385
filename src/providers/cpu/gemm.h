// Single-precision GEMM on exactly the requested number of threads, on top of OpenBLAS (OpenMP build).
// OpenBLAS runs single-threaded inside an active OpenMP region, so multi-threaded calls split C into blocks with
// parallel_for and run one serial sgemm per block; a 1-thread call pins OpenBLAS's thread count to 1 for the
// calling thread (omp_get_max_threads is a per-thread ICV) instead of letting it fan out to every core.
#pragma once

#include <cstdint>
#include <functional>

namespace kiln::cpu {

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, row-major with leading dimensions lda / ldb / ldc.
// Serial: the calling thread only.
void sgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// Same, on up to `threads` threads (the blocks of for_each_gemm_block).
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int threads);
// Splits C [m, n] (for a GEMM with inner dimension k) into blocks of rows or of columns, one per thread, and
// calls fn(row_begin, row_end, col_begin, col_end) for each, concurrently; a single block when threads <= 1 or
// the product is small. Lets callers run a prologue / epilogue on their block while it is in cache.
void for_each_gemm_block(int64_t m, int64_t n, int64_t k, int threads,
                         const std::function<void(int64_t, int64_t, int64_t, int64_t)>& fn);
// Double precision, same contract.
void dgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                  int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// A per-thread scratch buffer of at least `count` floats (contents unspecified), reused across calls on the same
// thread; `slot` distinguishes buffers that must be live at the same time.
float* thread_scratch(int slot, int64_t count);

}  // namespace kiln::cpu
