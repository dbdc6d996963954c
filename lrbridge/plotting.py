"""Plots of lr curves (matplotlib, imported only when a plot is asked for)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: file formats the Agg backend writes (matplotlib's savefig); checked before any work is done
FORMATS = ("png", "svg", "svgz", "pdf", "ps", "eps", "jpg", "jpeg", "tif", "tiff", "webp")
#: most points drawn per curve: longer curves are drawn as a min/max envelope per bucket
MAX_POINTS = 20_000


def plot_path(out, source=None) -> Path:
    """The file a plot goes to: ``out``, with ``.png`` added when it has no suffix.

    A suffix matplotlib cannot write, or ``out`` being the ``source`` file, is a PlanError.
    """
    from .errors import PlanError

    out = Path(out)
    if not out.suffix:
        out = out.with_name(out.name + ".png")
    if source is not None:
        try:
            same = out.resolve() == Path(source).resolve()
        except OSError:
            same = False
        if same:
            raise PlanError("plot", f"'{out}' is the source itself; write the plot to another file")
    fmt = out.suffix[1:].lower()
    if fmt not in FORMATS:
        raise PlanError("plot", f"cannot write a plot as '.{fmt}' ({out}); use one of: {', '.join(FORMATS)}")
    return out


def _envelope(y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) to draw for a curve: itself when short, else each bucket's min and max (the drawn shape is the same)."""
    y = np.asarray(y, np.float64)
    n = y.size
    if n <= max_points:
        return np.arange(n), y
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    lo = np.minimum.reduceat(y, edges[:-1])
    hi = np.maximum.reduceat(y, edges[:-1])
    x = np.repeat(edges[:-1], 2)
    return x, np.column_stack([lo, hi]).ravel()


def _figure(rows: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, 1, figsize=(8, 2.2 + 1.6 * rows if rows > 1 else 4.5), dpi=110, sharex=True, squeeze=False)
    return plt, fig, axes[:, 0]


def _save(plt, fig, out) -> Path:
    out = plot_path(out)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_curves(
    curves: dict[str, np.ndarray], out: str | Path, *, title: str = "", logy: bool = False, ylabel: str = "applied learning rate"
) -> Path:
    """Write one line per curve (lr against optimizer step k) to ``out`` (png, svg, pdf, ...). Returns the path written."""
    plt, fig, (ax,) = _figure()
    styles = ["-", "--", ":", "-."]  # groups often share a curve: keep every line visible
    for i, (name, lr) in enumerate(curves.items()):
        x, y = _envelope(lr)
        ax.plot(x, y, styles[i % len(styles)], label=name, linewidth=1.6)
    ax.set_xlabel("optimizer step k")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    return _save(plt, fig, out)


def plot_ulps(errors: dict[str, np.ndarray], out: str | Path, *, title: str = "", panels: int = 6) -> Path:
    """One panel per target (the ``panels`` worst when there are more), ulps on a log axis
    (symlog: 0 ulp stays visible). Returns the path written."""
    worst = sorted(errors, key=lambda t: -float(np.max(errors[t])) if np.size(errors[t]) else 0.0)[:panels]
    plt, fig, axes = _figure(max(1, len(worst)))
    for ax, target in zip(axes, worst):
        x, y = _envelope(errors[target])
        ax.plot(x, y, linewidth=1.2)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("ulps")
        ax.set_title(f"{target} (worst {float(np.max(errors[target])) if np.size(errors[target]) else 0:g} ulp)", fontsize=9)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("optimizer step k")
    if title:
        fig.suptitle(title + (f" ({len(worst)} worst of {len(errors)} targets)" if len(errors) > len(worst) else ""))
    return _save(plt, fig, out)
