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


def _resolve_steps(plan, steps: Optional[int]) -> int:
    from .errors import PlanError

    if steps is not None:
        if steps < 1:
            raise PlanError("--steps", f"must be at least 1, got {steps}")
        return steps
    if plan.horizon.steps is None:
        raise PlanError("horizon.steps", "the plan sets no horizon; pass --steps N")
    return plan.horizon.steps


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

    plan = load_plan(plan_path)
    n = _resolve_steps(plan, steps)
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


def main():  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
