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
    # Plain help text: rich markup would read `backend/mode[/device[/form]]` as tags and crash
    rich_markup_mode=None,
)


def _version(value: bool):
    if value:
        from . import __version__

        typer.echo(f"lrbridge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
):
    """Portable learning-rate schedules for PyTorch, MindSpore and OneFlow."""


#: core argument / plan field -> the flag that sets it (only the CLI speaks of flags)
FLAGS = {"steps": "--steps", "to": "--to", "fmt": "--format", "dialect": "--from", "steps_per_epoch": "--steps-per-epoch",
         "from": "--from", "target": "--target", "map": "--map", "interval": "--interval",
         "format": "--format", "plot": "--plot"}


def cli_message(exc) -> str:
    """An error's one line, with the core's field names said as the flags that set them."""
    from .errors import LimitError, PlanError

    if isinstance(exc, PlanError) and not isinstance(exc, LimitError):
        if exc.path in FLAGS:
            return f"{FLAGS[exc.path]}: {exc.message}"
        if exc.path == "horizon.steps" and "no horizon" in exc.message:
            return f"{exc.path}: the plan sets no horizon; pass --steps N"
    return " ".join(str(exc).split())  # one line, whatever the message held


def fail(message: str, code: int = 1):
    """Print 'error: message' on stderr and exit with ``code`` (2: a usage error)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def one_line_errors(fn):
    """Report lrbridge's own errors (and unreadable files) as 'error: ...' and exit 1, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import LrBridgeError

        try:
            return fn(*args, **kwargs)
        except (LrBridgeError, OSError) as exc:
            typer.echo(f"error: {cli_message(exc)}", err=True)
            raise typer.Exit(1) from None
        except RecursionError:  # a backstop: documents are depth-checked before this could happen
            typer.echo("error: the input nests too deep (see docs/limits.md)", err=True)
            raise typer.Exit(1) from None
        except MemoryError:  # a backstop: allocations are size-checked before this could happen
            typer.echo("error: out of memory; use fewer steps (see docs/limits.md)", err=True)
            raise typer.Exit(1) from None

    return wrapper


def _load(source: Path, dialect: Optional[str], steps: Optional[int], steps_per_epoch: Optional[int]):
    """Every command reads every source ``convert`` reads; the notes go to stderr."""
    from .convert import load_source

    result = load_source(source, dialect=dialect, steps=steps, steps_per_epoch=steps_per_epoch)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    return result.plan


FROM_HELP = "Source dialect (plan, torch, timm, transformers, mmengine, ...); detected from the content when absent."
SPE_HELP = "Optimizer updates per epoch, for sources that count in epochs."


#: the table evaluates every step (so a bad lr anywhere is reported) up to this many values (~1 s)
TABLE_FULL_VALUES = 2**24


def _fits(groups: int, steps: int) -> bool:
    return groups * steps <= TABLE_FULL_VALUES


def _write_json_curves(n: int, curves: dict, out, chunk: int = 1 << 16) -> None:
    """``{"steps": n, "groups": [{"name": ..., "lr": [...]}]}`` written in chunks: long curves stream,
    never held as one string or as a list of Python floats (repr is JSON's float form; lrs are finite)."""
    out.write(f'{{"steps": {n}, "groups": [')
    for i, (name, lr) in enumerate(curves.items()):
        out.write(("" if i == 0 else ", ") + f'{{"name": {json.dumps(name)}, "lr": [')
        for start in range(0, len(lr), chunk):
            out.write(("" if start == 0 else ", ") + ", ".join(map(repr, lr[start:start + chunk].tolist())))
        out.write("]}")
    out.write("]}\n")


def _sample_rows(n: int, rows: int = 12) -> list[int]:
    """Steps worth showing in a table: evenly spaced, always the first and last."""
    if n <= rows:
        return list(range(n))
    return sorted({round(i * (n - 1) / (rows - 1)) for i in range(rows)})


