// CPU kernels of the MatMul family (see op_list.inc): Gemm and numpy-style MatMul. float32 goes to OpenBLAS
// (split over batches or blocks of C to honour ctx.threads exactly); double to dgemm; float16 / bfloat16 compute in
// float; int32 / int64 / uint32 / uint64 use plain loops. FusedMatMul (internal, from FuseMatMulBias): float32
// MatMul whose GEMM blocks start from the bias row and end with the optional Gelu.
#include <algorithm>
#include <vector>

#include "common/half.h"
#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/gemm.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/vec_math.h"

namespace kiln::cpu {
namespace {

std::vector<float> to_float(const Tensor& t) {
    std::vector<float> out(t.element_count());
    const uint16_t* p = t.data<uint16_t>();
    if (t.dtype() == DType::Float16) {
        for (size_t i = 0; i < out.size(); ++i) out[i] = half_to_float(p[i]);
    } else {
        for (size_t i = 0; i < out.size(); ++i) out[i] = bf16_to_float(p[i]);
    }
    return out;
}

void from_float(const std::vector<float>& v, Tensor& t) {
    uint16_t* p = t.data<uint16_t>();
    if (t.dtype() == DType::Float16) {
        for (size_t i = 0; i < v.size(); ++i) p[i] = float_to_half(v[i]);
    } else {
        for (size_t i = 0; i < v.size(); ++i) p[i] = float_to_bf16(v[i]);
    }
}

// One [m, k] x [k, n] product into c (overwritten), row-major, for the non-BLAS types.
template <typename T>
void naive_matmul(int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c) {
    for (int64_t i = 0; i < m; ++i) {
        T* row = c + i * n;
        std::fill(row, row + n, T(0));
        for (int64_t p = 0; p < k; ++p) {
            T av = a[i * k + p];
            const T* brow = b + p * n;
            for (int64_t j = 0; j < n; ++j) row[j] += av * brow[j];
        }
    }
}

// ---- MatMul -------------------------------------------------------------------------------------------------

// Batch layout of a numpy matmul: output batch index -> offsets (in matrices) into A and B.
struct MatMulPlan {
    int64_t m = 1, n = 1, k = 1;
    int64_t batch = 1;
    std::vector<int64_t> a_index, b_index;  // per output batch entry
    bool b_shared = false;                  // every batch entry uses the same B matrix
    bool a_contiguous = false;              // a_index[i] == i
};

MatMulPlan plan_matmul(const Shape& a_shape, const Shape& b_shape) {
    Shape as = a_shape, bs = b_shape;
    if (as.size() == 1) as.insert(as.begin(), 1);
    if (bs.size() == 1) bs.push_back(1);
    MatMulPlan p;
    p.m = as[as.size() - 2];
    p.k = as.back();
    p.n = bs.back();
    size_t rank = std::max(as.size(), bs.size()) - 2;
    Shape ab(rank, 1), bb(rank, 1), ob(rank, 1);
    for (size_t i = 0; i < as.size() - 2; ++i) ab[rank - (as.size() - 2) + i] = as[i];
    for (size_t i = 0; i < bs.size() - 2; ++i) bb[rank - (bs.size() - 2) + i] = bs[i];
    for (size_t i = 0; i < rank; ++i) {
        ob[i] = std::max(ab[i], bb[i]);
        if (ab[i] == 0 || bb[i] == 0) ob[i] = 0;
    }
    p.batch = 1;
    for (int64_t d : ob) p.batch *= d;
    p.a_index.resize(p.batch);
    p.b_index.resize(p.batch);
    std::vector<int64_t> idx(rank, 0);
    for (int64_t bi = 0; bi < p.batch; ++bi) {
        int64_t ao = 0, bo = 0;
        for (size_t d = 0; d < rank; ++d) {
            ao = ao * ab[d] + (ab[d] == 1 ? 0 : idx[d]);
            bo = bo * bb[d] + (bb[d] == 1 ? 0 : idx[d]);
        }
        p.a_index[bi] = ao;
        p.b_index[bi] = bo;
        for (size_t d = rank; d-- > 0;) {
            if (++idx[d] < ob[d]) break;
            idx[d] = 0;
        }
    }
    p.b_shared = std::all_of(p.b_index.begin(), p.b_index.end(), [](int64_t v) { return v == 0; });
    p.a_contiguous = true;
    for (int64_t i = 0; i < p.batch; ++i) p.a_contiguous &= p.a_index[i] == i;
    return p;
}

// FusedMatMul's epilogue: y = gelu(y) (erf form, as the Unary kernel) when `gelu`, else nothing.
void apply_activation(bool gelu, float* y, int64_t n) {
    if (!gelu) return;
    for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * y[i] * (1.f + erf_approx(y[i] * 0.7071067811865476f));
}

// c = a x b (+ bias [n] on every row, then the optional Gelu), float32.
void matmul_float(const MatMulPlan& p, const float* a, const float* b, float* c, int threads,
                  const float* bias = nullptr, bool gelu = false) {
    const int64_t a_size = p.m * p.k, b_size = p.k * p.n, c_size = p.m * p.n;
    const float beta = bias ? 1.f : 0.f;
    if (p.b_shared && p.a_contiguous) {  // [B, S, K] x [K, N]: one tall GEMM, bias and Gelu per block
        for_each_gemm_block(p.batch * p.m, p.n, p.k, threads, [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
            for (int64_t i = i0; i < i1 && bias; ++i) std::copy(bias + j0, bias + j1, c + i * p.n + j0);
            sgemm_serial(false, false, i1 - i0, j1 - j0, p.k, 1.f, a + i0 * p.k, p.k, b + j0, p.n, beta,
                         c + i0 * p.n + j0, p.n);
            for (int64_t i = i0; i < i1; ++i) apply_activation(gelu, c + i * p.n + j0, j1 - j0);
        });
        return;
    }
    if (bias) {
        for (int64_t i = 0; i < p.batch * p.m; ++i) std::copy(bias, bias + p.n, c + i * p.n);
    }
    if (p.batch >= threads || threads <= 1) {
        parallel_for(
            p.batch, threads,
            [&](int64_t b0, int64_t b1) {
                for (int64_t i = b0; i < b1; ++i) {
                    sgemm_serial(false, false, p.m, p.n, p.k, 1.f, a + p.a_index[i] * a_size, p.k,
                                 b + p.b_index[i] * b_size, p.n, beta, c + i * c_size, p.n);
                    apply_activation(gelu, c + i * c_size, c_size);
                }
            },
            std::max<int64_t>(1, p.m * p.n * p.k));
        return;
    }
    for (int64_t i = 0; i < p.batch; ++i) {
        sgemm(false, false, p.m, p.n, p.k, 1.f, a + p.a_index[i] * a_size, p.k, b + p.b_index[i] * b_size, p.n, beta,
              c + i * c_size, p.n, threads);
        apply_activation(gelu, c + i * c_size, c_size);
    }
}

template <typename T>
void matmul_generic(const MatMulPlan& p, const T* a, const T* b, T* c, int threads) {
    const int64_t a_size = p.m * p.k, b_size = p.k * p.n, c_size = p.m * p.n;
    parallel_for(
        p.batch, threads,
        [&](int64_t b0, int64_t b1) {
            for (int64_t i = b0; i < b1; ++i) {
                if constexpr (std::is_same_v<T, double>) {
                    dgemm_serial(false, false, p.m, p.n, p.k, 1.0, a + p.a_index[i] * a_size, p.k,
                                 b + p.b_index[i] * b_size, p.n, 0.0, c + i * c_size, p.n);
                } else {
                    naive_matmul(p.m, p.n, p.k, a + p.a_index[i] * a_size, b + p.b_index[i] * b_size, c + i * c_size);
                }
            }
        },
        std::max<int64_t>(1, p.m * p.n * p.k));
}

// MatMul, and FusedMatMul (input 2: bias [N]; "activation": Gelu or absent; float32 only).
class MatMulKernel : public Kernel {
  public:
    explicit MatMulKernel(const ir::Node& node) : gelu_(node.attr_string("activation", "") == "Gelu") {
        KILN_CHECK(!node.has_attribute("activation") || gelu_, InvalidModel, node.describe(), ": unknown activation '",
                   node.attr_string("activation", ""), "'");
    }
    void run(KernelContext& ctx) const override {
        const Tensor& a = *ctx.input(0);
        const Tensor& b = *ctx.input(1);
        const Tensor* bias = ctx.input(2);
        Tensor& y = *ctx.output(0);
        if (y.element_count() == 0) return;
        MatMulPlan p = plan_matmul(a.shape(), b.shape());
        if (bias || gelu_) {
            KILN_CHECK(a.dtype() == DType::Float &&
                           (!bias || (bias->dtype() == DType::Float && bias->element_count() == p.n && p.k > 0)),
                       InvalidArgument, ctx.node.describe(), ": needs float32 A and a float32 bias of ", p.n,
                       " values");
            matmul_float(p, a.data<float>(), b.data<float>(), y.data<float>(), ctx.threads,
                         bias ? bias->data<float>() : nullptr, gelu_);
            return;
        }
        if (p.k == 0) {  // empty reduction: zeros (outputs arrive zero-filled only when freshly allocated)
            std::fill(static_cast<char*>(y.raw_data()), static_cast<char*>(y.raw_data()) + y.byte_size(), 0);
            return;
        }
        switch (a.dtype()) {
            case DType::Float:
                matmul_float(p, a.data<float>(), b.data<float>(), y.data<float>(), ctx.threads);
                break;
            case DType::Double:
                matmul_generic(p, a.data<double>(), b.data<double>(), y.data<double>(), ctx.threads);
                break;
            case DType::Float16:
            case DType::BFloat16: {
                std::vector<float> af = to_float(a), bf = to_float(b), yf(y.element_count());
                matmul_float(p, af.data(), bf.data(), yf.data(), ctx.threads);
                from_float(yf, y);
                break;
            }
            case DType::Int32:
                matmul_generic(p, a.data<int32_t>(), b.data<int32_t>(), y.data<int32_t>(), ctx.threads);
                break;
            case DType::Int64:
                matmul_generic(p, a.data<int64_t>(), b.data<int64_t>(), y.data<int64_t>(), ctx.threads);
                break;
            case DType::UInt32:
                matmul_generic(p, a.data<uint32_t>(), b.data<uint32_t>(), y.data<uint32_t>(), ctx.threads);
                break;
            case DType::UInt64:
                matmul_generic(p, a.data<uint64_t>(), b.data<uint64_t>(), y.data<uint64_t>(), ctx.threads);
                break;
            default:
                fail(ErrorCode::NotImplemented, ctx.node.describe(), ": MatMul on ", dtype_name(a.dtype()),
                     " is not implemented");
        }
    }

