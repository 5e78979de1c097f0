"""The calibration's solver on a model whose truth is known: a linear response of every fitted
figure to the calibrated parameters. It must recover the truth, keep to its budget, and a fit
to 2010-11 must never see a 2011-12 figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caresim.analysis import calibration as cal
from caresim.errors import InputError
from caresim.scenario import ResolvedScenario, load_scenario


@pytest.fixture(scope="module")
def prior() -> ResolvedScenario:
    return load_scenario("prior")


def scaled(params: ResolvedScenario, candidate: ResolvedScenario) -> np.ndarray:
    """The candidate's calibrated parameters on the [0, 1] scale of their prior ranges."""
    out = []
    for leaf in cal.leaves(params):
        node, base = candidate.get(leaf.path), params.get(leaf.path)
        if leaf.dated:
            first = next(iter(base.values))
            x = node.values[first] / base.values[first]
        else:
            x = node.value
        out.append((x - leaf.low) / (leaf.high - leaf.low))
    return np.array(out)


def linear_model(params: ResolvedScenario, truth: np.ndarray, seed: int = 1,
                 corrupt_after: str | None = None, corruption: float = 0.0):
    """An ``evaluate`` whose every figure is on target exactly at ``truth``; figures after
    ``corrupt_after`` are off by ``corruption`` (a share of their value) wherever it runs."""
    targets = cal.fitted_targets()
    a = np.random.default_rng(seed).normal(0, 1, (len(targets), len(truth)))
    calls: list[np.ndarray] = []

    def evaluate(candidate: ResolvedScenario) -> pd.Series:
        u = scaled(params, candidate)
        calls.append(u)
        move = a @ (u - truth)
        values = {}
        for t, m in zip(targets, move, strict=True):
            v = t.value + 0.03 * m if t.unit == "fraction" else t.value * (1 + 0.05 * m)
            if corrupt_after and cal.target_year(t) > corrupt_after:
                v += corruption * abs(t.value)
            values[(t.series, t.period)] = v
        return pd.Series(values)

    return evaluate, calls


def test_recovers_the_truth_of_a_linear_model(prior) -> None:
    truth = np.linspace(0.2, 0.8, len(cal.PARAMETERS))
    evaluate, _ = linear_model(prior, truth)
    fit = cal.calibrate(prior, evaluate, max_evaluations=200)
    u = (fit.x - fit.identification["range_low"]) / (
        fit.identification["range_high"] - fit.identification["range_low"])
    np.testing.assert_allclose(u, truth, atol=1e-3)
    assert fit.objective < 1e-6
    assert fit.identification["identified"].all()
    assert fit.predictions.empty and fit.until == "2011-12"
    assert fit.components["within_goal"].all()


def test_keeps_to_its_budget_and_names_the_phases(prior) -> None:
    truth = np.full(len(cal.PARAMETERS), 0.3)
    evaluate, calls = linear_model(prior, truth)
    seen: list[tuple[int, str]] = []
    fit = cal.calibrate(prior, evaluate, max_evaluations=5,
                        progress=lambda n, v, phase: seen.append((n, phase)))
    phases = [p for _, p in seen]
    assert phases.count("search") == 5
    assert 0 < phases.count("identification") <= len(cal.PARAMETERS)
    assert phases == sorted(phases, key=lambda p: p != "search")  # search first
    assert fit.evaluations == len(calls) == len(seen)
    assert [n for n, _ in seen] == list(range(1, len(seen) + 1))
    # the best point found is never worse than the start
    assert fit.objective <= fit.history[0][1]


def test_a_fit_to_2010_11_never_sees_2011_12(prior) -> None:
    truth = np.linspace(0.3, 0.7, len(cal.PARAMETERS))
    fits = []
    for corruption in (0.0, 0.5):
        evaluate, _ = linear_model(prior, truth, corrupt_after="2010-11",
                                   corruption=corruption)
        fits.append(cal.calibrate(prior, evaluate, max_evaluations=60, until="2010-11"))
    clean, corrupted = fits
    np.testing.assert_array_equal(clean.x, corrupted.x)
    assert all(cal.target_year(t) <= "2010-11" for t in clean.targets)
    assert len(clean.predictions) == len(cal.predicted_targets("2010-11")) > 0
    assert all(cal.target_year(t) == "2011-12" for t in cal.predicted_targets("2010-11"))
    np.testing.assert_allclose(clean.predictions["scaled_residual"], 0, atol=0.05)
    # the corrupted 2011-12 figures show up only as prediction errors
    assert (corrupted.predictions["scaled_residual"].abs() > 1).all()


@pytest.mark.parametrize("until", ["2012-13", "2007-08", "2011", "to 2010-11", "next year"])
def test_fit_until_outside_the_fitting_window_is_bad_input(until) -> None:
    with pytest.raises(InputError, match="--fit-until"):
        cal.check_until(until)


def test_fit_until_names_a_financial_year() -> None:
    assert [cal.check_until(y) for y in ("2008-09", "2010-11", "2011-12")] == [
        "2008-09", "2010-11", "2011-12"]
    assert [cal.target_year(t) for t in cal.predicted_targets("2009-10")] and all(
        "2009-10" < cal.target_year(t) <= "2011-12" for t in cal.predicted_targets("2009-10"))
