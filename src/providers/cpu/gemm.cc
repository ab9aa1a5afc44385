#include "providers/cpu/gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "common/parallel.h"

namespace kiln::cpu {
namespace {

// Runs fn with OpenBLAS limited to the calling thread: inside an active OpenMP region it already is; outside, the
// per-thread nthreads ICV that OpenBLAS reads (omp_get_max_threads) is set to 1 for the duration of the call.
template <typename Fn>
void single_threaded(Fn fn) {
    if (omp_in_parallel()) {
        fn();
        return;
    }
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    fn();
    omp_set_num_threads(saved);
}

}  // namespace

void sgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.f ? 0.f : beta * c[i * ldc + j];
        return;
    }
    if (m == 1) {  // a row vector times a matrix: sgemv streams op(B) once instead of packing it first
        if (beta == 0.f) std::fill(c, c + n, 0.f);  // y is unspecified memory: 0 * NaN must not leak in
        const blasint incx = trans_a ? static_cast<blasint>(lda) : 1;
        single_threaded([&] {
            // op(B) is [k, n]: B stored [k, n] (gemv with B^T) or, with trans_b, [n, k] (gemv with B).
            cblas_sgemv(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans, static_cast<blasint>(trans_b ? n : k),
                        static_cast<blasint>(trans_b ? k : n), alpha, b, static_cast<blasint>(ldb), a, incx, beta, c,
                        1);
        });
        return;
    }
    single_threaded([&] {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                    static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
                    static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
    });
}

void dgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                  int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0 ? 0.0 : beta * c[i * ldc + j];
        return;
    }
    single_threaded([&] {
        cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                    static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
                    static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
    });
}

void for_each_gemm_block(int64_t m, int64_t n, int64_t k, int threads,
                         const std::function<void(int64_t, int64_t, int64_t, int64_t)>& fn) {
    int64_t work = m * n * std::max<int64_t>(k, 1);
    if (threads <= 1 || work < (int64_t{1} << 17)) {
        fn(0, m, 0, n);
        return;
    }
    // Split the longer side of C into `threads` blocks (columns in multiples of 16 to keep the vector tails
    // rare): each block packs all of the other operand, so the shorter side is the one duplicated.
    if (n >= m) {
        int64_t blocks = std::min<int64_t>(threads, (n + 15) / 16);
        int64_t step = ((n + blocks - 1) / blocks + 15) / 16 * 16;
        blocks = (n + step - 1) / step;
        parallel_for(
            blocks, threads,
            [&](int64_t b0, int64_t b1) {
                for (int64_t blk = b0; blk < b1; ++blk) fn(0, m, blk * step, std::min(n, (blk + 1) * step));
            },
            int64_t{1} << 30);
    } else {
        int64_t blocks = std::min<int64_t>(threads, m);
        int64_t step = (m + blocks - 1) / blocks;
        blocks = (m + step - 1) / step;
        parallel_for(
            blocks, threads,
            [&](int64_t b0, int64_t b1) {
                for (int64_t blk = b0; blk < b1; ++blk) fn(blk * step, std::min(m, (blk + 1) * step), 0, n);
            },
            int64_t{1} << 30);
    }
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int threads) {
    for_each_gemm_block(m, n, k, threads, [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
        const float* ap = trans_a ? a + i0 : a + i0 * lda;
        const float* bp = trans_b ? b + j0 * ldb : b + j0;
        sgemm_serial(trans_a, trans_b, i1 - i0, j1 - j0, k, alpha, ap, lda, bp, ldb, beta, c + i0 * ldc + j0, ldc);
    });
}

float* thread_scratch(int slot, int64_t count) {
    constexpr int kSlots = 4;
    struct Buffer {
        std::unique_ptr<float[]> data;
        int64_t size = 0;
    };
    thread_local Buffer buffers[kSlots];
    Buffer& b = buffers[slot % kSlots];
    if (b.size < count) {
        b.data.reset(new float[count + 16]);
        b.size = count;
    }
    return b.data.get();
}

}  // namespace kiln::cpu
