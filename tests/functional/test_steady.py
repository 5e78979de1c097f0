"""A population that stands still when nothing changes (issue 14, functional tier).

The bundled ``steady`` scenario holds demand, funding, thresholds and policy at their April
2008 values, and the starting state is the flows' own steady state, so every stock by age band
and setting must stay within 3% of its 1 April 2008 value over the whole horizon (mean over
replications) and each council's total within 10%. The default tier runs a few councils; the
slow tier runs all of England.

It must be able to fail: :func:`test_a_start_off_the_steady_state_is_caught` runs the same
check on a start that is not the steady state of the flows run (from May 2008 community users
18-64 leave 20% faster than in the flows that drew the starting state) and asserts that it is
rejected.
"""

from __future__ import annotations

import numpy as np
import pytest

from caresim.councils import load_councils, select_councils
from caresim.model import flows
from caresim.model.initial import steady_start
from caresim.model.inputs import derive_inputs
from caresim.model.model import run_replication
from caresim.model.population import COMMUNITY, RESIDENTIAL
from caresim.params.schema import Scenario
from caresim.recording import INDEX
from tests.conftest import params_with

COUNCILS = ("Birmingham", "Rutland", "Hartlepool", "Darlington", "Torbay", "Halton")
"""A few councils, one large, so that each national stock by age band and setting holds
enough people for a 3% check with a few replications."""
R = 4
"""Replications (the criterion is on their mean)."""
NATIONAL_TOL = 0.03
COUNCIL_TOL = 0.10
STOCKS = [(st, age, flows.metric_name(st, age)) for st in (COMMUNITY, RESIDENTIAL)
          for age in (0, 1)]


def runs(params: Scenario, codes: list[str], reps: int) -> list[np.ndarray]:
    """The monthly tables of ``reps`` replications."""
    return [run_replication(params, codes, r).monthly for r in range(reps)]


def deviations(params: Scenario, codes: list[str], reps: int,
               monthly: list[np.ndarray] | None = None) -> tuple[dict[str, float], np.ndarray]:
    """Largest relative deviation over the horizon of the mean (over ``reps``) of each
    national stock by setting and age band from its 1 April 2008 value, and of each council's
    total from its own (one per council)."""
    _, steady = steady_start(params, derive_inputs(params, codes), params.run.start_date)
    start = flows.whole_counts(steady.in_service).sum(axis=3)  # [council, age, setting]
    mean = sum(monthly or runs(params, codes, reps)) / reps
    national = {name: np.max(np.abs(mean[:, :, INDEX[name]].sum(axis=1)
                                    / start[:, age, st].sum() - 1))
                for st, age, name in STOCKS}
    total = mean[:, :, INDEX["users_community"]] + mean[:, :, INDEX["users_residential"]]
    council = np.max(np.abs(total / start.sum(axis=(1, 2))[None, :] - 1), axis=0)
    return national, council


@pytest.fixture(scope="module")
def steady_params() -> Scenario:
    return params_with("steady")


def test_stocks_by_age_and_setting_stand_still(steady_params) -> None:
    national, council = deviations(steady_params, select_councils(list(COUNCILS)), R)
    assert all(d < NATIONAL_TOL for d in national.values()), national
    assert council.max() < COUNCIL_TOL, council


def test_a_start_off_the_steady_state_is_caught(steady_params) -> None:
    """The same check rejects a start that is not the steady state of the flows run."""
    h = steady_params.exits.hazard_community_18_64.at(steady_params.run.start_date)
    drifting = params_with("steady", **{"exits.hazard_community_18_64.values":
                                        {"2008-04-01": h, "2008-05-01": 1.2 * h}})
    national, _ = deviations(drifting, select_councils(list(COUNCILS)), 1)
    assert national["users_community_18_64"] > NATIONAL_TOL, national


def test_stock_metrics_partition_the_users(steady_params) -> None:
    """The four stocks by age band and setting add up to the stocks by setting."""
    v = run_replication(steady_params, select_councils(["Rutland"]), 0).monthly
    for st, name in ((COMMUNITY, "users_community"), (RESIDENTIAL, "users_residential")):
        parts = sum(v[:, :, INDEX[flows.metric_name(st, age)]] for age in (0, 1))
        np.testing.assert_array_equal(parts, v[:, :, INDEX[name]])


SMALL_REPS = 30
"""Replications for a council whose three-replication mean is off by more than 10%: such
councils are a few dozen people (the Isles of Scilly, the City of London), whose mean over three
runs is noise, not drift."""


@pytest.mark.slow
def test_all_england_stands_still(steady_params) -> None:
    """``caresim run steady`` for all England: the criterion of issue 14. Councils are
    independent (each has its own streams: a council run alone follows the same path as in the
    England run, which the test checks), so a council whose mean over three replications is off
    by more than 10% is run alone with more replications before it is judged."""
    codes = load_councils()["code"].tolist()
    monthly = runs(steady_params, codes, 3)
    national, council = deviations(steady_params, codes, 3, monthly)
    assert all(d < NATIONAL_TOL for d in national.values()), national
    worst = {}
    for i in np.flatnonzero(council >= COUNCIL_TOL):
        alone = runs(steady_params, [codes[i]], SMALL_REPS)
        np.testing.assert_array_equal(alone[0][:, 0], monthly[0][:, i])
        worst[codes[i]] = float(deviations(steady_params, [codes[i]], SMALL_REPS, alone)[1][0])
    assert all(d < COUNCIL_TOL for d in worst.values()), worst
