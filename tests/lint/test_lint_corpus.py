"""Every lint rule flags its positive snippets (exactly on the lines marked ``# expect: LRBxxx``)
and no rule flags any negative snippet. The corpus is in ``corpus/``: ``<rule>_pos_*.py``, ``<rule>_neg_*.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lrbridge.lint import RULES, lint_paths, lint_source

CORPUS = Path(__file__).parent / "corpus"
POSITIVES = sorted(CORPUS.glob("LRB*_pos_*.py"))
NEGATIVES = sorted(CORPUS.glob("LRB*_neg_*.py"))


def _expected(path: Path) -> set[tuple[str, int]]:
    out = set()
    for i, line in enumerate(path.read_text().splitlines(), 1):
        for rule in re.findall(r"# expect: (LRB\d{3})", line):
            out.add((rule, i))
    return out


def test_every_rule_has_positives_and_negatives():
    for rule_id in RULES:
        assert len([p for p in POSITIVES if p.name.startswith(rule_id)]) >= 2, rule_id
        assert len([p for p in NEGATIVES if p.name.startswith(rule_id)]) >= 2, rule_id


@pytest.mark.parametrize("path", POSITIVES, ids=lambda p: p.stem)
def test_positive_snippet_is_flagged_where_marked(path):
    rule_id = path.name[:6]
    expected = _expected(path)
    assert expected and {r for r, _ in expected} == {rule_id}
    findings = lint_source(path.read_text(), str(path))
    got = {(f.rule, f.line) for f in findings if f.rule == rule_id}
    assert got == expected, "\n".join(map(str, findings))
    for f in findings:
        assert f.message and f.fix and f.file == str(path)


@pytest.mark.parametrize("path", NEGATIVES, ids=lambda p: p.stem)
def test_negative_snippet_is_clean(path):
    findings = lint_source(path.read_text(), str(path))
    assert findings == [], "\n".join(map(str, findings))


def test_lint_paths_walks_a_folder():
    findings = lint_paths([CORPUS])
    assert {f.rule for f in findings} == set(RULES)
    assert not any("_neg_" in f.file for f in findings)
