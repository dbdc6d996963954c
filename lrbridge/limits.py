"""Documented limits on what lrbridge accepts, checked before any work that could grow without bound.

Each check raises ``LimitError`` (both a ``PlanError`` and an ``EvaluationError``) in one line:
what was asked, what it would cost, and what to do instead. The numbers are in
``docs/limits.md``; ``LRBRIDGE_MAX_BYTES`` overrides the memory bound.
"""

from __future__ import annotations

import functools
import os
import re

from .errors import LimitError

#: largest step index evaluated (and largest integer a schedule field holds): every integer up to
#: 2**53 is exact in float64, the type the reference evaluator computes in
MAX_STEP = 2**53
#: most bytes one evaluation may allocate for its result (groups × steps × 8), unless overridden
DEFAULT_MAX_BYTES = 2**30
#: deepest nesting of mappings/lists a plan or config document may have (a 100-level composite
#: schedule needs about 200)
MAX_DOCUMENT_DEPTH = 400
#: deepest nesting of schedules inside schedules
MAX_SCHEDULE_DEPTH = 150
#: most steps a framework scheduler is stepped through to sample it into a table (torch: ~10-50 µs a step)
MAX_STEPPED = 1_000_000
#: steps a closed-form model of a framework scheduler is checked against the stepped scheduler
VERIFY_STEPS = 10_000
#: largest plan or config file read
MAX_DOCUMENT_BYTES = 256 * 2**20
#: most YAML nodes a document may stand for once its aliases are expanded
MAX_YAML_NODES = 1_000_000
#: longest ``re:`` selector, and most repetition operators one may use
MAX_REGEX_LENGTH = 256
MAX_REGEX_REPEATS = 4


def max_bytes() -> int:
    """The allocation bound: ``LRBRIDGE_MAX_BYTES`` (bytes) when set, else DEFAULT_MAX_BYTES (1 GiB)."""
    text = os.environ.get("LRBRIDGE_MAX_BYTES", "")
    return int(text) if text.isdigit() else DEFAULT_MAX_BYTES


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def check_allocation(rows: int, steps: int, itemsize: int = 8, what: str = "evaluating") -> None:
    """Refuse to allocate ``rows × steps × itemsize`` bytes above ``max_bytes()``."""
    need = int(rows) * int(steps) * int(itemsize)
    limit = max_bytes()
    if need > limit:
        raise LimitError(
            "steps",
            f"{what} {rows} group{'s' if rows != 1 else ''} × {steps} steps needs {_size(need)}, above the "
            f"{_size(limit)} limit; use fewer steps, evaluate chosen steps only, or a closed-form cell "
            "(LRBRIDGE_MAX_BYTES raises the limit)",
        )


def check_stepped(steps: int, what: str) -> None:
    """Refuse to step a framework scheduler more than MAX_STEPPED times (it would run for minutes)."""
    if steps > MAX_STEPPED:
        raise LimitError(
            "steps", f"{what} would step the scheduler {steps} times, above the limit of {MAX_STEPPED}; "
            "sample fewer steps, or describe the schedule in closed form (a plan) instead",
        )


def check_step(step: int, where: str = "steps") -> None:
    """Refuse a step index beyond ``MAX_STEP`` (float64 would round it)."""
    if step > MAX_STEP:
        raise LimitError(where, f"step {step} is beyond 2**53 = {MAX_STEP}, the last step evaluated exactly in float64")


def document_depth(data) -> int:
    """Nesting depth of dicts/lists in parsed data, computed without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DOCUMENT_DEPTH:
            return depth  # deep enough to refuse: stop early
        stack.extend((c, depth + 1) for c in children)
    return deepest


def check_document_depth(data, where: str = "") -> None:
    depth = document_depth(data)
    if depth > MAX_DOCUMENT_DEPTH:
        raise LimitError(
            where,
            f"the document nests deeper than {MAX_DOCUMENT_DEPTH} levels of mappings/lists; "
            f"schedules may nest at most {MAX_SCHEDULE_DEPTH} deep: flatten the composite",
        )


# ---------------------------------------------------------------- regex selectors


def _repeat_ops():
    try:
        from re import _constants as c  # noqa: PLC0415 - the parser's node names (stdlib, private but stable)
    except ImportError:  # Python 3.10 (the OneFlow interpreter) names it sre_constants
        import sre_constants as c  # noqa: PLC0415

    return {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}, c


def _walk_regex(tree, inside_repeat: bool, counts: dict) -> str | None:
    """First unsafe construct in a parsed regex, or None. Counts repetition operators."""
    repeats, c = _repeat_ops()
    for op, arg in tree:
        if op in repeats:
            counts["repeats"] += 1
            if inside_repeat:
                return "a repetition inside a repeated group (e.g. (a*)*, (a+)+)"
            found = _walk_regex(arg[2], True, counts)
        elif op is c.BRANCH:
            if inside_repeat:
                return "an alternation inside a repeated group (e.g. (a|ab)*)"
            found = next((f for sub in arg[1] if (f := _walk_regex(sub, inside_repeat, counts))), None)
        elif op is c.SUBPATTERN:
            found = _walk_regex(arg[-1], inside_repeat, counts)
        elif op in (c.ASSERT, c.ASSERT_NOT):
            found = _walk_regex(arg[1], inside_repeat, counts)
        elif op in (c.GROUPREF, c.GROUPREF_EXISTS):
            return "a backreference"
        elif op is getattr(c, "ATOMIC_GROUP", None):
            found = _walk_regex(arg, inside_repeat, counts)
        else:
            found = None
        if found:
            return found
    return None


@functools.lru_cache(maxsize=1024)
def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` could take exponential (or high-polynomial) time to match, or None when it is safe.

    Safe subset (documented): at most MAX_REGEX_LENGTH characters and MAX_REGEX_REPEATS repetition
    operators, no repetition or alternation inside a repeated group, no backreferences. Parameter
    names then match in time polynomial of low degree in their length.
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        return f"it is longer than {MAX_REGEX_LENGTH} characters"
    try:
        from re import _parser  # noqa: PLC0415
    except ImportError:  # Python 3.10 (the OneFlow interpreter) names it sre_parse
        import sre_parse as _parser  # noqa: PLC0415

    try:
        tree = _parser.parse(pattern)
    except re.error as exc:
        return f"it is not a valid regular expression: {exc}"
    counts = {"repeats": 0}
    found = _walk_regex(tree, False, counts)
    if found:
        return f"it contains {found}, which can take exponential time to match"
    if counts["repeats"] > MAX_REGEX_REPEATS:
        return f"it has {counts['repeats']} repetition operators (at most {MAX_REGEX_REPEATS})"
    return None
