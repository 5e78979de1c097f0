"""The time-split check (issue 17, point 4): the table of predictions beside a run's own errors,
its place in ``caresim validate``'s report, and the script that ships a split calibration."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import yaml

from caresim.analysis import time_split as ts
from caresim.analysis.validation import validation_markdown
from caresim.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
ASCOF = ("pb_share_ascof", "2011-12")  # published 0.43 (a fraction): goal 0.03
GROSS = ("gross current expenditure", "2011-12")  # published GBP 17.2bn: goal 5% = 0.86bn
CALIBRATION_ID = "20261202T120000Z-abcdef12"


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _predictions() -> pd.DataFrame:
    # split fit: ASCOF 0.415 -> (0.415 - 0.43) / 0.03 = -0.5 (within); gross 18.92bn ->
    # (18.92 - 17.2) / 0.86 = +2 (a miss)
    return pd.DataFrame({
        "series": [ASCOF[0], GROSS[0]], "period": [ASCOF[1], GROSS[1]],
        "unit": ["fraction", "GBP"], "published": [0.43, 17.2e9], "model": [0.415, 18.92e9],
        "weight": [1.0, 1.0], "scaled_residual": [-0.5, 2.0], "within_goal": [True, False]})


def _run(ascof: float = 0.436, gross: float = 16.77e9) -> pd.DataFrame:
    # the run: ASCOF 0.436 -> +0.2; gross 16.77bn -> (16.77 - 17.2) / 0.86 = -0.5
    return pd.DataFrame({"series": [ASCOF[0], GROSS[0], "people with DPs"],
                         "period": [ASCOF[1], GROSS[1], "2011-12"],
                         "model_mean": [ascof, gross, 1.0]})


def _check() -> ts.TimeSplitCheck:
    meta = {"calibration": CALIBRATION_ID, "date": "2026-12-02 12:00 UTC",
            "command": "caresim calibrate prior --fit-until 2010-11", "fit_until": "2010-11",
            "predicts": "2011-12", "objective": 0.75, "evaluations": 120, "councils": 38,
            "every": 4, "replications": 1}
    return ts.TimeSplitCheck(ts.time_split_table(_predictions(), _run()), meta)


def test_the_table_scales_the_run_as_the_calibration_does() -> None:
    t = _check().table
    assert list(t["series"]) == [ASCOF[0], GROSS[0]]  # the predictions' rows only, in order
    assert list(t["published"]) == [0.43, 17.2e9]
    assert list(t["split_model"]) == [0.415, 18.92e9]
    assert t["split_scaled_error"].tolist() == [-0.5, 2.0]
    assert t["split_within_goal"].tolist() == [True, False]
    assert list(t["run_model"]) == [0.436, 16.77e9]
    assert t["run_scaled_error"].tolist() == pytest.approx([0.2, -0.5])
    assert t["run_within_goal"].tolist() == [True, True]
    assert t["note"].tolist() == ["", ""]


def test_the_summary_counts_the_goals_and_the_rms() -> None:
    t = _check().table
    within, of, rms = ts.summary(t, "split")
    assert (within, of) == (1, 2)
    assert rms == pytest.approx(math.sqrt((0.25 + 4) / 2))  # 1.458
    within, of, rms = ts.summary(t, "run")
    assert (within, of) == (2, 2)
    assert rms == pytest.approx(math.sqrt((0.04 + 0.25) / 2))  # 0.381
    line = ts.summary_line(_check())
    assert "1 of 2 within the goals, RMS scaled error 1.46" in line
    assert "2 of 2, RMS 0.38" in line and "out of sample" in line


def test_a_figure_the_run_lacks_or_no_longer_published_is_said() -> None:
    gone = _predictions().assign(series=[ASCOF[0], "a series since dropped"])
    t = ts.time_split_table(gone, _run(gross=float("nan")))
    assert t["note"].iloc[1] == "no longer a published figure in validation_figures.csv"
    assert math.isnan(t["run_scaled_error"].iloc[1]) and not t["run_within_goal"].iloc[1]
    assert ts.summary(t, "run")[:2] == (1, 1)  # counted over the figures with a value
    t = ts.time_split_table(_predictions(), _run(gross=float("nan")))
    assert t["note"].iloc[1] == "the run gave no value"
    revised = _predictions().assign(published=[0.40, 17.2e9])
    t = ts.time_split_table(revised, _run())
    assert t["note"].iloc[0].startswith("published value revised since the split calibration")
    assert t["published"].iloc[0] == 0.43  # today's figure, which the run is scaled against


def _markdown(check: ts.TimeSplitCheck | None, councils: int = 152) -> str:
    meta = {"scenario": "baseline", "hash": "abc", "replications": 1, "councils": councils,
            "seed": 1, "version": "0", "command": "caresim validate"}
    return validation_markdown(pd.DataFrame(), {}, meta, None, check)


def test_the_report_has_the_section_with_the_honest_words() -> None:
    text = _markdown(_check())
    section = text.split("## How well caresim predicts: fitted to 2010/11, predicting 2011/12")[1]
    section = section.split("\n## ")[0]
    assert "This is the honest measure of how well caresim predicts" in section
    assert "out of sample" in section and "in-sample" in section
    assert "after 2011/12 are never fitted; they are checks only" in section
    assert "1 of 2 figures within the goals, RMS scaled error 1.46" in section
    assert "This run's own values: 2 of 2, RMS 0.38" in section
    assert CALIBRATION_ID in section and "--fit-until 2010-11" in section
    assert "| pb_share_ascof | 2011-12 | 43.0% | 41.5% | -0.50 | 43.6% | +0.20 |" in section
    assert "| +2.00 (miss) |" in section
    assert "covers some councils only" not in section
    assert "covers some councils only" in _markdown(_check(), councils=3)


def test_without_a_shipped_split_the_report_says_so_plainly() -> None:
    text = _markdown(None)
    assert "## How well caresim predicts" in text
    assert "No time-split calibration shipped" in text
    assert "no time-split calibration shipped" in ts.summary_line(None)


def test_no_shipped_file_reads_as_none(tmp_path: Path) -> None:
    assert ts.load_time_split(tmp_path) is None


def _fake_calibration(root: Path, until: str = "2010-11", every: int = 50,
                      councils: int = 4) -> Path:
    folder = root / "calibration" / CALIBRATION_ID
    folder.mkdir(parents=True)
    _predictions().to_csv(folder / "predictions.csv", index=False)
    command = f"caresim calibrate prior --every {every} --fit-until {until}"
    (folder / "report.md").write_text(
        f"# Calibration {CALIBRATION_ID}\n\nCommand: `{command}`. Objective 0.8125 after 17 "
        f"evaluations on {councils} councils (every {every}th), 1 replication(s), common random "
        f"numbers; published figures fitted up to {until}.\n", encoding="utf-8")
    (folder / "calibrated.yaml").write_text(
        f"# Written by `{command}`\n# (calibration {CALIBRATION_ID}); never edited by hand.\n"
        "extends: prior.yaml\n", encoding="utf-8")
    return folder


def test_the_script_ships_the_predictions_with_their_provenance(tmp_path: Path) -> None:
    folder, data = _fake_calibration(tmp_path), tmp_path / "data"
    data.mkdir()
    assert _script("update_time_split").main(["--from", str(folder), "--data", str(data)]) == 0
    split = ts.load_time_split(data)
    assert split is not None
    frame = split.predictions
    assert list(frame.columns) == [*ts.COLUMNS, ts.SOURCE_COLUMN]
    pd.testing.assert_frame_equal(frame[list(ts.COLUMNS)], _predictions())
    assert set(frame["source"]) == {f"caresim calibration {CALIBRATION_ID} (predictions.csv), "
                                    "fitted to 2010-11"}
    p = split.provenance
    assert p["calibration"] == CALIBRATION_ID and p["date"] == "2026-12-02 12:00 UTC"
    assert p["command"] == "caresim calibrate prior --every 50 --fit-until 2010-11"
    assert (p["fit_until"], p["predicts"], p["objective"]) == ("2010-11", "2011-12", 0.8125)
    assert (p["evaluations"], p["councils"], p["every"], p["replications"]) == (17, 4, 50, 1)
    text = (data / "time_split.md").read_text(encoding="utf-8")
    assert "do not edit by hand" in text
    names = text.split("Councils in the sample (4, every 50th")[1]
    assert names.count(",") == 3  # four council names
    # and validate's report reads it
    check = ts.TimeSplitCheck(ts.time_split_table(frame, _run()), p)
    assert "1 of 2 figures within the goals" in _markdown(check)


@pytest.mark.parametrize("until, councils, why", [
    ("2011-12", 4, "expected a calibration fitted up to 2010-11 (--fit-until 2010-11), which "
                   "predicts 2011-12, the last fitted year; found one fitted up to 2011-12"),
    ("2009-10", 4, "found one fitted up to 2009-10"),
    ("2010-11", 5, "expected every 50th of the 152 councils (4); found 5 councils"),
])
def test_the_script_refuses_a_calibration_it_cannot_ship(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], until: str, councils: int,
        why: str) -> None:
    folder, data = _fake_calibration(tmp_path, until, councils=councils), tmp_path / "data"
    data.mkdir()
    assert _script("update_time_split").main(["--from", str(folder), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("update_time_split: error: ") and why in err
    assert len(err.strip().splitlines()) == 1
    assert list(data.iterdir()) == []


def test_a_shipped_file_without_provenance_is_refused(tmp_path: Path) -> None:
    _predictions().assign(source="x").to_csv(tmp_path / ts.DATA_FILE, index=False)
    with pytest.raises(InputError, match="expected the provenance"):
        ts.load_time_split(tmp_path)
    (tmp_path / ts.PROVENANCE_FILE).write_text("---\n" + yaml.safe_dump({"calibration": "x"})
                                               + "---\n", encoding="utf-8")
    with pytest.raises(InputError, match="found no date, command"):
        ts.load_time_split(tmp_path)
    (tmp_path / ts.PROVENANCE_FILE).write_text("---\n: [unclosed\n---\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected YAML front matter .* found none"):
        ts.load_time_split(tmp_path)


def test_the_docs_script_carries_the_section(tmp_path: Path, monkeypatch) -> None:
    # scripts/update_validation_docs.py writes validate's markdown into docs/validation.md:
    # the time-split section must come through (the full England run is replaced by a stub)
    import caresim.app.validate as app

    (tmp_path / "docs").mkdir()
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.png").write_bytes(b"png")
    table = pd.DataFrame(columns=["weight", "unit", "error", "error_relative", "series",
                                  "period", "measure"])
    markdown = _markdown(_check())
    monkeypatch.setattr(app, "validate", lambda *a, **k: app.Validation(
        table, pd.DataFrame(), {}, markdown, tmp_path, _check()))
    docs = _script("update_validation_docs")
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    monkeypatch.setattr("sys.argv", ["update_validation_docs.py"])
    docs.main()
    text = (tmp_path / "docs" / "validation.md").read_text()
    assert "## How well caresim predicts: fitted to 2010/11, predicting 2011/12" in text
    assert "This is the honest measure of how well caresim predicts" in text


def test_a_run_of_some_councils_is_scaled_on_shares_only() -> None:
    t = ts.time_split_table(_predictions(), _run(), england=False)
    assert t["run_scaled_error"].iloc[0] == pytest.approx(0.2)
    assert math.isnan(t["run_scaled_error"].iloc[1])
    assert t["note"].iloc[1] == "the run covers some councils only: not England's level"
