// kiln's model cache (cache_dir) and weight sharing (ep.share_ep_contexts) with the OpenVINO provider on OpenVINO's
// CPU device: a second session imports the cached blob instead of compiling and gives the same outputs; damaged,
// truncated, foreign and misnamed files are warned about, recompiled and replaced; the key follows the weights'
// contents, the device, the OpenVINO version and the properties that change the blob, and not NUM_STREAMS;
// concurrent writers leave one valid file; sessions sharing contexts run one compiled model.
#include "providers/openvino/model_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "common/log.h"
#include "kiln/session.h"
#include "onnx/loader.h"
#include "support/expect_error.h"
#include "support/log_capture.h"
#include "support/model_builder.h"
#include "support/openvino_models.h"

namespace kiln::test {
namespace {
namespace fs = std::filesystem;

// y = Relu(MatMul(x, W) + b), x: [2, 32], W: [32, 32] (4 KiB: handed to OpenVINO by address, keyed by content).
ModelBuilder matmul_model(uint32_t seed) {
    ModelBuilder b(17);
    b.input("x", {2, 32}).output("y", {2, 32});
    b.initializer_floats("w", {32, 32}, values(32 * 32, seed));
    b.initializer_floats("b", {32}, values(32, seed + 1));
    b.node("MatMul", {"x", "w"}, {"m"}, "matmul");
    b.node("Add", {"m", "b"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"y"}, "relu");
    return b;
}

SessionOptions cached(const std::string& dir, ProviderOptions extra = {}) {
    ProviderOptions o = {{"device_type", "CPU"}, {"precision", "FP32"}, {"cache_dir", dir}};
    for (const auto& [k, v] : extra) o[k] = v;
    return openvino(o);
}

std::vector<std::string> cache_files(const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The CPU provider's output (the oracle) and the session's, within float tolerance.
void expect_correct(Session& session, const std::string& model, uint32_t seed) {
    Tensor x = random_floats({2, 32}, seed);
    Session cpu(model, SessionOptions());
    Tensor want = cpu.run({{"x", x}})[0];
    Tensor got = session.run({{"x", x}})[0];
    ASSERT_EQ(got.shape(), want.shape());
    for (int64_t i = 0; i < got.element_count(); ++i) {
        ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-4) << "element " << i;
    }
}

TEST(ModelCache, SecondSessionImportsTheCachedBlobWithoutCompiling) {
    std::string dir = test_tmp_dir("ModelCache_Hit");
    std::string model = matmul_model(1).write(dir + "/model.onnx");
    std::string cache = dir + "/cache";
    Logged first = logged([&] { Session s(model, cached(cache)); });
    EXPECT_EQ(first.count("compiled"), 1u);
    auto files = cache_files(cache);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(fs::path(files[0]).filename().string().rfind("kiln_ov_", 0), 0u) << files[0];
    // OpenVINO's own CACHE_DIR is not set for CPU: the folder holds kiln's file only.
    std::unique_ptr<Session> second;
    Logged hit = logged([&] { second = std::make_unique<Session>(model, cached(cache)); });
    EXPECT_EQ(hit.count("imported from the model cache file"), 1u);
    EXPECT_EQ(hit.count("compiled"), 0u);
    EXPECT_TRUE(hit.warnings.empty());
    expect_correct(*second, model, 3);
    EXPECT_EQ(cache_files(cache), files);
}

TEST(ModelCache, ModelFromMemoryHitsTheEntryOfTheSameModelFromAFile) {
    std::string dir = test_tmp_dir("ModelCache_Memory");
    std::string model = matmul_model(4).write(dir + "/model.onnx");
    std::string cache = dir + "/cache";
    Session(model, cached(cache));
    std::string bytes = read_bytes(model);
    std::unique_ptr<Session> from_memory;
    Logged hit = logged([&] { from_memory = std::make_unique<Session>(bytes.data(), bytes.size(), cached(cache)); });
    EXPECT_EQ(hit.count("imported from the model cache file"), 1u);
    expect_correct(*from_memory, model, 9);
}

// Damages the one cache file in `cache` with `damage`, then checks that a session warns naming the file and
// `problem`, compiles, answers correctly and leaves a valid file that the next session imports.
void check_damaged(const std::string& test, const std::function<void(const std::string&)>& damage,
                   const std::string& problem) {
    std::string dir = test_tmp_dir(test);
    std::string model = matmul_model(2).write(dir + "/model.onnx");
    std::string cache = dir + "/cache";
    Session(model, cached(cache));
    auto files = cache_files(cache);
    ASSERT_EQ(files.size(), 1u);
    damage(files[0]);
    std::unique_ptr<Session> session;
    Logged recompiled = logged([&] { session = std::make_unique<Session>(model, cached(cache)); });
    ASSERT_EQ(recompiled.warnings.size(), 1u);
    EXPECT_NE(recompiled.warnings[0].find(files[0]), std::string::npos) << recompiled.warnings[0];
    EXPECT_NE(recompiled.warnings[0].find(problem), std::string::npos) << recompiled.warnings[0];
    EXPECT_EQ(recompiled.count("compiled"), 1u);
    expect_correct(*session, model, 4);
    EXPECT_EQ(cache_files(cache), files);  // replaced, no temporary left
    Logged hit = logged([&] { Session s(model, cached(cache)); });
    EXPECT_EQ(hit.count("imported from the model cache file"), 1u);
    EXPECT_TRUE(hit.warnings.empty());
}

TEST(ModelCache, DamagedPayloadIsDetectedByItsChecksumAndRecompiled) {
    check_damaged(
        "ModelCache_Damaged",
        [](const std::string& path) {
            std::string bytes = read_bytes(path);
            bytes[bytes.size() / 2] ^= 0x5a;
            write_file(path, bytes);
        },
        "checksum");
}

TEST(ModelCache, TruncatedFileIsRecompiled) {
    check_damaged(
        "ModelCache_Truncated", [](const std::string& path) { fs::resize_file(path, fs::file_size(path) / 2); },
        "truncated");
}

TEST(ModelCache, ShortFileIsRecompiled) {
    check_damaged(
        "ModelCache_Short", [](const std::string& path) { fs::resize_file(path, 20); }, "not a kiln model cache file");
}

TEST(ModelCache, ForeignFileIsRecompiled) {
    check_damaged(
        "ModelCache_Foreign", [](const std::string& path) { write_file(path, std::string(4096, 'x')); },
        "not a kiln model cache file");
}

TEST(ModelCache, FileOfAnotherKeyIsRecompiled) {
    std::string other = test_tmp_dir("ModelCache_OtherKey_source");
    std::string model = matmul_model(7).write(other + "/model.onnx");
    Session(model, cached(other + "/cache"));
    std::string other_file = cache_files(other + "/cache").at(0);
    check_damaged(
        "ModelCache_OtherKey",
        [&](const std::string& path) { fs::copy_file(other_file, path, fs::copy_options::overwrite_existing); },
        "not the key its name says");
}

TEST(ModelCache, BlobThatOpenVINORefusesIsRecompiled) {
    // A valid header around bytes that are no OpenVINO blob: OpenVINO's import fails, the file is replaced.
    check_damaged(
        "ModelCache_Refused",
        [](const std::string& path) {
            std::string name = fs::path(path).stem().string().substr(std::string("kiln_ov_").size());
            ov::CacheKey key{std::stoull(name.substr(16), nullptr, 16), std::stoull(name.substr(0, 16), nullptr, 16)};
            fs::remove(path);
            ov::ModelCache(fs::path(path).parent_path().string()).store(key, std::string(1000, '\1'));
        },
        "could not be used");
}

TEST(ModelCache, KeyFollowsWeightsDeviceVersionAndBlobProperties) {
    std::string dir = test_tmp_dir("ModelCache_Key");
    ir::Model a = onnx::load_model_file(matmul_model(1).write(dir + "/a.onnx"));
    ir::Model a_copy = onnx::load_model_file(matmul_model(1).write(dir + "/a_copy.onnx"));
    ir::Model b = onnx::load_model_file(matmul_model(9).write(dir + "/b.onnx"));
    ::ov::AnyMap f32 = {{"INFERENCE_PRECISION_HINT", "f32"}, {"NUM_STREAMS", 1}};
    ::ov::AnyMap f32_streams = {{"INFERENCE_PRECISION_HINT", "f32"}, {"NUM_STREAMS", 4}, {"INFERENCE_NUM_THREADS", 2}};
    ::ov::AnyMap f16 = {{"INFERENCE_PRECISION_HINT", "f16"}, {"NUM_STREAMS", 1}};
    ov::OpenVINOOptions o;
    auto key = [&](const ir::Model& m, const std::string& device, const ::ov::AnyMap& p, const std::string& version) {
        return ov::partition_key(*m.graph, device, p, o, 1024, version);
    };
    const std::string v = ov::openvino_full_version();
    EXPECT_EQ(key(a, "CPU", f32, v), key(a_copy, "CPU", f32, v)) << "weights are keyed by content, not address";
    EXPECT_FALSE(key(a, "CPU", f32, v) == key(b, "CPU", f32, v)) << "other weights";
    EXPECT_FALSE(key(a, "CPU", f32, v) == key(a, "GPU", f32, v)) << "other device";
    EXPECT_FALSE(key(a, "CPU", f32, v) == key(a, "CPU", f32, v + "-other")) << "other OpenVINO";
    EXPECT_FALSE(key(a, "CPU", f32, v) == key(a, "CPU", f16, v)) << "other precision";
    EXPECT_EQ(key(a, "CPU", f32, v), key(a, "CPU", f32_streams, v)) << "streams and threads are set at import";
    // A cache file made under another OpenVINO version is simply not found (another name).
    ov::ModelCache cache(dir + "/files");
    fs::create_directories(dir + "/files");
    cache.store(key(a, "CPU", f32, v + "-other"), "payload");
    EXPECT_FALSE(cache.find(key(a, "CPU", f32, v)).has_value());
    auto found = cache.find(key(a, "CPU", f32, v + "-other"));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(std::string(found->data, found->size), "payload");
}

TEST(ModelCache, SessionsOnOtherPrecisionMissAndOnOtherStreamsHit) {
    std::string dir = test_tmp_dir("ModelCache_Options");
    std::string model = matmul_model(3).write(dir + "/model.onnx");
    std::string cache = dir + "/cache";
    Session(model, cached(cache));
    Logged streams = logged([&] { Session s(model, cached(cache, {{"num_streams", "2"}})); });
    EXPECT_EQ(streams.count("imported from the model cache file"), 1u);
    Logged other = logged([&] { Session s(model, cached(cache, {{"precision", "ACCURACY"}})); });
    EXPECT_EQ(other.count("compiled"), 1u);
    EXPECT_EQ(cache_files(cache).size(), 2u);
}

TEST(ModelCache, ConcurrentWritersLeaveOneValidFile) {
    std::string dir = test_tmp_dir("ModelCache_Concurrent");
    std::string model = matmul_model(5).write(dir + "/model.onnx");
    std::string cache = dir + "/cache";
    constexpr int kThreads = 4;
    std::vector<std::unique_ptr<Session>> sessions(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    Logged log = logged([&] {
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&, i] {
                try {
                    sessions[i] = std::make_unique<Session>(model, cached(cache));
                } catch (const std::exception& e) {
                    errors[i] = e.what();
                }
            });
        }
        for (auto& t : threads) t.join();
    });
    for (int i = 0; i < kThreads; ++i) {
        ASSERT_EQ(errors[i], "") << "session " << i;
        expect_correct(*sessions[i], model, 10 + i);
    }
    EXPECT_TRUE(log.warnings.empty()) << log.warnings[0];
    auto files = cache_files(cache);
    ASSERT_EQ(files.size(), 1u) << "temporary files left";
    Logged hit = logged([&] { Session s(model, cached(cache)); });
    EXPECT_EQ(hit.count("imported from the model cache file"), 1u);
    EXPECT_TRUE(hit.warnings.empty());
}

