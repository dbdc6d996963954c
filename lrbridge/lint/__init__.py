"""``lrbridge lint``: find the silent lr divergences of a port before running it.

Source files are parsed with ``ast`` and never executed; live objects are
inspected by class name and attributes, so no framework is imported here.

    from lrbridge.lint import lint_source, lint_paths, lint_objects
    for f in lint_paths(["train.py"]):
        print(f)          # train.py:12: LRB002 ...  fix: ...

Every rule is listed in ``RULES`` (id -> name, summary) and shown with an
example in ``docs/checking-your-port.md``.
"""

from __future__ import annotations

from pathlib import Path

from .findings import Finding, LintInputError
from .rules import RULES, Rule
from .source import SourceModel

__all__ = ["Finding", "LintInputError", "RULES", "Rule", "lint_objects", "lint_paths", "lint_source"]


def lint_source(text: str, filename: str = "<string>", *, steps: int | None = None, rules=None) -> list[Finding]:
    """Findings of every rule (or the given rule ids) on one file's source text, in line order.

    ``steps``: the optimizer steps the run is planned for, when the file does not say.
    Raises ``LintInputError`` when the text is not valid Python.
    """
    model = SourceModel(text, filename)
    opts = {"steps": steps}
    chosen = [RULES[r] for r in rules] if rules else list(RULES.values())
    out = [f for r in chosen for f in r.check(model, opts)]
    return sorted(set(out), key=lambda f: (f.line, f.rule, f.message))


def _python_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.py") if not any(part.startswith(".") for part in p.relative_to(path).parts))
    if path.is_file():
        return [path]
    raise LintInputError(f"{path}: no such file or directory; pass Python files or folders to lint")


def lint_paths(paths, *, steps: int | None = None, rules=None) -> list[Finding]:
    """Findings for Python files and folders (searched recursively for ``*.py``)."""
    out: list[Finding] = []
    for p in map(Path, paths):
        for f in _python_files(p):
            try:
                text = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise LintInputError(f"{f}: cannot read ({exc}); lint reads UTF-8 Python source") from None
            out += lint_source(text, str(f), steps=steps, rules=rules)
    return out


def lint_objects(*objects, names=None, steps: int | None = None, steps_per_epoch: int | None = None,
                 interval: str | None = None, mode: str | None = None) -> list[Finding]:
    """Findings for live objects: optimizers, schedulers, MindSpore lr lists, or the source dict
    ``{"optimizer", "scheduler"/"schedulers", "interval", "steps_per_epoch"}`` (tuples are opened up).

    ``steps``: optimizer steps the run will take; ``steps_per_epoch`` and ``interval`` ("step" or
    "epoch": how often the scheduler is stepped); ``mode``: "graph" when a OneFlow optimizer trains
    through nn.Graph. Rules needing a fact not given stay silent.
    """
    from .objects import lint_live

    ctx = {k: v for k, v in dict(steps=steps, steps_per_epoch=steps_per_epoch, interval=interval, mode=mode).items() if v is not None}
    return lint_live(objects, names, **ctx)
