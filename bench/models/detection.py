"""Detectors: SSDLite with a MobileNetV2 backbone in torchvision's style, and a YOLOv8n-style one-stage detector.
Both end in raw tensors (no NMS), as detectors are usually exported for runtimes. Each function takes a Net and the
image input's name and returns {output name: tensor}.
"""

from __future__ import annotations

import numpy as np

from net import SILU_GAIN, Net
from vision import mobilenet_v2_features

SSD_ANCHORS = 6
SSD_CLASSES = 91  # COCO with background, as torchvision's detection models


def _ssd_head(net: Net, feature: str, c: int, size: int, parts: int) -> str:
    """torchvision SSDLite prediction block (depthwise 3x3 + ReLU6, then 1x1) and its reshape to [N, -1, parts]:
    view(N, anchors, parts, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, parts)."""
    h = net.relu6(net.conv(feature, c, c, 3, groups=c))
    h = net.conv(h, c, SSD_ANCHORS * parts, 1, gain=1.0)
    h = net.transpose(net.reshape(h, [0, SSD_ANCHORS, parts, size, size]), [0, 3, 4, 1, 2])
    return net.reshape(h, [0, -1, parts])


def ssdlite_mobilenet_v2(net: Net, x: str) -> dict[str, str]:
    """SSDLite on MobileNetV2 at 320x320: feature maps from the expansion of block 13 (576 ch, 20x20) and the last
    layer (1280 ch, 10x10), four extra inverted-bottleneck layers down to 1x1, 6 anchors per location."""
    last, tapped = mobilenet_v2_features(net, x, tap_block=13)
    features = [(tapped, 576, 20), (last, 1280, 10)]
    prev, c = last, 1280
    for c_out, size in [(512, 5), (256, 3), (256, 2), (128, 1)]:
        mid = c_out // 2
        h = net.relu6(net.conv(prev, c, mid, 1))
        h = net.relu6(net.conv(h, mid, mid, 3, 2, groups=mid))
        prev, c = net.relu6(net.conv(h, mid, c_out, 1)), c_out
        features.append((prev, c_out, size))
    boxes = [_ssd_head(net, f, ch, size, 4) for f, ch, size in features]
    scores = [_ssd_head(net, f, ch, size, SSD_CLASSES) for f, ch, size in features]
    return {"bbox_regression": net.concat(boxes, axis=1), "cls_logits": net.concat(scores, axis=1)}


# YOLOv8n: Conv = conv + folded BatchNorm + SiLU.
def _cbs(net: Net, x: str, c_in: int, c_out: int, k: int = 1, stride: int = 1) -> str:
    return net.silu(net.conv(x, c_in, c_out, k, stride, gain=SILU_GAIN))


def _c2f(net: Net, x: str, c_in: int, c_out: int, n: int, shortcut: bool) -> str:
    c = c_out // 2
    ys = net.split(_cbs(net, x, c_in, 2 * c), [c, c], axis=1)
    for _ in range(n):
        h = _cbs(net, _cbs(net, ys[-1], c, c, 3), c, c, 3)
        ys.append(net.add(ys[-1], h) if shortcut else h)
    return _cbs(net, net.concat(ys), (2 + n) * c, c_out)


def _sppf(net: Net, x: str, c_in: int, c_out: int) -> str:
    c = c_in // 2
    ys = [_cbs(net, x, c_in, c)]
    for _ in range(3):
        ys.append(net.max_pool(ys[-1], 5, 1, 2))
    return _cbs(net, net.concat(ys), 4 * c, c_out)


YOLO_CLASSES = 80
YOLO_REG_MAX = 16
YOLO_STRIDES = (8, 16, 32)


def _yolo_anchors(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Anchor points [2, A] (cell centres) and strides [1, A] over the three levels, as ultralytics' make_anchors."""
    points, strides = [], []
    for s in YOLO_STRIDES:
        n = size // s
        ys, xs = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5, indexing="ij")
        points.append(np.stack([xs.ravel(), ys.ravel()]))
        strides.append(np.full((1, n * n), s))
    return np.concatenate(points, 1).astype(np.float32), np.concatenate(strides, 1).astype(np.float32)


