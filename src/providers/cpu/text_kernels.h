// Internal to the CPU Text family: the kernels split over text*.cc (the string algorithms they share with the
// shape functions are in src/ops/text.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "ops/text.h"
#include "providers/cpu/kernel.h"

namespace kiln::cpu {

std::unique_ptr<Kernel> create_tfidf_vectorizer(const ir::Node& node);

}  // namespace kiln::cpu
