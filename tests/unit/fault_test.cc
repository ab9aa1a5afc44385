// Faults around a session's files: an OpenVINO cache_dir that cannot be written (read-only, or "full": writes
// beyond a few bytes fail, simulated with RLIMIT_FSIZE, since a real full filesystem needs a mount), cache files
// removed, truncated or damaged while sessions use them, the model file rewritten or truncated after the session
// was created, and EPContext blob files damaged before or removed/rewritten after session creation. Each time the
// live session keeps giving the outputs it gave before, a new session works (recompiling) or fails with a clear
// error, and nothing crashes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <vector>

#include "common/log.h"
#include "kiln/session.h"
#include "onnx/raw_data_index.h"
#include "support/expect_error.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;

bool bit_identical(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

// y = Sigmoid(MatMul(x, w) + b) with a 64x64 weight (16 KiB of raw_data: large enough that a loader could borrow
// it from the mapped model file).
ModelBuilder weighty_model(uint32_t seed = 5) {
    ModelBuilder b(17);
    b.input("x", {2, 64}).output("y", {2, 64});
    auto* w = b.graph().add_initializer();
    w->set_name("w");
    w->set_data_type(::onnx::TensorProto::FLOAT);
    w->add_dims(64);
    w->add_dims(64);
    std::vector<float> wv = values(64 * 64, seed);
    w->set_raw_data(std::string(reinterpret_cast<const char*>(wv.data()), wv.size() * sizeof(float)));
    b.initializer_floats("bias", {64}, values(64, seed + 1));
    b.node("MatMul", {"x", "w"}, {"m"}, "mm");
    b.node("Add", {"m", "bias"}, {"s"}, "add");
    b.node("Sigmoid", {"s"}, {"y"}, "sigmoid");
    // Pad the doc string until w's raw_data lies at a float-aligned offset of the file, where a loader that borrows
    // (ModelFileBytes::Borrow) would use the mapped bytes.
    for (int pad = 0; pad < 8; ++pad) {
        b.proto().set_doc_string(std::string(static_cast<size_t>(pad), 'p'));
        std::string bytes = b.bytes();
        auto spans = onnx::index_initializer_raw_data(bytes.data(), bytes.size());
        if (spans && !spans->empty() && (*spans)[0].offset % alignof(float) == 0) return b;
    }
    ADD_FAILURE() << "no padding puts w's raw_data at an aligned offset";
    return b;
}

Tensor run_once(const Session& s, const Tensor& x) { return s.run({{"x", x}})[0]; }

SessionOptions openvino_cached(const std::string& cache_dir) {
    return openvino({{"device_type", "CPU"}, {"precision", "FP32"}, {"cache_dir", cache_dir}});
}

// Warnings logged while `f` runs.
std::vector<std::string> warnings_of(const std::function<void()>& f) {
    std::vector<std::string> lines;
    LogSink previous = set_log_sink([&](LogLevel level, const std::string& m) {
        if (level == LogLevel::Warning) lines.push_back(m);
    });
    try {
        f();
    } catch (...) {
        set_log_sink(previous);
        throw;
    }
    set_log_sink(previous);
    return lines;
}

std::vector<fs::path> files_in(const std::string& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
    }
    return files;
}

void truncate_file(const fs::path& p, off_t size) { ASSERT_EQ(::truncate(p.c_str(), size), 0) << p; }

// Overwrites the file's bytes in place (same inode, same size): what a careless copy over the file does.
void scribble_in_place(const fs::path& p) {
    int fd = ::open(p.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0) << p;
    off_t size = ::lseek(fd, 0, SEEK_END);
    std::string junk(static_cast<size_t>(size), '\x5a');
    ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
    ::close(fd);
}

// --- cache_dir that cannot be written

