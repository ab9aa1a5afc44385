// kiln_conformance: runs the ONNX backend test data (node/, simple/, pytorch-converted/, pytorch-operator/) on a
// kiln::Session and checks the results against a manifest (see README.md and manifest.h).
//
// Each test runs in a forked child process, so that a kernel that crashes or hangs is reported with the test's name
// (as "crash: signal 11 (SIGSEGV)" or "timeout: ...") and the run goes on. The parent never calls into kiln, so
// the child starts with no OpenMP state. --no-fork runs tests in-process (for a debugger).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "compare.h"
#include "kiln/kiln.h"
#include "manifest.h"
#include "onnx/loader.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace kiln::conformance {
namespace {

const char* const kCategories[] = {"node", "simple", "pytorch-converted", "pytorch-operator"};
constexpr size_t kReasonMax = 240;

struct Args {
    std::string data;
    std::string manifest;
    std::string results;  // --results FILE: every test's own outcome, whatever the manifest says
    std::string filter;
    std::string provider = "cpu";
    bool update = false;
    bool verbose = false;
    bool fork = true;
    int threads = 1;
    int jobs = 0;  // 0: one per hardware thread
    double timeout_s = 60;
};

struct TestCase {
    std::string name;  // "node/test_abs"
    std::string category;
    fs::path dir;
    Tolerance tol;
};

struct Result {
    bool pass = false;
    std::string reason;  // one line, for failures
    double seconds = 0;
};

[[noreturn]] void usage(const std::string& message) {
    if (!message.empty()) std::cerr << "kiln_conformance: " << message << "\n";
    std::cerr << "usage: kiln_conformance --data DIR --manifest FILE [--filter SUBSTR] [--update] [--threads N]\n"
                 "                        [--jobs N] [--timeout SECONDS] [--no-fork] [--provider NAME] [-v]\n"
                 "                        [--results FILE]   (--manifest may be left out with --results)\n";
    std::exit(2);
}

Args parse_args(int argc, char** argv) {
    Args a;
    auto value = [&](int& i) -> std::string {
        if (i + 1 >= argc) usage(str(argv[i], " needs a value"));
        return argv[++i];
    };
    auto number = [&](int& i) {
        std::string flag = argv[i], v = value(i);
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || d < 0) usage(str(flag, ": '", v, "' is not a non-negative number"));
        return d;
    };
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--data") {
            a.data = value(i);
        } else if (arg == "--manifest") {
            a.manifest = value(i);
        } else if (arg == "--results") {
            a.results = value(i);
        } else if (arg == "--filter") {
            a.filter = value(i);
        } else if (arg == "--provider") {
            a.provider = value(i);
        } else if (arg == "--update") {
            a.update = true;
        } else if (arg == "-v" || arg == "--verbose") {
            a.verbose = true;
        } else if (arg == "--no-fork") {
            a.fork = false;
        } else if (arg == "--threads") {
            a.threads = static_cast<int>(number(i));
        } else if (arg == "--jobs" || arg == "-j") {
            a.jobs = static_cast<int>(number(i));
        } else if (arg == "--timeout") {
            a.timeout_s = number(i);
        } else if (arg == "-h" || arg == "--help") {
            usage("");
        } else {
            usage(str("unknown argument '", arg, "'"));
        }
    }
    if (a.data.empty() || (a.manifest.empty() && a.results.empty())) usage("--data and --manifest are required");
    if (a.update && a.manifest.empty()) usage("--update needs --manifest");
    if (a.jobs <= 0) a.jobs = std::max(1u, std::thread::hardware_concurrency());
    return a;
}

