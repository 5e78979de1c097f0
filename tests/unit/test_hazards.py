"""Event times from piecewise-constant hazards (inverse of the cumulative hazard)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from caresim.calendar import DAYS_PER_YEAR
from caresim.model.hazards import PiecewiseHazard

INF = np.inf


def rng(seed: int = 12345) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


@pytest.mark.parametrize("t0", [0.0, 250.0])
def test_constant_hazard_gives_exponential_times(t0: float) -> None:
    rate = 0.45  # per year
    h = PiecewiseHazard(np.array([-INF]), np.array([rate]))
    n = 40_000
    e = rng().exponential(size=n)
    times = h.draw_times(np.full(n, t0), e) - t0
    mean = DAYS_PER_YEAR / rate
    se = mean / math.sqrt(n)  # the sd of an exponential equals its mean
    assert abs(times.mean() - mean) < 4 * se
    assert abs(times.std() - mean) < 0.05 * mean
    assert np.all(times > 0)
    # exact, not just in distribution: T = E / rate
    np.testing.assert_allclose(times, e * mean, rtol=1e-9)


def two_piece() -> tuple[PiecewiseHazard, float, float, float]:
    r1, r2, b = 0.2, 1.0, 365.0  # 0.2/year for the first year, then 1/year
    return PiecewiseHazard(np.array([-INF, b]), np.array([r1, r2])), r1, r2, b


def analytic_survival(t: float, r1: float, r2: float, b: float) -> float:
    if t < b:
        return math.exp(-r1 * t / DAYS_PER_YEAR)
    return math.exp(-(r1 * b + r2 * (t - b)) / DAYS_PER_YEAR)


@pytest.mark.parametrize("t", [30.0, 200.0, 365.0, 500.0, 1000.0])
def test_two_piece_hazard_matches_analytic_survival(t: float) -> None:
    h, r1, r2, b = two_piece()
    expected = analytic_survival(t, r1, r2, b)
    assert math.exp(-float(h.cumulative(t))) == pytest.approx(expected, rel=1e-12)
    n = 40_000
    times = h.draw_times(np.zeros(n), rng(7).exponential(size=n))
    observed = float(np.mean(times > t))
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) < 4 * se


def test_cumulative_values() -> None:
    h = PiecewiseHazard(np.array([-INF, 100.0, 300.0]),
                        np.array([DAYS_PER_YEAR, 0.0, 2 * DAYS_PER_YEAR]))
    # rates of 1, 0 and 2 per day
    np.testing.assert_allclose(h.cumulative(np.array([-10.0, 0.0, 50.0, 100.0, 200.0, 300.0,
                                                      310.0])),
                               [-10.0, 0.0, 50.0, 100.0, 100.0, 100.0, 120.0])


def test_inverse_of_cumulative_is_identity() -> None:
    days = np.array([-INF, 10.0, 100.0, 400.0, 1000.0])
    rates = np.array([0.3, 2.0, 0.05, 1.2, 0.7])
    h = PiecewiseHazard(days, rates)
    t = np.concatenate([np.linspace(0.0, 3000.0, 601), days[1:]])
    np.testing.assert_allclose(h.inverse(h.cumulative(t)), t, rtol=1e-9, atol=1e-7)
    # and the other way round
    targets = np.linspace(0.0, 8.0, 97)
    np.testing.assert_allclose(h.cumulative(h.inverse(targets)), targets, rtol=1e-9, atol=1e-12)


def test_draw_times_are_after_start_and_increase_with_e() -> None:
    h = PiecewiseHazard(np.array([-INF, 365.0]), np.array([0.5, 0.1]))
    t0 = np.array([0.0, 100.0, 364.0, 365.0, 2000.0])
    e = np.full(5, 0.3)
    t = h.draw_times(t0, e)
    assert np.all(t > t0)
    assert np.all(h.draw_times(t0, e * 2) > t)
    np.testing.assert_allclose(h.cumulative(t) - h.cumulative(t0), e)


def test_zero_hazard_on_last_piece_gives_inf() -> None:
    h = PiecewiseHazard(np.array([-INF, 100.0]), np.array([DAYS_PER_YEAR, 0.0]))  # 1/day, then 0
    t = h.draw_times(np.zeros(4), np.array([0.5, 99.0, 100.5, 1e6]))
    np.testing.assert_allclose(t[:2], [0.5, 99.0])
    assert np.all(np.isinf(t[2:]))
    # nobody whose clock starts after the hazard ends has an event
    assert np.all(np.isinf(h.draw_times(np.full(3, 150.0), np.array([1e-9, 1.0, 5.0]))))


def test_zero_hazard_in_a_middle_piece_skips_it() -> None:
    h = PiecewiseHazard(np.array([-INF, 100.0, 200.0]),
                        np.array([DAYS_PER_YEAR, 0.0, DAYS_PER_YEAR]))
    t = h.draw_times(np.array([0.0, 0.0, 150.0]), np.array([99.0, 101.0, 3.0]))
    np.testing.assert_allclose(t, [99.0, 201.0, 203.0])


def test_all_zero_hazard_gives_inf() -> None:
    h = PiecewiseHazard(np.array([-INF]), np.array([0.0]))
    assert np.all(np.isinf(h.draw_times(np.zeros(3), np.array([0.1, 1.0, 10.0]))))


def test_finite_first_breakpoint() -> None:
    """A first breakpoint after day 0: the first rate holds before it too."""
    h = PiecewiseHazard(np.array([50.0, 100.0]), np.array([DAYS_PER_YEAR, 2 * DAYS_PER_YEAR]))
    np.testing.assert_allclose(h.cumulative(np.array([0.0, 50.0, 100.0, 110.0])),
                               [0.0, 50.0, 100.0, 120.0])


@pytest.mark.parametrize(("days", "rates"), [
    (np.array([-INF, 10.0]), np.array([1.0])),
    (np.array([]), np.array([])),
    (np.array([[-INF]]), np.array([[1.0]])),
])
def test_bad_shapes_rejected(days: np.ndarray, rates: np.ndarray) -> None:
    with pytest.raises(ValueError, match="same non-zero length"):
        PiecewiseHazard(days, rates)


def test_negative_hazard_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        PiecewiseHazard(np.array([-INF, 10.0]), np.array([1.0, -0.1]))


def test_inputs_not_modified() -> None:
    days = np.array([-INF, 10.0])
    PiecewiseHazard(days, np.array([1.0, 2.0]))
    assert days[0] == -INF
