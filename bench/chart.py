"""Draws the p50 latency of each model and runtime from a bench/compare JSON file as a grouped bar chart (one panel
per thread count, logarithmic axis). Runs in bench/.venv-ort, which has matplotlib (bench/peers.sh).

    bench/.venv-ort/bin/python bench/chart.py RESULTS.json OUT.png
"""

from __future__ import annotations

import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        data = json.load(f)
    labels = data["config"]["runtimes"]
    rows = data["results"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    threads = sorted({r["threads"] for r in rows})
    runtimes = list(dict.fromkeys(r["runtime"] for r in rows))
    p50 = {(r["model"], r["threads"], r["runtime"]): (r["summary"] or {}).get("p50_ms") for r in rows}

    fig, axes = plt.subplots(len(threads), 1, figsize=(max(6.0, 1.6 * len(models) + 2), 3.8 * len(threads)),
                             squeeze=False)
    width = 0.8 / len(runtimes)
    colors = {runtime: plt.get_cmap("tab10")(i) for i, runtime in enumerate(runtimes)}
    measured = [v for v in p50.values() if v]
    bottom = 10 ** math.floor(math.log10(min(measured) * 0.8)) if measured else 1.0
    for ax, t in zip(axes[:, 0], threads):
        for i, runtime in enumerate(runtimes):
            xs = [m + (i - (len(runtimes) - 1) / 2) * width for m in range(len(models))]
            values = [p50.get((model, t, runtime)) for model in models]
            label = labels.get(runtime, runtime) + ("" if any(values) else " (n/a)")
            ax.bar(xs, [v or 0 for v in values], width, bottom=0, color=colors[runtime], label=label)
            for x, v in zip(xs, values):
                ax.text(x, v if v else bottom, f"{v:.3g}" if v else "n/a", rotation=90, ha="center", va="bottom",
                        fontsize=6)
        ax.set_yscale("log")
        ax.set_ylim(bottom=bottom, top=max(measured) * 4 if measured else 10.0)
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_ylabel("p50 latency, ms (log scale)")
        ax.set_title(f"{t} intra-op thread{'s' if t > 1 else ''}", fontsize=9)
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models, rotation=20, ha="right", fontsize=8)
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"kiln vs peers: {data['config']['machine']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
