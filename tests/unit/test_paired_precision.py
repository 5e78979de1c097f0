"""The precision rule of ``--replications auto`` (issue 19, point 1: shares by an absolute
half-width in points, levels by a relative one) and the pairing of ``compare`` under parameter
uncertainty (issue 16: a pair is a parameter set and a replication)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caresim.analysis.compare import paired_differences, paired_values
from caresim.analysis.replications import (
    describe,
    enough,
    half_widths,
    next_batch,
    reached,
    reached_points,
    record,
)
from caresim.results import COVERS_PARAMETERS, COVERS_RANDOMNESS


def table(values: dict[str, tuple[str, list[float]]]) -> pd.DataFrame:
    """``replication, indicator, unit, value`` from indicator -> (unit, values by replication)."""
    return pd.DataFrame([{"replication": r, "indicator": k, "unit": unit, "value": v}
                         for k, (unit, xs) in values.items() for r, v in enumerate(xs)])


def test_a_small_share_converges_by_points_where_a_relative_rule_never_would() -> None:
    """Rutland-like: a PB share of about 3% whose runs differ by half a point. Its relative
    half-width is about 20%, so a 5% relative rule would go on; it is within one point."""
    shares = [0.030, 0.025, 0.035, 0.030, 0.028, 0.032]
    t = table({"pb": ("fraction", shares), "spend": ("GBP", [100.0, 101, 99, 100, 100, 100])})
    h = half_widths(t)
    assert h.loc["pb", "relative"] > 0.05 and h.loc["pb", "half"] < 0.01
    assert not enough(t, 0.05)  # every indicator judged relatively
    assert enough(t, 0.05, share_precision=0.01)
    assert not enough(t, 0.05, share_precision=0.001)
    assert reached_points(t) == pytest.approx(h.loc["pb", "half"])
    assert reached(t) == pytest.approx(h.loc["spend", "relative"])  # levels only


def test_a_level_is_still_judged_relative_to_its_scale() -> None:
    t = table({"spend": ("GBP", [100.0, 120, 80])})
    assert not enough(t, 0.05, share_precision=0.01)
    # a paired difference near zero is judged against the level it is a difference of
    d = table({"spend": ("GBP", [0.1, -0.1, 0.0])})
    assert not enough(d, 0.05, share_precision=0.01)
    assert enough(d, 0.05, share_precision=0.01, scale={"spend": 100.0})


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 0.2), min_size=3, max_size=12), st.floats(0.0, 0.7),
       st.floats(0.001, 0.05))
def test_a_shares_verdict_does_not_move_with_its_level(xs: list[float], shift: float,
                                                       points: float) -> None:
    """Absolute: adding the same amount to every run moves neither the half-width nor the
    verdict (a relative rule's verdict would move)."""
    a = table({"pb": ("fraction", xs)})
    b = table({"pb": ("fraction", [x + shift for x in xs])})
    assert half_widths(a).loc["pb", "half"] == pytest.approx(half_widths(b).loc["pb", "half"],
                                                            abs=1e-12)
    ha = half_widths(a).loc["pb", "half"]
    if abs(ha - points) > 1e-9:
        assert enough(a, 0.05, share_precision=points) == enough(b, 0.05,
                                                                share_precision=points)


def test_next_batch_grows_and_stops_at_the_cap() -> None:
    assert [next_batch(d, 3, 20) for d in (0, 3, 6, 9, 13, 19, 20)] == [3, 3, 3, 4, 6, 1, 0]


def test_record_and_describe_say_both_rules() -> None:
    t = table({"pb": ("fraction", [0.30, 0.40, 0.35]), "spend": ("GBP", [100.0, 100, 101])})
    p = record(t, 0.05, 3, 0.01)
    assert p["met"] is False and p["stopped_at_cap"] is True and p["cap"] == 3
    assert p["share_asked"] == 0.01 and p["share_reached"] == pytest.approx(reached_points(t))
    text = describe({"replications": 3, "precision": p})
    assert "within 5.0% of its level for levels and within 1.0 points for shares" in text
    assert f"{p['share_reached'] * 100:.1f} points for shares, not 5.0% and 1.0 points" in text
    assert "the cap of 3 replications stopped it first" in text
    p = record(t, 0.05, 200, 1.0)
    assert p["met"] is True and "not" not in describe({"replications": 3, "precision": p})


def runs(sets: int, reps: int, effect: list[float], seed: int) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    """Per-run values of A and of B = A + effect[set]: B - A is exactly the set's effect
    when, and only when, each run is paired with the same set and replication."""
    rng = np.random.default_rng(seed)
    rows_a, rows_b = [], []
    for k in range(sets):
        for r in range(reps):
            x = float(rng.normal(10.0 * k, 1.0))  # sets differ much more than replications
            base = {"parameter_set": k, "replication": r, "indicator": "x", "unit": "people"}
            rows_a.append({**base, "value": x})
            rows_b.append({**base, "value": x + effect[k]})
    return pd.DataFrame(rows_a), pd.DataFrame(rows_b)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5), st.integers(1, 4), st.data())
