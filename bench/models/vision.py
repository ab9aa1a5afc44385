"""Image models in torchvision's and pytorch/examples' architectures: each function takes a Net and the name of the
image input ([batch, 3, H, W]) and returns {output name: tensor}.
"""

from __future__ import annotations

from net import RESIDUAL_GAIN, SILU_GAIN, Net


def resnet50(net: Net, x: str) -> dict[str, str]:
    """torchvision resnet50 (v1.5: stride on the 3x3 conv), BatchNorm folded into the convolutions."""
    y = net.max_pool(net.relu(net.conv(x, 3, 64, 7, 2)), 3, 2, 1)
    c = 64
    for blocks, width, stride in [(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)]:
        for b in range(blocks):
            s = stride if b == 0 else 1
            out = net.relu(net.conv(y, c, width, 1))
            out = net.relu(net.conv(out, width, width, 3, s))
            out = net.conv(out, width, width * 4, 1, gain=RESIDUAL_GAIN)
            shortcut = net.conv(y, c, width * 4, 1, s, gain=1.0) if b == 0 else y
            y = net.relu(net.add(out, shortcut))
            c = width * 4
    return {"logits": net.classifier(y, c)}


# t (expansion), c (channels), n (blocks), s (first stride): torchvision's inverted_residual_setting.
MOBILENET_V2 = [
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
]


def mobilenet_v2_features(net: Net, x: str, tap_block: int | None = None) -> tuple[str, str | None]:
    """torchvision mobilenet_v2's `features` (up to the 1280-channel 1x1 conv). Also returns the expansion output of
    inverted-residual block `tap_block` (SSDLite's stride-16 feature map)."""
    y = net.relu6(net.conv(x, 3, 32, 3, 2))
    c, block, tapped = 32, 0, None
    for t, c_out, n, s in MOBILENET_V2:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = c * t
            h = y
            if t != 1:
                h = net.relu6(net.conv(h, c, hidden, 1))
                if block == tap_block:
                    tapped = h
            h = net.relu6(net.conv(h, hidden, hidden, 3, stride, groups=hidden))
            residual = stride == 1 and c == c_out
            h = net.conv(h, hidden, c_out, 1, gain=RESIDUAL_GAIN if residual else 1.0)
            y = net.add(y, h) if residual else h
            c, block = c_out, block + 1
    return net.relu6(net.conv(y, c, 1280, 1)), tapped


def mobilenet_v2(net: Net, x: str) -> dict[str, str]:
    features, _ = mobilenet_v2_features(net, x)
    return {"logits": net.classifier(features, 1280)}


def _fire(net: Net, x: str, c_in: int, squeeze: int, expand1: int, expand3: int) -> str:
    s = net.relu(net.conv(x, c_in, squeeze, 1))
    return net.concat([net.relu(net.conv(s, squeeze, expand1, 1)), net.relu(net.conv(s, squeeze, expand3, 3))])


def squeezenet1_1(net: Net, x: str) -> dict[str, str]:
    """torchvision squeezenet1_1: fire modules, ceil-mode max pools, a 1x1 conv classifier."""
    y = net.max_pool(net.relu(net.conv(x, 3, 64, 3, 2, pad=0)), 3, 2, 0, ceil=True)
    y = _fire(net, _fire(net, y, 64, 16, 64, 64), 128, 16, 64, 64)
    y = net.max_pool(y, 3, 2, 0, ceil=True)
    y = _fire(net, _fire(net, y, 128, 32, 128, 128), 256, 32, 128, 128)
    y = net.max_pool(y, 3, 2, 0, ceil=True)
    for c_in, squeeze, expand in [(256, 48, 192), (384, 48, 192), (384, 64, 256), (512, 64, 256)]:
        y = _fire(net, y, c_in, squeeze, expand, expand)
    y = net.relu(net.conv(y, 512, 1000, 1))
    return {"logits": net.node("Flatten", [net.global_avg_pool(y)], axis=1)}


