// Ort::Session and Ort::IoBinding (part of onnxruntime_cxx_api.h), over kiln::Session.
//
// Outputs into pre-allocated values (the output-array Run and IoBinding::BindOutput with a value): kiln's session
// returns its outputs in its own memory, so they are copied into the caller's buffer, which must have the output's
// element type and shape (ORT_INVALID_ARGUMENT otherwise). Inputs are never copied.
#pragma once

#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "kiln/ort/detail/memory.h"
#include "kiln/ort/detail/session_options.h"
#include "kiln/ort/detail/type_info.h"
#include "kiln/ort/detail/value.h"

namespace Ort {

struct IoBinding;

namespace detail {

inline const kiln::ValueInfo& find_value_info(const std::vector<kiln::ValueInfo>& infos, const std::string& name,
                                              const char* what) {
    for (const kiln::ValueInfo& info : infos) {
        if (info.name == name) return info;
    }
    std::string names;
    for (const kiln::ValueInfo& info : infos) names += (names.empty() ? "'" : ", '") + info.name + "'";
    fail(ORT_INVALID_ARGUMENT,
         std::string("Invalid ") + what + " name: '" + name + "'; the model's " + what + "s are " + names);
}

// A graph input or an initializer that a run may override (ONNX Runtime feeds both by name).
inline void check_input_name(const kiln::Session& session, const std::string& name) {
    for (const kiln::ValueInfo& info : session.overridable_initializers()) {
        if (info.name == name) return;
    }
    find_value_info(session.inputs(), name, "input");
}

inline std::string checked_name(const char* const* names, size_t i, const char* what) {
    if (!names || !names[i]) fail(ORT_INVALID_ARGUMENT, std::string(what) + " name " + std::to_string(i) + " is null");
    return names[i];
}

// Writes `result` into the caller's pre-allocated tensor `target` (same type and shape) or, when `target` holds
// nothing, makes it the result.
inline void store_output(const std::string& name, kiln::Value result, Value& target) {
    if (!target) {
        target = Value(std::move(result));
        return;
    }
    if (!target.IsTensor() || !result.is_tensor()) {
        fail(ORT_INVALID_ARGUMENT, "output '" + name +
                                       "': a pre-allocated output must be a tensor, and so must the "
                                       "model's output");
    }
    const kiln::Tensor& from = result.tensor();
    const kiln::Tensor& to = target.kiln_value().tensor();
    if (from.dtype() != to.dtype() || from.shape() != to.shape()) {
        fail(ORT_INVALID_ARGUMENT, "output '" + name + "': the pre-allocated tensor is " +
                                       kiln::dtype_name(to.dtype()) + " " + kiln::shape_to_string(to.shape()) +
                                       ", the output is " + kiln::dtype_name(from.dtype()) + " " +
                                       kiln::shape_to_string(from.shape()));
    }
    void* dst = target.GetTensorMutableData<void>();
    if (dst != from.raw_data() && from.byte_size() > 0) std::memcpy(dst, from.raw_data(), from.byte_size());
}

}  // namespace detail

struct Session {
    explicit Session(std::nullptr_t) {}
    Session(const Env& /*env*/, const ORTCHAR_T* model_path, const SessionOptions& options) {
        detail::call([&] {
            if (!model_path) detail::fail(ORT_INVALID_ARGUMENT, "Session: the model path is null");
            session_ = std::make_unique<kiln::Session>(model_path, options.kiln_options());
        });
    }
    // From the model's bytes (copied or parsed before the constructor returns).
    Session(const Env& /*env*/, const void* model_data, size_t model_data_length, const SessionOptions& options) {
        detail::call([&] {
            if (!model_data) detail::fail(ORT_INVALID_ARGUMENT, "Session: the model data is null");
            session_ = std::make_unique<kiln::Session>(model_data, model_data_length, options.kiln_options());
        });
    }
    Session(Session&&) = default;
    Session& operator=(Session&& other) noexcept {
        if (this != &other) {
            finish();
            session_ = std::move(other.session_);
        }
        return *this;
    }
    // Writes the profile, when profiling and EndProfilingAllocated has not, as ONNX Runtime does.
    ~Session() { finish(); }

