// Opsets 1 to 6: the forms that opset 7 and its neighbours replaced.
//
// - Binary ops (Add, Sub, Mul, Div, Pow, And, Or, Xor, Equal, Greater, Less) before 7 broadcast only with
//   broadcast=1, aligning B with A's dimensions starting at `axis` (default: the trailing ones). Numpy broadcasting
//   aligns trailing dimensions, so B gets rank(A) - axis - rank(B) trailing 1s (Unsqueeze when both ranks are known
//   at import, else Shape/ConstantOfShape/Concat/Reshape at run time). broadcast=0 required equal shapes, which
//   numpy broadcasting computes the same way.
// - PRelu before 7 applied a 1-D slope [C] along dimension 1 of X; 7 broadcasts it numpy-style, so the slope gets
//   rank(X) - 2 trailing 1s.
// - Gemm before 7: the broadcast attribute is dropped (C broadcasts unidirectionally since 7).
// - Concat before 4: axis defaulted to 1.
// - Reshape before 5: shape attribute -> input 1.
// - Cast 1: `to` was the type's name ("FLOAT"); 6 takes the TensorProto.DataType number.
// - LpPool/GlobalLpPool 1: p was a float; 2 takes an int.
// - Tile 1: (input, tiles, axis) -> Tile 6's repeats, for constant tiles/axis and a known rank.
// - RNN/GRU/LSTM 1: output_sequence dropped (the Y output is optional since 7).
// - BatchNormalization before 7: is_test=0 with statistics outputs is training mode.
#include <cctype>

#include "onnx/import/normalize.h"
#include "onnx/onnx-ml.pb.h"

namespace kiln::onnx::detail {

namespace {

// `b` with `k` trailing 1-dimensions appended (an Unsqueeze after the last axes of b).
ir::Value* append_trailing_ones(ir::Graph& graph, ir::Node& node, ir::Value* b, int64_t rank_b, int64_t k) {
    std::vector<int64_t> axes;
    for (int64_t i = 0; i < k; ++i) axes.push_back(rank_b + i);
    ir::Value* axes_v = int64s(graph, node.name + "_bcast_axes", axes);
    return add_node(graph, "Unsqueeze", node.name + "_bcast", {b, axes_v}, 1, node.opset)->outputs[0];
}

// Legacy broadcast with an explicit axis: B aligned with A from `axis`.
void normalize_legacy_binary(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 7) return;
    bool broadcast = node.attr_int("broadcast", 0) != 0;
    bool has_axis = node.has_attribute("axis");
    int64_t axis = node.attr_int("axis", 0);
    node.attributes.erase("broadcast");
    node.attributes.erase("axis");
    if (!broadcast || !has_axis) return;
    KILN_CHECK(node.inputs.size() == 2 && node.inputs[0] && node.inputs[1], InvalidModel, node.describe(),
               " needs two inputs");
    ir::Value* a = node.inputs[0];
    ir::Value* b = node.inputs[1];
    int64_t rank_a = known_rank(a), rank_b = known_rank(b);
    if (rank_b >= 0 && (rank_a >= 0 || axis < 0)) {
        int64_t start = axis < 0 ? axis + (rank_a >= 0 ? rank_a : 0) : axis;
        int64_t k = axis < 0 ? -axis - rank_b : rank_a - start - rank_b;
        KILN_CHECK(k >= 0 && (rank_a < 0 || (start >= 0 && start <= rank_a)), InvalidModel, node.describe(),
                   ": broadcast axis ", axis, " does not fit input ranks ", rank_a, " and ", rank_b);
        if (k > 0) node.inputs[1] = append_trailing_ones(graph, node, b, rank_b, k);
        return;
    }
    // A rank is unknown at import: compute the number of trailing 1s at run time.
    //   k = rank(A) - axis - rank(B)  (axis >= 0)   or   -axis - rank(B)  (axis < 0)
    //   B' = Reshape(B, Concat(Shape(B), ConstantOfShape(k, 1)))
    std::string h = node.name + "_bcast";
    ir::Value* shape_b = add_node(graph, "Shape", h + "_shape_b", {b}, 1, node.opset)->outputs[0];
    ir::Value* rank_b_v = add_node(graph, "Shape", h + "_rank_b", {shape_b}, 1, node.opset)->outputs[0];
    ir::Value* k = nullptr;
    if (axis < 0) {
        k = add_node(graph, "Sub", h + "_k", {int64s(graph, h + "_neg_axis", {-axis}), rank_b_v}, 1, node.opset)
                ->outputs[0];
    } else {
        ir::Value* shape_a = add_node(graph, "Shape", h + "_shape_a", {a}, 1, node.opset)->outputs[0];
        ir::Value* rank_a_v = add_node(graph, "Shape", h + "_rank_a", {shape_a}, 1, node.opset)->outputs[0];
        ir::Value* tail =
            add_node(graph, "Sub", h + "_tail", {rank_a_v, int64s(graph, h + "_axis", {axis})}, 1, node.opset)
                ->outputs[0];
        k = add_node(graph, "Sub", h + "_k", {tail, rank_b_v}, 1, node.opset)->outputs[0];
    }
    ir::Node* ones = add_node(graph, "ConstantOfShape", h + "_ones", {k}, 1, node.opset);
    ir::Attribute value;
    value.kind = ir::Attribute::Kind::Tensor;
    value.t = Tensor::from_vector<int64_t>(DType::Int64, {1}, {1});
    ones->attributes["value"] = value;
    ir::Node* concat = add_node(graph, "Concat", h + "_new_shape", {shape_b, ones->outputs[0]}, 1, node.opset);
    set_int(*concat, "axis", 0);
    node.inputs[1] = add_node(graph, "Reshape", h, {b, concat->outputs[0]}, 1, node.opset)->outputs[0];
}

void normalize_legacy_prelu(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 7) return;
    ir::Value* x = node.inputs.size() > 0 ? node.inputs[0] : nullptr;
    ir::Value* slope = node.inputs.size() > 1 ? node.inputs[1] : nullptr;
    KILN_CHECK(x && slope, InvalidModel, node.describe(), " needs inputs X and slope");
    int64_t rank_x = known_rank(x);
    if (known_rank(slope) != 1 || rank_x < 3) return;
    // A slope of one element broadcasts either way.
    if (slope->type.shape && (*slope->type.shape)[0].known() && (*slope->type.shape)[0].value == 1) return;
    node.inputs[1] = append_trailing_ones(graph, node, slope, 1, rank_x - 2);
}

