// CPU kernels of the Ml family (ai.onnx.ml operators, see op_list.inc): ArrayFeatureExtractor, Binarizer,
// LabelEncoder; TreeEnsemble lives in ml_tree.cc.
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/ml_kernels.h"

namespace kiln::cpu {
namespace {

// dst[j] = src[i] for tensors of the same dtype (strings copied as std::string, others byte-wise).
class ElementCopier {
  public:
    ElementCopier(const ir::Node& node, DType t) : string_(t == DType::String), bytes_(dtype_bits(t) / 8) {
        KILN_CHECK(string_ || (bytes_ > 0 && dtype_bits(t) % 8 == 0), NotImplemented, node.describe(), ": dtype ",
                   dtype_name(t), " is not supported");
    }
    void copy(Tensor& dst, int64_t j, const Tensor& src, int64_t i) const {
        if (string_) {
            dst.data<std::string>()[j] = src.data<std::string>()[i];
        } else {
            std::memcpy(static_cast<char*>(dst.raw_data()) + j * bytes_,
                        static_cast<const char*>(src.raw_data()) + i * bytes_, bytes_);
        }
    }

  private:
    bool string_;
    int64_t bytes_;
};

class ArrayFeatureExtractorKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        const Tensor& y = *ctx.input(1);
        Tensor& z = *ctx.output(0);
        ElementCopier copier(ctx.node, x.dtype());
        int64_t f = x.shape().back();
        std::vector<int64_t> idx = ops::tensor_to_int64s(y);
        for (size_t k = 0; k < idx.size(); ++k)
            KILN_CHECK(idx[k] >= 0 && idx[k] < f, InvalidArgument, ctx.node.describe(), ": index ", idx[k], " (at ", k,
                       ") is out of range for the last dim ", f, " of X");
        int64_t rows = f > 0 ? x.element_count() / f : 0;
        int64_t k = static_cast<int64_t>(idx.size());
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < k; ++j) copier.copy(z, r * k + j, x, r * f + idx[j]);
    }
};

class BinarizerKernel : public Kernel {
  public:
    explicit BinarizerKernel(const ir::Node& node) : threshold_(node.attr_float("threshold", 0.f)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        int64_t n = x.element_count();
        auto apply = [&](const auto* in, auto* out) {
            using T = std::remove_const_t<std::remove_pointer_t<decltype(in)>>;
            T t = static_cast<T>(threshold_);
            parallel_for(n, ctx.threads, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) out[i] = in[i] > t ? T(1) : T(0);
            });
        };
        switch (x.dtype()) {
            case DType::Float:
                return apply(x.data<float>(), y.data<float>());
            case DType::Double:
                return apply(x.data<double>(), y.data<double>());
            case DType::Int64:
                return apply(x.data<int64_t>(), y.data<int64_t>());
            case DType::Int32:
                return apply(x.data<int32_t>(), y.data<int32_t>());
            default:
                fail(ErrorCode::NotImplemented, ctx.node.describe(), ": input dtype ", dtype_name(x.dtype()),
                     " is not supported");
        }
    }

  private:
    double threshold_;
};

// Strings, integers or floats of a keys_* / values_* attribute, as a 1-D tensor.
Tensor label_encoder_list(const ir::Node& node, const std::string& prefix) {
    if (const ir::Attribute* a = node.find_attribute(prefix + "_tensor")) return a->t;
    if (const ir::Attribute* a = node.find_attribute(prefix + "_strings"))
        return Tensor::from_vector<std::string>(DType::String, {static_cast<int64_t>(a->strings.size())}, a->strings);
    if (const ir::Attribute* a = node.find_attribute(prefix + "_int64s"))
        return Tensor::from_vector<int64_t>(DType::Int64, {static_cast<int64_t>(a->ints.size())}, a->ints);
    if (const ir::Attribute* a = node.find_attribute(prefix + "_floats"))
        return Tensor::from_vector<float>(DType::Float, {static_cast<int64_t>(a->floats.size())}, a->floats);
    fail(ErrorCode::InvalidModel, node.describe(), ": needs ", prefix, "_strings, _int64s, _floats or _tensor");
}

bool is_float(DType t) { return t == DType::Float || t == DType::Double; }

