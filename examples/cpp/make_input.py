"""Writes a deterministic image-shaped input for the example: OUT.raw (float32, little-endian, for classify) and
OUT.npy (the same values, for `kiln run --input`). Usage: make_input.py OUT [N C H W] (default 1 3 224 224)."""

import sys

import numpy as np


def main(argv: list[str]) -> int:
    out = argv[1]
    shape = tuple(int(d) for d in argv[2:6]) if len(argv) > 2 else (1, 3, 224, 224)
    x = np.random.default_rng(20240611).uniform(-1.0, 1.0, size=shape).astype("<f4")
    x.tofile(out + ".raw")
    np.save(out + ".npy", x)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
