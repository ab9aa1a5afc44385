#include "providers/openvino/element_type.h"

namespace kiln::ov {
namespace {

struct Pair {
    DType dtype;
    ::ov::element::Type_t type;
};

// One table for both directions.
constexpr Pair kPairs[] = {
    {DType::Float, ::ov::element::Type_t::f32},         {DType::Float16, ::ov::element::Type_t::f16},
    {DType::BFloat16, ::ov::element::Type_t::bf16},     {DType::Double, ::ov::element::Type_t::f64},
    {DType::Int8, ::ov::element::Type_t::i8},           {DType::Int16, ::ov::element::Type_t::i16},
    {DType::Int32, ::ov::element::Type_t::i32},         {DType::Int64, ::ov::element::Type_t::i64},
    {DType::UInt8, ::ov::element::Type_t::u8},          {DType::UInt16, ::ov::element::Type_t::u16},
    {DType::UInt32, ::ov::element::Type_t::u32},        {DType::UInt64, ::ov::element::Type_t::u64},
    {DType::Bool, ::ov::element::Type_t::boolean},      {DType::Int4, ::ov::element::Type_t::i4},
    {DType::UInt4, ::ov::element::Type_t::u4},          {DType::Float8E4M3FN, ::ov::element::Type_t::f8e4m3},
    {DType::Float8E5M2, ::ov::element::Type_t::f8e5m2}, {DType::Float4E2M1, ::ov::element::Type_t::f4e2m1},
    {DType::Float8E8M0, ::ov::element::Type_t::f8e8m0},
};

}  // namespace

::ov::element::Type element_type_of(DType dtype) {
    for (const Pair& p : kPairs) {
        if (p.dtype == dtype) return p.type;
    }
    return ::ov::element::dynamic;
}

DType dtype_of(const ::ov::element::Type& type) {
    for (const Pair& p : kPairs) {
        if (::ov::element::Type(p.type) == type) return p.dtype;
    }
    return DType::Undefined;
}

}  // namespace kiln::ov