TEST(Fault, ReadOnlyCacheDirWarnsAndInferenceWorks) {
    Tensor x = random_floats({2, 64}, 3);
    std::string bytes = weighty_model().bytes();
    Tensor want = run_once(Session(bytes.data(), bytes.size(), openvino()), x);
    // /proc refuses new entries even to root, which chmod does not stop.
    std::unique_ptr<Session> s;
    auto warnings = warnings_of(
        [&] { s = std::make_unique<Session>(bytes.data(), bytes.size(), openvino_cached("/proc/self/kiln_cache")); });
    ASSERT_FALSE(warnings.empty());
    EXPECT_NE(warnings[0].find("/proc/self/kiln_cache"), std::string::npos) << warnings[0];
    EXPECT_TRUE(bit_identical(run_once(*s, x), want));
}

// A filesystem with no room: writes past a few bytes fail (EFBIG under RLIMIT_FSIZE, as ENOSPC would). Session
// creation must not fail because OpenVINO cannot write its cache; the outputs are those of an uncached session.
TEST(Fault, FullCacheDirStillCompilesAndRuns) {
    std::string dir = test_tmp_dir("fault_full_cache");
    Tensor x = random_floats({2, 64}, 3);
    std::string bytes = weighty_model().bytes();
    Tensor want = run_once(Session(bytes.data(), bytes.size(), openvino()), x);

    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit tiny = saved;
    tiny.rlim_cur = 16;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
    std::unique_ptr<Session> s;
    std::string failure;
    try {
        s = std::make_unique<Session>(bytes.data(), bytes.size(), openvino_cached(dir));
    } catch (const Error& e) {
        failure = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    ASSERT_TRUE(failure.empty()) << "a full cache_dir failed the session: " << failure;
    EXPECT_TRUE(bit_identical(run_once(*s, x), want));
    // Whatever partial file the failed write left, a later session with room reads or rebuilds the cache.
    Session later(bytes.data(), bytes.size(), openvino_cached(dir));
    EXPECT_TRUE(bit_identical(run_once(later, x), want));
}

// --- cache files removed or damaged while sessions use them

TEST(Fault, CacheFilesRemovedWhileInUse) {
    std::string dir = test_tmp_dir("fault_cache_removed");
    Tensor x = random_floats({2, 64}, 4);
    std::string bytes = weighty_model().bytes();
    Session compiled(bytes.data(), bytes.size(), openvino_cached(dir));
    Session imported(bytes.data(), bytes.size(), openvino_cached(dir));  // from the cache just written
    Tensor want = run_once(compiled, x);
    ASSERT_FALSE(files_in(dir).empty()) << "OpenVINO wrote no cache";
    fs::remove_all(dir);
    EXPECT_TRUE(bit_identical(run_once(compiled, x), want));
    EXPECT_TRUE(bit_identical(run_once(imported, x), want));
    Session fresh(bytes.data(), bytes.size(), openvino_cached(dir));  // compiles again and rewrites the cache
    EXPECT_TRUE(bit_identical(run_once(fresh, x), want));
    EXPECT_FALSE(files_in(dir).empty());
}

TEST(Fault, CacheFilesTruncatedOrDamagedWhileInUse) {
    for (bool truncate : {true, false}) {
        SCOPED_TRACE(truncate ? "truncated" : "overwritten in place");
        std::string dir = test_tmp_dir(truncate ? "fault_cache_truncated" : "fault_cache_scribbled");
        Tensor x = random_floats({2, 64}, 5);
        std::string bytes = weighty_model().bytes();
        Session compiled(bytes.data(), bytes.size(), openvino_cached(dir));
        Session imported(bytes.data(), bytes.size(), openvino_cached(dir));
        Tensor want = run_once(compiled, x);
        auto files = files_in(dir);
        ASSERT_FALSE(files.empty());
        for (const fs::path& f : files) {
            if (truncate) {
                truncate_file(f, static_cast<off_t>(fs::file_size(f) / 3));
            } else {
                scribble_in_place(f);
            }
        }
        EXPECT_TRUE(bit_identical(run_once(compiled, x), want));
        EXPECT_TRUE(bit_identical(run_once(imported, x), want));
        // A new session meets the damaged cache: it must recompile (same outputs) or refuse clearly, never crash or
        // compute with damaged weights.
        try {
            Session fresh(bytes.data(), bytes.size(), openvino_cached(dir));
            EXPECT_TRUE(bit_identical(run_once(fresh, x), want));
        } catch (const Error& e) {
            ADD_FAILURE() << "a damaged cache file failed a new session: " << e.what();
        }
    }
}

// --- the model file changed after session creation

TEST(Fault, ModelFileRewrittenOrTruncatedAfterSessionCreation) {
    for (const std::string provider : {"CPU", "OpenVINO"}) {
        for (bool truncate : {true, false}) {
            SCOPED_TRACE(provider + (truncate ? ", truncated" : ", rewritten in place"));
            std::string dir = test_tmp_dir("fault_model_" + provider + (truncate ? "_truncated" : "_rewritten"));
            std::string path = weighty_model().write(dir + "/model.onnx");
            Tensor x = random_floats({2, 64}, 6);
            Session s(path, provider == "CPU" ? SessionOptions() : openvino());
            Tensor want = run_once(s, x);
            if (truncate) {
                truncate_file(path, 0);
            } else {
                // Same size and layout, other weights: a borrowed tensor would see them.
                std::string other = weighty_model(99).bytes();
                ASSERT_EQ(other.size(), fs::file_size(path));
                int fd = ::open(path.c_str(), O_WRONLY);
                ASSERT_GE(fd, 0);
                ASSERT_EQ(::pwrite(fd, other.data(), other.size(), 0), static_cast<ssize_t>(other.size()));
                ::close(fd);
            }
            EXPECT_TRUE(bit_identical(run_once(s, x), want));
        }
    }
}

// --- EPContext blob files

// Exports the weighty model with its blob in a file; returns {context model, blob file}.
std::pair<std::string, std::string> export_context(const std::string& dir) {
    std::string model = weighty_model().write(dir + "/model.onnx");
    SessionOptions o = openvino();
    o.add_config_entry("ep.context_enable", "1");
    o.add_config_entry("ep.context_embed_mode", "0");
    Session(model, o);
    std::string blob;
    for (const fs::path& f : files_in(dir)) {
        if (f.extension() == ".blob") blob = f.string();
    }
    return {dir + "/model_ctx.onnx", blob};
}

TEST(Fault, EpContextBlobDamagedBeforeSessionCreationIsAClearError) {
    for (const std::string damage : {"truncated", "emptied", "overwritten", "removed"}) {
        SCOPED_TRACE(damage);
        auto [ctx, blob] = export_context(test_tmp_dir("fault_ctx_" + damage));
        ASSERT_FALSE(blob.empty());
        if (damage == "truncated") truncate_file(blob, static_cast<off_t>(fs::file_size(blob) / 2));
        if (damage == "emptied") truncate_file(blob, 0);
        if (damage == "overwritten") scribble_in_place(blob);
        if (damage == "removed") fs::remove(blob);
        expect_error([&, path = ctx] { Session(path, openvino()); },  // clang 14 captures no structured binding
                     damage == "removed" ? ErrorCode::NotFound : ErrorCode::InvalidModel, {"EPContext"});
    }
}

TEST(Fault, EpContextBlobChangedWhileSessionLives) {
    for (const std::string damage : {"removed", "truncated", "overwritten"}) {
        SCOPED_TRACE(damage);
        auto [ctx, blob] = export_context(test_tmp_dir("fault_ctx_live_" + damage));
        Tensor x = random_floats({2, 64}, 8);
        Session s(ctx, openvino());
        Tensor want = run_once(s, x);
        if (damage == "removed") fs::remove(blob);
        if (damage == "truncated") truncate_file(blob, 0);
        if (damage == "overwritten") scribble_in_place(blob);
        EXPECT_TRUE(bit_identical(run_once(s, x), want));
    }
}

}  // namespace
}  // namespace kiln::test
