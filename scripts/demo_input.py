"""Renders a line of text as PP-OCR's direction classifier expects it (1x3x48x192, normalised to [-1, 1]),
upright and rotated by 180 degrees, and writes both as .npy files into the folder given as argument."""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def render(text: str) -> Image.Image:
    image = Image.new("RGB", (192, 48), "white")
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=30)
    except TypeError:  # Pillow < 10.1 has no sized default font
        font = ImageFont.load_default()
    draw.text((6, 6), text, fill="black", font=font)
    return image


def to_tensor(image: Image.Image) -> np.ndarray:
    x = np.asarray(image, dtype=np.float32) / 255.0
    x = (x - 0.5) / 0.5
    return x.transpose(2, 0, 1)[None].copy()


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    image = render("kiln runs ONNX")
    np.save(os.path.join(out, "upright.npy"), to_tensor(image))
    np.save(os.path.join(out, "upside_down.npy"), to_tensor(image.rotate(180)))


if __name__ == "__main__":
    main()