TEST(ModelCache, PartitionsCompiledPerInputShapeKeepOpenVINOsOwnCache) {
    std::string dir = test_tmp_dir("ModelCache_PerShape");
    ModelBuilder b(17);
    b.input("x", {-1, 32}, 1, {"N", ""}).output("y", {-1, 32});
    b.initializer_floats("w", {32, 32}, values(32 * 32, 31));
    b.node("MatMul", {"x", "w"}, {"m"}, "matmul");
    b.node("Relu", {"m"}, {"y"}, "relu");
    std::string model = b.write(dir + "/model.onnx");
    std::string cache = dir + "/cache";
    Session s(model, cached(cache, {{"disable_dynamic_shapes", "True"}}));
    Tensor x = random_floats({3, 32}, 32);
    Tensor got = s.run({{"x", x}})[0];
    Tensor want = Session(model, SessionOptions()).run({{"x", x}})[0];
    for (int64_t i = 0; i < got.element_count(); ++i) ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-4);
    auto files = cache_files(cache);
    ASSERT_FALSE(files.empty()) << "OpenVINO's CACHE_DIR was not set for the per-shape compile";
    for (const std::string& f : files) EXPECT_NE(fs::path(f).filename().string().rfind("kiln_ov_", 0), 0u) << f;
}

