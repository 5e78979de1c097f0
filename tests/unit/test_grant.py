"""The Social Care Reform Grant, branch by branch: ring-fenced or not, the ring-fence date,
diversion, instalments summing to the allocation, and the grant's ledger lines.

Each test drives ``caresim.model.grant`` on a small hand-built world (three councils, the
grant's own state and a recorder), so a change to any branch of ``grant.month`` fails here, not
only in the golden regression files.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caresim.calendar import add_months
from caresim.model import grant
from caresim.model.grant import Grant
from caresim.recording import Recorder

SHARES = np.array([0.5, 0.3, 0.2])
START = dt.date(2008, 4, 1)
TRANCHES = {dt.date(2008, 4, 1): 84.0e6, dt.date(2009, 4, 1): 194.0e6,
            dt.date(2010, 4, 1): 239.0e6, dt.date(2011, 4, 1): 0.0}


def section(until: dt.date | None = dt.date(2011, 4, 1), spend: float = 0.25,
            diverted: float = 0.5, tranches: dict | None = None,
            uses: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> Grant:
    """A grant section as a scenario file would give it (``uses``: the prevention,
    information-and-advice and workforce-and-commissioning shares)."""
    prev, info, work = uses
    return Grant.model_validate({
        "tranches_gbp": {"values": tranches or TRANCHES, "unit": "GBP/year", "source": "test"},
        "ring_fenced_until": {"value": until, "source": "test"},
        "allocation_rule": {"value": "needs_proxy", "source": "test"},
        "needs_proxy_weights": {"probabilities": {"population": 0.5, "clients": 0.5},
                                "source": "test"},
        "spend_per_month": {"value": spend, "unit": "fraction", "source": "test"},
        "diverted_share_when_not_ring_fenced": {"value": diverted, "unit": "fraction",
                                                "source": "test"},
        "use_prevention_share": {"value": prev, "unit": "fraction", "source": "test"},
        "use_information_advice_share": {"value": info, "unit": "fraction", "source": "test"},
        "use_workforce_commissioning_share": {"value": work, "unit": "fraction",
                                              "source": "test"}})


def world(g: Grant, months: int = 48) -> SimpleNamespace:
    """What grant.py reads and writes: its parameters, the councils' shares, the recorder and
    its own state."""
    n = len(SHARES)
    return SimpleNamespace(p=SimpleNamespace(grant=g), inp=SimpleNamespace(grant_share=SHARES),
                           rec=Recorder(months, n), grant=grant.init_state(n), n=n)


def run(s: SimpleNamespace, months: int) -> list[dict[str, np.ndarray]]:
    """Run the grant month by month from April 2008; returns each year's ledger lines."""
    ledgers: list[dict[str, np.ndarray]] = []
    for m in range(months):
        date = add_months(START, m)
        s.rec.month = m
        if date.month == 4:
            ledgers.append({line.name: np.zeros(s.n) for line in grant.LEDGER_LINES})
            grant.start_year(s, date, ledgers[-1])
        grant.month(s, date)
    return ledgers


def recorded(s: SimpleNamespace, name: str) -> np.ndarray:
    """``[month, council]`` values of a recorded flow."""
    return s.rec.values[:, :, s.rec.index[name]]


