#include "providers/openvino/compiled_subgraph.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <openvino/core/layout.hpp>
#include <openvino/core/model.hpp>
#include <openvino/core/version.hpp>
#include <openvino/runtime/infer_request.hpp>
#include <openvino/runtime/properties.hpp>
#include <sstream>

#include "onnx/loader.h"
#include "onnx/writer.h"
#include "providers/openvino/element_type.h"
#include "providers/openvino/ov_core.h"

namespace kiln::ov {

// One compile_model result and its idle infer requests. Port i of the compiled model is kiln input/output
// input_port[i] / output_port[i] apart (OpenVINO keeps ONNX's order, but kiln matches by name to be sure).
struct CompiledSubgraph::Compiled {
    ::ov::CompiledModel model;
    std::vector<size_t> input_port;   // kiln input i -> compiled model input port
    std::vector<size_t> output_port;  // kiln output i -> compiled model output port
    // Output shape known before the run and computed by an op: OpenVINO writes it straight into kiln's buffer. (An
    // output that is a model input or constant is not written into a tensor set for it: it is copied.)
    std::vector<bool> static_output;
    std::mutex mutex;
    std::vector<::ov::InferRequest> idle;

    ::ov::InferRequest take() {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (!idle.empty()) {
                ::ov::InferRequest r = std::move(idle.back());
                idle.pop_back();
                return r;
            }
        }
        return model.create_infer_request();
    }
    void give_back(::ov::InferRequest r) {
        std::lock_guard<std::mutex> lock(mutex);
        idle.push_back(std::move(r));
    }
};

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// OpenVINO's message without its "Exception from <file>:<line>:" lines, on one line.
std::string ov_message(const std::string& text) {
    std::string message, line;
    for (size_t start = 0; start <= text.size();) {
        size_t end = std::min(text.find('\n', start), text.size());
        line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty() || line.rfind("Exception from ", 0) == 0) continue;
        message += (message.empty() ? "" : " ") + line;
    }
    return message.empty() ? first_line(text) : message;
}

// Runs `f`, turning OpenVINO's exceptions into DeviceError with `what` in front.
template <typename F>
auto device_call(const std::string& what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        fail(ErrorCode::DeviceError, what, ": ", first_line(e.what()));
    }
}

constexpr size_t kNoPort = static_cast<size_t>(-1);

// The port among `ports` that carries tensor name `name`. When none does: with as many ports as kiln has values,
// the port at `index` (OpenVINO keeps ONNX's order, and a graph output that is a graph input or a copy of one
// keeps only the first name); with fewer, OpenVINO dropped the value (an input no op reads, such as an empty axes
// list): kNoPort.
template <typename Ports>
size_t port_named(const Ports& ports, const std::string& name, size_t index, size_t count) {
    for (size_t i = 0; i < ports.size(); ++i) {
        if (ports[i].get_names().count(name)) return i;
    }
    return ports.size() == count ? index : kNoPort;
}

::ov::Shape ov_shape(const Shape& shape) { return ::ov::Shape(shape.begin(), shape.end()); }

Shape kiln_shape(const ::ov::Shape& shape) { return Shape(shape.begin(), shape.end()); }

// The tensor's memory as an OpenVINO tensor, without copying (OpenVINO reads inputs only; its Tensor has no
// read-only view constructor). An empty tensor gets OpenVINO's own empty tensor: there is no memory to share.
::ov::Tensor view_of(const Tensor& t) {
    if (t.element_count() == 0) return ::ov::Tensor(element_type_of(t.dtype()), ov_shape(t.shape()));
    return ::ov::Tensor(element_type_of(t.dtype()), ov_shape(t.shape()), const_cast<void*>(t.raw_data()));
}

bool all_static(const ir::Graph& graph) {
    for (const ir::Value* v : graph.inputs()) {
        if (!v->type.is_static()) return false;
    }
    return true;
}

}  // namespace

