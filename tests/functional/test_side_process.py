"""The plots and workbook made in a second process (issue 18, the writing share): the same
files as when the parent makes them, and a failure there fails the run."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from caresim.app import side
from caresim.cli import main
from caresim.measures.targets import target_readings
from caresim.params.schema import Scenario
from tests.conftest import scenario_until

RUN_TIME_ROWS = {"Run started (UTC)", "Run finished (UTC)", "Workbook written (UTC)"}
"""About-sheet rows that record when the run was made, so differ between two runs."""

submitted: list[str] = []
"""Names of the functions the recording pool was given (in this, the parent, process)."""


class _RecordingPool(ProcessPoolExecutor):
    def submit(self, fn, /, *args, **kwargs):
        submitted.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


def _run(root: Path, scenario: Path, name: str) -> Path:
    assert main(["run", str(scenario), "--replications", "1", "--quiet", "--seed", "11",
                 "--out", str(root / name)]) == 0
    (folder,) = (p.parent for p in (root / name).rglob("manifest.json"))
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict:
    """Rutland to March 2010, twice with one seed: documents made in the parent (one council
    is below the threshold) and in a second process (the threshold lowered to one)."""
    root = tmp_path_factory.mktemp("side")
    scenario = scenario_until(root, "2010-03-31", name="rutland", councils=["Rutland"])
    out = {"parent": _run(root, scenario, "parent")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(side, "SIDE_MIN_COUNCILS", 1)
        mp.setattr(side, "ProcessPoolExecutor", _RecordingPool)
        submitted.clear()
        out["second"] = _run(root, scenario, "second")
    out["submitted"] = list(submitted)
    return out


def _cells(path: Path) -> list[tuple]:
    book = openpyxl.load_workbook(path)
    out = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            if sheet.title == "About" and row[0].value in RUN_TIME_ROWS:
                continue
            out += [(sheet.title, c.coordinate, c.value, c.number_format,
                     c.fill.fgColor.rgb, c.font.b) for c in row]
    return out


def test_a_second_process_made_them(folders) -> None:
    assert folders["submitted"] == ["_warm", "join_measures", "draw_and_book"]


def test_the_same_plots_and_workbook_either_way(folders) -> None:
    a, b = folders["parent"], folders["second"]
    assert (pd.read_parquet(a / "measures.parquet")
            .equals(pd.read_parquet(b / "measures.parquet")))
    for name in ("pb_share.png", "spend.png"):
        assert (a / "plots" / name).read_bytes() == (b / "plots" / name).read_bytes(), name
    cells = _cells(a / "workbook.xlsx")
    assert len(cells) > 1000
    assert cells == _cells(b / "workbook.xlsx")


def test_a_failure_in_the_second_process_reaches_the_parent(folders, tmp_path) -> None:
    run = folders["parent"]
    manifest = {"councils": ["E06000017"], "parameters": {}}
    params = Scenario.model_validate(json.loads((run / "manifest.json").read_text())[
        "parameters"])
    summary = pd.read_parquet(run / "summary.parquet")
    docs = side.Documents(folder=tmp_path, manifest=manifest, scope_rows=summary,
                          headline_rows=summary, scorecard=pd.read_csv(run / "scorecard.csv"),
                          scope="E06000017", targets=target_readings(params.targets),
                          titles={"pb_share": "a", "spend": "b"})
    # the folder has no ledger dataset: reading it fails in the second process
    with side.side_process(side.SIDE_MIN_COUNCILS) as second:
        pending = second.submit(side.draw_and_book, docs)
        with pytest.raises(FileNotFoundError):
            pending.result()
    assert not (tmp_path / "workbook.xlsx").exists()
