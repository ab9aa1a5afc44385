// expect_error: runs a callable and expects kiln::Error with a given code whose message names every culprit.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "kiln/error.h"

namespace kiln::test {

inline void expect_error(const std::function<void()>& f, ErrorCode code, const std::vector<std::string>& needles) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(error_code_name(e.code()), std::string(error_code_name(code))) << e.what();
        for (const auto& n : needles) {
            EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << "'" << n << "' not in: " << e.what();
        }
        return;
    }
    ADD_FAILURE() << "no kiln::Error thrown";
}

}  // namespace kiln::test
