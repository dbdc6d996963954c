"""Plots of lr curves (matplotlib, imported only when a plot is asked for)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_curves(
    curves: dict[str, np.ndarray], out: str | Path, *, title: str = "", logy: bool = False, ylabel: str = "applied learning rate"
) -> Path:
    """Write one line per curve (lr against optimizer step k) to ``out`` (png, svg, pdf)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    styles = ["-", "--", ":", "-."]  # groups often share a curve: keep every line visible
    for i, (name, lr) in enumerate(curves.items()):
        ax.plot(np.arange(len(lr)), lr, styles[i % len(styles)], label=name, linewidth=1.6)
    ax.set_xlabel("optimizer step k")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    fig.tight_layout()
    out = Path(out)
    fig.savefig(out)
    plt.close(fig)
    return out
