// CPU kernels of the Layout family (see op_list.inc). create_Layout dispatches on node.op; the copies that only
// reinterpret the shape (Reshape, Squeeze, Unsqueeze, Flatten), the value producers (Constant, ConstantOfShape,
// EyeLike, Range, Shape, Size) live here, the rest in layout_copy.cc, layout_gather.cc, layout_pad.cc and
// layout_cast.cc.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/half.h"
#include "ops/shape_util.h"
#include "providers/cpu/layout_kernels.h"

namespace kiln::cpu {
namespace layout {
namespace {

// Reshape, Squeeze, Unsqueeze, Flatten: the data is unchanged.
class CopyKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override { copy_tensor(*ctx.input(0), *ctx.output(0)); }
};

// Constant: the attribute's tensor (or list), copied into the output.
class ConstantKernel final : public Kernel {
  public:
    explicit ConstantKernel(const ir::Node& node) {
        KILN_CHECK(node.attributes.size() == 1, InvalidModel, node.describe(),
                   ": Constant needs exactly one value attribute");
        const auto& [key, a] = *node.attributes.begin();
        if (key == "value") {
            value_ = a.t;
        } else if (key == "value_float") {
            value_ = Tensor::from_vector<float>(DType::Float, {}, {a.f});
        } else if (key == "value_floats") {
            value_ = Tensor::from_vector<float>(DType::Float, {static_cast<int64_t>(a.floats.size())}, a.floats);
        } else if (key == "value_int") {
            value_ = Tensor::from_vector<int64_t>(DType::Int64, {}, {a.i});
        } else if (key == "value_ints") {
            value_ = Tensor::from_vector<int64_t>(DType::Int64, {static_cast<int64_t>(a.ints.size())}, a.ints);
        } else if (key == "value_string") {
            value_ = Tensor::from_vector<std::string>(DType::String, {}, {a.s});
        } else if (key == "value_strings") {
            value_ =
                Tensor::from_vector<std::string>(DType::String, {static_cast<int64_t>(a.strings.size())}, a.strings);
        } else {
            fail(ErrorCode::NotImplemented, node.describe(), ": Constant attribute '", key, "' is not supported");
        }
    }

    void run(KernelContext& ctx) const override { copy_tensor(value_, *ctx.output(0)); }

  private:
    Tensor value_;
};

// Writes `v` as one element of `dtype` at `dst` (EyeLike's 1, ConstantOfShape's default 0).
void store_number(const ir::Node& node, DType dtype, double v, void* dst) {
    switch (dtype) {
        case DType::Float:
            *static_cast<float*>(dst) = static_cast<float>(v);
            break;
        case DType::Double:
            *static_cast<double*>(dst) = v;
            break;
        case DType::Float16:
            *static_cast<uint16_t*>(dst) = float_to_half(static_cast<float>(v));
            break;
        case DType::BFloat16:
            *static_cast<uint16_t*>(dst) = float_to_bf16(static_cast<float>(v));
            break;
        case DType::Int8:
            *static_cast<int8_t*>(dst) = static_cast<int8_t>(v);
            break;
        case DType::Int16:
            *static_cast<int16_t*>(dst) = static_cast<int16_t>(v);
            break;
        case DType::Int32:
            *static_cast<int32_t*>(dst) = static_cast<int32_t>(v);
            break;
        case DType::Int64:
            *static_cast<int64_t*>(dst) = static_cast<int64_t>(v);
            break;
        case DType::UInt8:
        case DType::Bool:
            *static_cast<uint8_t*>(dst) = static_cast<uint8_t>(v);
            break;
        case DType::UInt16:
            *static_cast<uint16_t*>(dst) = static_cast<uint16_t>(v);
            break;
        case DType::UInt32:
            *static_cast<uint32_t*>(dst) = static_cast<uint32_t>(v);
            break;
        case DType::UInt64:
            *static_cast<uint64_t*>(dst) = static_cast<uint64_t>(v);
            break;
        default:
            fail(ErrorCode::NotImplemented, node.describe(), ": element type ", dtype_name(dtype), " not supported");
    }
}

class ConstantOfShapeKernel final : public Kernel {
  public:
    explicit ConstantOfShapeKernel(const ir::Node& node) {
        if (const ir::Attribute* a = node.find_attribute("value")) {
            value_ = a->t;
        } else {
            value_ = Tensor::from_vector<float>(DType::Float, {1}, {0.0f});
        }
        KILN_CHECK(value_.element_count() == 1, InvalidModel, node.describe(), ": 'value' must hold one element");
    }

    void run(KernelContext& ctx) const override {
        Tensor& out = *ctx.output(0);
        int64_t n = out.element_count();
        dispatch_by_size(ctx.node, out.dtype(), [&](auto tag) {
            using T = decltype(tag);
            std::fill_n(out.data<T>(), n, value_.data<T>()[0]);
        });
    }

