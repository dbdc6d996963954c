"""The ``lrbridge`` command line. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    help="Portable learning-rate schedules for PyTorch, MindSpore and OneFlow.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root():
    """Portable learning-rate schedules for PyTorch, MindSpore and OneFlow."""


def one_line_errors(fn):
    """Report lrbridge's own errors (and unreadable files) as 'error: ...' and exit 1, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import LrBridgeError

        try:
            return fn(*args, **kwargs)
        except (LrBridgeError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper


def _sample_rows(n: int, rows: int = 12) -> list[int]:
    """Steps worth showing in a table: evenly spaced, always the first and last."""
    if n <= rows:
        return list(range(n))
    return sorted({round(i * (n - 1) / (rows - 1)) for i in range(rows)})


@app.command()
@one_line_errors
def curve(
    plan_path: Path = typer.Argument(..., metavar="PLAN", help="Plan file (.yaml, .yml or .json)."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Steps to evaluate (default: the plan's horizon)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"steps": N, "groups": [{"name", "lr"}]} instead of a table.'),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write a plot of every group's curve to this file."),
):
    """Evaluate a plan with the float64 reference evaluator: the lr each group applies at steps 0..N-1."""
    from .reference import curves as eval_curves
    from .io import load_plan
    from .plan import resolve_steps

    plan = load_plan(plan_path)
    n = resolve_steps(plan, steps)
    curves = eval_curves(plan, n)
    if as_json:
        doc = {"steps": n, "groups": [{"name": name, "lr": lr.tolist()} for name, lr in curves.items()]}
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{plan_path.name}: lr per group (float64 reference, {n} steps)")
        table.add_column("step k", justify="right")
        for name in curves:
            table.add_column(name, justify="right")
        for k in _sample_rows(n):
            table.add_row(str(k), *(f"{lr[k]:.9g}" for lr in curves.values()))
        Console().print(table)
    if plot is not None:
        from .plotting import plot_curves

        plot_curves(curves, plot, title=f"{plan_path.name} ({n} steps)")
        typer.echo(f"wrote {plot}", err=as_json)


@app.command()
@one_line_errors
def convert(
    source: Path = typer.Argument(..., metavar="SOURCE", help="A plan, or a PyTorch scheduler config (.yaml/.json)."),
    to: str = typer.Option(..., "--to", help="Target framework: mindspore, oneflow."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="total_step (default: the source's horizon)."),
    fmt: str = typer.Option("json", "--format", "-f", help="json | npy | python"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout (needed for npy)."),
):
    """Convert a plan or PyTorch config for a framework: lr lists (json/npy) or runnable code (python)."""
    from .convert import convert as run_convert
    from .errors import PlanError

    if fmt == "npy" and output is None:
        raise PlanError("--output", "--format npy writes binary data; pass -o FILE.npy")
    result = run_convert(source, to=to, steps=steps, fmt=fmt)
    if output is None:
        sys.stdout.write(result)
    elif isinstance(result, bytes):
        output.write_bytes(result)
    else:
        output.write_text(result)
    if output is not None:
        typer.echo(f"wrote {output}", err=True)


def _parse_target(text: str):
    from .conformance import Target
    from .errors import PlanError

    parts = text.split("/")
    if not 2 <= len(parts) <= 4:
        raise PlanError("--target", f"expected backend/mode[/device[/form]] (e.g. mindspore/graph/cpu/cell), got {text!r}")
    return Target(*parts)


@app.command()
@one_line_errors
def conform(
    plan_path: Path = typer.Argument(..., metavar="PLAN", help="Plan file (.yaml, .yml or .json)."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Optimizer steps to run (default: the plan's horizon)."),
    target: Optional[list[str]] = typer.Option(
        None, "--target", "-t", help="backend/mode[/device[/form]], repeatable (default: the whole matrix)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the matrix as JSON."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Plot each target's float32 ulp error per step."),
):
    """Run real optimizer steps on every backend x mode x device and compare the applied lr with the reference.

    Exit status 1 when any target applies something other than the plan (beyond its stated ulp tolerance).
    """
    import os

    os.environ.setdefault("GLOG_v", "3")  # MindSpore: no device-probe warnings on the console
    from .conformance.matrix import DEFAULT_TARGETS, pairwise_max_ulp, run_matrix
    from .io import load_plan
    from .plan import resolve_steps

    plan = load_plan(plan_path)
    n = resolve_steps(plan, steps)
    targets = [_parse_target(t) for t in target] if target else DEFAULT_TARGETS
    cells = run_matrix(plan, n, targets, progress=None if as_json else lambda msg: typer.echo(msg, err=True))
    gap = pairwise_max_ulp(cells)
    failed = [c for c in cells if c.status in ("mismatch", "error")]
    if as_json:
        doc = {
            "plan": str(plan_path),
            "steps": n,
            "metric": "float32 ulps between the applied lr and the float64 reference rounded to float32",
            "cells": [c.as_dict() for c in cells],
            "max_gap_between_targets_ulp": {"ulp": gap[0], "between": [gap[1], gap[2]]},
        }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{plan_path.name}: applied lr vs reference, {n} steps (float32 ulps)")
        for col in ("target", "status", "tolerance", "worst", "where / why"):
            table.add_column(col, no_wrap=col in ("target", "status"))
        colour = {"ok": "green", "mismatch": "red", "error": "red", "unrepresentable": "yellow", "absent": "dim"}
        for c in cells:
            cmp = c.comparison
            where = (f"group '{cmp.worst_group}', step {cmp.worst_step}" if cmp.worst else "") if cmp else c.detail
            table.add_row(
                str(c.target),
                f"[{colour.get(c.status, '')}]{c.status}[/]",
                f"{cmp.tolerance:g}" if cmp else "",
                f"{cmp.worst:g}" if cmp else "",
                where,
            )
        Console().print(table)
        typer.echo(f"largest gap between two measured targets: {gap[0]} ulp" + (f" ({gap[1]} vs {gap[2]})" if gap[0] else ""))
    if plot is not None:
        from .conformance.compare import ulp_distance
        from .plotting import plot_curves
        from .reference import evaluate

        ref32 = evaluate(plan, n, dtype="float32")
        errs = {str(c.target): ulp_distance(c.lr, ref32).max(axis=0) for c in cells if c.lr is not None}
        plot_curves(errs, plot, title=f"{plan_path.name}: float32 ulps from the reference", ylabel="ulps (max over groups)")
        typer.echo(f"wrote {plot}", err=as_json)
    if failed:
        raise typer.Exit(1)


def main():  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
