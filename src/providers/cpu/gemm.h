// Single-precision GEMM on exactly the requested number of threads, on top of OpenBLAS (OpenMP build).
// OpenBLAS runs single-threaded inside an active OpenMP region, so multi-threaded calls split C into blocks with
// parallel_for and run one serial sgemm per block; a 1-thread call pins OpenBLAS's thread count to 1 for the
// calling thread (omp_get_max_threads is a per-thread ICV) instead of letting it fan out to every core.
#pragma once

#include <cstdint>

namespace kiln::cpu {

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, row-major with leading dimensions lda / ldb / ldc.
// Serial: the calling thread only.
void sgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// Same, on up to `threads` threads (blocks of rows or columns of C).
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int threads);
// Double precision, same contract.
void dgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                  int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// A per-thread scratch buffer of at least `count` floats (contents unspecified), reused across calls on the same
// thread; `slot` distinguishes buffers that must be live at the same time.
float* thread_scratch(int slot, int64_t count);

}  // namespace kiln::cpu
