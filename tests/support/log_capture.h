// The log lines kiln writes while a function runs, at Info level and above, split into info and warnings.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace kiln::test {

struct Logged {
    std::vector<std::string> info, warnings;
    // How many info (or warning) lines contain `needle`.
    size_t count(const std::string& needle, bool warning = false) const;
    // Every line, info first.
    std::vector<std::string> all() const;
};

// Runs `f` with the log level at Info and a sink that records the lines; restores both, also when `f` throws.
Logged logged(const std::function<void()>& f);

}  // namespace kiln::test
