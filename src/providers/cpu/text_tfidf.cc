// TfIdfVectorizer (CPU): counts the n-grams of the pool (pool_int64s or pool_strings, grouped by ngram_counts)
// in each row of X, with up to max_skip_count skipped items between the grams' items, and weighs the counts
// (TF: counts, IDF: weight (or 1) where the count is non-zero, TFIDF: weight * count). Follows the reference
// implementation (and onnxruntime): the n-grams of sizes [min_gram_length, max_gram_length] are stored in a trie;
// unigrams are counted once, not once per skip distance.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/parallel.h"
#include "ops/shape_util.h"
#include "providers/cpu/text_kernels.h"

namespace kiln::cpu {
namespace {

struct TrieNode {
    std::unordered_map<int64_t, int32_t> children;  // item -> node index
    int64_t id = 0;                                 // 1-based n-gram id; 0: not an n-gram of a counted size
};

class TfIdfKernel : public Kernel {
  public:
    explicit TfIdfKernel(const ir::Node& node) {
        std::string mode = node.attr_string("mode", "");
        if (mode == "TF") {
            mode_ = Mode::Tf;
        } else if (mode == "IDF") {
            mode_ = Mode::Idf;
        } else if (mode == "TFIDF") {
            mode_ = Mode::TfIdf;
        } else {
            fail(ErrorCode::InvalidModel, node.describe(), ": mode '", mode, "' must be TF, IDF or TFIDF");
        }
        min_gram_ = node.attr_int("min_gram_length", 1);
        max_gram_ = node.attr_int("max_gram_length", 1);
        max_skip_ = node.attr_int("max_skip_count", 0);
        KILN_CHECK(min_gram_ >= 1 && max_gram_ >= min_gram_ && max_skip_ >= 0, InvalidModel, node.describe(),
                   ": needs 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0");
        indexes_ = node.attr_ints("ngram_indexes");
        KILN_CHECK(!indexes_.empty(), InvalidModel, node.describe(), ": ngram_indexes must not be empty");
        for (int64_t v : indexes_)
            KILN_CHECK(v >= 0, InvalidModel, node.describe(), ": ngram_indexes holds a negative index ", v);
        output_size_ = *std::max_element(indexes_.begin(), indexes_.end()) + 1;
        weights_ = node.attr_floats("weights");
        KILN_CHECK(weights_.empty() || static_cast<int64_t>(weights_.size()) >= output_size_, InvalidModel,
                   node.describe(), ": weights has ", weights_.size(), " values for ", output_size_, " outputs");

        // The pool as int64 items; strings are numbered in order of first appearance.
        std::vector<int64_t> pool;
        const ir::Attribute* strings = node.find_attribute("pool_strings");
        if (strings && !strings->strings.empty()) {
            KILN_CHECK(!node.has_attribute("pool_int64s") || node.attr_ints("pool_int64s").empty(), InvalidModel,
                       node.describe(), ": only one of pool_strings and pool_int64s may be set");
            strings_ = true;
            for (const std::string& s : strings->strings) {
                auto it = string_ids_.emplace(s, static_cast<int64_t>(string_ids_.size())).first;
                pool.push_back(it->second);
            }
        } else {
            pool = node.attr_ints("pool_int64s");
        }
        build_trie(node, pool, node.attr_ints("ngram_counts"));
    }

    void run(KernelContext& ctx) const override {
        const Tensor& x = *ctx.input(0);
        DType t = x.dtype();
        KILN_CHECK(t == DType::String || t == DType::Int32 || t == DType::Int64, NotImplemented, ctx.node.describe(),
                   ": X dtype ", dtype_name(t), " is not supported");
        KILN_CHECK(strings_ == (t == DType::String), InvalidArgument, ctx.node.describe(), ": X is ", dtype_name(t),
                   " but the pool holds ", strings_ ? "strings" : "integers");
        int64_t rows = x.rank() == 2 ? x.shape()[0] : 1;
        int64_t cols = x.rank() == 2 ? x.shape()[1] : x.element_count();
        // X as pool items (-1: a string that is not in the pool).
        std::vector<int64_t> items;
        if (t == DType::String) {
            items.resize(x.element_count());
            const std::string* s = x.data<std::string>();
            for (int64_t i = 0; i < x.element_count(); ++i) {
                auto it = string_ids_.find(s[i]);
                items[i] = it == string_ids_.end() ? -1 : it->second;
            }
        } else {
            items = ops::tensor_to_int64s(x);
        }
        float* y = ctx.output(0)->data<float>();
        parallel_for(
            rows, ctx.threads,
            [&](int64_t r0, int64_t r1) {
                std::vector<int64_t> counts(output_size_);
                for (int64_t r = r0; r < r1; ++r) {
                    std::fill(counts.begin(), counts.end(), 0);
                    count_row(items.data() + r * cols, cols, counts);
                    weigh(counts, y + r * output_size_);
                }
            },
            cols * 4 + output_size_);
    }