TEST(ModelCache, SessionExportingEPContextNeitherReadsNorWritesTheCache) {
    std::string dir = test_tmp_dir("ModelCache_Export");
    std::string model = matmul_model(6).write(dir + "/model.onnx");
    std::string cache = dir + "/cache";
    SessionOptions o = cached(cache);
    o.add_config_entry("ep.context_enable", "1");
    Logged log = logged([&] { Session s(model, o); });
    EXPECT_EQ(log.count("compiled"), 1u);
    EXPECT_TRUE(cache_files(cache).empty());
    // The context model still round-trips, and a cached session answers as it does.
    Session imported(dir + "/model_ctx.onnx", openvino());
    Session(model, cached(cache));
    Session hit(model, cached(cache));
    Tensor x = random_floats({2, 32}, 8);
    Tensor a = imported.run({{"x", x}})[0], b = hit.run({{"x", x}})[0];
    for (int64_t i = 0; i < a.element_count(); ++i) ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]) << i;
}

SessionOptions sharing(SessionOptions o = openvino(), bool stop = false) {
    o.add_config_entry("ep.share_ep_contexts", "1");
    if (stop) o.add_config_entry("ep.stop_share_ep_contexts", "1");
    return o;
}

TEST(WeightSharing, SecondSessionRunsTheFirstSessionsCompiledModel) {
    std::string dir = test_tmp_dir("WeightSharing_Share");
    std::string model = matmul_model(11).write(dir + "/model.onnx");
    std::string copy = matmul_model(11).write(dir + "/copy.onnx");  // same weights, another file
    auto first = std::make_unique<Session>(model, sharing());
    std::unique_ptr<Session> second;
    Logged shared = logged([&] { second = std::make_unique<Session>(copy, sharing()); });
    EXPECT_EQ(shared.count("shared with another session (its ov::CompiledModel"), 1u);
    EXPECT_EQ(shared.count("compiled"), 0u);
    expect_correct(*second, model, 12);
    expect_correct(*first, model, 13);
    // Other weights: compiled.
    std::string other = matmul_model(12).write(dir + "/other.onnx");
    Logged own = logged([&] { Session s(other, sharing()); });
    EXPECT_EQ(own.count("compiled"), 1u);
    // Without the flag: compiled.
    Logged unshared = logged([&] { Session s(model, openvino()); });
    EXPECT_EQ(unshared.count("compiled"), 1u);
    // Once every session using it has gone, the next one compiles.
    first.reset();
    second.reset();
    Logged fresh = logged([&] { Session s(model, sharing()); });
    EXPECT_EQ(fresh.count("compiled"), 1u);
}

TEST(WeightSharing, StopShareEndsTheGroup) {
    std::string dir = test_tmp_dir("WeightSharing_Stop");
    std::string model = matmul_model(21).write(dir + "/model.onnx");
    Session first(model, sharing());
    std::unique_ptr<Session> last;
    Logged stop = logged([&] { last = std::make_unique<Session>(model, sharing(openvino(), true)); });
    EXPECT_EQ(stop.count("shared with another session (its ov::CompiledModel"), 1u);
    Logged after = logged([&] { Session s(model, sharing()); });
    EXPECT_EQ(after.count("compiled"), 1u) << "the group ended with ep.stop_share_ep_contexts=1";
    expect_correct(*last, model, 22);
    SessionOptions bad = openvino();
    bad.add_config_entry("ep.stop_share_ep_contexts", "yes");
    expect_error([&] { Session s(model, bad); }, ErrorCode::InvalidArgument, {"ep.stop_share_ep_contexts", "yes"});
}

}  // namespace
}  // namespace kiln::test
