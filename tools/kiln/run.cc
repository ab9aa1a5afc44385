// kiln run: one run (or --repeat N) of a model on given or random inputs; prints what the model produced.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include "common/half.h"
#include "kiln/kiln.h"
#include "tools/kiln/commands.h"
#include "tools/kiln/npy.h"
#include "tools/kiln/random_inputs.h"
#include "tools/kiln/session_flags.h"

namespace kiln::cli {
namespace {

struct RunFlags {
    std::string model;
    std::vector<std::pair<std::string, std::string>> inputs;  // name -> .npy path
    std::string save_dir;
    int64_t repeat = 1;
    int64_t seed = 0;
    SessionFlags session;
};

std::pair<std::string, std::string> split_assignment(const std::string& flag, const std::string& text) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UsageError("flag '" + flag + "' expects NAME=VALUE, got '" + text + "'");
    return {text.substr(0, eq), text.substr(eq + 1)};
}

RunFlags parse_run_flags(const Args& args) {
    RunFlags f;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string name = a.substr(0, a.find('='));
        if (name == "--input") {
            f.inputs.push_back(split_assignment(name, flag_value(args, i)));
        } else if (name == "--save-outputs") {
            f.save_dir = flag_value(args, i);
        } else if (name == "--repeat") {
            f.repeat = parse_int(name, flag_value(args, i));
            if (f.repeat < 1) throw UsageError("flag '--repeat' must be at least 1");
        } else if (name == "--seed") {
            f.seed = parse_int(name, flag_value(args, i));
        } else if (parse_session_flag(args, i, f.session)) {
        } else if (a.rfind("-", 0) == 0) {
            throw UsageError("unknown flag '" + a + "'");
        } else if (f.model.empty()) {
            f.model = a;
        } else {
            throw UsageError("unexpected argument '" + a + "'");
        }
    }
    if (f.model.empty()) throw UsageError("no model given (kiln run MODEL ...)");
    return f;
}

std::vector<double> values_as_doubles(const Tensor& t) {
    std::vector<double> v(t.element_count());
    for (int64_t i = 0; i < t.element_count(); ++i) {
        switch (t.dtype()) {
            case DType::Float:
                v[i] = t.data<float>()[i];
                break;
            case DType::Double:
                v[i] = t.data<double>()[i];
                break;
            case DType::Float16:
                v[i] = half_to_float(t.data<uint16_t>()[i]);
                break;
            case DType::BFloat16:
                v[i] = bf16_to_float(t.data<uint16_t>()[i]);
                break;
            case DType::Int64:
                v[i] = double(t.data<int64_t>()[i]);
                break;
            case DType::Int32:
                v[i] = t.data<int32_t>()[i];
                break;
            case DType::Int16:
                v[i] = t.data<int16_t>()[i];
                break;
            case DType::Int8:
                v[i] = t.data<int8_t>()[i];
                break;
            case DType::UInt8:
            case DType::Bool:
                v[i] = t.data<uint8_t>()[i];
                break;
            case DType::UInt16:
                v[i] = t.data<uint16_t>()[i];
                break;
            case DType::UInt32:
                v[i] = t.data<uint32_t>()[i];
                break;
            case DType::UInt64:
                v[i] = double(t.data<uint64_t>()[i]);
                break;
            default:
                return {};
        }
    }
    return v;
}

std::string index_string(int64_t flat, const Shape& shape) {
    std::vector<int64_t> idx(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        idx[d] = shape[d] ? flat % shape[d] : 0;
        flat = shape[d] ? flat / shape[d] : 0;
    }
    return shape_to_string(idx);
}

void print_output(const std::string& name, const Tensor& t) {
    std::printf("  %s  %s  %s\n", name.c_str(), dtype_name(t.dtype()), shape_to_string(t.shape()).c_str());
    std::vector<double> v = values_as_doubles(t);
    if (v.empty()) return;
    std::vector<int64_t> order(v.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    size_t k = std::min<size_t>(5, order.size());
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) { return v[a] > v[b]; });
    double sum = 0;
    for (double x : v) sum += x;
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::printf("    min %.6g  max %.6g  mean %.6g\n", *lo, *hi, sum / v.size());
    std::printf("    top-%zu:", k);
    for (size_t i = 0; i < k; ++i) std::printf("  %s=%.6g", index_string(order[i], t.shape()).c_str(), v[order[i]]);
    std::printf("\n");
}

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int run_command(const Args& args) {
    RunFlags f = parse_run_flags(args);
    auto t0 = std::chrono::steady_clock::now();
    Session session(f.model, f.session.session_options());
    double create_ms = ms_since(t0);
    std::printf("model: %s\n", f.model.c_str());
    std::map<std::string, int> per_provider;
    for (const NodeAssignment& a : session.node_assignments()) ++per_provider[a.provider];
    std::string placement;
    for (const auto& [provider, count] : per_provider) {
        placement += str(placement.empty() ? "" : ", ", count, " nodes on ", provider);
    }
    std::printf("session creation: %.1f ms (%s)\n", create_ms, placement.c_str());

    std::vector<NamedTensor> feeds;
    std::mt19937_64 rng(static_cast<uint64_t>(f.seed));
    std::printf("inputs:\n");
    for (const auto& [name, path] : f.inputs) {
        feeds.push_back({name, read_npy(path)});
        std::printf("  %s  %s  %s  (from %s)\n", name.c_str(), dtype_name(feeds.back().tensor.dtype()),
                    shape_to_string(feeds.back().tensor.shape()).c_str(), path.c_str());
    }
    for (const ValueInfo& in : session.inputs()) {
        bool given = std::any_of(feeds.begin(), feeds.end(), [&](const NamedTensor& t) { return t.name == in.name; });
        if (given) continue;
        feeds.push_back({in.name, random_input(in, f.session.options.dim_overrides, rng)});
        std::printf("  %s  %s  %s  (random, seed %lld)\n", in.name.c_str(), dtype_name(in.type.dtype),
                    shape_to_string(feeds.back().tensor.shape()).c_str(), static_cast<long long>(f.seed));
    }

    std::vector<Tensor> outputs;
    double total_ms = 0, first_ms = 0;
    for (int64_t r = 0; r < f.repeat; ++r) {
        auto start = std::chrono::steady_clock::now();
        outputs = session.run(feeds);
        double ms = ms_since(start);
        if (r == 0) first_ms = ms;
        total_ms += ms;
    }
    std::printf("outputs:\n");
    for (size_t i = 0; i < outputs.size(); ++i) print_output(session.outputs()[i].name, outputs[i]);
    if (f.repeat > 1) {
        std::printf("run: first %.2f ms, average %.2f ms over %lld runs\n", first_ms, total_ms / f.repeat,
                    static_cast<long long>(f.repeat));
    } else {
        std::printf("run: %.2f ms\n", first_ms);
    }
    if (!f.save_dir.empty()) {
        std::filesystem::create_directories(f.save_dir);
        for (size_t i = 0; i < outputs.size(); ++i) {
            write_npy((std::filesystem::path(f.save_dir) / ("output_" + std::to_string(i) + ".npy")).string(),
                      outputs[i]);
        }
    }
    return 0;
}

}  // namespace kiln::cli
