// CPU kernels of the Training family (see op_list.inc): the ai.onnx.preview.training update rules Adagrad, Adam
// and Momentum (standard and nesterov), as onnx.reference writes them. Each tensor X_i is updated from its
// gradient G_i and its state tensors, elementwise; the arithmetic is in double (the reference's learning-rate
// factors are float64) and stored in the tensors' own type.
#include <cmath>
#include <string>
#include <vector>

#include "providers/cpu/kernel.h"

namespace kiln::cpu {
namespace {

double scalar_double(const Tensor& t) {
    return t.dtype() == DType::Double ? t.data<double>()[0] : static_cast<double>(t.data<float>()[0]);
}

double at(const Tensor& t, int64_t i) {
    return t.dtype() == DType::Double ? t.data<double>()[i] : static_cast<double>(t.data<float>()[i]);
}

void put(Tensor& t, int64_t i, double v) {
    if (t.dtype() == DType::Double)
        t.data<double>()[i] = v;
    else
        t.data<float>()[i] = static_cast<float>(v);
}

// One update of element j: reads the values of X, G and the states, returns the new X and states.
struct Step {
    double x, g;
    double s[2];  // state values (Adagrad: H; Adam: V, H; Momentum: V)
};

class TrainingKernel : public Kernel {
  public:
    explicit TrainingKernel(const ir::Node& node) : op_(node.op) {
        norm_ = node.attr_float("norm_coefficient", 0.f);
        switch (op_) {
            case OpKind::Adagrad:
                decay_ = node.attr_float("decay_factor", 0.f);
                epsilon_ = node.attr_float("epsilon", 1e-6f);
                states_ = 1;
                break;
            case OpKind::Adam:
                alpha_ = node.attr_float("alpha", 0.9f);
                beta_ = node.attr_float("beta", 0.999f);
                epsilon_ = node.attr_float("epsilon", 1e-6f);
                norm_post_ = node.attr_float("norm_coefficient_post", 0.f);
                states_ = 2;
                break;
            case OpKind::Momentum: {
                for (const char* key : {"alpha", "beta", "mode", "norm_coefficient"})
                    KILN_CHECK(node.has_attribute(key), InvalidModel, node.describe(), ": needs attribute '", key, "'");
                alpha_ = node.attr_float("alpha", 0.f);
                beta_ = node.attr_float("beta", 0.f);
                std::string mode = node.attr_string("mode", "");
                KILN_CHECK(mode == "standard" || mode == "nesterov", InvalidModel, node.describe(), ": mode '", mode,
                           "' is neither 'standard' nor 'nesterov'");
                nesterov_ = mode == "nesterov";
                states_ = 1;
                break;
            }
            default:
                fail(ErrorCode::Internal, node.describe(), ": not a Training op");
        }
    }

    void run(KernelContext& ctx) const override {
        const ir::Node& node = ctx.node;
        const Tensor& r = *ctx.input(0);
        const Tensor& t = *ctx.input(1);
        KILN_CHECK(r.element_count() == 1 && t.element_count() == 1, InvalidArgument, node.describe(),
                   ": R and T must be scalars, got ", shape_to_string(r.shape()), " and ", shape_to_string(t.shape()));
        const double rate = scalar_double(r);
        const int64_t step = t.data<int64_t>()[0];
        const size_t n = (ctx.inputs.size() - 2) / (2 + states_);
        for (size_t i = 0; i < n; ++i) {
            const Tensor& x = *ctx.input(2 + i);
            const Tensor& g = *ctx.input(2 + n + i);
            KILN_CHECK(g.shape() == x.shape(), InvalidArgument, node.describe(), ": gradient ", i, " has shape ",
                       shape_to_string(g.shape()), ", its tensor ", shape_to_string(x.shape()));
            const Tensor* s[2] = {ctx.input(2 + 2 * n + i), states_ > 1 ? ctx.input(2 + 3 * n + i) : nullptr};
            for (int k = 0; k < states_; ++k)
                KILN_CHECK(s[k]->shape() == x.shape(), InvalidArgument, node.describe(), ": state tensor ", i,
                           " has shape ", shape_to_string(s[k]->shape()), ", its tensor ", shape_to_string(x.shape()));
            Tensor& x_out = *ctx.output(i);
            Tensor* s_out[2] = {ctx.output(n + i), states_ > 1 ? ctx.output(2 * n + i) : nullptr};
            for (int64_t j = 0; j < x.element_count(); ++j) {
                Step e{at(x, j), at(g, j), {at(*s[0], j), states_ > 1 ? at(*s[1], j) : 0.0}};
                update(rate, step, e);
                put(x_out, j, e.x);
                for (int k = 0; k < states_; ++k)
                    if (s_out[k]) put(*s_out[k], j, e.s[k]);
            }
        }
    }

  private:
    void update(double r, int64_t t, Step& e) const {
        const double g = norm_ * e.x + e.g;  // gradient plus that of the regularisation term
        switch (op_) {
            case OpKind::Adagrad: {
                const double rate = r / (1 + static_cast<double>(t) * decay_);
                e.s[0] += g * g;
                e.x -= rate * g / (std::sqrt(e.s[0]) + epsilon_);
                return;
            }
            case OpKind::Adam: {
                e.s[0] = alpha_ * e.s[0] + (1 - alpha_) * g;
                e.s[1] = beta_ * e.s[1] + (1 - beta_) * g * g;
                const double td = static_cast<double>(t);
                const double rate = t > 0 ? r * std::sqrt(1 - std::pow(beta_, td)) / (1 - std::pow(alpha_, td)) : r;
                e.x = (1 - norm_post_) * (e.x - rate * e.s[0] / (std::sqrt(e.s[1]) + epsilon_));
                return;
            }
            default: {  // Momentum; the gradient's coefficient is 1 at the first step
                const double beta = t > 0 ? beta_ : 1.0;
                e.s[0] = alpha_ * e.s[0] + beta * g;
                e.x -= nesterov_ ? r * (g + alpha_ * e.s[0]) : r * e.s[0];
                return;
            }
        }
    }

    OpKind op_;
    int states_ = 1;
    double norm_ = 0, norm_post_ = 0, decay_ = 0, epsilon_ = 0, alpha_ = 0, beta_ = 0;
    bool nesterov_ = false;
};

}  // namespace

std::unique_ptr<Kernel> create_Training(const ir::Node& node) { return std::make_unique<TrainingKernel>(node); }

}  // namespace kiln::cpu