void normalize_legacy_gemm(ir::Graph&, ir::Node& node) {
    if (node.opset < 7) node.attributes.erase("broadcast");
}

void normalize_legacy_concat(ir::Graph&, ir::Node& node) {
    if (node.opset < 4 && !node.has_attribute("axis")) set_int(node, "axis", 1);
}

void normalize_legacy_reshape(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 5) return;
    KILN_CHECK(node.has_attribute("shape"), InvalidModel, node.describe(), ": required attribute 'shape' is missing");
    node.inputs.resize(1);
    ints_attribute_to_input(graph, node, "shape", 1);
}

void normalize_legacy_cast(ir::Graph&, ir::Node& node) {
    const ir::Attribute* to = node.find_attribute("to");
    if (!to || to->kind != ir::Attribute::Kind::String) return;
    std::string name = to->s;
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ::onnx::TensorProto_DataType type;
    KILN_CHECK(::onnx::TensorProto_DataType_Parse(name, &type), InvalidModel, node.describe(), ": attribute 'to' = '",
               to->s, "' names no tensor type");
    set_int(node, "to", static_cast<int64_t>(type));
}

void normalize_legacy_lp_pool(ir::Graph&, ir::Node& node) {
    const ir::Attribute* p = node.find_attribute("p");
    if (!p || p->kind != ir::Attribute::Kind::Float) return;
    float v = p->f;
    KILN_CHECK(v == static_cast<float>(static_cast<int64_t>(v)), NotImplemented, node.describe(), ": p = ", v,
               " is not an integer");
    set_int(node, "p", static_cast<int64_t>(v));
}

void normalize_legacy_tile(ir::Graph& graph, ir::Node& node) {
    if (node.opset >= 6) return;
    KILN_CHECK(node.inputs.size() == 3 && node.inputs[0] && node.inputs[1] && node.inputs[2], InvalidModel,
               node.describe(), " needs inputs input, tiles and axis");
    std::vector<double> tiles = constant_values(node.inputs[1]);
    std::vector<double> axis = constant_values(node.inputs[2]);
    int64_t rank = known_rank(node.inputs[0]);
    KILN_CHECK(tiles.size() == 1 && axis.size() == 1 && rank >= 0, NotImplemented, node.describe(),
               ": Tile-1 needs constant scalar tiles and axis and an input of known rank");
    auto a = static_cast<int64_t>(axis[0]);
    if (a < 0) a += rank;
    KILN_CHECK(a >= 0 && a < rank, InvalidModel, node.describe(), ": axis ", axis[0], " is out of range for rank ",
               rank);
    std::vector<int64_t> repeats(static_cast<size_t>(rank), 1);
    repeats[static_cast<size_t>(a)] = static_cast<int64_t>(tiles[0]);
    node.inputs = {node.inputs[0], int64s(graph, node.name + "_repeats", repeats)};
}

void normalize_legacy_rnn(ir::Graph&, ir::Node& node) {
    if (node.opset < 7) node.attributes.erase("output_sequence");
}

}  // namespace

std::vector<NormalizerEntry> legacy_normalizers() {
    std::vector<NormalizerEntry> out;
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less"}) {
        out.push_back({op, normalize_legacy_binary});
    }
    out.push_back({"PRelu", normalize_legacy_prelu});
    out.push_back({"Gemm", normalize_legacy_gemm});
    out.push_back({"Concat", normalize_legacy_concat});
    out.push_back({"Reshape", normalize_legacy_reshape});
    out.push_back({"Cast", normalize_legacy_cast});
    out.push_back({"LpPool", normalize_legacy_lp_pool});
    out.push_back({"GlobalLpPool", normalize_legacy_lp_pool});
    out.push_back({"Tile", normalize_legacy_tile});
    for (const char* op : {"RNN", "GRU", "LSTM"}) out.push_back({op, normalize_legacy_rnn});
    return out;
}

}  // namespace kiln::onnx::detail