// One line, bounded: failure reasons go into the manifest.
std::string one_line(const std::string& s) {
    std::string out;
    for (char c : s) {
        char d = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
        if (d == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += d;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.size() > kReasonMax) out = out.substr(0, kReasonMax - 3) + "...";
    return out.empty() ? "failed without a message" : out;
}

// rtol/atol from the test's data.json, as the ONNX backend loader reads them.
void read_tolerance(const fs::path& json, Tolerance& tol) {
    std::ifstream in(json);
    if (!in) return;
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    auto get = [&](const char* key, double& out) {
        size_t p = text.find(str("\"", key, "\""));
        if (p == std::string::npos) return;
        p = text.find(':', p);
        if (p != std::string::npos) out = std::strtod(text.c_str() + p + 1, nullptr);
    };
    get("rtol", tol.rtol);
    get("atol", tol.atol);
}

std::vector<TestCase> discover(const std::string& data) {
    std::vector<TestCase> tests;
    bool any = false;
    for (const char* category : kCategories) {
        fs::path cat_dir = fs::path(data) / category;
        if (!fs::is_directory(cat_dir)) continue;
        any = true;
        for (const auto& entry : fs::directory_iterator(cat_dir)) {
            if (!entry.is_directory() || !fs::exists(entry.path() / "model.onnx")) continue;
            TestCase t;
            t.category = category;
            t.name = str(category, "/", entry.path().filename().string());
            t.dir = entry.path();
            read_tolerance(entry.path() / "data.json", t.tol);
            tests.push_back(std::move(t));
        }
    }
    KILN_CHECK(any, NotFound, "'", data, "' has none of node/, simple/, pytorch-converted/, pytorch-operator/");
    std::sort(tests.begin(), tests.end(), [](const TestCase& a, const TestCase& b) { return a.name < b.name; });
    return tests;
}

// The files prefix_0.pb, prefix_1.pb, ... of a data set, in order.
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
    std::vector<fs::path> files;
    for (int k = 0;; ++k) {
        fs::path p = dir / str(prefix, "_", k, ".pb");
        if (!fs::exists(p)) break;
        files.push_back(p);
    }
    return files;
}

// One input_N.pb / output_N.pb, read as the model declares it; maps and other non-tensor data are unsupported.
Value load_data(const fs::path& file, ValueKind kind) {
    if (kind == ValueKind::Tensor && !onnx::is_tensor_file(file.string())) {
        fail(ErrorCode::NotImplemented, "unsupported data: ", file.filename().string(),
             " is not a plain tensor (map or other non-tensor data)");
    }
    return onnx::load_value_file(file.string(), kind);
}

// Tensors compare as compare_tensors does; sequences element by element; none only equals none.
std::string compare_values(const Value& actual, const Value& expected, const Tolerance& tol) {
    if (actual.is_none() || expected.is_none()) {
        return actual.is_none() == expected.is_none()
                   ? ""
                   : str("got ", actual.kind_name(), ", expected ", expected.kind_name());
    }
    if (actual.is_tensor() != expected.is_tensor()) {
        return str("got a ", actual.kind_name(), ", expected a ", expected.kind_name());
    }
    if (actual.is_tensor()) return compare_tensors(actual.tensor(), expected.tensor(), tol);
    const auto& a = actual.sequence();
    const auto& e = expected.sequence();
    if (a.size() != e.size()) return str("sequence of ", a.size(), " tensors, expected ", e.size());
    for (size_t i = 0; i < a.size(); ++i) {
        std::string diff = compare_tensors(a[i], e[i], tol);
        if (!diff.empty()) return str("sequence element ", i, ": ", diff);
    }
    return "";
}

// The provider configuration under test (--provider): its session options.
std::string g_provider = "cpu";

// cpu: the CPU provider alone. openvino-cpu: the OpenVINO provider on OpenVINO's CPU device at FP32, with
// session.disable_cpu_ep_fallback=1 so that a test passes only when OpenVINO ran every node of it.
SessionOptions options_for(const std::string& provider, int threads) {
    SessionOptions options;
    options.intra_op_threads = threads;
    if (provider == "openvino-cpu") {
        options.append_provider("OpenVINOExecutionProvider", {{"device_type", "CPU"}, {"precision", "FP32"}});
        options.add_config_entry("session.disable_cpu_ep_fallback", "1");
    } else if (provider != "cpu") {
        fail(ErrorCode::InvalidArgument, "unknown provider configuration '", provider, "' (cpu, openvino-cpu)");
    }
    return options;
}

