"""The engine against the per-person reference model (the oracle), within Monte Carlo error.

``benchmarks/reference.py`` is the same model with one simpy process per person. Here both run
``R`` independent replications of a few small councils; for every financial year and every
statistic of :func:`benchmarks.reference.fy_statistics` (PB shares on both measures with their
numerators and denominators, stocks at 31 March, exits, reviews, assessments, starts, waits...)
the two means are compared by a two-sample (Welch) z statistic. The test asserts that no
``|z|`` passes the Bonferroni bound for a family-wise error rate :data:`ALPHA`, and that the
root mean square of the z values is consistent with 1 (below :data:`RMS_MAX`).

It must be able to fail: :func:`test_detects_a_ten_percent_error_in_the_review_rate` runs the
engine with reviews 10% more frequent (``reviews.interval_days`` = 365 / 1.1) and asserts that
the same comparison rejects it.
"""

from __future__ import annotations

import functools
import json
from statistics import NormalDist

import numpy as np
import pytest
import simpy

from benchmarks.reference import Staff, fy_statistics, run_reference
from caresim.councils import select_councils
from caresim.model.model import run_replication
from caresim.params.schema import Scenario
from tests.conftest import NO_RATIONING, params_with

COUNCILS = ("Rutland", "Isles of Scilly")
"""Small councils: Rutland's queues saturate after the staff cuts; Scilly has one server."""
END = "2013-03-31"
"""Five financial years, 2008-09 to 2012-13."""
R = 20
"""Replications of each model."""
ALPHA = 0.01
"""Family-wise error rate of the Bonferroni bound."""
RMS_MAX = 1.5
"""Largest root mean square z accepted as consistent with 1."""

Stats = dict[str, np.ndarray]


@functools.cache
def _replications(model: str, params_json: str, councils: tuple[str, ...], reps: int) -> Stats:
    """``fy_statistics`` of ``reps`` replications, stacked: ``[replication, year]``."""
    params = Scenario.model_validate(json.loads(params_json))
    run = {"engine": run_replication, "oracle": run_reference}[model]
    codes = select_councils(list(councils))
    runs = [fy_statistics(run(params, codes, r)) for r in range(reps)]
    return {k: np.array([x[k] for x in runs]) for k in runs[0]}


def replications(model: str, params: Scenario, councils: tuple[str, ...] = COUNCILS,
                 reps: int = R) -> Stats:
    """Statistics of ``reps`` replications of ``model`` ("engine" or "oracle"), cached."""
    return _replications(model, json.dumps(params.model_dump(mode="json"), sort_keys=True),
                         councils, reps)


def z_scores(a: Stats, b: Stats) -> dict[str, np.ndarray]:
    """Welch z of the difference of means, per statistic and year.

    Where both samples have no variance (e.g. reablement places that bind every time) the
    statistic carries no information and is left out.
    """
    out = {}
    for k in a:
        se = np.sqrt(a[k].var(axis=0, ddof=1) / len(a[k]) + b[k].var(axis=0, ddof=1) / len(b[k]))
        diff = a[k].mean(axis=0) - b[k].mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[k] = np.where(se > 0, diff / se, np.where(diff == 0, np.nan, np.inf))
    return out


def bonferroni_bound(m: int, alpha: float = ALPHA) -> float:
    """|z| bound for ``m`` two-sided tests at family-wise error rate ``alpha``."""
    return NormalDist().inv_cdf(1 - alpha / (2 * m))


def summary(z: dict[str, np.ndarray], top: int = 8) -> tuple[np.ndarray, str]:
    """All finite z values, and a text summary: count, RMS, bound and the largest."""
    flat = [(abs(v), k, i, v) for k, zs in z.items() for i, v in enumerate(zs) if np.isfinite(v)]
    values = np.array([v for *_, v in flat])
    bound = bonferroni_bound(len(values))
    worst = sorted(flat, reverse=True)[:top]
    text = (f"{len(values)} z values, RMS {np.sqrt(np.mean(values ** 2)):.2f}, "
            f"max |z| {worst[0][0]:.2f}, Bonferroni bound {bound:.2f}; largest: "
            + ", ".join(f"{k}[{2008 + i}-{(9 + i) % 100:02d}] {v:+.2f}" for _, k, i, v in worst))
    return values, text


def _check_agreement(engine: Stats, oracle: Stats) -> str:
    values, text = summary(z_scores(engine, oracle))
    print(text)
    assert float(np.max(np.abs(values))) <= bonferroni_bound(len(values)), text
    assert float(np.sqrt(np.mean(values ** 2))) < RMS_MAX, text
    return text


def test_staff_follow_the_engine_server_pool_rules() -> None:
    """The oracle's resizable team: removed busy servers finish their work; added servers take
    the people waiting at once; with no servers nobody is served."""
    env = simpy.Environment()
    team = Staff(env, 2)
    starts: dict[int, float] = {}

    def job(i: int, arrive: float):
        yield env.timeout(arrive)
        with team.request() as req:
            yield req
            starts[i] = env.now
            yield env.timeout(10.0)

    for i, arrive in enumerate((0.0, 1.0, 2.0, 3.0, 4.0)):
        env.process(job(i, arrive))
    env.run(until=5.0)
    team.set_servers(1)         # two busy (free at 10 and 11): the next starts at 11
    env.run(until=10.5)
    assert starts == {0: 0.0, 1: 1.0}
    env.run(until=12.0)
    assert starts[2] == 11.0
    team.set_servers(3)         # two more servers now: both waiting people start at once
    env.run(until=12.5)
    assert starts[3] == starts[4] == 12.0
    team.set_servers(0)
    env.process(job(5, 0.0))
    env.run(until=100.0)
    assert 5 not in starts


def test_engine_agrees_with_the_oracle() -> None:
    """Five years, two small councils: no difference beyond Monte Carlo error."""
    params = params_with("baseline", **NO_RATIONING, **{"run.end_date": END})
    _check_agreement(replications("engine", params), replications("oracle", params))


def test_detects_a_ten_percent_error_in_the_review_rate() -> None:
    """The comparison has the power to fail: reviews 10% more frequent in one model only.

    The error is put in the engine, so the oracle's replications are the ones
    :func:`test_engine_agrees_with_the_oracle` made (cached): the comparison is symmetric in
    the two models, and the engine is ten times faster than the per-person oracle.
    """
    params = params_with("baseline", **NO_RATIONING, **{"run.end_date": END})
    wrong = params_with("baseline", **NO_RATIONING, **{"run.end_date": END,
                                       "reviews.interval_days.value": 365 / 1.1})
    z = z_scores(replications("engine", wrong), replications("oracle", params))
    values, text = summary(z)
    print(text)
    bound = bonferroni_bound(len(values))
    margin = np.nanmax(np.abs(z["reviews"])) / bound
    print(f"power check: max |z| on reviews {np.nanmax(np.abs(z['reviews'])):.1f} "
          f"= {margin:.1f} x the bound")
    assert margin > 2, text                    # detected, with room to spare
    assert np.all(z["reviews"] > 0), text      # and in the right direction: too many reviews


@pytest.mark.slow
def test_engine_agrees_with_the_oracle_over_twelve_years() -> None:
    """The full run (2008-09 to 2019-20), three councils, including Hartlepool's queues."""
    params = params_with("baseline", **NO_RATIONING)
    councils = ("Hartlepool", "Rutland", "Isles of Scilly")
    _check_agreement(replications("engine", params, councils),
                     replications("oracle", params, councils))
