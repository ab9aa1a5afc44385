// CPU kernels of the Text family (see op_list.inc): RegexFullMatch, StringConcat, StringNormalizer, StringSplit;
// TfIdfVectorizer lives in text_tfidf.cc. String tensors hold std::string objects.
//
// RegexFullMatch runs std::regex (ECMAScript grammar) on patterns written for RE2. The RE2 forms (?P<name>...),
// (?<name>...), a leading (?i), \A, \z and \Q...\E are translated; other RE2-only syntax (\p{..} classes, inline
// flags elsewhere, possessive forms) fails with NotImplemented naming the pattern. Differences that remain:
// matching is byte-wise (`.` and negated classes match one byte of a multi-byte UTF-8 character, where RE2 matches
// the whole code point; \w, \d, \s and \b are ASCII-only like RE2's), and ECMAScript's backreferences and
// lookaheads, which RE2 rejects, are accepted.
#include <algorithm>
#include <regex>
#include <string>

#include "common/parallel.h"
#include "providers/cpu/broadcast.h"
#include "providers/cpu/kernel.h"
#include "providers/cpu/text_kernels.h"

namespace kiln::cpu {
namespace {

void check_string_input(const ir::Node& node, const Tensor& t, const char* what) {
    KILN_CHECK(t.dtype() == DType::String, NotImplemented, node.describe(), ": input ", what, " dtype ",
               dtype_name(t.dtype()), " is not supported (string only)");
}

// The RE2 pattern `re2` in ECMAScript syntax; sets `icase` for a leading (?i).
std::string re2_to_ecmascript(const ir::Node& node, const std::string& re2, bool& icase) {
    std::string out;
    size_t i = 0, n = re2.size();
    icase = false;
    if (re2.compare(0, 4, "(?i)") == 0) {
        icase = true;
        i = 4;
    }
    bool in_class = false;
    while (i < n) {
        char c = re2[i];
        if (c == '\\' && i + 1 < n) {
            char e = re2[i + 1];
            if (!in_class && e == 'A') {
                out += '^';
            } else if (!in_class && e == 'z') {
                out += '$';
            } else if (e == 'Q') {  // literal text up to \E
                size_t end = re2.find("\\E", i + 2);
                std::string lit = re2.substr(i + 2, end == std::string::npos ? std::string::npos : end - i - 2);
                for (char l : lit) {
                    if (std::string_view("\\^$.|?*+()[]{}-/").find(l) != std::string_view::npos) out += '\\';
                    out += l;
                }
                i = end == std::string::npos ? n : end + 2;
                continue;
            } else if (e == 'p' || e == 'P' || e == 'C' || e == 'Z') {
                fail(ErrorCode::NotImplemented, node.describe(), ": RE2 escape \\", e, " in pattern '", re2,
                     "' is not supported by the std::regex engine");
            } else {
                out += c;
                out += e;
            }
            i += 2;
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
            out += c;
            ++i;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            ++i;
            if (i < n && re2[i] == '^') out += re2[i++];
            if (i < n && re2[i] == ']') out += "\\]", ++i;  // a leading ] is a literal in RE2
            continue;
        }
        if (c == '(' && re2.compare(i, 3, "(?P") == 0 && i + 3 < n && re2[i + 3] == '<') {
            size_t close = re2.find('>', i);
            KILN_CHECK(close != std::string::npos, InvalidModel, node.describe(), ": bad group name in pattern '", re2,
                       "'");
            out += '(';
            i = close + 1;
            continue;
        }
        if (c == '(' && re2.compare(i, 3, "(?<") == 0 && i + 3 < n && re2[i + 3] != '=' && re2[i + 3] != '!') {
            size_t close = re2.find('>', i);
            KILN_CHECK(close != std::string::npos, InvalidModel, node.describe(), ": bad group name in pattern '", re2,
                       "'");
            out += '(';
            i = close + 1;
            continue;
        }
        if (c == '(' && i + 2 < n && re2[i + 1] == '?' && re2[i + 2] != ':' && re2[i + 2] != '=' && re2[i + 2] != '!') {
            fail(ErrorCode::NotImplemented, node.describe(), ": RE2 group syntax '", re2.substr(i, 4), "' in pattern '",
                 re2, "' is not supported by the std::regex engine");
        }
        out += c;
        ++i;
    }
    return out;
}

class RegexFullMatchKernel : public Kernel {
  public:
    explicit RegexFullMatchKernel(const ir::Node& node) {
        const std::string& pattern = node.attr("pattern").s;
        bool icase = false;
        std::string ecma = re2_to_ecmascript(node, pattern, icase);
        auto flags = std::regex::ECMAScript | std::regex::optimize;
        if (icase) flags |= std::regex::icase;
        // libstdc++'s default (backtracking) matcher recurses once per input character, so a long string overflows
        // the stack; its breadth-first matcher (__polynomial) does not, but rejects back-references, which keep the
        // backtracking one.
        try {
            regex_ = std::regex(ecma, flags | std::regex_constants::__polynomial);
        } catch (const std::regex_error&) {
            try {
                regex_ = std::regex(ecma, flags);
            } catch (const std::regex_error& e) {
                fail(ErrorCode::InvalidModel, node.describe(), ": invalid regex pattern '", pattern, "': ", e.what());
            }
        }
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        check_string_input(ctx.node, x, "X");
        const std::string* in = x.data<std::string>();
        uint8_t* out = ctx.output(0)->data<uint8_t>();
        parallel_for(
            x.element_count(), ctx.threads,
            [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) out[i] = std::regex_match(in[i], regex_) ? 1 : 0;
            },
            1024);
    }