class LabelEncoderKernel : public Kernel {
  public:
    explicit LabelEncoderKernel(const ir::Node& node) : copier_(node, values_type(node)) {
        Tensor keys = label_encoder_list(node, "keys");
        values_ = label_encoder_list(node, "values");
        key_type_ = keys.dtype();
        KILN_CHECK(keys.element_count() == values_.element_count(), InvalidModel, node.describe(), ": ",
                   keys.element_count(), " keys but ", values_.element_count(), " values");
        // Later keys take precedence.
        if (key_type_ == DType::String) {
            const std::string* k = keys.data<std::string>();
            for (int64_t i = 0; i < keys.element_count(); ++i) strings_[k[i]] = i;
        } else if (is_float(key_type_)) {
            std::vector<double> k = ops::tensor_to_doubles(keys);
            for (size_t i = 0; i < k.size(); ++i) {
                if (std::isnan(k[i])) {
                    nan_index_ = static_cast<int64_t>(i);
                } else {
                    floats_[k[i]] = static_cast<int64_t>(i);
                }
            }
        } else {
            std::vector<int64_t> k = ops::tensor_to_int64s(keys);
            for (size_t i = 0; i < k.size(); ++i) ints_[k[i]] = static_cast<int64_t>(i);
        }
        default_ = make_default(node);
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        Tensor& y = *ctx.output(0);
        KILN_CHECK(x.dtype() == key_type_, InvalidArgument, ctx.node.describe(), ": input is ", dtype_name(x.dtype()),
                   " but the keys are ", dtype_name(key_type_));
        int64_t n = x.element_count();
        auto emit = [&](int64_t j, int64_t idx) {
            if (idx >= 0) {
                copier_.copy(y, j, values_, idx);
            } else {
                copier_.copy(y, j, default_, 0);
            }
        };
        if (key_type_ == DType::String) {
            const std::string* in = x.data<std::string>();
            for (int64_t j = 0; j < n; ++j) {
                auto it = strings_.find(in[j]);
                emit(j, it == strings_.end() ? -1 : it->second);
            }
        } else if (is_float(key_type_)) {
            std::vector<double> in = ops::tensor_to_doubles(x);
            for (int64_t j = 0; j < n; ++j) {
                if (std::isnan(in[j])) {
                    emit(j, nan_index_);
                    continue;
                }
                auto it = floats_.find(in[j]);
                emit(j, it == floats_.end() ? -1 : it->second);
            }
        } else {
            std::vector<int64_t> in = ops::tensor_to_int64s(x);
            for (int64_t j = 0; j < n; ++j) {
                auto it = ints_.find(in[j]);
                emit(j, it == ints_.end() ? -1 : it->second);
            }
        }
    }

  private:
    static DType values_type(const ir::Node& node) { return label_encoder_list(node, "values").dtype(); }

    // The default as a one-element tensor of the values' type.
    Tensor make_default(const ir::Node& node) const {
        DType t = values_.dtype();
        if (const ir::Attribute* a = node.find_attribute("default_tensor")) {
            KILN_CHECK(a->t.dtype() == t && a->t.element_count() == 1, InvalidModel, node.describe(),
                       ": default_tensor must hold one ", dtype_name(t), " value");
            return a->t;
        }
        bool from_tensor = node.has_attribute("values_tensor");
        Tensor d(t, {1});
        switch (t) {
            case DType::String:
                d.data<std::string>()[0] = from_tensor ? "_Unused" : node.attr_string("default_string", "_Unused");
                break;
            case DType::Int64:
                d.data<int64_t>()[0] = from_tensor ? -1 : node.attr_int("default_int64", -1);
                break;
            case DType::Int32:
                d.data<int32_t>()[0] = -1;
                break;
            case DType::Int16:
                d.data<int16_t>()[0] = -1;
                break;
            case DType::Float:
                d.data<float>()[0] = from_tensor ? -0.f : node.attr_float("default_float", -0.f);
                break;
            case DType::Double:
                d.data<double>()[0] = -0.0;
                break;
            default:
                fail(ErrorCode::NotImplemented, node.describe(), ": values of ", dtype_name(t), " are not supported");
        }
        return d;
    }

    ElementCopier copier_;
    Tensor values_;
    Tensor default_;
    DType key_type_ = DType::Undefined;
    std::unordered_map<std::string, int64_t> strings_;
    std::unordered_map<int64_t, int64_t> ints_;
    std::unordered_map<double, int64_t> floats_;
    int64_t nan_index_ = -1;
};

}  // namespace

std::unique_ptr<Kernel> create_Ml(const ir::Node& node) {
    switch (node.op) {
        case OpKind::ArrayFeatureExtractor:
            return std::make_unique<ArrayFeatureExtractorKernel>();
        case OpKind::Binarizer:
            return std::make_unique<BinarizerKernel>(node);
        case OpKind::LabelEncoder:
            return std::make_unique<LabelEncoderKernel>(node);
        case OpKind::TreeEnsemble:
            return create_tree_ensemble(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not an Ml-family op");
    }
}

}  // namespace kiln::cpu