@settings(max_examples=40, deadline=None)
@given(spend=st.floats(0.0, 0.95), months=st.integers(1, 35))
def test_ring_fenced_month_spends_its_share_of_the_balance(spend: float, months: int) -> None:
    # while ring-fenced every pound goes to the balance, and the council spends `spend` of the
    # balance (this month's instalment included) on transformation; nothing is diverted
    s = world(section(spend=spend))
    run(s, months)
    date = add_months(START, months)
    before = s.grant.balance_gbp.copy()
    s.rec.month = months
    spent = grant.month(s, date)
    received = s.grant.tranche_gbp / 12.0
    np.testing.assert_allclose(spent, (before + received) * spend, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(s.grant.balance_gbp, (before + received) * (1 - spend),
                               rtol=1e-12, atol=1e-9)
    assert not recorded(s, "grant_diverted_gbp").any()
    np.testing.assert_array_equal(recorded(s, "grant_spent_gbp")[months], spent)


def test_ring_fence_holds_before_its_date_and_ends_on_it() -> None:
    until = dt.date(2010, 4, 1)
    s = world(section(until=until, spend=0.1, diverted=0.4))
    run(s, 23)  # April 2008 to February 2010
    s.rec.month = 23
    grant.month(s, dt.date(2010, 3, 1))  # the last ring-fenced month
    held = s.grant.balance_gbp.copy()
    assert (held > 0).all() and not recorded(s, "grant_diverted_gbp").any()
    s.rec.month = 24
    spent = grant.month(s, until)  # 1 April 2010: no longer ring-fenced
    received = s.grant.tranche_gbp / 12.0
    np.testing.assert_array_equal(s.grant.balance_gbp, 0.0)
    np.testing.assert_allclose(recorded(s, "grant_diverted_gbp")[24], received * 0.4 + held)
    np.testing.assert_allclose(spent, received * 0.6)


@settings(max_examples=40, deadline=None)
@given(share=st.floats(0.0, 1.0), month=st.integers(0, 35))
def test_without_the_ring_fence_a_share_is_diverted(share: float, month: int) -> None:
    # no ring-fence: each instalment is split at once, `share` to core pressures and the rest
    # spent on transformation; nothing is held
    s = world(section(until=None, diverted=share))
    run(s, month + 1)
    received = recorded(s, "grant_received_gbp")[month]
    np.testing.assert_allclose(recorded(s, "grant_diverted_gbp")[month], received * share,
                               rtol=1e-12)
    np.testing.assert_allclose(recorded(s, "grant_spent_gbp")[month], received * (1 - share),
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(s.grant.balance_gbp, 0.0)


def test_a_ring_fence_in_the_past_is_no_ring_fence() -> None:
    s = world(section(until=dt.date(2008, 4, 1), diverted=0.5))
    run(s, 12)
    assert not s.grant.balance_gbp.any()
    np.testing.assert_allclose(recorded(s, "grant_diverted_gbp").sum(axis=0),
                               0.5 * TRANCHES[START] * SHARES)


@pytest.mark.parametrize("until", [None, dt.date(2009, 10, 1), dt.date(2011, 4, 1)])
def test_instalments_sum_to_each_years_allocation(until: dt.date | None) -> None:
    s = world(section(until=until))
    run(s, 36)
    received = recorded(s, "grant_received_gbp")
    for y, (date, tranche) in enumerate(list(TRANCHES.items())[:3]):
        year = received[12 * y: 12 * (y + 1)].sum(axis=0)
        np.testing.assert_allclose(year, tranche * SHARES, rtol=1e-12)
        assert year.sum() == pytest.approx(tranche * SHARES.sum(), rel=1e-12), date


@settings(max_examples=30, deadline=None)
@given(spend=st.floats(0.0, 1.0), share=st.floats(0.0, 1.0),
       until=st.one_of(st.none(), st.integers(0, 47).map(lambda m: add_months(START, m))))
def test_every_pound_received_is_spent_diverted_or_held(spend: float, share: float,
                                                        until: dt.date | None) -> None:
    # each year: opening balance + received = spent + diverted + closing balance
    s = world(section(until=until, spend=spend, diverted=share))
    ledgers = run(s, 48)
    for y, ledger in enumerate(ledgers):
        flows = lambda name, y=y: recorded(s, name)[12 * y: 12 * (y + 1)].sum(axis=0)  # noqa: E731
        if y + 1 < len(ledgers):
            closing = ledgers[y + 1]["ring_fenced_opening_gbp"]
        else:
            closing = s.grant.balance_gbp
        np.testing.assert_allclose(
            ledger["ring_fenced_opening_gbp"] + flows("grant_received_gbp"),
            flows("grant_spent_gbp") + flows("grant_diverted_gbp") + closing,
            rtol=1e-9, atol=1e-3)


def test_close_year_books_the_grant_lines_and_its_part_of_the_position() -> None:
    s = world(section(spend=0.2))
    ledger = run(s, 12)[0]
    flows = {name: recorded(s, name)[:12].sum(axis=0)
             for name in ("grant_received_gbp", "grant_spent_gbp", "grant_diverted_gbp")}
    received, held = grant.close_year(s, ledger, flows.__getitem__)
    for name, total in flows.items():
        np.testing.assert_array_equal(ledger[name], total)
    np.testing.assert_array_equal(ledger["ring_fenced_closing_gbp"], s.grant.balance_gbp)
    np.testing.assert_array_equal(received, flows["grant_received_gbp"])
    np.testing.assert_array_equal(held, s.grant.balance_gbp - ledger["ring_fenced_opening_gbp"])
    assert {line.name for line in grant.LEDGER_LINES} == set(ledger)
    assert all(line.label and line.description for line in grant.LEDGER_LINES)


def test_the_allocation_rules_share_out_the_whole_national_tranche() -> None:
    from caresim.councils import load_councils
    from caresim.model.inputs import derive_inputs
    from caresim.scenario import load_scenario

    base = load_scenario("baseline")
    codes = list(load_councils()["code"])
    for rule in ("needs_proxy", "population"):
        params = base.replace({"grant.allocation_rule.value": rule}, source="test").params
        shares = derive_inputs(params, codes).grant_share
        assert shares.sum() == pytest.approx(1.0, rel=1e-12)
        s = SimpleNamespace(p=params, inp=SimpleNamespace(grant_share=shares),
                            grant=grant.init_state(len(codes)))
        grant.start_year(s, dt.date(2009, 4, 1), {"ring_fenced_opening_gbp": np.zeros(len(codes))})
        assert s.grant.tranche_gbp.sum() == pytest.approx(194.0e6, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(prev=st.floats(0.0, 0.5), info=st.floats(0.0, 0.25), work=st.floats(0.0, 0.25),
       months=st.integers(1, 40))
def test_the_uses_share_out_what_is_spent(prev: float, info: float, work: float,
                                          months: int) -> None:
    # every pound spent goes to exactly one use; prevention money leaves transformation (it
    # buys reablement places) and the information and workforce uses do not build readiness
    s = world(section(uses=(prev, info, work)))
    run(s, months)
    uses = sum(recorded(s, name).sum(axis=0) for name in (
        "grant_pb_systems_gbp", "grant_prevention_gbp", "grant_information_advice_gbp",
        "grant_workforce_commissioning_gbp"))
    np.testing.assert_allclose(uses, recorded(s, "grant_spent_gbp").sum(axis=0), rtol=1e-12)
    date = add_months(START, months)
    s.rec.month = months
    transformation = grant.month(s, date)
    spent = recorded(s, "grant_spent_gbp")[months]
    np.testing.assert_allclose(s.grant.prevention_gbp, spent * prev, rtol=1e-12)
    np.testing.assert_allclose(transformation, spent * (1 - prev), rtol=1e-12)
    np.testing.assert_allclose(s.grant.other_gbp, spent * (info + work), rtol=1e-12)
    np.testing.assert_allclose(recorded(s, "grant_pb_systems_gbp")[months],
                               spent * (1 - prev - info - work), rtol=1e-9, atol=1e-6)


def test_uses_above_the_whole_grant_are_refused() -> None:
    with pytest.raises(ValueError, match="use_workforce_commissioning_share <= 1"):
        section(uses=(0.5, 0.3, 0.3))