// reshape_input: the named inputs get their bounded shapes (a fixed dim where min == max); layout: the named inputs
// and outputs get their layouts. Names the partition does not have belong to other partitions.
static void apply_shape_options(::ov::Model& model, const OpenVINOOptions& options) {
    std::map<::ov::Output<::ov::Node>, ::ov::PartialShape> shapes;
    for (const InputShape& wanted : options.reshape_input) {
        for (const auto& input : model.inputs()) {
            if (!input.get_names().count(wanted.name)) continue;
            std::vector<::ov::Dimension> dims;
            for (const DimBounds& d : wanted.dims) dims.emplace_back(d.min, d.max);
            shapes[input] = ::ov::PartialShape(dims);
        }
    }
    if (!shapes.empty()) {
        device_call("OpenVINO could not reshape the subgraph to reshape_input's shapes",
                    [&] { model.reshape(shapes); });
    }
    for (const TensorLayout& wanted : options.layout) {
        for (const auto& port : model.inputs()) {
            if (port.get_names().count(wanted.name)) ::ov::layout::set_layout(port, ::ov::Layout(wanted.layout));
        }
        for (const auto& port : model.outputs()) {
            if (port.get_names().count(wanted.name)) ::ov::layout::set_layout(port, ::ov::Layout(wanted.layout));
        }
    }
}

CompiledSubgraph::CompiledSubgraph(const ir::Graph& partition, std::string device, ::ov::AnyMap properties,
                                   const OpenVINOOptions& options)
    : device_(std::move(device)), properties_(std::move(properties)) {
    set_names(partition);
    // Weights stay where they are: the proto refers to them by address, and OpenVINO's ONNX frontend copies them
    // into the model's constants while reading it (tests/unit/openvino_provider_test.cc checks that it copies), so
    // kiln's copy may go as soon as read_model returns.
    std::string bytes =
        onnx::save_graph_bytes_by_address(partition, {{"", onnx::max_supported_opset()}}, kInlineTensorBytes,
                                          /*function_bodies=*/true);
    std::shared_ptr<::ov::Model> model = device_call("OpenVINO's ONNX frontend could not read the subgraph",
                                                     [&] { return core().read_model(bytes, ::ov::Tensor()); });
    apply_shape_options(*model, options);
    if (options.disable_dynamic_shapes && !all_static(partition) && !model->is_dynamic()) {
        compiled_ = compile(model);  // reshape_input made it static
    } else if (options.disable_dynamic_shapes && !all_static(partition)) {
        model_ = std::move(model);  // compiled per input shapes at run time
    } else {
        compiled_ = compile(model);
    }
}

std::unique_ptr<CompiledSubgraph> CompiledSubgraph::import(providers::Blob blob, const ir::Graph& partition,
                                                           std::string device, ::ov::AnyMap properties,
                                                           const std::string& where) {
    std::unique_ptr<CompiledSubgraph> imported(new CompiledSubgraph());
    imported->device_ = std::move(device);
    imported->properties_ = std::move(properties);
    imported->set_names(partition);
    imported->blob_ = std::move(blob);
    const providers::Blob& bytes = imported->blob_;
    auto compiled = std::make_shared<Compiled>();
    try {
        ::ov::Tensor view(::ov::element::u8, ::ov::Shape{bytes.size}, const_cast<char*>(bytes.data));
        compiled->model = core().import_model(view, imported->device_, imported->properties_);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        fail(ErrorCode::InvalidModel, where, ": OpenVINO could not import its compiled blob (", bytes.size,
             " bytes) for ", imported->device_, ": ", ov_message(e.what()));
    }
    KILN_CHECK(compiled->model.inputs().size() <= imported->input_names_.size() &&
                   compiled->model.outputs().size() == imported->output_names_.size(),
               InvalidModel, where, ": the blob's compiled model has ", compiled->model.inputs().size(), " inputs and ",
               compiled->model.outputs().size(), " outputs, the node ", imported->input_names_.size(), " and ",
               imported->output_names_.size());
    imported->map_ports(*compiled, nullptr);
    imported->compiled_ = std::move(compiled);
    return imported;
}

