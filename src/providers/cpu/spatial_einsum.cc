// Einsum CPU kernel. The equation (parsed by ops::parse_einsum, shared with the shape function) is evaluated left to
// right: each operand first loses its repeated labels (diagonals) and the labels no later operand or the output
// needs (summed), then the running result and the next operand are contracted as one batched GEMM
// [batch, M, K] x [batch, K, N] after transposing both; a final transpose / sum gives the output. Ellipsis dims of
// size 1 broadcast. float32 (float16 / bfloat16 through float), double, int32 and int64.
#include <algorithm>
#include <vector>

#include "common/half.h"
#include "common/parallel.h"
#include "ops/spatial_algo.h"
#include "providers/cpu/float_view.h"
#include "providers/cpu/gemm.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/spatial_kernels.h"

namespace kiln::cpu {
namespace {

template <typename T>
struct Operand {
    std::vector<T> data;
    std::vector<int> labels;    // one per dim
    std::vector<int64_t> dims;  // one per dim
};

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// out[out_labels] = sum over sum_labels of in, with every label's extent taken from `size` (an input dim of 1
// under a larger extent broadcasts; a label repeated in `in` walks its diagonal).
template <typename T>
Operand<T> reduce_permute(const Operand<T>& in, const std::vector<int>& out_labels, const std::vector<int>& sum_labels,
                          const std::vector<int64_t>& size) {
    std::vector<int64_t> in_stride(in.dims.size(), 1);
    for (size_t d = in.dims.size(); d-- > 1;) in_stride[d - 1] = in_stride[d] * in.dims[d];
    auto stride_of = [&](int label) {
        int64_t s = 0;
        for (size_t d = 0; d < in.labels.size(); ++d)
            if (in.labels[d] == label && !(in.dims[d] == 1 && size[label] != 1)) s += in_stride[d];
        return s;
    };
    Operand<T> out;
    out.labels = out_labels;
    int64_t out_count = 1, sum_count = 1;
    for (int l : out_labels) out.dims.push_back(size[l]), out_count *= size[l];
    std::vector<int64_t> sum_dims, sum_strides, out_strides;
    for (int l : sum_labels) sum_dims.push_back(size[l]), sum_count *= size[l], sum_strides.push_back(stride_of(l));
    for (int l : out_labels) out_strides.push_back(stride_of(l));
    out.data.assign(out_count, T(0));
    if (out_count == 0) return out;
    std::vector<int64_t> oi(out_labels.size(), 0), si(sum_labels.size(), 0);
    int64_t base = 0;
    for (int64_t o = 0; o < out_count; ++o) {
        T acc = T(0);
        int64_t off = base;
        std::fill(si.begin(), si.end(), 0);
        for (int64_t s = 0; s < sum_count; ++s) {
            acc += in.data[off];
            for (size_t d = si.size(); d-- > 0;) {
                off += sum_strides[d];
                if (++si[d] < sum_dims[d]) break;
                off -= sum_strides[d] * sum_dims[d];
                si[d] = 0;
            }
        }
        out.data[o] = acc;
        for (size_t d = oi.size(); d-- > 0;) {
            base += out_strides[d];
            if (++oi[d] < out.dims[d]) break;
            base -= out_strides[d] * out.dims[d];
            oi[d] = 0;
        }
    }
    return out;
}

// Unique labels of `op` in first-appearance order, split into those in `needed` and the rest.
template <typename T>
Operand<T> simplify(const Operand<T>& op, const std::vector<int>& needed, const std::vector<int64_t>& size) {
    std::vector<int> keep, sum;
    for (int l : op.labels) {
        if (contains(keep, l) || contains(sum, l)) continue;
        (contains(needed, l) ? keep : sum).push_back(l);
    }
    if (sum.empty() && keep == op.labels) {
        bool broadcast = false;
        for (size_t d = 0; d < op.dims.size(); ++d) broadcast |= op.dims[d] != size[op.labels[d]];
        if (!broadcast) return op;
    }
    return reduce_permute(op, keep, sum, size);
}

template <typename T>
void batched_gemm(int64_t batch, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c, int threads) {
    if constexpr (std::is_same_v<T, float>) {
        if (batch == 1) {
            sgemm(false, false, m, n, k, 1.f, a, k, b, n, 0.f, c, n, threads);
            return;
        }
        parallel_for(
            batch, threads,
            [&](int64_t b0, int64_t b1) {
                for (int64_t i = b0; i < b1; ++i)
                    sgemm_serial(false, false, m, n, k, 1.f, a + i * m * k, k, b + i * k * n, n, 0.f, c + i * m * n, n);
            },
            m * n * k);
    } else if constexpr (std::is_same_v<T, double>) {
        for (int64_t i = 0; i < batch; ++i)
            dgemm_serial(false, false, m, n, k, 1.0, a + i * m * k, k, b + i * k * n, n, 0.0, c + i * m * n, n);
    } else {
        for (int64_t i = 0; i < batch; ++i) {
            const T* ai = a + i * m * k;
            const T* bi = b + i * k * n;
            T* ci = c + i * m * n;
            std::fill(ci, ci + m * n, T(0));
            for (int64_t r = 0; r < m; ++r)
                for (int64_t p = 0; p < k; ++p) {
                    T av = ai[r * k + p];
                    for (int64_t q = 0; q < n; ++q) ci[r * n + q] += av * bi[p * n + q];
                }
        }
    }
}

// Contracts two simplified operands, keeping the labels in `keep`.
template <typename T>
Operand<T> contract(const Operand<T>& a, const Operand<T>& b, const std::vector<int>& keep,
                    const std::vector<int64_t>& size, int threads) {
    std::vector<int> batch, ms, ns, ks;
    for (int l : a.labels) {
        if (contains(b.labels, l)) {
            (contains(keep, l) ? batch : ks).push_back(l);
        } else {
            ms.push_back(l);
        }
    }
    for (int l : b.labels)
        if (!contains(a.labels, l)) ns.push_back(l);
    auto concat = [](std::vector<int> x, const std::vector<int>& y, const std::vector<int>& z) {
        x.insert(x.end(), y.begin(), y.end());
        x.insert(x.end(), z.begin(), z.end());
        return x;
    };
    Operand<T> at = reduce_permute(a, concat(batch, ms, ks), {}, size);
    Operand<T> bt = reduce_permute(b, concat(batch, ks, ns), {}, size);
    auto prod = [&](const std::vector<int>& v) {
        int64_t p = 1;
        for (int l : v) p *= size[l];
        return p;
    };
    int64_t nb = prod(batch), m = prod(ms), n = prod(ns), k = prod(ks);
    Operand<T> c;
    c.labels = concat(batch, ms, ns);
    for (int l : c.labels) c.dims.push_back(size[l]);
    c.data.assign(nb * m * n, T(0));
    if (nb * m * n > 0 && k > 0) batched_gemm<T>(nb, m, n, k, at.data.data(), bt.data.data(), c.data.data(), threads);
    return c;
}

template <typename T>
std::vector<T> load(const Tensor& t) {
    int64_t n = t.element_count();
    std::vector<T> v(n);
    if constexpr (std::is_same_v<T, float>) {
        FloatView f(&t);
        std::copy(f.data(), f.data() + n, v.begin());
    } else {
        std::copy(t.data<T>(), t.data<T>() + n, v.begin());
    }
    return v;
}

template <typename T>
void store(Tensor& t, const std::vector<T>& v) {
    if constexpr (std::is_same_v<T, float>) {
        FloatOut f(t);
        std::copy(v.begin(), v.end(), f.data());
        f.finish();
    } else {
        std::copy(v.begin(), v.end(), t.data<T>());
    }
}

class EinsumKernel : public Kernel {
  public:
    explicit EinsumKernel(const ir::Node& node) : equation_(node.attr_string("equation", "")) {}

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        DType dt = ctx.input(0)->dtype();
        switch (dt) {
            case DType::Float:
            case DType::Float16:
            case DType::BFloat16:
                return run_typed<float>(ctx);
            case DType::Double:
                return run_typed<double>(ctx);
            case DType::Int32:
                return run_typed<int32_t>(ctx);
            case DType::Int64:
                return run_typed<int64_t>(ctx);
            default:
                fail(ErrorCode::NotImplemented, node.describe(), ": dtype ", dtype_name(dt), " is not supported");
        }
    }