  private:
    Tensor value_;
};

class EyeLikeKernel final : public Kernel {
  public:
    explicit EyeLikeKernel(const ir::Node& node) : k_(node.attr_int("k", 0)) {}

    void run(KernelContext& ctx) const override {
        Tensor& out = *ctx.output(0);
        int64_t rows = out.shape()[0], cols = out.shape()[1];
        if (out.element_count() == 0) return;
        KILN_CHECK(out.dtype() != DType::String, NotImplemented, ctx.node.describe(), ": EyeLike of strings");
        size_t elem = dtype_storage_bytes(out.dtype(), 1);
        KILN_CHECK(dtype_bits(out.dtype()) % 8 == 0, NotImplemented, ctx.node.describe(), ": element type ",
                   dtype_name(out.dtype()), " not supported");
        auto* bytes = static_cast<uint8_t*>(out.raw_data());
        std::memset(bytes, 0, out.byte_size());
        for (int64_t i = 0; i < rows; ++i) {
            int64_t j = i + k_;
            if (j >= 0 && j < cols) store_number(ctx.node, out.dtype(), 1.0, bytes + (i * cols + j) * elem);
        }
    }

  private:
    int64_t k_;
};

class RangeKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        Tensor& out = *ctx.output(0);
        int64_t n = out.element_count();
        DType t = out.dtype();
        auto scalar_int = [&](size_t i) { return ops::tensor_to_int64s(*ctx.input(i))[0]; };
        auto scalar_double = [&](size_t i) { return ops::tensor_to_doubles(*ctx.input(i))[0]; };
        switch (t) {
            case DType::Int16:
            case DType::Int32:
            case DType::Int64: {
                int64_t start = scalar_int(0), delta = scalar_int(2);
                auto fill = [&](auto* p) {
                    for (int64_t i = 0; i < n; ++i)
                        p[i] = static_cast<std::remove_pointer_t<decltype(p)>>(start + i * delta);
                };
                if (t == DType::Int16) fill(out.data<int16_t>());
                if (t == DType::Int32) fill(out.data<int32_t>());
                if (t == DType::Int64) fill(out.data<int64_t>());
                break;
            }
            case DType::Float:
            case DType::Double:
            case DType::Float16:
            case DType::BFloat16: {
                // float16/bfloat16 accumulate in float (stash_type = 1), float and double in their own type.
                double start = scalar_double(0), delta = scalar_double(2);
                size_t elem = dtype_bits(t) / 8;
                for (int64_t i = 0; i < n; ++i) {
                    double v = t == DType::Double
                                   ? start + static_cast<double>(i) * delta
                                   : static_cast<float>(start) + static_cast<float>(i) * static_cast<float>(delta);
                    store_number(ctx.node, t, v, out.data<uint8_t>() + i * elem);
                }
                break;
            }
            default:
                fail(ErrorCode::NotImplemented, ctx.node.describe(), ": Range of ", dtype_name(t), " not supported");
        }
    }
};

class ShapeKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const Shape& s = ctx.input(0)->shape();
        int64_t rank = static_cast<int64_t>(s.size());
        int64_t start = ctx.node.attr_int("start", 0);
        if (start < 0) start += rank;
        start = std::clamp<int64_t>(start, 0, rank);
        Tensor& out = *ctx.output(0);
        for (int64_t i = 0; i < out.element_count(); ++i) out.data<int64_t>()[i] = s[start + i];
    }
};

class SizeKernel final : public Kernel {
  public:
    void run(KernelContext& ctx) const override { ctx.output(0)->data<int64_t>()[0] = ctx.input(0)->element_count(); }
};

}  // namespace
}  // namespace layout

std::unique_ptr<Kernel> create_Layout(const ir::Node& node) {
    using namespace layout;
    switch (node.op) {
        case OpKind::Cast:
        case OpKind::CastLike:
            return create_cast(node);
        case OpKind::Concat:
        case OpKind::Gather:
        case OpKind::GatherElements:
        case OpKind::Split:
        case OpKind::Trilu:
            return create_gather(node);
        case OpKind::Constant:
            return std::make_unique<ConstantKernel>(node);
        case OpKind::ConstantOfShape:
            return std::make_unique<ConstantOfShapeKernel>(node);
        case OpKind::DepthToSpace:
        case OpKind::Expand:
        case OpKind::Slice:
        case OpKind::SpaceToDepth:
        case OpKind::Tile:
        case OpKind::Transpose:
            return create_movement(node);
        case OpKind::EyeLike:
            return std::make_unique<EyeLikeKernel>(node);
        case OpKind::Flatten:
        case OpKind::Reshape:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze:
            return std::make_unique<CopyKernel>();
        case OpKind::Pad:
            return create_pad(node);
        case OpKind::Range:
            return std::make_unique<RangeKernel>();
        case OpKind::Shape:
            return std::make_unique<ShapeKernel>();
        case OpKind::Size:
            return std::make_unique<SizeKernel>();
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Layout op");
    }
}

}  // namespace kiln::cpu