CompiledSubgraph::~CompiledSubgraph() = default;

void CompiledSubgraph::set_names(const ir::Graph& partition) {
    for (const ir::Value* v : partition.inputs()) input_names_.push_back(v->name);
    for (const ir::Value* v : partition.outputs()) output_names_.push_back(v->name);
}

std::string CompiledSubgraph::openvino_sdk_version() {
    return str(OPENVINO_VERSION_MAJOR, ".", OPENVINO_VERSION_MINOR);
}

std::string CompiledSubgraph::sdk_version() const { return openvino_sdk_version(); }

void CompiledSubgraph::export_to(std::ostream& out) const {
    KILN_CHECK(compiled_, Unsupported,
               "Exporting dynamically compiled models at runtime is not supported. Cannot export blobs of dynamic "
               "models that request static shape inference (disable_dynamic_shapes=true compiles this partition per "
               "input shapes). To export it, set disable_dynamic_shapes to false or use the reshape_input provider "
               "option");
    device_call("OpenVINO could not export the compiled subgraph", [&] { compiled_->model.export_model(out); });
}

std::string CompiledSubgraph::export_blob() const {
    std::ostringstream stream;
    export_to(stream);
    return std::move(stream).str();
}

std::shared_ptr<CompiledSubgraph::Compiled> CompiledSubgraph::compile(const std::shared_ptr<::ov::Model>& model) const {
    auto compiled = std::make_shared<Compiled>();
    compiled->model = device_call(str("OpenVINO could not compile the subgraph for ", device_),
                                  [&] { return core().compile_model(model, device_, properties_); });
    map_ports(*compiled, model.get());
    return compiled;
}

void CompiledSubgraph::map_ports(Compiled& compiled, const ::ov::Model* model) const {
    const auto& inputs = compiled.model.inputs();
    const auto& outputs = compiled.model.outputs();
    for (size_t i = 0; i < input_names_.size(); ++i) {
        compiled.input_port.push_back(port_named(inputs, input_names_[i], i, input_names_.size()));
    }
    for (size_t i = 0; i < output_names_.size(); ++i) {
        size_t port = port_named(outputs, output_names_[i], i, output_names_.size());
        KILN_CHECK(port != kNoPort, Internal, "the compiled OpenVINO model has no output named '", output_names_[i],
                   "'");
        compiled.output_port.push_back(port);
        // Without the source model (an imported blob) every static output is offered kiln's buffer; run() copies
        // the ones that OpenVINO did not write into it.
        bool computed = true;
        if (model) {
            const ::ov::Node* source = model->output(port).get_node()->get_input_node_ptr(0);
            std::string source_type = source->get_type_name();
            computed = source_type != "Parameter" && source_type != "Constant";
        }
        compiled.static_output.push_back(computed && outputs[port].get_partial_shape().is_static());
    }
}

std::shared_ptr<CompiledSubgraph::Compiled> CompiledSubgraph::for_shapes(
    const std::vector<const Tensor*>& inputs) const {
    std::string key;
    for (const Tensor* t : inputs) key += shape_to_string(t->shape()) + ";";
    std::lock_guard<std::mutex> lock(shapes_mutex_);
    for (auto it = by_shape_.begin(); it != by_shape_.end(); ++it) {
        if (it->first != key) continue;
        by_shape_.splice(by_shape_.begin(), by_shape_, it);
        return it->second;
    }
    std::shared_ptr<::ov::Model> shaped = model_->clone();
    std::map<::ov::Output<::ov::Node>, ::ov::PartialShape> shapes;
    for (size_t i = 0; i < inputs.size(); ++i) {
        shapes[shaped->input(input_names_[i])] = ::ov::PartialShape(ov_shape(inputs[i]->shape()));
    }
    device_call(str("OpenVINO could not reshape the subgraph to ", key), [&] { shaped->reshape(shapes); });
    by_shape_.emplace_front(key, compile(shaped));
    if (by_shape_.size() > kShapeCacheSize) by_shape_.pop_back();
    return by_shape_.front().second;
}