def test_pairs_are_a_parameter_set_and_a_replication(sets: int, reps: int, data) -> None:
    effect = data.draw(st.lists(st.floats(-5, 5), min_size=sets, max_size=sets))
    a, b = runs(sets, reps, effect, data.draw(st.integers(0, 2**16)))
    b = b.sample(frac=1.0, random_state=1)  # the order of the rows does not pair them
    pairs = paired_values(a, b).sort_values(["parameter_set", "replication"])
    assert np.allclose(pairs["value"], np.repeat(effect, reps))
    d = paired_differences(a, b).iloc[0]
    assert d["n"] == sets * reps and d["covers"] == COVERS_PARAMETERS
    diffs = np.repeat(effect, reps)
    assert d["diff"] == pytest.approx(diffs.mean())
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    assert (d["diff_ci_low"], d["diff_ci_high"]) == pytest.approx((lo, hi))
    # the ranges of each level are ranges over sets and replications, not of a mean
    assert d["a_ci_low"] == pytest.approx(np.quantile(a["value"], 0.025))


def test_a_mispairing_is_caught() -> None:
    """Pairing set k of A with another set of B (or by replication alone) would mix the sets'
    spread into the difference: the paired range would be as wide as the unpaired one."""
    a, b = runs(4, 3, [1.0, 1.0, 1.0, 1.0], seed=3)
    d = paired_differences(a, b).iloc[0]
    assert d["diff_ci_low"] == pytest.approx(1.0) and d["diff_ci_high"] == pytest.approx(1.0)
    assert d["unpaired_ci_high"] - d["unpaired_ci_low"] > 20  # sets 10 apart
    shifted = b.assign(parameter_set=(b["parameter_set"] + 1) % 4)
    wrong = paired_differences(a, shifted).iloc[0]
    assert wrong["diff_ci_high"] - wrong["diff_ci_low"] > 20
    with pytest.raises(pd.errors.MergeError):  # by replication alone: not one to one
        paired_values(a.drop(columns="parameter_set"),
                      b.drop(columns="parameter_set").assign(parameter_set=0))


def test_one_parameter_set_keeps_the_confidence_interval_of_the_mean() -> None:
    a, b = runs(1, 6, [2.0], seed=1)
    b.loc[b["replication"] == 0, "value"] += 1.0
    d = paired_differences(a.drop(columns="parameter_set"), b.drop(columns="parameter_set"))
    row = d.iloc[0]
    assert row["covers"] == COVERS_RANDOMNESS
    x = np.array([3.0] + [2.0] * 5)
    from scipy import stats
    half = stats.t.ppf(0.975, 5) * x.std(ddof=1) / np.sqrt(6)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((x.mean() - half,
                                                                       x.mean() + half))
