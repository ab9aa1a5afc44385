// The string algorithms of the Text family, shared by its shape functions and CPU kernels (defined in
// src/ops/text.cc) so that both size data-dependent outputs the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "kiln/tensor.h"

namespace kiln::ops {

// `s` with its letters upper- or lower-cased: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (simple
// one-to-one mappings; other code points and invalid UTF-8 bytes are copied unchanged).
std::string utf8_change_case(std::string_view s, bool upper);

// CPython's str.split: on runs of ASCII whitespace (leading/trailing ignored) when `delimiter` is empty, else on
// every occurrence of `delimiter`; at most `maxsplit` splits (unlimited when negative). The views point into `s`.
std::vector<std::string_view> split_string(std::string_view s, std::string_view delimiter, int64_t maxsplit);

// StringNormalizer: 1 for each element of the string tensor `x` that is not a stopword of `node`.
std::vector<char> string_normalizer_keep(const ir::Node& node, const Tensor& x);

}  // namespace kiln::ops
