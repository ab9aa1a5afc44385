// Text-family CPU kernel and shape-function tests (RegexFullMatch, StringConcat, StringNormalizer, StringSplit,
// TfIdfVectorizer); expected values from the Python expressions in the comments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/expect_error.h"
#include "support/op_runner.h"

namespace kiln {
namespace {

using test::expect_error;
using test::OpCase;
using test::values_of;

using Strings = std::vector<std::string>;

Tensor str(Shape s, Strings v) { return Tensor::from_vector<std::string>(DType::String, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(DType::Int64, std::move(s), v); }

// Runs `op` with `attrs` (string-list attributes included) on `inputs` through its shape function and kernel.
std::vector<Tensor> run_node(const std::string& op, std::vector<Tensor> inputs, const ir::AttributeMap& attrs,
                             int outputs = 1) {
    OpCase c(op);
    for (auto& t : inputs) c.input(std::move(t));
    for (const auto& [key, a] : attrs) c.attr(key, a);
    return c.outputs(outputs).run();
}

ir::Attribute strings_attr(Strings v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Strings;
    a.strings = std::move(v);
    return a;
}

ir::Attribute int_attr(int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = v;
    return a;
}

ir::Attribute string_attr(std::string v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = std::move(v);
    return a;
}

ir::Attribute ints_attr(std::vector<int64_t> v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Ints;
    a.ints = std::move(v);
    return a;
}

std::vector<uint8_t> bools(const Tensor& t) { return values_of<uint8_t>(t); }

TEST(TextTest, RegexFullMatch) {
    // [re.fullmatch(r"www\.[\w.-]+\.\bcom\b", s) is not None for s in ...] -> [True, False, False]
    auto y = OpCase("RegexFullMatch")
                 .input(str({3}, {"www.google.com", "www.bbc.co.uk", "xwww.a.com"}))
                 .attr_string("pattern", R"(www\.[\w.-]+\.\bcom\b)")
                 .run()[0];
    EXPECT_EQ(y.dtype(), DType::Bool);
    EXPECT_EQ(bools(y), (std::vector<uint8_t>{1, 0, 0}));
    // RE2 forms translated: leading (?i), named groups, \A ... \z, \Q...\E.
    auto z = OpCase("RegexFullMatch")
                 .input(str({2, 2}, {"ABC-1", "abc-x", "a.b", "axb"}))
                 .attr_string("pattern", R"((?i)\A(?P<word>abc)-\d\z|\Qa.b\E)")
                 .run()[0];
    EXPECT_EQ(z.shape(), (Shape{2, 2}));
    EXPECT_EQ(bools(z), (std::vector<uint8_t>{1, 0, 1, 0}));
    expect_error([] { OpCase("RegexFullMatch").input(str({1}, {"a"})).attr_string("pattern", "(ab").run(); },
                 ErrorCode::InvalidModel, {"RegexFullMatch_under_test", "(ab"});
    expect_error([] { OpCase("RegexFullMatch").input(str({1}, {"a"})).attr_string("pattern", R"(\pL+)").run(); },
                 ErrorCode::NotImplemented, {"RegexFullMatch_under_test"});
}

TEST(TextTest, StringConcatBroadcasts) {
    // np.char.add([["cat"], ["dog"]], ["s", "!"]) -> [["cats", "cat!"], ["dogs", "dog!"]]
    auto y = OpCase("StringConcat").input(str({2, 1}, {"cat", "dog"})).input(str({2}, {"s", "!"})).run()[0];
    EXPECT_EQ(y.shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<std::string>(y), (Strings{"cats", "cat!", "dogs", "dog!"}));
    // Scalars and UTF-8 bytes pass through untouched.
    auto s = OpCase("StringConcat").input(str({}, {"中"})).input(str({}, {"文"})).run()[0];
    EXPECT_EQ(values_of<std::string>(s), (Strings{"中文"}));
    expect_error(
        [] {
            OpCase("StringConcat").input(str({2}, {"a", "b"})).input(str({3}, {"a", "b", "c"})).run();
        },
        ErrorCode::InvalidArgument, {"StringConcat_under_test"});
}

TEST(TextTest, StringNormalizer) {
    // Case-insensitive stopword "monday", then upper-cased: ["Monday", "tuesday", "MONDAY", "école"]
    // -> [w.upper() for w in x if w.lower() != "monday"] = ["TUESDAY", "ÉCOLE"]
    ir::AttributeMap attrs{{"stopwords", strings_attr({"monday"})}, {"case_change_action", string_attr("UPPER")}};
    auto y = run_node("StringNormalizer", {str({1, 4}, {"Monday", "tuesday", "MONDAY", "école"})}, attrs)[0];
    EXPECT_EQ(y.shape(), (Shape{1, 2}));
    EXPECT_EQ(values_of<std::string>(y), (Strings{"TUESDAY", "ÉCOLE"}));
    // Case-sensitive: only the exact stopword goes; LOWER maps Latin-1, Greek and Cyrillic letters too.
    attrs = {{"stopwords", strings_attr({"monday"})},
             {"is_case_sensitive", int_attr(1)},
             {"case_change_action", string_attr("LOWER")}};
    auto z = run_node("StringNormalizer", {str({3}, {"monday", "Monday", "ÀΣЖ"})}, attrs)[0];
    EXPECT_EQ(values_of<std::string>(z), (Strings{"monday", "àσж"}));
    // Everything dropped: one empty string.
    auto e = run_node("StringNormalizer", {str({2}, {"monday", "monday"})}, attrs)[0];
    EXPECT_EQ(e.shape(), (Shape{1}));
    EXPECT_EQ(values_of<std::string>(e), (Strings{""}));
    expect_error(
        [] {
            run_node("StringNormalizer", {str({2, 1}, {"a", "b"})}, {});
        },
        ErrorCode::InvalidArgument, {"StringNormalizer_under_test", "[1, C]"});
}

TEST(TextTest, StringSplit) {
    // [s.split(None, 1) for s in ["  a b  c ", "x", ""]] -> [["a", "b  c "], ["x"], []]
    auto ws = run_node("StringSplit", {str({3}, {"  a b  c ", "x", ""})}, {{"maxsplit", int_attr(1)}}, 2);
    EXPECT_EQ(ws[0].shape(), (Shape{3, 2}));
    EXPECT_EQ(values_of<std::string>(ws[0]), (Strings{"a", "b  c ", "x", "", "", ""}));
    EXPECT_EQ(values_of<int64_t>(ws[1]), (std::vector<int64_t>{2, 1, 0}));
    // [s.split("--") for s in ["a--b----c", ""]] -> [["a", "b", "", "c"], [""]]
    auto d = run_node("StringSplit", {str({2}, {"a--b----c", ""})}, {{"delimiter", string_attr("--")}}, 2);
    EXPECT_EQ(d[0].shape(), (Shape{2, 4}));
    EXPECT_EQ(values_of<std::string>(d[0]), (Strings{"a", "b", "", "c", "", "", "", ""}));
    EXPECT_EQ(values_of<int64_t>(d[1]), (std::vector<int64_t>{4, 1}));
    expect_error([] { run_node("StringSplit", {i64({1}, {1})}, {}, 2); }, ErrorCode::InvalidModel,
                 {"StringSplit_under_test", "string"});
}

TEST(TextTest, TfIdfVectorizerIntegers) {
    // ONNX example (test_tfidfvectorizer_tf_uniandbigrams_skip5): unigrams [2, 3, 5, 4], bigrams [5, 6], [7, 8],
    // [6, 7]; X = [1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8] -> [0, 3, 1, 0, 1, 3, 1]
    std::vector<int64_t> x{1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8};
    auto tf = OpCase("TfIdfVectorizer")
                  .input(i64({12}, x))
                  .attr_string("mode", "TF")
                  .attr_int("min_gram_length", 1)
                  .attr_int("max_gram_length", 2)
                  .attr_int("max_skip_count", 5)
                  .attr_ints("ngram_counts", {0, 4})
                  .attr_ints("ngram_indexes", {0, 1, 2, 3, 4, 5, 6})
                  .attr_ints("pool_int64s", {2, 3, 5, 4, 5, 6, 7, 8, 6, 7})
                  .run()[0];
    EXPECT_EQ(values_of<float>(tf), (std::vector<float>{0, 3, 1, 0, 1, 3, 1}));
    // TFIDF with weights, two rows, bigrams [5, 6], [7, 8], [6, 7] only, no skips: row 2 holds [6, 7] and [5, 6]
    // counts [[0, 0, 0], [1, 0, 1]] * weights [1, 2, 3] -> [[0, 0, 0], [1, 0, 3]]
    auto w = OpCase("TfIdfVectorizer")
                 .input(i64({2, 6}, x))
                 .attr_string("mode", "TFIDF")
                 .attr_int("min_gram_length", 2)
                 .attr_int("max_gram_length", 2)
                 .attr_ints("ngram_counts", {0, 0})
                 .attr_ints("ngram_indexes", {0, 1, 2})
                 .attr_ints("pool_int64s", {5, 6, 7, 8, 6, 7})
                 .attr_floats("weights", {1, 2, 3})
                 .run()[0];
    EXPECT_EQ(w.shape(), (Shape{2, 3}));
    EXPECT_EQ(values_of<float>(w), (std::vector<float>{0, 0, 0, 1, 0, 3}));
    expect_error(
        [&] {
            OpCase("TfIdfVectorizer")
                .input(i64({1, 1, 12}, x))
                .attr_string("mode", "TF")
                .attr_ints("ngram_counts", {0})
                .attr_ints("ngram_indexes", {0})
                .attr_ints("pool_int64s", {1})
                .run();
        },
        ErrorCode::InvalidArgument, {"TfIdfVectorizer_under_test"});
}

TEST(TextTest, TfIdfVectorizerStrings) {
    // Pool unigrams ["a", "b"], bigram ["a", "b"]; IDF without weights: 1 where the n-gram occurs.
    // X = ["a", "b", "c", "a"]: a x2, b x1, (a, b) x1 -> IDF [1, 1, 1]
    ir::AttributeMap attrs{{"mode", string_attr("IDF")},
                           {"min_gram_length", int_attr(1)},
                           {"max_gram_length", int_attr(2)},
                           {"ngram_counts", ints_attr({0, 2})},
                           {"ngram_indexes", ints_attr({2, 1, 0})},
                           {"pool_strings", strings_attr({"a", "b", "a", "b"})}};
    auto y = run_node("TfIdfVectorizer", {str({4}, {"a", "b", "c", "a"})}, attrs)[0];
    EXPECT_EQ(values_of<float>(y), (std::vector<float>{1, 1, 1}));
    attrs["mode"] = string_attr("TF");
    auto tf = run_node("TfIdfVectorizer", {str({4}, {"a", "b", "c", "a"})}, attrs)[0];
    // ngram ids: a -> index 2, b -> index 1, (a, b) -> index 0: [1, 1, 2]
    EXPECT_EQ(values_of<float>(tf), (std::vector<float>{1, 1, 2}));
}

TEST(TextTest, RegexFullMatchLongStringDoesNotOverflowTheStack) {
    // The backtracking matcher recursed once per character and crashed on this string.
    auto out = OpCase("RegexFullMatch")
                   .input(str({2}, {std::string(300000, 'a'), std::string(300000, 'a') + "c"}))
                   .attr_string("pattern", "(a|b)*")
                   .run();
    EXPECT_EQ(values_of<uint8_t>(out[0]), (std::vector<uint8_t>{1, 0}));
}

}  // namespace
}  // namespace kiln