def _yolo_detect(net: Net, levels: list[tuple[str, int]], image_size: int) -> str:
    """ultralytics Detect as exported: per level a box branch (4 x 16 DFL bins) and a class branch, concatenated to
    [N, 144, A]; DFL (softmax over bins, expectation by a fixed 1x1 conv), dist2bbox to xywh in pixels, sigmoid
    class scores: output [N, 4 + classes, A]."""
    box_c, cls_c = max(16, levels[0][1] // 4, 4 * YOLO_REG_MAX), max(levels[0][1], min(YOLO_CLASSES, 100))
    outs = []
    for f, c in levels:
        box = net.conv(_cbs(net, _cbs(net, f, c, box_c, 3), box_c, box_c, 3), box_c, 4 * YOLO_REG_MAX, 1, gain=1.0)
        cls = net.conv(_cbs(net, _cbs(net, f, c, cls_c, 3), cls_c, cls_c, 3), cls_c, YOLO_CLASSES, 1, gain=1.0)
        outs.append(net.reshape(net.concat([box, cls]), [0, 4 * YOLO_REG_MAX + YOLO_CLASSES, -1]))
    box, cls = net.split(net.concat(outs, axis=2), [4 * YOLO_REG_MAX, YOLO_CLASSES], axis=1)
    bins = net.transpose(net.reshape(box, [0, 4, YOLO_REG_MAX, -1]), [0, 2, 1, 3])
    dfl_w = net.constant("dfl_w", np.arange(YOLO_REG_MAX).reshape(1, YOLO_REG_MAX, 1, 1))
    dist = net.reshape(net.node("Conv", [net.node("Softmax", [bins], axis=1), dfl_w]), [0, 4, -1])
    lt, rb = net.split(dist, [2, 2], axis=1)
    points, strides = _yolo_anchors(image_size)
    anchors = net.constant("anchors", points)
    x1y1, x2y2 = net.node("Sub", [anchors, lt]), net.add(anchors, rb)
    centre = net.node("Div", [net.add(x1y1, x2y2), net.constant("two", 2.0)])
    xywh = net.mul(net.concat([centre, net.node("Sub", [x2y2, x1y1])]), net.constant("strides", strides))
    return net.concat([xywh, net.sigmoid(cls)])


def yolov8n(net: Net, x: str, image_size: int = 640) -> dict[str, str]:
    """YOLOv8n (depth 0.33, width 0.25): Conv+SiLU, C2f blocks, SPPF, an upsample + concat neck (FPN + PAN) and
    the Detect head on strides 8, 16, 32."""
    y = _cbs(net, _cbs(net, x, 3, 16, 3, 2), 16, 32, 3, 2)
    y = _cbs(net, _c2f(net, y, 32, 32, 1, True), 32, 64, 3, 2)
    p3 = _c2f(net, y, 64, 64, 2, True)
    p4 = _c2f(net, _cbs(net, p3, 64, 128, 3, 2), 128, 128, 2, True)
    y = _c2f(net, _cbs(net, p4, 128, 256, 3, 2), 256, 256, 1, True)
    p5 = _sppf(net, y, 256, 256)
    n4 = _c2f(net, net.concat([net.upsample2x(p5), p4]), 384, 128, 1, False)
    n3 = _c2f(net, net.concat([net.upsample2x(n4), p3]), 192, 64, 1, False)
    m4 = _c2f(net, net.concat([_cbs(net, n3, 64, 64, 3, 2), n4]), 192, 128, 1, False)
    m5 = _c2f(net, net.concat([_cbs(net, m4, 128, 128, 3, 2), p5]), 384, 256, 1, False)
    return {"output0": _yolo_detect(net, [(n3, 64), (m4, 128), (m5, 256)], image_size)}
