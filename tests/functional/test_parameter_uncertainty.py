"""`caresim run --parameter-uncertainty N`: parameter sets x replications, and what the
intervals then cover. The runs are the baseline for Rutland to March 2012: what is checked is
the plan, the draws and the tables, not later years."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from caresim.analysis.sampling import assumption_parameters
from caresim.app.run import run_scenario
from caresim.errors import InputError
from caresim.measures.targets import TargetReading
from caresim.period import parse_period
from caresim.results import COVERS_PARAMETERS as SUMMARY_COVERS
from caresim.runner import ExecutorSpec
from caresim.scenario import load_scenario
from caresim.scorecard import COVERS_PARAMETERS, COVERS_RANDOMNESS, _rows, wilson
from tests.conftest import scenario_until

SETS, REPS = 2, 2


@pytest.fixture(scope="module")
def short_baseline(tmp_path_factory) -> Path:
    return scenario_until(tmp_path_factory.mktemp("scenario"), "2012-03-31")


@pytest.fixture(scope="module")
def uncertain_run(tmp_path_factory, short_baseline: Path) -> Path:
    out = tmp_path_factory.mktemp("uncertain")
    folder, _ = run_scenario(str(short_baseline), out, replications=REPS, councils=["Rutland"],
                             spec=ExecutorSpec(workers=1), parameter_uncertainty=SETS)
    return folder


def test_every_set_runs_every_replication(uncertain_run: Path) -> None:
    ts = pd.read_parquet(uncertain_run / "timeseries.parquet")
    runs = ts[["parameter_set", "replication"]].drop_duplicates()
    assert len(runs) == SETS * REPS
    assert set(runs["replication"]) == set(range(REPS))  # common random numbers across sets
    # the sets are different draws of the assumptions: the model's results differ between them
    pb = ts[(ts["metric"] == "pb_share_adass") & (ts["replication"] == 0)
            & (ts["council_code"] == "E06000017")]
    last = pb[pb["date"] == pb["date"].max()]
    assert last["value"].nunique() == SETS


def test_manifest_records_the_draws(uncertain_run: Path, short_baseline: Path) -> None:
    manifest = json.loads((uncertain_run / "manifest.json").read_text())
    info = manifest["parameter_uncertainty"]
    assert info["parameter_sets"] == SETS
    assert manifest["precision"] is None  # its intervals are ranges, not a mean's precision
    params = load_scenario(str(short_baseline)).params
    assert info["parameters"] == sorted(
        s.path for s in assumption_parameters(params, include_calibrated=True))


def test_scorecard_and_summary_say_what_their_intervals_cover(uncertain_run: Path) -> None:
    card = pd.read_csv(uncertain_run / "scorecard.csv")
    assert (card["covers"] == COVERS_PARAMETERS).all()
    scored = card[card["n"] > 0]  # targets after March 2012 lie outside this run
    assert len(scored) > len(card) / 2 and (scored["n"] == SETS * REPS).all()
    assert scored["p_met"].between(scored["p_met_low"], scored["p_met_high"]).all()
    assert card.loc[card["n"] == 0, "verdict"].str.contains("after the run's end").all()
    summary = pd.read_parquet(uncertain_run / "summary.parquet")
    assert (summary["covers"] == SUMMARY_COVERS).all()
    manifest = json.loads((uncertain_run / "manifest.json").read_text())
    assert manifest["summary_csv"]["covers"] == SUMMARY_COVERS  # said once, not on every row


def test_same_seed_same_parameter_sets(uncertain_run: Path, short_baseline: Path,
                                      tmp_path: Path) -> None:
    again, _ = run_scenario(str(short_baseline), tmp_path, replications=REPS, councils=["Rutland"],
                            spec=ExecutorSpec(workers=2), parameter_uncertainty=SETS)
    pd.testing.assert_frame_equal(pd.read_parquet(uncertain_run / "timeseries.parquet"),
                                  pd.read_parquet(again / "timeseries.parquet"))


def test_parameter_uncertainty_needs_fixed_replications(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--parameter-uncertainty"):
        run_scenario("baseline", tmp_path, replications="auto", precision=0.01,
                     councils=["Rutland"], parameter_uncertainty=4)
    assert not any(tmp_path.iterdir())


def _per_run(oks: list[list[bool]]) -> pd.DataFrame:
    """Per-run values for one council: ``oks[set][replication]`` says whether it met 0.5."""
    rows = [{"council_code": "X", "replication": s * 1_000_000 + r, "value": 0.6 if ok else 0.4}
            for s, reps in enumerate(oks) for r, ok in enumerate(reps)]
    return pd.DataFrame(rows)


def test_interval_under_parameter_uncertainty_counts_sets_not_runs() -> None:
    # 4 sets x 5 replications: two sets always meet the target, two never; p = 0.5 either way
    oks = [[True] * 5, [True] * 5, [False] * 5, [False] * 5]
    target = TargetReading("t", "pb_share_adass", parse_period("2011-03-31"), threshold=0.5)
    runs = _rows(_per_run(oks), target, None, None, covers=COVERS_RANDOMNESS).iloc[0]
    sets = _rows(_per_run(oks), target, None, None, covers=COVERS_PARAMETERS).iloc[0]
    assert runs["p_met"] == sets["p_met"] == 0.5
    assert runs["n"] == sets["n"] == 20
    lo, hi = wilson(np.array([2.0]), np.array([4.0]))
    assert (sets["p_met_low"], sets["p_met_high"]) == pytest.approx((lo[0], hi[0]))
    # 20 independent runs would give a narrower interval than 4 sets do
    assert sets["p_met_high"] - sets["p_met_low"] > runs["p_met_high"] - runs["p_met_low"]
