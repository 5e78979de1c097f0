"""The registries are assembled from the processes' own declarations: every metric and every
ledger line once, with a unit or a label and a description."""

from __future__ import annotations

from caresim.model import finance, grant
from caresim.model.parts import LedgerLine, Metric
from caresim.recording import BY_NAME, INDEX, LEDGER, METRICS, RECORDED


def test_each_metric_is_declared_once_with_unit_kind_and_definition() -> None:
    assert len(BY_NAME) == len(METRICS)
    for m in METRICS:
        assert isinstance(m, Metric) and m.unit and m.description
        assert m.kind in ("stock", "flow", "ratio")
        if m.kind == "ratio":
            assert BY_NAME[m.numerator].kind != "ratio" and BY_NAME[m.denominator].kind != "ratio"
    assert list(INDEX) == list(RECORDED) == [m.name for m in METRICS if m.kind != "ratio"]


def test_the_ledger_takes_the_grants_lines_from_the_grant() -> None:
    names = [line.name for line in LEDGER]
    assert len(set(names)) == len(names) == len(finance.LEDGER_LINES)
    assert all(isinstance(line, LedgerLine) and line.label and line.description
               for line in LEDGER)
    i = names.index(grant.LEDGER_LINES[0].name)
    assert tuple(LEDGER[i:i + len(grant.LEDGER_LINES)]) == grant.LEDGER_LINES
    for metric in (*grant.STOCKS, *grant.FLOWS, *grant.DIVERTED):
        assert BY_NAME[metric.name] is metric
