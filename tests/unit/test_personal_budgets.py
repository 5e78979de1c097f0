"""Personal budgets and direct payments: the two rollout modes and the effects of a PB.

``caresim.model.personal_budgets`` is driven on a small hand-built world (its parameters, a
recorder, prices and its own state), so a change to either rollout mode or to an effect fails
here, not only in the golden regression files.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caresim.model import personal_budgets as pbm
from caresim.model.population import ARRANGED, DIRECT_PAYMENT, MANAGED_PB
from caresim.recording import Recorder
from caresim.scenario import load_scenario

N = 2


@functools.cache
def _baseline():
    return load_scenario("baseline")


def world(mode: str = "conversion", **values: float) -> SimpleNamespace:
    """What personal_budgets.py reads and writes, with the baseline's section changed by
    ``values`` (parameter name -> value)."""
    base = _baseline()
    changes = {"personal_budgets.rollout_mode.value": mode}
    for name, v in values.items():
        changes[f"personal_budgets.{name}.value"] = v
        changes[f"personal_budgets.{name}.source"] = "test"
        changes[f"personal_budgets.{name}.range"] = None
    p = base.replace(changes, source="test").params
    s = SimpleNamespace(p=p, rec=Recorder(1, N), n=N,
                        finance=SimpleNamespace(price_index=np.array([1.0, 1.1])),
                        personal_budgets=pbm.init_state(N))
    s.rec.month = 0
    return s


def flow(s: SimpleNamespace, name: str) -> np.ndarray:
    return s.rec.values[0, :, s.rec.index[name]]


def test_conversion_gives_dps_on_request_whatever_the_offer() -> None:
    s = world("conversion", dp_request_18_64=0.3, dp_request_65plus=0.1)
    accept = s.p.services.p_accept_pb.value
    u = np.array([[0.9, 0.0, 0.2],     # not offered, asks for a DP (18-64)
                  [0.9, 0.0, 0.2],     # not offered, does not ask (65+: 0.2 >= 0.1)
                  [0.0, accept / 2, 0.9],  # offered and converted: managed PB
                  [0.0, min(accept + 0.01, 0.999), 0.9]])  # offered, not carried through
    offered = u[:, 0] < 0.5
    age = np.array([0, 1, 1, 1])
    takes, mode = pbm.decide(s, u, offered, age)
    assert mode.tolist() == [DIRECT_PAYMENT, ARRANGED, MANAGED_PB, ARRANGED]
    assert takes.tolist() == [True, False, True, False]


def test_acceptance_gives_nothing_without_an_offer() -> None:
    s = world("acceptance")
    sv = s.p.services
    u = np.array([[0.9, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.999],
                  [0.0, min(sv.p_accept_pb.value + 0.01, 0.999), 0.0]])
    offered = u[:, 0] < 0.5
    takes, mode = pbm.decide(s, u, offered, np.zeros(4, np.int8))
    assert mode.tolist() == [ARRANGED, DIRECT_PAYMENT, MANAGED_PB, ARRANGED]
    assert takes.tolist() == [False, True, True, False]


@settings(max_examples=30, deadline=None)
@given(managed=st.floats(0.8, 1.2), dp=st.floats(0.8, 1.2), planning=st.floats(0.0, 800.0))
def test_take_up_applies_the_cost_ratios_and_books_planning(managed: float, dp: float,
                                                            planning: float) -> None:
    s = world(cost_ratio_managed_pb=managed, cost_ratio_dp=dp,
              support_planning_gbp_per_conversion=planning)
    council = np.array([0, 1, 1, 0])
    mode = np.array([ARRANGED, MANAGED_PB, DIRECT_PAYMENT, DIRECT_PAYMENT], np.int8)
    ratio = pbm.take_up(s, council, mode)
    np.testing.assert_allclose(ratio, [1.0, managed, dp, dp])
    # planning for each new PB or DP at the council's prices; none for arranged support
    np.testing.assert_allclose(flow(s, "pb_support_planning_gbp"),
                               [planning * 1.0, 2 * planning * 1.1])
    np.testing.assert_allclose(flow(s, "spend_pb_process_gbp"), flow(s, "pb_support_planning_gbp"))
    np.testing.assert_array_equal(s.personal_budgets.dp_in_fy, [1, 1])


def test_month_end_books_support_less_clawback() -> None:
    s = world(dp_support_gbp_per_dp_year=240.0, dp_clawback_share=0.05)
    process = pbm.month_end(s, np.array([10.0, 0.0]), np.array([1000.0, 500.0]))
    np.testing.assert_allclose(flow(s, "dp_support_gbp"), [10 * 240.0 / 12, 0.0])
    np.testing.assert_allclose(flow(s, "dp_clawback_gbp"), [50.0, 25.0])
    np.testing.assert_allclose(process, [200.0 - 50.0, -25.0])


def test_moves_to_care_homes_scale_only_for_pb_holders() -> None:
    s = world(hazard_ratio_residential=0.8)
    ratio = pbm.move_ratio(s, np.array([ARRANGED, MANAGED_PB, DIRECT_PAYMENT], np.int8))
    np.testing.assert_allclose(ratio, [1.0, 0.8, 0.8])


def test_an_unknown_rollout_mode_is_refused() -> None:
    with pytest.raises(Exception, match="expected one of acceptance, conversion"):
        world("lottery")


# ------------------------------------------------- the starting state (issue 16 with issue 14)

def _with(**values: float):
    """The baseline with parameters (dotted path -> value) set for a test."""
    changes = {}
    for path, v in values.items():
        path = path.replace("__", ".")
        changes.update({f"{path}.value": v, f"{path}.source": "test", f"{path}.range": None})
    return _baseline().replace(changes, source="test")


@settings(max_examples=50, deadline=None)
@given(pb=st.floats(0.0, 0.2), d=st.floats(0.0, 1.0), q=st.floats(0.0, 1.0),
       s65=st.floats(0.3, 0.9))
def test_starting_modes_give_the_pb_share_dp_share_and_dp_age_mix(pb, d, q, s65) -> None:
    """Over a council's community users (a share ``s65`` aged 65+), the starting modes hold
    PBs in the share ``pb_share_start``, direct payments in the share ``dp_share_of_pb_start``
    of them, and direct payment holders aged 65+ in the share ``dp_share_65plus_start``."""
    from caresim.model.initial import starting_modes

    p = _with(population__dp_share_of_pb_start=d,
              personal_budgets__dp_share_65plus_start=q).params
    weights = np.array([1 - s65, s65])
    p_dp, p_man = starting_modes(p, np.full(2, pb), np.full(2, s65), np.array([0, 1]))
    assert np.all(p_dp >= 0) and np.all(p_man >= 0) and np.all(p_dp + p_man <= 1 + 1e-12)
    dp = weights * p_dp
    if pb * d * max(q / s65, (1 - q) / (1 - s65)) <= 1:  # no band is saturated
        assert dp.sum() == pytest.approx(pb * d, abs=1e-12)
        assert (weights * (p_dp + p_man)).sum() == pytest.approx(pb, abs=1e-12)
        if pb * d > 0:
            assert dp[1] / dp.sum() == pytest.approx(q, abs=1e-9)


def test_the_flows_give_eligible_people_the_places_net_of_deadweight_episodes() -> None:
    """The steady state's reablement places for eligible people are the budget's places less
    the share of episodes that go to people who would not have had a package, and its episodes
    a year include those; the PB care-home move ratio enters the move probability by the
    starting PB share."""
    from caresim.councils import select_councils
    from caresim.model import flows
    from caresim.model.initial import steady_start
    from caresim.model.inputs import derive_inputs

    base = _baseline()
    codes = select_councils(["Birmingham"])

    def steady(sc):
        p = sc.params
        return steady_start(p, derive_inputs(p, codes), p.run.start_date)[1]

    none = _with(reablement__share_episodes_not_eligible=0.0)
    half = _with(reablement__share_episodes_not_eligible=0.5)
    a, b = steady(none), steady(half)
    eligible_a = a.reablement_per_year
    eligible_b = b.reablement_per_year * 0.5
    # about half (the places follow the budget, which follows the stocks, so not exactly)
    assert eligible_b[0] == pytest.approx(eligible_a[0] / 2, rel=0.05)
    assert b.reabling.sum() < a.reabling.sum() and b.independent.sum() < a.independent.sum()
    p = base.params
    ratio = _with(personal_budgets__hazard_ratio_residential=0.8).params
    b0 = p.population.pb_share_start.value
    assert flows.move_probability(ratio) == pytest.approx(
        p.reviews.p_move_residential_when_critical.value * (1 - 0.2 * b0))
    assert flows.move_probability(p) == p.reviews.p_move_residential_when_critical.value
