"""``lrbridge lint PATH...``: findings as text or JSON; exit 1 when any, 0 when clean, 2 on bad input."""

from __future__ import annotations

import json
import sys

from .findings import LintInputError


def run(paths, *, as_json: bool = False, steps: int | None = None, rules=None, out=None, err=None) -> int:
    """Lint ``paths`` and print the findings; returns the exit status (0 clean, 1 findings, 2 bad input)."""
    from . import RULES, lint_paths

    out, err = out or sys.stdout, err or sys.stderr
    unknown = [r for r in rules or [] if r not in RULES]
    if unknown:
        err.write(f"error: unknown rule {unknown[0]!r}; rules: {', '.join(RULES)}\n")
        return 2
    if not paths:
        err.write("error: no path given; pass Python files or folders to lint\n")
        return 2
    try:
        findings = lint_paths(paths, steps=steps, rules=rules or None)
    except LintInputError as exc:
        err.write(f"error: {exc}\n")
        return 2
    if as_json:
        json.dump({"findings": [f.as_dict() for f in findings], "count": len(findings)}, out, indent=2)
        out.write("\n")
    else:
        for f in findings:
            out.write(f"{f}\n")
        files = len({f.file for f in findings})
        out.write(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}" + (f" in {files} file{'s' if files != 1 else ''}\n" if findings else ": clean\n"))
    return 1 if findings else 0
