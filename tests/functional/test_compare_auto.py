"""``caresim compare`` with ``--replications auto`` and with ``--parameter-uncertainty``
(issues 16 and 19). Rutland to March 2011: far enough for every headline that ``auto`` narrows
(PB shares at March 2010 and April 2011, net spend 2010-11); the claims concern the
replications, the pairing and what is said, not later years."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from caresim.analysis.headline import PRECISION_HEADLINES, headline_values
from caresim.app.compare import shared_uncertainty
from caresim.app.run import run_scenario
from caresim.cli import main
from caresim.results import COVERS_PARAMETERS
from caresim.runner import ExecutorSpec
from caresim.scenario import load_scenario
from tests.conftest import scenario_until

END = "2011-03-31"


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    base = scenario_until(folder, END)
    copy = folder / "baseline_copy.yaml"
    copy.write_text(f"extends: {base}\nname: baseline_copy\n", encoding="utf-8")
    return {"baseline": base, "no_grant": scenario_until(folder, END, extends="no_grant"),
            "copy": copy}


def compare(a: Path, b: Path, out: Path, options: list[str],
            capsys: pytest.CaptureFixture[str], shown: str = "none"
            ) -> tuple[dict, str, str, Path]:
    assert main(["compare", str(a), str(b), "--council", "Rutland", *options, "--workers", "1",
                 "--progress", shown, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    (manifest,) = out.rglob("manifest.json")
    return (json.loads(manifest.read_text(encoding="utf-8")), captured.out, captured.err,
            manifest.parent)


def half_widths_of_pairs(folder: Path, a: str, b: str, first: int | None = None
                         ) -> dict[str, float]:
    """Recomputed from per_replication.csv: the 95% half-width of each paired difference of
    the headlines auto narrows, pairing by parameter set and replication (over the ``first``
    replications only, when given)."""
    per = pd.read_csv(folder / "per_replication.csv")
    per = per[per["indicator"].isin(PRECISION_HEADLINES)]
    if first is not None:
        per = per[per["replication"] < first]
    keys = ["parameter_set", "replication", "indicator"]
    m = per[per["scenario"] == a].merge(per[per["scenario"] == b], on=keys)
    out = {}
    for name, g in m.groupby("indicator"):
        d = (g["value_y"] - g["value_x"]).to_numpy()
        out[name] = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return out


def test_auto_stopped_by_the_cap_says_so(scenarios: dict[str, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    m, out, err, folder = compare(scenarios["baseline"], scenarios["no_grant"], tmp_path, [
        "--replications", "auto", "--precision", "1e-9", "--share-precision", "1e-9",
        "--max-replications", "4"], capsys)
    p = m["precision"]
    assert m["replications"] == 4 and p["cap"] == 4
    assert p["met"] is False and p["stopped_at_cap"] is True
    assert p["asked"] == 1e-9 and p["share_asked"] == 1e-9
    # the precision reached is that of the paired differences, recomputed here
    halves = half_widths_of_pairs(folder, "baseline", "no_grant")
    shares = [v for k, v in halves.items() if k.startswith("pb_share")]
    assert p["share_reached"] == pytest.approx(max(shares))
    assert "caresim: warning: replications 4 (auto: until the 95% interval of each paired " \
        "difference B - A" in err
    assert "the cap of 4 replications stopped it first" in err
    assert "the cap of 4 replications stopped it before" in err  # said as it happens
    assert "replications of each scenario: 4 (auto:" in out
    # the same replications, hence the same seeds, in every scenario
    per = pd.read_csv(folder / "per_replication.csv")
    for name in ("baseline", "no_grant"):
        assert sorted(per.loc[per["scenario"] == name, "replication"].unique()) == [0, 1, 2, 3]
    d = pd.read_csv(folder / "comparison.csv")
    assert (d["n"] == 4).all()


def test_auto_stops_when_the_paired_differences_reach_the_precision(
        scenarios: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two scenarios with the same parameters: under common random numbers every paired
    difference is zero after the first batch, so auto stops there even at a precision no
    scenario's own level could reach in 50 replications: it narrows the differences."""
    m, out, err, folder = compare(scenarios["baseline"], scenarios["copy"], tmp_path, [
        "--replications", "auto", "--precision", "1e-9", "--share-precision", "1e-9",
        "--max-replications", "50"], capsys, shown="log")
    p = m["precision"]
    assert m["replications"] == 3 and p["met"] is True and p["stopped_at_cap"] is False
    assert p["reached"] == 0 and p["share_reached"] == 0
    assert "warning: replications" not in err and "adding more" not in err
    assert "tasks done" in err  # the log was on, and compare logs batches, not tables
    assert "building and writing the tables" not in err
    assert "replications of each scenario: 3 (auto:" in out and "reached 0.0%" in out
    d = pd.read_csv(folder / "comparison.csv")
    assert (d["diff"] == 0).all()
    levels = d[d["indicator"] == "pb_share_adass 2011-04-01"].iloc[0]
    assert levels["a_ci_high"] - levels["a_ci_low"] > 2e-9  # the level itself is not that narrow