  private:
    bool gelu_;
};

// ---- Gemm ---------------------------------------------------------------------------------------------------

// Fills y [m, n] with beta * C broadcast (unidirectionally) to [m, n].
template <typename T>
void fill_bias(const T* c, const Shape& cs, float beta, int64_t m, int64_t n, T* y) {
    int64_t cm = cs.size() == 2 ? cs[0] : 1;
    int64_t cn = cs.empty() ? 1 : cs.back();
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
            y[i * n + j] = static_cast<T>(beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)]);
}

class GemmKernel : public Kernel {
  public:
    explicit GemmKernel(const ir::Node& node)
        : trans_a_(node.attr_int("transA", 0) != 0),
          trans_b_(node.attr_int("transB", 0) != 0),
          alpha_(node.attr_float("alpha", 1.f)),
          beta_(node.attr_float("beta", 1.f)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& a = *ctx.input(0);
        const Tensor& b = *ctx.input(1);
        const Tensor* c = ctx.input(2);
        if (c && c->element_count() == 0) c = nullptr;
        Tensor& y = *ctx.output(0);
        int64_t m = y.shape()[0], n = y.shape()[1];
        int64_t k = trans_a_ ? a.shape()[0] : a.shape()[1];
        int64_t lda = a.shape()[1], ldb = b.shape()[1];
        bool bias = c && beta_ != 0.f;
        switch (a.dtype()) {
            case DType::Float:
                run_float(a.data<float>(), b.data<float>(), bias ? c->data<float>() : nullptr,
                          bias ? c->shape() : Shape{}, y.data<float>(), m, n, k, lda, ldb, ctx.threads);
                break;
            case DType::Float16:
            case DType::BFloat16: {
                std::vector<float> af = to_float(a), bf = to_float(b), cf, yf(y.element_count());
                if (bias) cf = to_float(*c);
                run_float(af.data(), bf.data(), bias ? cf.data() : nullptr, bias ? c->shape() : Shape{}, yf.data(), m,
                          n, k, lda, ldb, ctx.threads);
                from_float(yf, y);
                break;
            }
            case DType::Double: {
                double* yp = y.data<double>();
                if (bias) fill_bias(c->data<double>(), c->shape(), beta_, m, n, yp);
                dgemm_serial(trans_a_, trans_b_, m, n, k, alpha_, a.data<double>(), lda, b.data<double>(), ldb,
                             bias ? 1.0 : 0.0, yp, n);
                break;
            }
            default:
                fail(ErrorCode::NotImplemented, ctx.node.describe(), ": Gemm on ", dtype_name(a.dtype()),
                     " is not implemented");
        }
    }

  private:
    void run_float(const float* a, const float* b, const float* c, const Shape& cs, float* y, int64_t m, int64_t n,
                   int64_t k, int64_t lda, int64_t ldb, int threads) const {
        if (c) fill_bias(c, cs, beta_, m, n, y);
        sgemm(trans_a_, trans_b_, m, n, k, alpha_, a, lda, b, ldb, c ? 1.f : 0.f, y, n, threads);
    }

    bool trans_a_, trans_b_;
    float alpha_, beta_;
};

}  // namespace

std::unique_ptr<Kernel> create_MatMul(const ir::Node& node) {
    if (node.op == OpKind::Gemm) return std::make_unique<GemmKernel>(node);
    return std::make_unique<MatMulKernel>(node);
}

}  // namespace kiln::cpu