@app.command()
@one_line_errors
def curve(
    plan_path: Path = typer.Argument(..., metavar="SOURCE", help="A plan or a config of a known dialect (.yaml, .json, .py)."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Steps to evaluate (default: the plan's horizon)."),
    dialect: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    steps_per_epoch: Optional[int] = typer.Option(None, "--steps-per-epoch", help=SPE_HELP),
    as_json: bool = typer.Option(False, "--json", help='Print {"steps": N, "groups": [{"name", "lr"}]} instead of a table.'),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write a plot of every group's curve to this file."),
):
    """Evaluate a plan with the float64 reference evaluator: the lr each group applies at steps 0..N-1."""
    import numpy as np

    from .reference import curves as eval_curves
    from .reference import evaluate
    from .plan import resolve_steps

    if plot is not None:
        from .plotting import plot_path

        plot = plot_path(plot, source=plan_path)  # a bad format fails before any work
    plan = _load(plan_path, dialect, steps, steps_per_epoch)
    n = resolve_steps(plan, steps)
    if as_json or plot is not None or _fits(len(plan.groups), n):
        curves = eval_curves(plan, n)  # every step: a bad lr is reported at its first step
    else:  # a horizon too long to hold: the table's 12 rows are all it needs
        typer.echo(f"note: {n} steps: only the steps shown were evaluated (--json checks every step)", err=True)
        rows = _sample_rows(n)
        lrs = evaluate(plan, np.asarray(rows, np.int64))
        curves = {name: dict(zip(rows, lrs[i])) for i, name in enumerate(plan.group_names)}
    if as_json:
        _write_json_curves(n, curves, sys.stdout)
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

        written = plot_curves(curves, plot, title=f"{plan_path.name} ({n} steps)")
        typer.echo(f"wrote {written}", err=as_json)


@app.command()
@one_line_errors
def convert(
    source: Path = typer.Argument(..., metavar="SOURCE", help="A plan or a config of a known dialect (.yaml, .json, .py)."),
    to: str = typer.Option(..., "--to", help="Target backend: torch, mindspore, oneflow (any registered backend), "
                                              "or plan (the canonical plan the source was read as)."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Optimizer updates (default: the source's horizon)."),
    dialect: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    steps_per_epoch: Optional[int] = typer.Option(None, "--steps-per-epoch", help=SPE_HELP),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="json | npy | python (default json); for --to plan: "
                                                                    "yaml | json (default yaml)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout (needed for npy)."),
):
    """Convert a plan, config, live object or trace for a framework: lr lists (json/npy) or runnable code
    (python); or write the canonical plan it was read as (--to plan)."""
    from .convert import PLAN_TARGET, render
    from .errors import PlanError

    fmt = fmt or ("yaml" if to == PLAN_TARGET else "json")
    if fmt == "npy" and output is None and to != PLAN_TARGET:
        raise PlanError("--output", "--format npy writes binary data; pass -o FILE.npy")
    if output is not None and _same_file(output, source):
        raise PlanError("--output", f"'{output}' is the source itself; write the result to another file")
    plan = _load(source, dialect, steps, steps_per_epoch)
    result = render(plan, to=to, steps=steps, fmt=fmt)
    if output is None:
        sys.stdout.write(result)
    elif isinstance(result, bytes):
        output.write_bytes(result)
    else:
        output.write_text(result)
    if output is not None:
        typer.echo(f"wrote {output}", err=True)


@app.command()
@one_line_errors
def check(
    source: Path = typer.Argument(..., metavar="SOURCE", help="A plan or a config of a known dialect (.yaml, .json, .py)."),
    to: Optional[str] = typer.Option(None, "--to", help="Only this backend (default: every registered backend)."),
    mode: Optional[str] = typer.Option(None, "--mode", help="Only this mode of --to (default: every mode)."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Optimizer updates, for sources without a horizon."),
    dialect: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    steps_per_epoch: Optional[int] = typer.Option(None, "--steps-per-epoch", help=SPE_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per backend and mode."),
):
    """Which backends and modes express the source exactly, and why not where they cannot (no framework needed).

    Exit status 1 when a backend named with --to cannot express it.
    """
    from .backends import backend_names, get_backend
    from .capability import check as run_check

    plan = _load(source, dialect, steps, steps_per_epoch)
    if mode is not None and to is None:
        fail("--mode needs --to (modes belong to a backend)", 2)
    results = []
    for backend in [to] if to else backend_names():
        spec = get_backend(backend)
        for m in [mode] if mode else spec.modes:
            results.append(run_check(plan, backend, mode=m, **spec.check_options))
    if as_json:
        for r in results:
            print(json.dumps({"backend": r.backend, "mode": r.mode, "ok": r.ok, "reasons": r.reasons,
                              "alternative": r.alternative, "notes": r.notes}))
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=f"{source.name}: exact on each backend and mode")
        for col in ("backend", "mode", "exact", "why not / notes"):
            table.add_column(col, no_wrap=col != "why not / notes")
        for r in results:
            text = "; ".join(r.reasons) + (f" (alternative: {r.alternative})" if r.alternative else "") if not r.ok else "; ".join(r.notes)
            table.add_row(r.backend, r.mode, "[green]yes[/]" if r.ok else "[red]no[/]", escape(text))
        _console().print(table)
    if to and not all(r.ok for r in results):
        raise typer.Exit(1)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _parse_target(text: str):
    """A declared target, else a usage error (exit 2) listing what the backend offers."""
    from .conformance import Target
    from .conformance.matrix import validate_target
    from .errors import LrBridgeError

    parts = text.split("/")
    if not 2 <= len(parts) <= 4 or not all(parts):
        fail(f"--target: expected backend/mode[/device[/form]] (e.g. mindspore/graph/cpu/cell), got {text!r}", 2)
    try:
        return validate_target(Target(*parts))
    except LrBridgeError as exc:
        fail(f"--target: {exc}", 2)


def _conform_sources(sources: list[Path]) -> list[Path]:
    """The files to check: each SOURCE, a directory standing for its plan/config files (sorted)."""
    out: list[Path] = []
    for src in sources:
        if src.is_dir():
            found = sorted(p for p in src.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml", ".json"))
            if not found:
                fail(f"directory '{src}' holds no .yaml, .yml or .json file")
            out.extend(found)
        else:
            out.append(src)
    return out


def _conform_plans(paths: list[Path], dialect, steps, steps_per_epoch, errors: dict):
    """(name, plan, steps) per readable source; what cannot be read goes to ``errors`` (name -> message)."""
    from .errors import LrBridgeError

    for path in paths:
        try:
            yield str(path), _load(path, dialect, steps, steps_per_epoch), steps
        except (LrBridgeError, OSError) as exc:
            if len(paths) == 1:
                raise
            errors[str(path)] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _ConformProgress:
    """Plans done, rate and ETA on stderr: a rich progress bar on a terminal, else a line every few seconds."""

    def __init__(self, total: int, every: float = 5.0):
        import time

        self.total, self.done, self.every = total, 0, every
        self.start = self.last = time.monotonic()
        self.bar = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True),
            )
            self.task = self.bar.add_task("conform", total=total, rate="")
            self.bar.start()

    def message(self, text: str) -> None:
        """What is being measured: the bar's label, or a line when a single plan is measured."""
        if self.bar is not None:
            self.bar.update(self.task, description=text[:60])
        elif self.total == 1:
            typer.echo(text, err=True)

    def advance(self) -> None:
        import time

        self.done += 1
        now = time.monotonic()
        rate = self.done / max(now - self.start, 1e-9)
        if self.bar is not None:
            self.bar.update(self.task, advance=1, rate=f"{rate:.2f} plans/s")
        elif self.total > 1 and (now - self.last >= self.every or self.done == self.total):
            self.last = now
            eta = (self.total - self.done) / rate
            typer.echo(f"conform: {self.done}/{self.total} plans, {rate:.2f} plans/s, ETA {eta:.0f} s", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _plan_doc(result, metric: str) -> dict:
    """One plan's matrix as the JSON object ``conform --json`` prints (one line per plan)."""
    from .conformance.matrix import pairwise_max_ulp

    gap = pairwise_max_ulp(result.cells)
    doc = {"plan": result.name, "steps": result.steps, "metric": metric, "cells": [c.as_dict() for c in result.cells],
           "max_gap_between_targets_ulp": {"ulp": gap[0], "between": [gap[1], gap[2]]}}
    if result.error is not None:
        doc["error"] = str(result.error).splitlines()[0]
    return doc


_COLOUR = {"ok": "green", "mismatch": "red", "error": "red", "unrepresentable": "yellow", "absent": "dim"}


def _console():
    from rich.console import Console

    # Redirected output gets no terminal width: do not cut the reasons at rich's default 80 columns
    return Console(width=None if sys.stdout.isatty() else 200)


def _matrix_table(result):
    from rich.table import Table

    table = Table(title=f"{Path(result.name).name}: applied lr vs reference, {result.steps} steps (float32 ulps)")
    for col in ("target", "status", "tolerance", "worst", "where / why"):
        table.add_column(col, no_wrap=col in ("target", "status"), overflow="fold")
    for c in result.cells:
        cmp = c.comparison
        where = (f"group '{cmp.worst_group}', step {cmp.worst_step}" if cmp.worst else "") if cmp else c.detail
        if cmp and "subnormal" in c.detail:
            where = (where + "; " if where else "") + c.detail.split("; ", 1)[1]
        table.add_row(str(c.target), f"[{_COLOUR.get(c.status, '')}]{c.status}[/]",
                      f"{cmp.tolerance:g}" if cmp else "", f"{cmp.worst:g}" if cmp else "", where)
    return table


def _summary_table(results, errors: dict):
    """Many plans: one row per plan (counts per status, and the first failing target with its reason)."""
    from rich.table import Table

    table = Table(title=f"conformance of {len(results) + len(errors)} plans (float32 ulps)")
    for col in ("plan", "steps", "ok", "mismatch", "error", "unrepresentable", "absent", "where / why"):
        table.add_column(col, no_wrap=col == "plan", overflow="fold", justify="right" if col not in ("plan", "where / why") else "left")
    for name, message in errors.items():
        table.add_row(name, "", "", "", "[red]1[/]", "", "", f"cannot read: {message}")
    for r in results:
        counts = {s: sum(c.status == s for c in r.cells) for s in _COLOUR}
        bad = next((c for c in r.cells if c.status in ("mismatch", "error")), None)
        why = f"{r.error}".splitlines()[0] if r.error is not None else (f"{bad.target}: {bad.detail}" if bad else "")
        table.add_row(r.name, str(r.steps or ""), *(
            f"[{_COLOUR[s]}]{counts[s]}[/]" if counts[s] and s in ("mismatch", "error") else str(counts[s]) for s in _COLOUR
        ), why)
    return table


@app.command()
@one_line_errors
def conform(
    sources: list[Path] = typer.Argument(..., metavar="SOURCE",
                                         help="Plans or configs of a known dialect (.yaml, .json, .py), or directories of them."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Optimizer steps to run (default: each plan's horizon)."),
    dialect: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    steps_per_epoch: Optional[int] = typer.Option(None, "--steps-per-epoch", help=SPE_HELP),
    target: Optional[list[str]] = typer.Option(
        None, "--target", "-t", help="backend/mode[/device[/form]], repeatable (default: the whole matrix)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per plan, one per line (a stream)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Plot each target's float32 ulp error per step (one source)."),
):
    """Run real optimizer steps on every backend x mode x device and compare the applied lr with the reference.

    Many sources (files, directories) are measured together: every backend takes them in
    batches (one optimizer, one compile, one worker for many plans), and a plan that crashes a
    framework fails only itself. Progress, rate and ETA go to stderr.

    Exit status 1 when any target applies something other than the plan (beyond its stated ulp tolerance).
    """
    import os

    os.environ.setdefault("GLOG_v", "3")  # MindSpore: no device-probe warnings on the console
    from .conformance.matrix import iter_matrix, pairwise_max_ulp

    targets = [_parse_target(t) for t in target] if target else None
    paths = _conform_sources(sources)
    if plot is not None:
        if len(paths) != 1:
            fail("--plot draws one plan: give one SOURCE", 2)
        from .plotting import plot_path

        plot = plot_path(plot, source=paths[0])
    metric = "float32 ulps between the applied lr and the float64 reference rounded to float32"
    errors: dict[str, str] = {}
    progress = _ConformProgress(len(paths))
    results = []
    try:
        plans = _conform_plans(paths, dialect, steps, steps_per_epoch, errors)
        for r in iter_matrix(plans, steps, targets, progress=progress.message):
            results.append(r)
            progress.advance()
            if as_json:
                sys.stdout.write(json.dumps(_plan_doc(r, metric)) + "\n")
                sys.stdout.flush()
    finally:
        progress.close()
    if as_json:
        for name, message in errors.items():
            sys.stdout.write(json.dumps({"plan": name, "error": message, "cells": []}) + "\n")
    if len(paths) == 1 and results and results[0].error is not None:
        raise results[0].error
    if not as_json:
        if len(paths) == 1:
            _console().print(_matrix_table(results[0]))
            gap = pairwise_max_ulp(results[0].cells)
            typer.echo(f"largest gap between two measured targets: {gap[0]} ulp" + (f" ({gap[1]} vs {gap[2]})" if gap[0] else ""))
        else:
            _console().print(_summary_table(results, errors))
    if plot is not None:
        from .conformance.compare import ulp_distance
        from .plotting import plot_ulps
        from .reference import evaluate

        r = results[0]
        ref32 = evaluate(r.plan, r.steps, dtype="float32")
        errs = {str(c.target): ulp_distance(c.lr, ref32).max(axis=0) for c in r.cells if c.lr is not None}
        written = plot_ulps(errs, plot, title=f"{Path(r.name).name}: float32 ulps from the reference")
        typer.echo(f"wrote {written}", err=as_json)
    if errors or any(r.failed for r in results):
        raise typer.Exit(1)
    if not any(c.status in ("ok", "mismatch") for r in results for c in r.cells):
        fail("nothing was measured: every target was absent or cannot express the plan (see the table)")


@app.command()
def diff(
    a: str = typer.Argument(..., metavar="A", help="First source: a plan, a config, or path/to/file.py:function."),
    b: str = typer.Argument(..., metavar="B", help="Second source."),
    target_a: Optional[str] = typer.Option(None, "--target-a", help="Measure A on backend/mode[/device[/form]] (default: the reference)."),
    target_b: Optional[str] = typer.Option(None, "--target-b", help="Measure B on backend/mode[/device[/form]] (default: the reference)."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Steps compared (default: A's horizon, else B's)."),
    steps_per_epoch: Optional[int] = typer.Option(None, "--steps-per-epoch", help="Optimizer steps per epoch, for sources that count in epochs."),
    mapping: Optional[list[str]] = typer.Option(None, "--map", help="Match group A_GROUP with B_GROUP: A_GROUP=B_GROUP (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write both curves overlaid, with B − A below, to this file."),
):
    """Where two setups' applied lr (and scheduled hyperparameters) first differ, and the recognised cause.

    Exit status 0 when identical within tolerance, 1 when they differ, 2 on bad input.
    """
    import os

    os.environ.setdefault("GLOG_v", "3")  # MindSpore: no device-probe warnings on the console
    from .diff import run_cli

    raise typer.Exit(run_cli(a, b, target_a=target_a, target_b=target_b, steps=steps, steps_per_epoch=steps_per_epoch,
                             mapping=mapping or (), as_json=as_json, plot=plot))


@app.command()
def lint(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="Python files or folders (read, never executed)."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON (rule, file, line, message, fix)."),
    steps: Optional[int] = typer.Option(None, "--steps", "-n", help="Optimizer steps the run is planned for (when the source does not say)."),
    rule: Optional[list[str]] = typer.Option(None, "--rule", "-r", help="Only this rule id (repeatable)."),
):
    """Find silent lr divergences in training scripts (docs/checking-your-port.md lists every rule).

    Exit status 1 when something is found, 0 when clean, 2 on bad input.
    """
    from .lint.report import run

    raise typer.Exit(run(paths, as_json=as_json, steps=steps, rules=rule))


@app.command()
@one_line_errors
def resume(
    state: Path = typer.Argument(..., metavar="STATE.json", help="The checkpoint's schedule state, dumped to JSON (docs/resume.md)."),
    fmt: str = typer.Option(..., "--format", help="torch | oneflow | mindspore | mmengine | timm | deepspeed | transformers"),
    steps_per_epoch: Optional[int] = typer.Option(None, "--steps-per-epoch", help="Optimizer steps per epoch, for states counted in epochs."),
    interval: str = typer.Option("step", "--interval", help="step | epoch: how often the saved scheduler was stepped."),
    source: Optional[Path] = typer.Argument(None, metavar="[SOURCE_PLAN]", help="The plan (or config) the run follows."),
    to: Optional[str] = typer.Option(None, "--to", help="Backend to continue in: the state to load there and the next lrs."),
):
    """Optimizer steps k a checkpoint has applied, and (with SOURCE_PLAN --to BACKEND) the state that continues at k.

    Prints JSON: k (the next optimizer step applies lr(k)), and with a plan and a target the
    target's state to load and the lr each group applies next.
    """
    from .resume import run_cli

    json.dump(run_cli(state, fmt, steps_per_epoch=steps_per_epoch, interval=interval, source=source, to=to), sys.stdout, indent=2)
    sys.stdout.write("\n")


def main():  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