def test_auto_adds_batches_until_a_reachable_precision(
        scenarios: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A share precision finer than three replications give but within reach: auto adds a
    batch and stops once the recomputed half-widths are within it. (With the baseline of
    issue 17 the PB-share differences' half-widths are 0.13 at 3 replications and 0.068 at 6,
    so 0.1 needs a second batch.)"""
    m, _, err, folder = compare(scenarios["baseline"], scenarios["no_grant"], tmp_path, [
        "--replications", "auto", "--precision", "10", "--share-precision", "0.1",
        "--max-replications", "12"], capsys)
    p = m["precision"]
    assert p["met"] is True and 3 < m["replications"] < 12
    halves = half_widths_of_pairs(folder, "baseline", "no_grant")
    assert max(v for k, v in halves.items() if k.startswith("pb_share")) <= 0.1
    # one batch fewer was not enough: it stopped at the first check that met the precision
    fewer = half_widths_of_pairs(folder, "baseline", "no_grant", m["replications"] - 3)
    assert max(v for k, v in fewer.items() if k.startswith("pb_share")) > 0.1
    assert "after 3 replications the paired differences are within" in err
    assert "asked 1000.0% and 10.0 points; adding more" in err
    assert "warning: replications" not in err


@pytest.fixture(scope="module")
def uncertain(scenarios: dict[str, Path], tmp_path_factory) -> tuple[dict, str, Path]:
    out = tmp_path_factory.mktemp("uncertain")
    args = ["compare", str(scenarios["baseline"]), str(scenarios["no_grant"]), "--council",
            "Rutland", "--parameter-uncertainty", "2", "--replications", "2", "--workers", "1",
            "--progress", "none", "--out", str(out)]
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(args) == 0
    (manifest,) = out.rglob("manifest.json")
    return json.loads(manifest.read_text(encoding="utf-8")), buffer.getvalue(), manifest.parent


def test_parameter_uncertainty_pairs_by_set_and_replication(uncertain) -> None:
    m, out, folder = uncertain
    pu = m["parameter_uncertainty"]
    assert pu["parameter_sets"] == 2 and pu["pairs"] == "(parameter set, replication)"
    assert pu["held_at_each_scenarios_value"] == []  # no_grant changes no assumption
    per = pd.read_csv(folder / "per_replication.csv")
    keys = ["parameter_set", "replication", "indicator"]
    for name in ("baseline", "no_grant"):
        runs = per.loc[per["scenario"] == name, ["parameter_set", "replication"]]
        assert len(runs.drop_duplicates()) == 4
    d = pd.read_csv(folder / "comparison.csv").set_index("indicator")
    assert (d["covers"] == COVERS_PARAMETERS).all() and (d["n"] == 4).all()
    m2 = per[per["scenario"] == "baseline"].merge(per[per["scenario"] == "no_grant"], on=keys)
    for name, g in m2.groupby("indicator"):
        diffs = (g["value_y"] - g["value_x"]).to_numpy()
        row = d.loc[name]
        assert row["diff"] == pytest.approx(diffs.mean(), rel=1e-9, abs=1e-9)
        assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx(
            tuple(np.quantile(diffs, [0.025, 0.975])), rel=1e-9, abs=1e-9), name
    assert "paired by parameter set and replication" in out
    assert "parameter uncertainty: 2 parameter sets" in out
    # ranges, not the precision of a mean, under parameter uncertainty
    assert m["precision"] is None and "replications of each scenario: 2 x 2 parameter sets" in out


def test_parameter_uncertainty_runs_the_sets_run_draws(uncertain, scenarios: dict[str, Path],
                                                      tmp_path: Path) -> None:
    """Each scenario runs the parameter sets ``caresim run --parameter-uncertainty`` draws for
    it with the same seed, and the intervals reflect them: the sets move the levels."""
    _, _, folder = uncertain
    _run, tables = run_scenario(str(scenarios["no_grant"]), tmp_path, replications=2,
                               councils=["Rutland"], spec=ExecutorSpec(workers=1),
                               parameter_uncertainty=2)
    from_run = headline_values(tables.timeseries, tables.financial_years, tables.ledger,
                               "E06000017", PRECISION_HEADLINES)
    per = pd.read_csv(folder / "per_replication.csv")
    from_compare = per[(per["scenario"] == "no_grant")
                       & per["indicator"].isin(PRECISION_HEADLINES)]
    keys = ["parameter_set", "replication", "indicator"]
    both = from_run.merge(from_compare, on=keys, suffixes=("_run", "_compare"))
    assert len(both) == len(from_run) == 4 * len(PRECISION_HEADLINES)
    assert np.allclose(both["value_run"], both["value_compare"], rtol=1e-12, atol=0)
    pb = both[both["indicator"] == "pb_share_adass 2011-04-01"]
    assert pb.groupby("parameter_set")["value_run"].mean().nunique() == 2


def test_an_assumption_a_scenario_changes_is_held_at_its_value() -> None:
    base = load_scenario("baseline")
    path = "demand.share_65plus"
    changed = base.replace({f"{path}.value": 0.75}, source="test")
    specs, held = shared_uncertainty([base, changed])
    assert held == [path] and path not in {s.path for s in specs}
    specs_same, held_same = shared_uncertainty([base, load_scenario("no_grant")])
    assert held_same == [] and len(specs_same) == len(specs) + 1


def test_identical_scenarios_under_parameter_uncertainty_differ_by_nothing(
        scenarios: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same sets and replications in both: every pair is the same run twice, so every
    difference is zero, while each level's range is wide (the sets differ)."""
    m, _, _, folder = compare(scenarios["baseline"], scenarios["copy"], tmp_path, [
        "--parameter-uncertainty", "2", "--replications", "1"], capsys)
    assert m["parameter_uncertainty"]["parameter_sets"] == 2
    d = pd.read_csv(folder / "comparison.csv")
    assert (d["n"] == 2).all() and (d["covers"] == COVERS_PARAMETERS).all()
    assert (d["diff"] == 0).all() and (d["diff_ci_low"] == 0).all() \
        and (d["diff_ci_high"] == 0).all()
    pb = d[d["indicator"] == "pb_share_adass 2011-04-01"].iloc[0]
    assert pb["a_ci_high"] > pb["a_ci_low"] and pb["unpaired_ci_high"] > 0
