// Shape functions of the Text family (see op_list.inc): RegexFullMatch, StringConcat, StringNormalizer,
// StringSplit, TfIdfVectorizer. Also the string algorithms that decide output sizes (StringSplit's pieces,
// StringNormalizer's stopword filter, UTF-8 case mapping), shared with the CPU kernels through
// ops/text.h so that the shape function and the kernel cannot disagree.
#include "ops/text.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_set>

#include "ops/op_def.h"
#include "ops/shape_util.h"

namespace kiln::ops {

// ---- String algorithms (declared in ops/text.h) ----

namespace {

// Python's str.isspace() on the ASCII range (multi-byte UTF-8 sequences never contain ASCII bytes).
bool is_ascii_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f); }

// Simple one-to-one case mapping of the code points kiln knows: ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic. Other code points map to themselves.
char32_t map_case(char32_t c, bool upper) {
    if (upper) {
        if (c >= 'a' && c <= 'z') return c - 32;
        if (c < 0x80) return c;
        if (c >= 0xe0 && c <= 0xfe && c != 0xf7) return c - 32;
        if (c == 0xff) return 0x178;
        if (c >= 0x100 && c <= 0x17f) {
            bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
            bool paired = (c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x139 && c <= 0x148) ||
                          (c >= 0x14a && c <= 0x177) || (c >= 0x179 && c <= 0x17e);
            if (paired && ((c & 1) != 0) != odd_upper) return c - 1;
            return c;
        }
        if (c == 0x3c2) return 0x3a3;  // final sigma
        if (c >= 0x3b1 && c <= 0x3c9) return c - 32;
        if (c >= 0x430 && c <= 0x44f) return c - 32;
        if (c >= 0x450 && c <= 0x45f) return c - 80;
        return c;
    }
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0x80) return c;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7) return c + 32;
    if (c == 0x178) return 0xff;
    if (c >= 0x100 && c <= 0x17f) {
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
        bool paired = (c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x139 && c <= 0x148) ||
                      (c >= 0x14a && c <= 0x177) || (c >= 0x179 && c <= 0x17e);
        if (paired && ((c & 1) != 0) == odd_upper) return c + 1;
        return c;
    }
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
    if (c >= 0x410 && c <= 0x42f) return c + 32;
    if (c >= 0x400 && c <= 0x40f) return c + 80;
    return c;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else {  // the mapped code points stay below U+10000
        out += static_cast<char>(0xe0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    }
}

}  // namespace

std::string utf8_change_case(std::string_view s, bool upper) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        unsigned char b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            out += static_cast<char>(map_case(b, upper));
            ++i;
            continue;
        }
        // Two-byte sequences hold every code point that map_case changes; others are copied byte for byte.
        if ((b & 0xe0) == 0xc0 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xc0) == 0x80) {
            char32_t c = (static_cast<char32_t>(b & 0x1f) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3f);
            if (c >= 0x80) {
                append_utf8(out, map_case(c, upper));
                i += 2;
                continue;
            }
        }
        out += static_cast<char>(b);
        ++i;
    }
    return out;
}

std::vector<std::string_view> split_string(std::string_view s, std::string_view delimiter, int64_t maxsplit) {
    // CPython's str.split(sep, maxsplit): whitespace runs when sep is empty, else every occurrence of sep.
    std::vector<std::string_view> out;
    int64_t budget = maxsplit < 0 ? INT64_MAX : maxsplit;
    size_t n = s.size();
    if (delimiter.empty()) {
        size_t i = 0;
        while (budget-- > 0) {
            while (i < n && is_ascii_space(static_cast<unsigned char>(s[i]))) ++i;
            if (i == n) break;
            size_t j = i++;
            while (i < n && !is_ascii_space(static_cast<unsigned char>(s[i]))) ++i;
            out.push_back(s.substr(j, i - j));
        }
        if (i < n) {  // maxsplit reached: the rest, without its leading whitespace
            while (i < n && is_ascii_space(static_cast<unsigned char>(s[i]))) ++i;
            if (i != n) out.push_back(s.substr(i));
        }
        return out;
    }
    size_t i = 0;
    while (budget-- > 0) {
        size_t pos = s.find(delimiter, i);
        if (pos == std::string_view::npos) break;
        out.push_back(s.substr(i, pos - i));
        i = pos + delimiter.size();
    }
    out.push_back(s.substr(i));
    return out;
}

std::vector<char> string_normalizer_keep(const ir::Node& node, const Tensor& x) {
    bool case_sensitive = node.attr_int("is_case_sensitive", 0) != 0;
    std::unordered_set<std::string> stops;
    if (const ir::Attribute* a = node.find_attribute("stopwords")) {
        for (const std::string& w : a->strings) stops.insert(case_sensitive ? w : utf8_change_case(w, false));
    }
    int64_t n = x.element_count();
    std::vector<char> keep(n, 1);
    if (stops.empty()) return keep;
    const std::string* p = x.data<std::string>();
    for (int64_t i = 0; i < n; ++i) {
        keep[i] = stops.count(case_sensitive ? p[i] : utf8_change_case(p[i], false)) == 0;
    }
    return keep;
}

// ---- Shape functions ----