    size_t GetInputCount() const { return get().inputs().size(); }
    size_t GetOutputCount() const { return get().outputs().size(); }
    AllocatedStringPtr GetInputNameAllocated(size_t index, OrtAllocator* allocator) const {
        return detail::allocated_string(at(get().inputs(), index, "input").name, allocator, "GetInputNameAllocated");
    }
    AllocatedStringPtr GetOutputNameAllocated(size_t index, OrtAllocator* allocator) const {
        return detail::allocated_string(at(get().outputs(), index, "output").name, allocator, "GetOutputNameAllocated");
    }
    TypeInfo GetInputTypeInfo(size_t index) const { return TypeInfo(at(get().inputs(), index, "input").type); }
    TypeInfo GetOutputTypeInfo(size_t index) const { return TypeInfo(at(get().outputs(), index, "output").type); }

    // Runs the model on the named inputs and returns the named outputs, in the order of `output_names`.
    std::vector<Value> Run(const RunOptions& run_options, const char* const* input_names, const Value* input_values,
                           size_t input_count, const char* const* output_names, size_t output_count) {
        std::vector<Value> outputs;
        for (size_t i = 0; i < output_count; ++i) outputs.emplace_back(nullptr);
        Run(run_options, input_names, input_values, input_count, output_names, outputs.data(), output_count);
        return outputs;
    }
    // The same into `output_values`: a Value(nullptr) receives the output; a tensor the caller created receives a
    // copy of it (its type and shape must match).
    void Run(const RunOptions& /*run_options*/, const char* const* input_names, const Value* input_values,
             size_t input_count, const char* const* output_names, Value* output_values, size_t output_count) {
        detail::call([&] {
            std::vector<kiln::NamedValue> feeds;
            for (size_t i = 0; i < input_count; ++i) {
                std::string name = detail::checked_name(input_names, i, "input");
                detail::check_input_name(get(), name);
                if (!input_values || !input_values[i]) {
                    detail::fail(ORT_INVALID_ARGUMENT, "input '" + name + "': the value is empty (nullptr)");
                }
                feeds.push_back({name, input_values[i].kiln_value()});
            }
            std::vector<std::string> names;
            for (size_t i = 0; i < output_count; ++i) {
                names.push_back(detail::checked_name(output_names, i, "output"));
                detail::find_value_info(get().outputs(), names.back(), "output");
            }
            if (output_count == 0) detail::fail(ORT_INVALID_ARGUMENT, "Run: no output names given");
            if (!output_values) detail::fail(ORT_INVALID_ARGUMENT, "Run: output_values is null");
            std::vector<kiln::Value> results = get().run_values(feeds, names);
            for (size_t i = 0; i < output_count; ++i) detail::store_output(names[i], results[i], output_values[i]);
        });
    }
    // Runs on the binding's inputs into its outputs.
    void Run(const RunOptions& run_options, const IoBinding& io_binding);

    // Profiling (SessionOptions::EnableProfiling): writes the trace and returns its path ("" when not profiling).
    AllocatedStringPtr EndProfilingAllocated(OrtAllocator* allocator) {
        std::string path = detail::call([&] { return get().end_profiling(); });
        return detail::allocated_string(path, allocator, "EndProfilingAllocated");
    }

    // kiln extension: the kiln::Session this stands for.
    kiln::Session& kiln_session() const { return get(); }

  private:
    void finish() noexcept {
        if (!session_) return;
        try {
            session_->end_profiling();
        } catch (const std::exception& e) {
            std::cerr << "kiln: " << e.what() << "\n";
        }
    }
    kiln::Session& get() const {
        if (!session_) detail::fail(ORT_INVALID_ARGUMENT, "Ort::Session: the session is empty (nullptr)");
        return *session_;
    }
    static const kiln::ValueInfo& at(const std::vector<kiln::ValueInfo>& infos, size_t index, const char* what) {
        if (index >= infos.size()) {
            detail::fail(ORT_INVALID_ARGUMENT, std::string(what) + " index " + std::to_string(index) +
                                                   " is out of range: the model has " + std::to_string(infos.size()) +
                                                   " " + what + "s");
        }
        return infos[index];
    }

