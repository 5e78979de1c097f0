"""Outside the measures layer no code selects rows by metric name, tells months from years by
the length of a string, or guesses a unit from a name (issue 12).

The patterns are the forms those took before the readers moved onto :mod:`caresim.measures`;
the test fails if one comes back anywhere in ``src/caresim`` outside ``caresim/measures``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "caresim"

PATTERNS = {
    "rows selected by metric name": re.compile(
        r"""\[\s*["']metric["']\s*\]\s*(\.astype\(str\)\s*)?(==|!=|\.isin\()"""
        r"""|\.metric\s*==|metric\s*==\s*["']"""),
    "months told from years by string length": re.compile(
        r"""\.str\.len\(\)|len\(\s*(period|p|label|fy|date|text)\s*\)\s*==\s*(7|10)"""),
    "a unit guessed from a name": re.compile(
        r"""(target|name|metric|indicator)["']?\]?\)?\.startswith\(\s*["'](prevention|savings"""
        r"""|GBP|spend)|unit\.startswith\(\s*["']GBP"""),
}


INTEGRITY_CHECKS = {"finite.py"}
"""Not readers: ``finite.py`` checks the raw tables against the metric registry (a NaN ratio
is allowed only where its denominator row is zero) before any measure reads them."""


def _outside_measures() -> list[Path]:
    return [p for p in sorted(SRC.rglob("*.py"))
            if "measures" not in p.relative_to(SRC).parts
            and str(p.relative_to(SRC)) not in INTEGRITY_CHECKS]


@pytest.mark.parametrize("what", sorted(PATTERNS))
def test_no_reader_outside_the_measures_layer_does_it(what: str) -> None:
    found = []
    for path in _outside_measures():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if PATTERNS[what].search(line):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert not found, f"{what} outside caresim/measures:\n" + "\n".join(found)


@pytest.mark.parametrize("line", [
    'pb = monthly[monthly["metric"] == "pb_share_adass"]',
    's = summary[summary["metric"].astype(str).isin(HEADLINE_METRICS)]',
    't = frame[(frame["metric"] == name) & (frame[key] == period)]',
    'monthly_summary = s[s["period"].str.len() == 10]',
    'if len(period) == 7:  # financial year',
    'money = r["target"].startswith("prevention")',
    'elif unit.startswith("GBP"):',
])
def test_the_patterns_catch_the_old_forms(line: str) -> None:
    assert any(p.search(line) for p in PATTERNS.values()), line
