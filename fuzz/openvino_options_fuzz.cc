// libFuzzer target: the OpenVINO provider's option parser (providers/openvino/options.cc) against a fake catalog of
// every device kind. The input's first line is options as `-i` takes them ("key|value key|value"); the rest, when
// present, is the value of load_config (inline JSON). kiln::Error is the expected outcome of a bad option.
// Inputs that would touch the file system are left out: cache_dir (the parser creates the folder) and a load_config
// that is a file name rather than JSON.
#include <cstddef>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "kiln/error.h"
#include "providers/openvino/options.h"
#include "support/fake_device_catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    size_t newline = text.find('\n');
    std::map<std::string, std::string> raw;
    std::istringstream line(text.substr(0, newline));
    for (std::string token; line >> token;) {
        size_t bar = token.find('|');
        raw[token.substr(0, bar)] = bar == std::string::npos ? "" : token.substr(bar + 1);
    }
    raw.erase("cache_dir");
    raw.erase("load_config");
    if (newline != std::string::npos) {
        std::string config = text.substr(newline + 1);
        size_t first = config.find_first_not_of(" \t\r\n");
        if (first != std::string::npos && config[first] == '{') raw["load_config"] = config;
    }
    std::vector<std::string> warnings;
    try {
        kiln::ov::parse_options(raw, kiln::test::full_catalog(), &warnings);
    } catch (const kiln::Error& e) {
        kiln::fuzz::expected(e);
    }
    return 0;
}