  private:
    std::regex regex_;
};

class StringConcatKernel : public Kernel {
  public:
    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        const Tensor& y = *ctx.input(1);
        check_string_input(ctx.node, x, "X");
        check_string_input(ctx.node, y, "Y");
        Tensor& z = *ctx.output(0);
        BroadcastPlan plan = make_broadcast_plan(z.shape(), {&x.shape(), &y.shape()});
        const std::string* xs = x.data<std::string>();
        const std::string* ys = y.data<std::string>();
        std::string* zs = z.data<std::string>();
        for_each_row(plan, ctx.threads, 64, [&](const auto& off, int64_t out_off, int64_t count) {
            for (int64_t i = 0; i < count; ++i) {
                const std::string& a = xs[off[0] + i * plan.inner_stride[0]];
                const std::string& b = ys[off[1] + i * plan.inner_stride[1]];
                std::string& r = zs[out_off + i];
                r.reserve(a.size() + b.size());
                r.assign(a);
                r.append(b);
            }
        });
    }
};

class StringNormalizerKernel : public Kernel {
  public:
    explicit StringNormalizerKernel(const ir::Node& node) {
        std::string action = node.attr_string("case_change_action", "NONE");
        change_ = action != "NONE";
        upper_ = action == "UPPER";
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        check_string_input(ctx.node, x, "X");
        std::vector<char> keep = ops::string_normalizer_keep(ctx.node, x);
        Tensor& y = *ctx.output(0);
        const std::string* in = x.data<std::string>();
        std::string* out = y.data<std::string>();
        int64_t k = 0;
        for (int64_t i = 0; i < x.element_count(); ++i) {
            if (!keep[i]) continue;
            KILN_CHECK(k < y.element_count(), Internal, ctx.node.describe(), ": output smaller than kept strings");
            out[k++] = change_ ? ops::utf8_change_case(in[i], upper_) : in[i];
        }
        for (; k < y.element_count(); ++k) out[k].clear();  // everything dropped: one empty string
    }

  private:
    bool change_ = false;
    bool upper_ = false;
};

class StringSplitKernel : public Kernel {
  public:
    explicit StringSplitKernel(const ir::Node& node)
        : delimiter_(node.attr_string("delimiter", "")), maxsplit_(node.attr_int("maxsplit", -1)) {}

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        check_string_input(ctx.node, x, "X");
        Tensor& y = *ctx.output(0);
        Tensor* z = ctx.output(1);
        int64_t n = x.element_count();
        int64_t width = y.shape().empty() ? 0 : y.shape().back();
        const std::string* in = x.data<std::string>();
        std::string* out = y.data<std::string>();
        parallel_for(
            n, ctx.threads,
            [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) {
                    auto pieces = ops::split_string(in[i], delimiter_, maxsplit_);
                    int64_t count = static_cast<int64_t>(pieces.size());
                    KILN_CHECK(count <= width, Internal, ctx.node.describe(), ": output narrower than the split");
                    for (int64_t j = 0; j < width; ++j) {
                        if (j < count) {
                            out[i * width + j].assign(pieces[j]);
                        } else {
                            out[i * width + j].clear();
                        }
                    }
                    if (z) z->data<int64_t>()[i] = count;
                }
            },
            256);
    }

  private:
    std::string delimiter_;
    int64_t maxsplit_;
};

}  // namespace

std::unique_ptr<Kernel> create_Text(const ir::Node& node) {
    switch (node.op) {
        case OpKind::RegexFullMatch:
            return std::make_unique<RegexFullMatchKernel>(node);
        case OpKind::StringConcat:
            return std::make_unique<StringConcatKernel>();
        case OpKind::StringNormalizer:
            return std::make_unique<StringNormalizerKernel>(node);
        case OpKind::StringSplit:
            return std::make_unique<StringSplitKernel>(node);
        case OpKind::TfIdfVectorizer:
            return create_tfidf_vectorizer(node);
        default:
            fail(ErrorCode::Internal, node.describe(), ": not a Text-family op");
    }
}

}  // namespace kiln::cpu