# expansion, kernel, first stride, input channels, output channels, blocks: torchvision efficientnet_b0.
EFFICIENTNET_B0 = [
    (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
]


def efficientnet_b0(net: Net, x: str) -> dict[str, str]:
    """torchvision efficientnet_b0: MBConv blocks with squeeze-and-excitation, SiLU everywhere."""
    y = net.silu(net.conv(x, 3, 32, 3, 2, gain=SILU_GAIN))
    for expand, k, stride, c_first, c_out, blocks in EFFICIENTNET_B0:
        for i in range(blocks):
            c_in, s = (c_first, stride) if i == 0 else (c_out, 1)
            hidden = c_in * expand
            h = net.silu(net.conv(y, c_in, hidden, 1, gain=SILU_GAIN)) if expand != 1 else y
            h = net.silu(net.conv(h, hidden, hidden, k, s, groups=hidden, gain=SILU_GAIN))
            squeeze = max(1, c_in // 4)
            se = net.silu(net.conv(net.global_avg_pool(h), hidden, squeeze, 1, gain=SILU_GAIN))
            h = net.mul(h, net.sigmoid(net.conv(se, squeeze, hidden, 1, gain=1.0)))
            # The gate (a sigmoid near 0.5) and SiLU's near-linear range at small inputs shrink the activations from
            # block to block; a projection gain of 3 (measured) keeps them near unit scale.
            residual = s == 1 and c_in == c_out
            h = net.conv(h, hidden, c_out, 1, gain=RESIDUAL_GAIN if residual else 3.0)
            y = net.add(h, y) if residual else h
    return {"logits": net.classifier(net.silu(net.conv(y, 320, 1280, 1, gain=SILU_GAIN)), 1280)}


def densenet121(net: Net, x: str) -> dict[str, str]:
    """torchvision densenet121: dense blocks that concatenate every earlier feature map (BatchNorm -> ReLU -> Conv;
    the BatchNorm that follows conv1 in each layer is folded, the ones after a Concat stay), transitions with
    average pooling."""
    y = net.max_pool(net.relu(net.conv(x, 3, 64, 7, 2)), 3, 2, 1)
    c, growth = 64, 32
    for stage, layers in enumerate((6, 12, 24, 16)):
        features = [y]
        for i in range(layers):
            joined = net.concat(features) if len(features) > 1 else features[0]
            h = net.relu(net.batch_norm(joined, c + i * growth))
            h = net.relu(net.conv(h, c + i * growth, 4 * growth, 1))
            features.append(net.conv(h, 4 * growth, growth, 3, bias=False))
        y, c = net.concat(features), c + layers * growth
        if stage < 3:
            y = net.conv(net.relu(net.batch_norm(y, c)), c, c // 2, 1, gain=1.0, bias=False)
            y, c = net.avg_pool(y, 2, 2), c // 2
    return {"logits": net.classifier(net.relu(net.batch_norm(y, c)), c)}


def _conv_layer(net: Net, x: str, c_in: int, c_out: int, k: int, stride: int = 1, gain: float = 2.0) -> str:
    """pytorch/examples fast_neural_style ConvLayer: ReflectionPad2d(k // 2) then an unpadded Conv2d."""
    return net.conv(net.reflect_pad(x, k // 2), c_in, c_out, k, stride, pad=0, gain=gain)


def fast_neural_style(net: Net, x: str) -> dict[str, str]:
    """pytorch/examples fast_neural_style TransformerNet: 3 downsampling convs, 5 residual blocks, 2 nearest-upsample
    convs, InstanceNormalization after every conv but the last."""
    y = x
    for c_in, c_out, k, s in [(3, 32, 9, 1), (32, 64, 3, 2), (64, 128, 3, 2)]:
        y = net.relu(net.instance_norm(_conv_layer(net, y, c_in, c_out, k, s), c_out))
    for _ in range(5):
        r = net.relu(net.instance_norm(_conv_layer(net, y, 128, 128, 3), 128))
        y = net.add(y, net.instance_norm(_conv_layer(net, r, 128, 128, 3), 128))
    for c_in, c_out in [(128, 64), (64, 32)]:
        y = net.relu(net.instance_norm(_conv_layer(net, net.upsample2x(y), c_in, c_out, 3), c_out))
    return {"output": _conv_layer(net, y, 32, 3, 9, gain=1.0)}