  private:
    enum class Mode { Tf, Idf, TfIdf };

    void build_trie(const ir::Node& node, const std::vector<int64_t>& pool, const std::vector<int64_t>& counts) {
        trie_.emplace_back();
        int64_t total = static_cast<int64_t>(pool.size());
        int64_t ngram_id = 1;
        for (size_t g = 0; g < counts.size(); ++g) {
            int64_t size = static_cast<int64_t>(g) + 1;
            int64_t start = counts[g];
            int64_t end = g + 1 < counts.size() ? counts[g + 1] : total;
            KILN_CHECK(start >= 0 && start <= end && end <= total, InvalidModel, node.describe(), ": ngram_counts ",
                       start, "..", end, " is out of range for a pool of ", total, " items");
            int64_t grams = (end - start) / size;
            if (size < min_gram_ || size > max_gram_) {
                ngram_id += grams;
                continue;
            }
            for (int64_t k = 0; k < grams; ++k, ++ngram_id) {
                int32_t cur = 0;
                for (int64_t j = 0; j < size; ++j) {
                    int64_t item = pool[start + k * size + j];
                    auto it = trie_[cur].children.find(item);
                    if (it == trie_[cur].children.end()) {
                        int32_t next = static_cast<int32_t>(trie_.size());
                        trie_[cur].children.emplace(item, next);
                        trie_.emplace_back();
                        cur = next;
                    } else {
                        cur = it->second;
                    }
                }
                KILN_CHECK(ngram_id - 1 < static_cast<int64_t>(indexes_.size()), InvalidModel, node.describe(),
                           ": n-gram ", ngram_id, " has no entry in ngram_indexes (", indexes_.size(), " entries)");
                trie_[cur].id = ngram_id;
            }
        }
    }

    void count_row(const int64_t* x, int64_t n, std::vector<int64_t>& counts) const {
        int64_t start_size = min_gram_;
        for (int64_t skip = 1; skip <= max_skip_ + 1; ++skip) {
            for (int64_t begin = 0; begin < n; ++begin) {
                if (begin + skip * (start_size - 1) >= n) break;
                int32_t cur = 0;
                int64_t item = begin;
                for (int64_t size = 1; size <= max_gram_ && item < n && !trie_[cur].children.empty();
                     ++size, item += skip) {
                    auto it = trie_[cur].children.find(x[item]);
                    if (it == trie_[cur].children.end()) break;
                    cur = it->second;
                    int64_t id = trie_[cur].id;
                    if (size >= start_size && id != 0) ++counts[indexes_[id - 1]];
                }
            }
            if (start_size == 1) {  // unigrams do not depend on the skip distance: count them once
                start_size = 2;
                if (start_size > max_gram_) break;
            }
        }
    }

    void weigh(const std::vector<int64_t>& counts, float* y) const {
        for (int64_t i = 0; i < output_size_; ++i) {
            float c = static_cast<float>(counts[i]);
            switch (mode_) {
                case Mode::Tf:
                    y[i] = c;
                    break;
                case Mode::Idf:
                    y[i] = counts[i] > 0 ? (weights_.empty() ? 1.f : weights_[i]) : 0.f;
                    break;
                case Mode::TfIdf:
                    y[i] = weights_.empty() ? c : weights_[i] * c;
                    break;
            }
        }
    }

    Mode mode_ = Mode::Tf;
    int64_t min_gram_ = 1, max_gram_ = 1, max_skip_ = 0;
    std::vector<int64_t> indexes_;
    int64_t output_size_ = 0;
    std::vector<float> weights_;
    bool strings_ = false;
    std::unordered_map<std::string, int64_t> string_ids_;
    std::vector<TrieNode> trie_;
};

}  // namespace

std::unique_ptr<Kernel> create_tfidf_vectorizer(const ir::Node& node) { return std::make_unique<TfIdfKernel>(node); }

}  // namespace kiln::cpu
