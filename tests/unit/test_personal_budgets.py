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
