"""What a lint rule reports: a ``Finding`` (rule id, location, message, fix)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import LrBridgeError


class LintInputError(LrBridgeError):
    """A path to lint does not exist, cannot be read, or is not valid Python."""


@dataclass(frozen=True)
class Finding:
    """One silent divergence found.

    ``rule``: the rule id (``LRB001``); ``file``/``line``: where (line 0 for a live object,
    whose ``file`` names the object); ``message``: what will happen, at which step;
    ``fix``: how to make the port apply what was meant.
    """

    rule: str
    file: str
    line: int
    message: str
    fix: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.location}: {self.rule} {self.message}\n    fix: {self.fix}"
