"""Net: the layer vocabulary of the benchmark models, spelled the way exporters (torch.onnx at opset 17) emit it.

A Net extends the end-to-end tests' GraphBuilder (unique names, seeded weights) with layers: Conv (BatchNorm folded
into its weights and bias, as exporters fold eval-mode BatchNorm that follows a convolution), the activations as
exported (ReLU6 = Clip with constant bounds, SiLU = x * Sigmoid(x), GELU = the erf or tanh formula, since Gelu only
exists from opset 20), pooling, the normalisations, nearest 2x upsampling (Resize), reflection padding and linear
layers. Weights are normal with He-style scaling (std = sqrt(gain / fan_in)) so that activations keep roughly unit
variance through deep stacks, which keeps outputs in a range where a 1e-3 comparison between runtimes means something.
Every op is batch-agnostic (Reshape copies the batch with 0 or infers it with -1), so one graph serves the batch-1
and the dynamic-batch variant.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "models"))

from build_models import GraphBuilder  # noqa: E402

# Gain of the last convolution of a residual branch: small, so that a stack of residual additions does not let the
# activations grow with depth (what zero-init-residual / trained batch norms do in real networks).
RESIDUAL_GAIN = 0.2
# He gain for a convolution whose output goes through SiLU: E[silu(x)^2] = 0.355 for x ~ N(0, 1) (ReLU's is 0.5).
SILU_GAIN = 1 / 0.355
FLOAT_MIN = float(np.finfo(np.float32).min)  # the additive mask value of current transformers exports


class Net(GraphBuilder):
    def __init__(self, seed: int):
        super().__init__(seed)
        self._shared: dict[tuple, str] = {}

    # -- constants -----------------------------------------------------------------------------------------------

    def weight(self, prefix: str, shape, std: float) -> str:
        """A float32 initializer drawn from N(0, std^2) (float32 draws: BERT and GPT-2 have >100M weights)."""
        return self.const(prefix, self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std))

    def uniform(self, prefix: str, shape, low: float, high: float) -> str:
        return self.const(prefix, self.rng.uniform(low, high, shape).astype(np.float32))

    def constant(self, prefix: str, value, dtype=np.float32) -> str:
        """A small constant (shape, axes, scalar), one initializer per distinct value."""
        array = np.asarray(value, dtype)
        key = (prefix, array.dtype.str, array.shape, array.tobytes())
        if key not in self._shared:
            self._shared[key] = self.const(prefix, array)
        return self._shared[key]

    def ints(self, values) -> str:
        return self.constant("ints", values, np.int64)

    def rename(self, tensor: str, name: str) -> str:
        """Gives an intermediate tensor a graph-output name (in its producer and every consumer)."""
        for node in self.nodes:
            for field in (node.input, node.output):
                for i, n in enumerate(field):
                    if n == tensor:
                        field[i] = name
        return name

    # -- elementwise ---------------------------------------------------------------------------------------------

    def add(self, a: str, b: str) -> str:
        return self.node("Add", [a, b])

    def mul(self, a: str, b: str) -> str:
        return self.node("Mul", [a, b])

    def relu(self, x: str) -> str:
        return self.node("Relu", [x])

    def relu6(self, x: str) -> str:
        return self.node("Clip", [x, self.constant("clip_min", 0.0), self.constant("clip_max", 6.0)])

    def sigmoid(self, x: str) -> str:
        return self.node("Sigmoid", [x])

    def silu(self, x: str) -> str:
        return self.mul(x, self.sigmoid(x))

    def gelu_erf(self, x: str) -> str:
        """0.5 * x * (1 + erf(x / sqrt(2))), as torch exports nn.GELU() before opset 20."""
        erf = self.node("Erf", [self.node("Div", [x, self.constant("sqrt2", math.sqrt(2.0))])])
        return self.mul(self.mul(x, self.add(erf, self.constant("one", 1.0))), self.constant("half", 0.5))

    def gelu_tanh(self, x: str) -> str:
        """0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))): GPT-2's gelu_new as exported."""
        cube = self.node("Pow", [x, self.constant("three", 3.0)])
        inner = self.add(x, self.mul(cube, self.constant("gelu_c", 0.044715)))
        tanh = self.node("Tanh", [self.mul(inner, self.constant("gelu_k", math.sqrt(2.0 / math.pi)))])
        return self.mul(self.mul(self.constant("half", 0.5), x), self.add(self.constant("one", 1.0), tanh))

    def concat(self, xs: list[str], axis: int = 1) -> str:
        return self.node("Concat", xs, axis=axis)

    def split(self, x: str, sizes: list[int], axis: int) -> list[str]:
        return self.node("Split", [x, self.ints(sizes)], n_outputs=len(sizes), axis=axis)

    def reshape(self, x: str, shape: list[int]) -> str:
        return self.node("Reshape", [x, self.ints(shape)])

    def transpose(self, x: str, perm: list[int]) -> str:
        return self.node("Transpose", [x], perm=perm)

    # -- convolutional layers ------------------------------------------------------------------------------------

    def conv(
        self, x: str, c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, pad: int | None = None,
        gain: float = 2.0, bias: bool = True,
    ) -> str:
        """Conv with a k x k kernel; `pad` defaults to k // 2; `bias` is the folded BatchNorm's shift."""
        fan_in = c_in // groups * k * k
        inputs = [x, self.weight("conv_w", (c_out, c_in // groups, k, k), math.sqrt(gain / fan_in))]
        if bias:
            inputs.append(self.weight("conv_b", (c_out,), 0.05))
        p = k // 2 if pad is None else pad
        return self.node(
            "Conv", inputs, dilations=[1, 1], group=groups, kernel_shape=[k, k], pads=[p] * 4, strides=[stride] * 2
        )

    def max_pool(self, x: str, k: int, stride: int, pad: int, ceil: bool = False) -> str:
        return self.node(
            "MaxPool", [x], ceil_mode=int(ceil), kernel_shape=[k, k], pads=[pad] * 4, strides=[stride] * 2
        )

    def avg_pool(self, x: str, k: int, stride: int) -> str:
        return self.node("AveragePool", [x], ceil_mode=0, kernel_shape=[k, k], pads=[0] * 4, strides=[stride] * 2)

    def global_avg_pool(self, x: str) -> str:
        return self.node("GlobalAveragePool", [x])

    def batch_norm(self, x: str, c: int) -> str:
        """An eval-mode BatchNormalization that no convolution precedes (so exporters keep it)."""
        scale = self.uniform("bn_scale", (c,), 0.8, 1.2)
        bias = self.weight("bn_bias", (c,), 0.1)
        mean = self.weight("bn_mean", (c,), 0.1)
        var = self.uniform("bn_var", (c,), 0.5, 1.5)
        return self.node("BatchNormalization", [x, scale, bias, mean, var], epsilon=1e-5, momentum=0.9)

    def instance_norm(self, x: str, c: int) -> str:
        scale = self.uniform("in_scale", (c,), 0.8, 1.2)
        return self.node("InstanceNormalization", [x, scale, self.weight("in_bias", (c,), 0.1)], epsilon=1e-5)

    def upsample2x(self, x: str) -> str:
        """nn.Upsample(scale_factor=2, mode='nearest') / F.interpolate as exported: Resize with scales."""
        scales = self.constant("scales", [1.0, 1.0, 2.0, 2.0])
        return self.node(
            "Resize", [x, "", scales], coordinate_transformation_mode="asymmetric", cubic_coeff_a=-0.75,
            mode="nearest", nearest_mode="floor",
        )

    def reflect_pad(self, x: str, p: int) -> str:
        return self.node("Pad", [x, self.ints([0, 0, p, p, 0, 0, p, p])], mode="reflect")

    def classifier(self, x: str, c: int, classes: int = 1000) -> str:
        """torchvision's head: adaptive average pool to 1x1, flatten, Linear (exported as Gemm with transB)."""
        flat = self.node("Flatten", [self.global_avg_pool(x)], axis=1)
        w = self.weight("fc_w", (classes, c), math.sqrt(1.0 / c))
        return self.node("Gemm", [flat, w, self.weight("fc_b", (classes,), 0.01)], alpha=1.0, beta=1.0, transB=1)

    # -- transformer layers --------------------------------------------------------------------------------------

    def linear(self, x: str, n_in: int, n_out: int, std: float = 0.02) -> str:
        """nn.Linear on a 3-D input as exported: MatMul with the transposed weight, then Add of the bias."""
        return self.add(self.node("MatMul", [x, self.weight("w", (n_in, n_out), std)]), self.weight("b", (n_out,), std))

    def layer_norm(self, x: str, n: int, eps: float) -> str:
        gamma = self.uniform("ln_gamma", (n,), 0.9, 1.1)
        return self.node("LayerNormalization", [x, gamma, self.weight("ln_beta", (n,), 0.02)], axis=-1, epsilon=eps)
