"""``caresim validate`` with a shipped time split (issue 17, point 4): its report has the
section, its folder the table, and the console the one-line summary (without one, the report's
plain statement is tested in ``tests/unit/test_time_split.py``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import caresim.analysis.time_split as ts
from caresim.cli import main
from tests.conftest import scenario_until

CALIBRATION_ID = "20261202T120000Z-abcdef12"


def _ship(folder: Path) -> None:
    # two 2011-12 fitted figures, as scripts/update_time_split.py writes them
    pd.DataFrame({
        "series": ["pb_share_ascof", "gross current expenditure"],
        "period": ["2011-12", "2011-12"], "unit": ["fraction", "GBP"],
        "published": [0.43, 17.2e9], "model": [0.415, 18.92e9], "weight": [1.0, 1.0],
        "scaled_residual": [-0.5, 2.0], "within_goal": [True, False],
        "source": f"caresim calibration {CALIBRATION_ID}"}).to_csv(folder / ts.DATA_FILE,
                                                                    index=False)
    (folder / ts.PROVENANCE_FILE).write_text(
        f"---\ncalibration: {CALIBRATION_ID}\ndate: 2026-12-02 12:00 UTC\n"
        "command: caresim calibrate prior --fit-until 2010-11\nfit_until: 2010-11\n"
        "predicts: 2011-12\nobjective: 0.75\nevaluations: 120\ncouncils: 38\nevery: 4\n"
        "replications: 1\n---\n", encoding="utf-8")


@pytest.fixture(scope="module")
def rutland(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # to March 2013: a year past the predicted 2011-12, as calibration's evaluations run
    return scenario_until(tmp_path_factory.mktemp("scenario"), "2013-03-31", name="rutland",
                          councils=["Rutland"])


def test_validate_reports_the_time_split(rutland: Path, tmp_path: Path, monkeypatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    shipped = tmp_path / "data"
    shipped.mkdir()
    _ship(shipped)
    monkeypatch.setattr(ts, "shipped_folder", lambda: shipped)
    out = tmp_path / "out"
    assert main(["validate", str(rutland), "--replications", "1", "--workers", "1",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    folder = next((out / "validation").iterdir())
    text = (folder / "validation.md").read_text(encoding="utf-8")
    assert "## How well caresim predicts: fitted to 2010/11, predicting 2011/12" in text
    assert "1 of 2 figures within the goals, RMS scaled error 1.46" in text
    table = pd.read_csv(folder / "time_split.csv")
    assert list(table["series"]) == ["pb_share_ascof", "gross current expenditure"]
    # one council: the share is scaled as the calibration scales it, the level is left out
    share = table.iloc[0]
    assert share["run_scaled_error"] == pytest.approx((share["run_model"] - 0.43) / 0.03)
    assert pd.isna(table.iloc[1]["run_scaled_error"])
    assert "some councils only" in table.iloc[1]["note"]
    assert printed.strip().splitlines()[-1].startswith(
        "time split (fitted to 2010-11, predicting 2011-12, out of sample): 1 of 2 within the "
        "goals, RMS scaled error 1.46; this run (in-sample for the shipped baseline): ")
