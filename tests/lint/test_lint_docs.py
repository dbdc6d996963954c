"""docs/checking-your-port.md shows every lint rule with a snippet, and the snippet is flagged by that rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lrbridge.lint import RULES, lint_source

DOC = Path(__file__).resolve().parents[2] / "docs" / "checking-your-port.md"


def _sections() -> dict[str, str]:
    text = DOC.read_text()
    out = {}
    for m in re.finditer(r"^### (LRB\d{3}) [\w-]+\n(.*?)(?=^### |^## |\Z)", text, re.S | re.M):
        code = re.search(r"```python\n(.*?)```", m.group(2), re.S)
        out[m.group(1)] = code.group(1) if code else ""
    return out


def test_every_rule_is_documented():
    assert sorted(_sections()) == sorted(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_documented_snippet_is_flagged(rule_id):
    snippet = _sections()[rule_id]
    findings = lint_source(snippet, f"{rule_id}.py")
    assert [f.rule for f in findings] == [rule_id], findings