// Runs one test in this process. Never throws.
Result run_test_raw(const TestCase& test, int threads) {
    Result r;
    auto start = Clock::now();
    try {
        std::vector<fs::path> data_sets;
        for (const auto& entry : fs::directory_iterator(test.dir)) {
            if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
                data_sets.push_back(entry.path());
        }
        std::sort(data_sets.begin(), data_sets.end());
        KILN_CHECK(!data_sets.empty(), NotFound, "no test_data_set_* folder");
        Session session((test.dir / "model.onnx").string(), options_for(g_provider, threads));
        const auto& inputs = session.inputs();
        const auto& outputs = session.outputs();
        for (const auto& set : data_sets) {
            std::string where = data_sets.size() > 1 ? str(set.filename().string(), ": ") : "";
            auto input_files = numbered_files(set, "input");
            auto output_files = numbered_files(set, "output");
            if (input_files.size() > inputs.size()) {
                r.reason = str(where, "test data has ", input_files.size(), " inputs, the session ", inputs.size());
                return r;
            }
            std::vector<NamedValue> feeds;
            for (size_t k = 0; k < input_files.size(); ++k) {
                feeds.push_back({inputs[k].name, load_data(input_files[k], inputs[k].kind)});
            }
            std::vector<Value> got = session.run_values(feeds);
            if (got.size() != output_files.size()) {
                r.reason = str(where, "wrong output count: ", got.size(), ", expected ", output_files.size());
                return r;
            }
            for (size_t k = 0; k < got.size(); ++k) {
                ValueKind kind = k < outputs.size() ? outputs[k].kind : ValueKind::Tensor;
                std::string diff = compare_values(got[k], load_data(output_files[k], kind), test.tol);
                if (!diff.empty()) {
                    std::string name = k < outputs.size() ? str(" '", outputs[k].name, "'") : "";
                    r.reason = str("mismatch: ", where, "output ", k, name, ": ", diff);
                    return r;
                }
            }
        }
        r.pass = true;
    } catch (const Error& e) {
        r.reason = str(error_code_name(e.code()), ": ", e.what());
    } catch (const std::exception& e) {
        r.reason = str("exception: ", e.what());
    } catch (...) {
        r.reason = "exception: unknown type";
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

Result run_test(const TestCase& test, int threads) {
    Result r = run_test_raw(test, threads);
    // Paths depend on where the data lives; the manifest must not.
    for (const std::string& path : {(test.dir / "model.onnx").string(), test.dir.string()}) {
        for (size_t p; (p = r.reason.find(path)) != std::string::npos;)
            r.reason.replace(p, path.size(), path == test.dir.string() ? test.name : "model.onnx");
    }
    r.reason = r.pass ? "" : one_line(r.reason);
    return r;
}

std::string signal_text(int sig) {
    const char* name = sigabbrev_np(sig);
    return name ? str("signal ", sig, " (SIG", name, ")") : str("signal ", sig);
}

// Runs the tests in forked children, at most `jobs` at a time, killing any that passes the timeout.
std::vector<Result> run_forked(const std::vector<const TestCase*>& tests, const Args& args) {
    struct Child {
        pid_t pid;
        int fd;
        size_t index;
        Clock::time_point start;
        std::string out;
    };
    std::vector<Result> results(tests.size());
    std::vector<Child> running;
    size_t next = 0;
    auto finish = [&](Child& c, int status, bool timed_out) {
        Result& r = results[c.index];
        r.seconds = std::chrono::duration<double>(Clock::now() - c.start).count();
        // The child writes "P" or "F<reason>".
        if (timed_out) {
            r.reason = str("timeout: still running after ", args.timeout_s, " s");
        } else if (WIFSIGNALED(status)) {
            r.reason = str("crash: ", signal_text(WTERMSIG(status)));
        } else if (!c.out.empty() && c.out[0] == 'P') {
            r.pass = true;
        } else if (!c.out.empty() && c.out[0] == 'F') {
            r.reason = one_line(c.out.substr(1));
        } else {
            r.reason =
                str("crash: exited with code ", WIFEXITED(status) ? WEXITSTATUS(status) : -1, " without a result");
        }
        if (args.verbose) {
            std::cout << (r.pass ? "ok   " : "FAIL ") << tests[c.index]->name << " ("
                      << static_cast<int>(r.seconds * 1000) << " ms)" << (r.pass ? "" : ": " + r.reason) << "\n"
                      << std::flush;
        }
        close(c.fd);
    };
    while (next < tests.size() || !running.empty()) {
        while (next < tests.size() && running.size() < static_cast<size_t>(args.jobs)) {
            if (args.verbose) std::cout << "run  " << tests[next]->name << "\n";
            std::cout.flush();
            std::fflush(nullptr);
            int fds[2];
            if (pipe(fds) != 0) fail(ErrorCode::Internal, "pipe: ", std::strerror(errno));
            pid_t pid = fork();
            if (pid < 0) fail(ErrorCode::Internal, "fork: ", std::strerror(errno));
            if (pid == 0) {
                close(fds[0]);
                Result r = run_test(*tests[next], args.threads);
                std::string msg = r.pass ? "P" : "F" + r.reason;
                std::fflush(nullptr);
                const char* p = msg.data();
                size_t left = msg.size();
                while (left > 0) {
                    ssize_t n = write(fds[1], p, left);
                    if (n <= 0) break;
                    p += n, left -= static_cast<size_t>(n);
                }
                _exit(0);
            }
            close(fds[1]);
            fcntl(fds[0], F_SETFL, O_NONBLOCK);
            running.push_back({pid, fds[0], next, Clock::now(), ""});
            ++next;
        }
        std::vector<pollfd> pfds;
        for (const auto& c : running) pfds.push_back({c.fd, POLLIN, 0});
        poll(pfds.data(), pfds.size(), 20);
        for (size_t i = 0; i < running.size();) {
            Child& c = running[i];
            char buf[4096];
            ssize_t n;
            while ((n = read(c.fd, buf, sizeof buf)) > 0) c.out.append(buf, static_cast<size_t>(n));
            int status = 0;
            pid_t done = waitpid(c.pid, &status, WNOHANG);
            bool timed_out = false;
            if (done == 0 && std::chrono::duration<double>(Clock::now() - c.start).count() > args.timeout_s) {
                kill(c.pid, SIGKILL);
                waitpid(c.pid, &status, 0);
                timed_out = true;
                done = c.pid;
            }
            if (done == c.pid) {
                while ((n = read(c.fd, buf, sizeof buf)) > 0) c.out.append(buf, static_cast<size_t>(n));
                finish(c, status, timed_out);
                running.erase(running.begin() + static_cast<long>(i));
            } else {
                ++i;
            }
        }
    }
    return results;
}

std::vector<Result> run_in_process(const std::vector<const TestCase*>& tests, const Args& args) {
    std::vector<Result> results;
    for (const TestCase* t : tests) {
        if (args.verbose) std::cout << "run  " << t->name << "\n" << std::flush;
        results.push_back(run_test(*t, args.threads));
        const Result& r = results.back();
        if (args.verbose)
            std::cout << (r.pass ? "ok   " : "FAIL ") << t->name << (r.pass ? "" : ": " + r.reason) << "\n";
    }
    return results;
}

// Reasons that --update generates start with one of these; any other reason was written by hand.
bool is_generated_reason(const std::string& reason) {
    static const char* const kPrefixes[] = {
        "InvalidModel:", "InvalidArgument:", "NotFound:",           "NotImplemented:",   "Unsupported:",
        "DeviceError:",  "Internal:",        "mismatch:",           "unsupported data:", "crash:",
        "timeout:",      "exception:",       "wrong output count:", "test data has",     "test_data_set_"};
    for (const char* p : kPrefixes)
        if (reason.rfind(p, 0) == 0) return true;
    return false;
}

std::string without_digits(const std::string& s) {
    std::string out;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+') out += c;
    return out;
}

// The reason to record for a failing test: a hand-written reason stays while the test fails; a generated one stays
// when only its numbers changed (mismatch magnitudes), to keep the manifest's diffs small.
std::string choose_reason(const ManifestEntry* old, const std::string& fresh) {
    if (old && !old->pass &&
        (!is_generated_reason(old->reason) || without_digits(old->reason) == without_digits(fresh)))
        return old->reason;
    return fresh;
}

// A skip whose reason starts with "random output": the op draws random values (Bernoulli, training-mode Dropout),
// which match the reference's own draw only by chance; such a test passing now and then is not news.
bool is_random_output(const ManifestEntry& e) { return e.reason.rfind("random output", 0) == 0; }

// --results: `<category>/<test> pass|fail|skip-data <reason>`, one line per test run, in name order.
void write_results(const std::string& path, const std::vector<const TestCase*>& tests,
                   const std::vector<Result>& results) {
    std::ofstream out(path);
    KILN_CHECK(out.good(), NotFound, "cannot write '", path, "'");
    for (size_t i = 0; i < tests.size(); ++i) {
        const Result& r = results[i];
        const char* status = r.pass ? "pass" : r.reason.rfind("unsupported data:", 0) == 0 ? "skip-data" : "fail";
        out << tests[i]->name << " " << status << (r.pass ? "" : " " + r.reason) << "\n";
    }
    KILN_CHECK(out.good(), Internal, "error writing '", path, "'");
}

struct Counts {
    int passed = 0, failed = 0, skipped = 0;
};

int run_main(const Args& args) {
    // Without a manifest (--results only) every test counts by its own result and nothing is a problem.
    const bool checked = !args.manifest.empty();
    Manifest manifest = checked ? read_manifest(args.manifest, args.update) : Manifest{};
    std::vector<TestCase> all = discover(args.data);
    std::vector<const TestCase*> selected;
    for (const auto& t : all)
        if (t.name.find(args.filter) != std::string::npos) selected.push_back(&t);

    std::vector<std::string> stale;  // listed, in the filter's scope, but not in the data folder
    for (const auto& entry : manifest) {
        const std::string& name = entry.first;  // not a structured binding: clang before 16 cannot capture those
        if (name.find(args.filter) == std::string::npos) continue;
        bool found = std::any_of(all.begin(), all.end(), [&](const TestCase& t) { return t.name == name; });
        if (!found) stale.push_back(name);
    }

    auto start = Clock::now();
    std::vector<Result> results = args.fork ? run_forked(selected, args) : run_in_process(selected, args);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!args.results.empty()) write_results(args.results, selected, results);

    std::map<std::string, Counts> per_category;
    Counts total;
    std::vector<std::string> problems;
    Manifest updated = manifest;
    for (const auto& name : stale) updated.erase(name);
    for (size_t i = 0; i < selected.size(); ++i) {
        const TestCase& t = *selected[i];
        const Result& r = results[i];
        auto it = manifest.find(t.name);
        const ManifestEntry* old = it == manifest.end() ? nullptr : &it->second;
        Counts& cat = per_category[t.category];
        if (args.update) {
            ManifestEntry e{r.pass, r.pass ? "" : choose_reason(old, r.reason)};
            bool changed = !old || old->pass != e.pass || old->reason != e.reason;
            if (changed && (!old || old->pass != e.pass))
                std::cout << (old ? "changed " : "new     ") << t.name << (e.pass ? " pass" : " skip " + e.reason)
                          << "\n";
            updated[t.name] = e;
            (r.pass ? cat.passed : cat.skipped)++;
            continue;
        }
        if (!checked) {
            (r.pass ? cat.passed : cat.failed)++;
        } else if (!old) {
            problems.push_back(str("NOT LISTED ", t.name, ": ", r.pass ? "passes" : "fails: " + r.reason));
            cat.failed++;
        } else if (old->pass && !r.pass) {
            problems.push_back(str("FAIL ", t.name, ": ", r.reason));
            cat.failed++;
        } else if (!old->pass && r.pass && is_random_output(*old)) {
            cat.skipped++;  // random values that happened to match the reference's draw this time
        } else if (!old->pass && r.pass) {
            problems.push_back(str("NOW PASSES ", t.name, ": remove the skip (was: ", old->reason, ")"));
            cat.failed++;
        } else if (r.pass) {
            cat.passed++;
        } else {
            cat.skipped++;
        }
    }
    if (!args.update)
        for (const auto& name : stale)
            problems.push_back(str("STALE ", name, ": listed in the manifest, not in --data"));

    for (const auto& p : problems) std::cout << p << "\n";
    if (args.update) {
        write_manifest(args.manifest, updated, args.provider);
        std::cout << "updated " << args.manifest << (stale.empty() ? "" : str(" (removed ", stale.size(), " stale)"))
                  << "\n";
    }
    for (const char* category : kCategories) {
        auto it = per_category.find(category);
        if (it == per_category.end()) continue;
        const Counts& c = it->second;
        std::cout << "  " << category << ": " << c.passed << " passed, " << c.failed << " failed, " << c.skipped
                  << " skipped\n";
        total.passed += c.passed, total.failed += c.failed, total.skipped += c.skipped;
    }
    if (!args.update) total.failed += static_cast<int>(stale.size());
    std::cout << "  time: " << static_cast<int>(seconds) << " s for " << selected.size() << " tests, " << args.jobs
              << " jobs\n";
    std::cout << "conformance " << args.provider << ": " << total.passed << " passed, " << total.failed << " failed, "
              << total.skipped << " skipped\n";
    return total.failed == 0 || !checked ? 0 : 1;
}

}  // namespace
}  // namespace kiln::conformance

int main(int argc, char** argv) {
    kiln::conformance::Args args = kiln::conformance::parse_args(argc, argv);
    kiln::conformance::g_provider = args.provider;
    try {
        return kiln::conformance::run_main(args);
    } catch (const kiln::Error& e) {
        std::cerr << "kiln_conformance: " << kiln::error_code_name(e.code()) << ": " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "kiln_conformance: " << e.what() << "\n";
    }
    return 2;
}