std::vector<Tensor> CompiledSubgraph::run(const std::vector<const Tensor*>& inputs, const Allocate& allocate) const {
    std::shared_ptr<Compiled> compiled = compiled_ ? compiled_ : for_shapes(inputs);
    ::ov::InferRequest request = compiled->take();
    struct GiveBack {
        Compiled& compiled;
        ::ov::InferRequest& request;
        ~GiveBack() { compiled.give_back(std::move(request)); }
    } give_back{*compiled, request};
    std::vector<Tensor> outputs(output_names_.size());
    device_call("OpenVINO inference failed", [&] {
        for (size_t i = 0; i < inputs.size(); ++i) {
            if (compiled->input_port[i] != kNoPort) {
                request.set_input_tensor(compiled->input_port[i], view_of(*inputs[i]));
            }
        }
        const auto& ports = compiled->model.outputs();
        for (size_t i = 0; i < outputs.size(); ++i) {
            if (!compiled->static_output[i]) continue;
            const auto& port = ports[compiled->output_port[i]];
            outputs[i] = allocate(dtype_of(port.get_element_type()), kiln_shape(port.get_shape()));
            request.set_output_tensor(compiled->output_port[i], view_of(outputs[i]));
        }
        request.infer();
        // Dynamic outputs, and static ones that OpenVINO did not write into kiln's buffer (an output that is an
        // input or a constant of the model), are copied out of OpenVINO's tensors.
        for (size_t i = 0; i < outputs.size(); ++i) {
            ::ov::Tensor got = request.get_output_tensor(compiled->output_port[i]);
            if (compiled->static_output[i] && got.data() == outputs[i].raw_data()) continue;
            outputs[i] = allocate(dtype_of(got.get_element_type()), kiln_shape(got.get_shape()));
            if (got.get_byte_size() != 0) std::memcpy(outputs[i].raw_data(), got.data(), got.get_byte_size());
        }
    });
    return outputs;
}

namespace {

// ", N of M matrix ops in int8" (when N > 0) from the compiled model's runtime graph: each node's rt_info
// "layerType" and "runtimePrecision", what OpenVINO's benchmark_app -report shows; "" when the device does not
// report them. The inference precision is the model's float precision: an int8 (QDQ) model reports f32 or bf16
// there.
std::string int8_summary(const ::ov::CompiledModel& model) {
    size_t matrix_ops = 0, int8 = 0;
    try {
        for (const auto& op : model.get_runtime_model()->get_ordered_ops()) {
            const ::ov::RTMap& info = op->get_rt_info();
            auto type = info.find("layerType"), precision = info.find("runtimePrecision");
            if (type == info.end() || precision == info.end()) continue;
            std::string layer = type->second.as<std::string>();
            if (layer != "Convolution" && layer != "Deconvolution" && layer != "FullyConnected" && layer != "MatMul") {
                continue;
            }
            matrix_ops += 1;
            std::string p = precision->second.as<std::string>();
            if (p == "i8" || p == "u8") int8 += 1;
        }
    } catch (const std::exception&) {
        return "";
    }
    if (int8 == 0) return "";
    return str(", ", int8, " of ", matrix_ops, " Convolution/FullyConnected/MatMul in int8");
}

}  // namespace

std::string CompiledSubgraph::describe() const {
    std::shared_ptr<Compiled> compiled = compiled_;
    if (!compiled) return str(device_, ", compiled per input shapes (", by_shape_.size(), " cached)");
    std::string precision = "?";
    try {
        precision = compiled->model.get_property(::ov::hint::inference_precision).to_string();
    } catch (const std::exception&) {
    }
    return str(device_, ", inference precision ", precision, int8_summary(compiled->model), ", ",
               std::all_of(compiled->static_output.begin(), compiled->static_output.end(), [](bool b) { return b; })
                   ? "static shapes"
                   : "dynamic shapes");
}

}  // namespace kiln::ov
