"""What the Python-config reader produces (import references, unresolved markers) and its limits.

Shared by the evaluator (:mod:`.pyconfig_eval`), the file loader (:mod:`.pyconfig_base`) and the
entry points (:mod:`.pyconfig`); plain data only, nothing here reads or runs a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PlanError

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 64
MAX_DEPTH = 60  # nesting of evaluated expressions/containers
MAX_NODES = 200_000  # AST nodes per file
MAX_INT_BITS = 4096
MAX_SEQ_LEN = 100_000
MAX_LOOP_STATEMENTS = 100_000  # statements run by 'for' loops, per file


@dataclass(frozen=True)
class Ref:
    """A name imported by the config (recorded, never imported): ``dotted`` is its full path."""

    dotted: str

    @property
    def name(self) -> str:
        return self.dotted.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Unresolved:
    """A value the reader could not resolve (a base file not found, ...); ``why`` says what."""

    why: str


@dataclass(frozen=True)
class _LazyCallable:
    target: str


def target_name(value) -> str | None:
    """The dotted name a ``type=``/``_target_`` value names (a string or a Ref), else None."""
    if isinstance(value, Ref):
        return value.dotted
    if isinstance(value, str):
        return value
    return None


def _fail(where: str, what: str) -> PlanError:
    return PlanError(where, f"{what} (lrbridge reads Python configs without running them: only literals, "
                            "names, arithmetic, dict()/list() and config imports are understood)")


def _copy(value):
    """A deep copy of plain config data (so children never modify a cached base)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
