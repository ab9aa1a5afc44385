#include "manifest.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "kiln/error.h"

namespace kiln::conformance {

Manifest read_manifest(const std::string& path, bool allow_missing) {
    Manifest manifest;
    std::ifstream in(path);
    if (!in) {
        if (allow_missing) return manifest;
        fail(ErrorCode::NotFound, "manifest '", path, "' cannot be read");
    }
    std::string line;
    for (int line_no = 1; std::getline(in, line); ++line_no) {
        size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        std::istringstream fields(line);
        std::string name, status, reason;
        fields >> name >> status;
        std::getline(fields, reason);
        size_t b = reason.find_first_not_of(" \t"), e = reason.find_last_not_of(" \t\r");
        reason = b == std::string::npos ? "" : reason.substr(b, e - b + 1);
        auto where = [&] { return str(path, ":", line_no, ": "); };
        KILN_CHECK(status == "pass" || status == "skip", InvalidArgument, where(), "status of '", name,
                   "' must be 'pass' or 'skip', not '", status, "'");
        KILN_CHECK(status == "pass" || !reason.empty(), InvalidArgument, where(), "skip of '", name,
                   "' needs a reason");
        KILN_CHECK(status == "skip" || reason.empty(), InvalidArgument, where(), "text after 'pass' for '", name, "'");
        KILN_CHECK(!manifest.count(name), InvalidArgument, where(), "'", name, "' is listed twice");
        manifest[name] = ManifestEntry{status == "pass", reason};
    }
    return manifest;
}

void write_manifest(const std::string& path, const Manifest& manifest, const std::string& provider) {
    std::ostringstream out;
    out << "# kiln conformance manifest, provider configuration '" << provider << "'.\n"
        << "# One line per ONNX backend test: `<category>/<test> pass` or `<category>/<test> skip <reason>`.\n"
        << "# The run fails when a `pass` test fails, when a `skip` test passes, and on tests missing here.\n"
        << "# Regenerate: kiln_conformance --data <onnx>/backend/test/data --manifest <this file> --update\n"
        << "# (see tests/conformance/README.md). Hand-written skip reasons survive --update while the test fails.\n";
    for (const auto& [name, entry] : manifest) {
        out << name << (entry.pass ? " pass" : " skip " + entry.reason) << "\n";
    }
    std::string tmp = path + ".tmp";
    {
        std::ofstream file(tmp, std::ios::trunc);
        KILN_CHECK(file, NotFound, "cannot write '", tmp, "'");
        file << out.str();
        KILN_CHECK(file.good(), Internal, "error writing '", tmp, "'");
    }
    KILN_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, NotFound, "cannot rename '", tmp, "' to '", path, "'");
}

}  // namespace kiln::conformance
