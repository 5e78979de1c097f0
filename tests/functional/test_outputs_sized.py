"""Outputs sized for people (issue 18, point 2): Parquet holds every table; the CSVs are the
ones people open by hand, and the monthly per-council CSV is written only with ``--csv all``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from caresim.cli import main
from caresim.period import FinancialYear, parse_period
from tests.conftest import scenario_until


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Two replications of Rutland to March 2010, with the default CSVs and with --csv all."""
    root = tmp_path_factory.mktemp("sized")
    scenario = scenario_until(root, "2010-03-31", name="rutland", councils=["Rutland"])
    out = {}
    for choice in ("people", "all"):
        assert main(["run", str(scenario), "--replications", "2", "--workers", "1", "--quiet",
                     "--csv", choice, "--out", str(root / choice)]) == 0
        (out[choice],) = (p.parent for p in (root / choice).rglob("manifest.json"))
    return out


def test_by_default_no_monthly_csv_and_a_yearly_summary(folders: dict[str, Path]) -> None:
    f = folders["people"]
    # the monthly table is a Parquet dataset: one file per task
    assert not (f / "timeseries.csv").exists() and (f / "timeseries.parquet").is_dir()
    assert sorted(p.name for p in (f / "timeseries.parquet").iterdir()) == [
        f"part-{i:06d}.parquet" for i in range(json.loads((f / "manifest.json").read_text())[
            "replications"])]
    for name in ("financial_years.csv", "summary.csv", "scorecard.csv", "ledger.csv"):
        assert (f / name).is_file(), name
    csv = pd.read_csv(f / "summary.csv")
    full = pd.read_parquet(f / "summary.parquet")
    assert all(isinstance(parse_period(p), FinancialYear) for p in csv["period"].unique())
    assert len(csv) == sum(isinstance(parse_period(p), FinancialYear) for p in full["period"])
    assert len(csv) < len(full)


def test_labels_the_same_on_every_row_are_said_once(folders: dict[str, Path]) -> None:
    f = folders["people"]
    csv = pd.read_csv(f / "summary.csv")
    assert "scenario" not in csv.columns and "covers" not in csv.columns
    said = json.loads((f / "manifest.json").read_text())["summary_csv"]
    full = pd.read_parquet(f / "summary.parquet")
    assert said == {"rows": "financial years", "scenario": full["scenario"].iloc[0],
                    "covers": full["covers"].iloc[0]}


def test_csv_all_adds_the_monthly_tables(folders: dict[str, Path]) -> None:
    f = folders["all"]
    monthly = pd.read_csv(f / "timeseries.csv")
    parquet = pd.read_parquet(f / "timeseries.parquet")
    assert len(monthly) == len(parquet)
    assert monthly["value"].sum() == pytest.approx(parquet["value"].sum(), rel=1e-12)
    assert len(pd.read_csv(f / "summary.csv")) == len(pd.read_parquet(f / "summary.parquet"))
    assert json.loads((f / "manifest.json").read_text())["summary_csv"]["rows"] == \
        "every period"


def test_the_tables_do_not_depend_on_the_csv_choice(folders: dict[str, Path]) -> None:
    for name in ("timeseries", "financial_years", "summary"):
        pd.testing.assert_frame_equal(pd.read_parquet(folders["people"] / f"{name}.parquet"),
                                      pd.read_parquet(folders["all"] / f"{name}.parquet"))