    std::unique_ptr<kiln::Session> session_;
};

// Inputs and outputs bound by name ahead of Session::Run(RunOptions, IoBinding). A bound input or output value
// is shared, not copied: the tensor's buffer must outlive the runs.
struct IoBinding {
    explicit IoBinding(Session& session) : state_(std::make_unique<State>()) {
        state_->session = &session.kiln_session();
    }

    // ORT_INVALID_ARGUMENT when `name` is not a model input or the value is empty.
    void BindInput(const char* name, const Value& value) {
        std::string n = detail::checked_name(&name, 0, "BindInput");
        detail::check_input_name(*state_->session, n);
        if (!value) detail::fail(ORT_INVALID_ARGUMENT, "BindInput '" + n + "': the value is empty (nullptr)");
        state_->inputs[n] = value.kiln_value();
    }
    // The run writes this output into `value` (a tensor of the output's type and shape).
    void BindOutput(const char* name, const Value& value) {
        std::string n = bound_output(name);
        if (!value.IsTensor()) detail::fail(ORT_INVALID_ARGUMENT, "BindOutput '" + n + "': the value is not a tensor");
        state_->outputs.push_back({n, value.kiln_value(), true});
    }
    // The run allocates this output (CPU memory).
    void BindOutput(const char* name, const OrtMemoryInfo* mem_info) {
        std::string n = bound_output(name);
        if (!mem_info) detail::fail(ORT_INVALID_ARGUMENT, "BindOutput '" + n + "': memory info is null");
        state_->outputs.push_back({n, kiln::Value(), false});
    }
    std::vector<std::string> GetOutputNames() const {
        std::vector<std::string> names;
        for (const Bound& b : state_->outputs) names.push_back(b.name);
        return names;
    }
    // The bound outputs after a run (sharing their data with the binding); Value(nullptr) before the first.
    std::vector<Value> GetOutputValues() const {
        std::vector<Value> values;
        for (const Bound& b : state_->outputs) values.emplace_back(b.value);
        return values;
    }
    void ClearBoundInputs() { state_->inputs.clear(); }
    void ClearBoundOutputs() { state_->outputs.clear(); }
    // kiln's tensors are in CPU memory: there is nothing to wait for.
    void SynchronizeInputs() {}
    void SynchronizeOutputs() {}

  private:
    friend struct Session;
    struct Bound {
        std::string name;
        kiln::Value value;
        bool preallocated;
    };
    struct State {
        kiln::Session* session = nullptr;  // owned by the Ort::Session (stable when that is moved)
        std::map<std::string, kiln::Value> inputs;
        std::vector<Bound> outputs;
    };

    std::string bound_output(const char* name) {
        std::string n = detail::checked_name(&name, 0, "BindOutput");
        detail::find_value_info(state_->session->outputs(), n, "output");
        for (size_t i = 0; i < state_->outputs.size(); ++i) {
            if (state_->outputs[i].name == n) state_->outputs.erase(state_->outputs.begin() + i);
        }
        return n;
    }

    std::unique_ptr<State> state_;
};

inline void Session::Run(const RunOptions& /*run_options*/, const IoBinding& io_binding) {
    detail::call([&] {
        IoBinding::State& state = *io_binding.state_;
        if (state.session != &get()) detail::fail(ORT_INVALID_ARGUMENT, "Run: the IoBinding is for another session");
        if (state.outputs.empty()) detail::fail(ORT_INVALID_ARGUMENT, "Run: the IoBinding has no bound outputs");
        std::vector<kiln::NamedValue> feeds;
        for (const auto& [name, value] : state.inputs) feeds.push_back({name, value});
        std::vector<std::string> names;
        for (const IoBinding::Bound& b : state.outputs) names.push_back(b.name);
        std::vector<kiln::Value> results = get().run_values(feeds, names);
        for (size_t i = 0; i < results.size(); ++i) {
            IoBinding::Bound& b = state.outputs[i];
            if (!b.preallocated) {
                b.value = std::move(results[i]);
                continue;
            }
            Value target(b.value);
            detail::store_output(b.name, std::move(results[i]), target);
        }
    });
}

}  // namespace Ort