  private:
    template <typename T>
    void run_typed(KernelContext& ctx) const {
        const ir::Node& node = ctx.node;
        size_t count = ctx.inputs.size();
        std::vector<int64_t> ranks;
        for (size_t i = 0; i < count; ++i) {
            KILN_CHECK(ctx.input(i)->dtype() == ctx.input(0)->dtype(), InvalidArgument, node.describe(), ": input ", i,
                       " dtype ", dtype_name(ctx.input(i)->dtype()), " differs from input 0");
            ranks.push_back(static_cast<int64_t>(ctx.input(i)->rank()));
        }
        ops::EinsumSpec spec = ops::parse_einsum(node, equation_, ranks);
        std::vector<int64_t> size(ops::kEinsumEllipsisLabel + spec.ellipsis_rank, 1);
        std::vector<bool> seen(size.size(), false);
        std::vector<Operand<T>> ops(count);
        for (size_t i = 0; i < count; ++i) {
            const Shape& s = ctx.input(i)->shape();
            ops[i].labels = spec.inputs[i];
            ops[i].dims = s;
            for (size_t d = 0; d < s.size(); ++d) {
                int l = spec.inputs[i][d];
                if (!seen[l] || size[l] == 1) {
                    size[l] = s[d];
                } else {
                    KILN_CHECK(s[d] == size[l] || s[d] == 1, InvalidArgument, node.describe(), ": input ", i, " dim ",
                               d, " has size ", s[d], " but the same label has size ", size[l], " elsewhere");
                }
                seen[l] = true;
            }
        }
        for (size_t i = 0; i < count; ++i) ops[i].data = load<T>(*ctx.input(i));
        // Labels needed after operand i: the output's and those of operands i + 1 ...
        auto needed_after = [&](size_t i) {
            std::vector<int> v = spec.output;
            for (size_t j = i + 1; j < count; ++j) v.insert(v.end(), ops[j].labels.begin(), ops[j].labels.end());
            return v;
        };
        std::vector<int> need0 = needed_after(0);
        Operand<T> acc = simplify(ops[0], need0, size);
        for (size_t i = 1; i < count; ++i) {
            std::vector<int> keep = needed_after(i);
            std::vector<int> need_rhs = keep;
            need_rhs.insert(need_rhs.end(), acc.labels.begin(), acc.labels.end());
            Operand<T> rhs = simplify(ops[i], need_rhs, size);
            // Labels of acc that neither rhs nor later operands nor the output need were summed by simplify().
            acc = contract(acc, rhs, keep, size, ctx.threads);
        }
        std::vector<int> rest;
        for (int l : acc.labels)
            if (!contains(spec.output, l) && !contains(rest, l)) rest.push_back(l);
        Operand<T> result = reduce_permute(acc, spec.output, rest, size);
        KILN_CHECK(static_cast<int64_t>(result.data.size()) == ctx.output(0)->element_count(), Internal,
                   node.describe(), ": Einsum result size differs from the inferred output shape");
        store(*ctx.output(0), result.data);
    }

    std::string equation_;
};

}  // namespace

std::unique_ptr<Kernel> make_einsum_kernel(const ir::Node& node) { return std::make_unique<EinsumKernel>(node); }

}  // namespace kiln::cpu