namespace {

void check_string(const ir::Node& node, const TensorInfo* t, const char* what) {
    KILN_CHECK(t, InvalidModel, node.describe(), ": needs input ", what);
    KILN_CHECK(t->dtype == DType::String || t->dtype == DType::Undefined, InvalidModel, node.describe(), ": input ",
               what, " must be a string tensor, not ", dtype_name(t->dtype));
}

void infer_string_normalizer(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    check_string(node, x, "X");
    std::string action = node.attr_string("case_change_action", "NONE");
    KILN_CHECK(action == "NONE" || action == "LOWER" || action == "UPPER", InvalidModel, node.describe(),
               ": case_change_action '", action, "' must be NONE, LOWER or UPPER");
    std::string locale = node.attr_string("locale", "");
    KILN_CHECK(locale.empty() || locale == "en_US" || locale == "en_US.UTF-8" || locale == "C", NotImplemented,
               node.describe(), ": locale '", locale, "' is not supported (only \"\", \"en_US\" and \"C\")");
    ctx.outputs.at(0).dtype = DType::String;
    if (!x->has_rank()) return;
    const SymbolicShape& xs = *x->shape;
    KILN_CHECK(xs.size() == 1 || (xs.size() == 2 && (!xs[0].known() || xs[0].value == 1)), InvalidArgument,
               node.describe(), ": X ", symbolic_shape_to_string(x->shape), " must be [C] or [1, C]");
    Dim count;
    if (const Tensor* v = ctx.value(0)) {
        auto keep = string_normalizer_keep(node, *v);
        int64_t kept = std::count(keep.begin(), keep.end(), 1);
        count = std::max<int64_t>(kept, 1);  // all dropped: one empty string
    }
    if (xs.size() == 1) {
        ctx.outputs[0].shape = SymbolicShape{count};
    } else {
        ctx.outputs[0].shape = SymbolicShape{Dim(1), count};
    }
}

void infer_string_split(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    check_string(node, x, "X");
    ctx.outputs.at(0).dtype = DType::String;
    if (ctx.outputs.size() > 1) ctx.outputs[1].dtype = DType::Int64;
    if (!x->has_rank()) return;
    Dim widest;
    if (const Tensor* v = ctx.value(0)) {
        std::string delimiter = node.attr_string("delimiter", "");
        int64_t maxsplit = node.attr_int("maxsplit", -1);
        int64_t most = 0;
        const std::string* p = v->data<std::string>();
        for (int64_t i = 0; i < v->element_count(); ++i)
            most = std::max<int64_t>(most, static_cast<int64_t>(split_string(p[i], delimiter, maxsplit).size()));
        widest = most;
    }
    SymbolicShape y = *x->shape;
    y.push_back(widest);
    ctx.outputs[0].shape = y;
    if (ctx.outputs.size() > 1) ctx.outputs[1].shape = *x->shape;
}

void infer_tfidf(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    const TensorInfo* x = ctx.input(0);
    KILN_CHECK(x, InvalidModel, node.describe(), ": needs input X");
    KILN_CHECK(x->dtype == DType::String || x->dtype == DType::Int32 || x->dtype == DType::Int64 ||
                   x->dtype == DType::Undefined,
               InvalidModel, node.describe(), ": X must be string, int32 or int64, not ", dtype_name(x->dtype));
    std::vector<int64_t> indexes = node.attr_ints("ngram_indexes");
    KILN_CHECK(!indexes.empty(), InvalidModel, node.describe(), ": ngram_indexes must not be empty");
    int64_t size = *std::max_element(indexes.begin(), indexes.end()) + 1;
    ctx.outputs.at(0).dtype = DType::Float;
    if (!x->has_rank()) return;
    const SymbolicShape& xs = *x->shape;
    KILN_CHECK(xs.size() <= 2, InvalidArgument, node.describe(), ": X ", symbolic_shape_to_string(x->shape),
               " must be [C] or [B, C]");
    if (xs.size() == 2) {
        ctx.outputs[0].shape = SymbolicShape{xs[0], Dim(size)};
    } else {
        ctx.outputs[0].shape = SymbolicShape{Dim(size)};
    }
}

}  // namespace

void infer_Text(InferContext& ctx) {
    const ir::Node& node = ctx.node;
    switch (node.op) {
        case OpKind::RegexFullMatch: {
            const TensorInfo* x = ctx.input(0);
            check_string(node, x, "X");
            node.attr("pattern");
            ctx.outputs.at(0) = TensorInfo{DType::Bool, x->shape};
            break;
        }
        case OpKind::StringConcat: {
            const TensorInfo* x = ctx.input(0);
            const TensorInfo* y = ctx.input(1);
            check_string(node, x, "X");
            check_string(node, y, "Y");
            ctx.outputs.at(0).dtype = DType::String;
            if (x->has_rank() && y->has_rank()) ctx.outputs[0].shape = broadcast_shapes(node, {&*x->shape, &*y->shape});
            break;
        }
        case OpKind::StringNormalizer:
            infer_string_normalizer(ctx);
            break;
        case OpKind::StringSplit:
            infer_string_split(ctx);
            break;
        case OpKind::TfIdfVectorizer:
            infer_tfidf(ctx);
            break;
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Text-family op");
    }
}

}  // namespace kiln::ops
