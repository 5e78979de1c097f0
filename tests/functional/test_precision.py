"""Replications honest by default (issue 19, point 1): a run of selected councils adds
replications until the headline measures reach the scenario's stated precision (a level's
relative half-width, a share's half-width in points), and
``--replications auto`` says what precision it reached; when the cap stops it first, the
console, the manifest and the workbook say so, with the precision asked for and reached."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from caresim.cli import main
from tests.conftest import scenario_until


@pytest.fixture(scope="module")
def rutland(tmp_path_factory) -> Path:
    """Baseline for Rutland to June 2011: far enough for every headline that ``auto`` narrows
    (PB shares at March 2010 and April 2011, net spend 2010-11)."""
    return scenario_until(tmp_path_factory.mktemp("scenario"), "2011-06-30", name="rutland",
                          councils=["Rutland"])


def auto_run(scenario: Path, out: Path, options: list[str],
             capsys: pytest.CaptureFixture[str]) -> tuple[dict, str, Path]:
    assert main(["run", str(scenario), *options, "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    (manifest,) = out.rglob("manifest.json")
    return json.loads(manifest.read_text(encoding="utf-8")), err, manifest.parent


def about(folder: Path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(folder / "workbook.xlsx", read_only=True)["About"]
    return {str(r[0]): str(r[1]) for r in sheet.iter_rows(values_only=True) if r[0]}


def test_a_run_the_cap_stops_says_so(rutland: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Asked for a precision three replications cannot give, with the cap at three."""
    m, err, folder = auto_run(rutland, tmp_path / "out", [
        "--replications", "auto", "--precision", "1e-9", "--max-replications", "3"], capsys)
    p = m["precision"]
    assert m["replications"] == 3
    assert p["asked"] == 1e-9 and p["reached"] > p["asked"]
    assert p["met"] is False and p["stopped_at_cap"] is True and p["cap"] == 3
    assert "caresim: warning: replications 3 (auto:" in err
    assert "the cap of 3 replications stopped it first" in err
    assert about(folder)["Replications"] in err


def test_a_run_that_reaches_its_precision_says_what_it_reached(
        rutland: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m, err, folder = auto_run(rutland, tmp_path / "out",
                              ["--replications", "auto", "--precision", "10",
                               "--share-precision", "1"], capsys)
    p = m["precision"]
    assert m["replications"] == 3 and p["met"] is True and p["stopped_at_cap"] is False
    assert p["reached"] <= 10 and p["share_reached"] <= 1
    assert "warning: replications" not in err
    assert about(folder)["Replications"].startswith("3 (auto: ")
    assert f"reached {p['reached']:.1%}" in about(folder)["Replications"]


def test_a_council_run_gets_intervals_by_default(rutland: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """No --replications: a run of selected councils takes run.council_replications (20 in the
    bundled scenarios), so its scorecard has intervals, and it says the precision reached."""
    assert main(["run", str(rutland), "--workers", "2", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    (manifest,) = (tmp_path / "out").rglob("manifest.json")
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m["replications"] == m["parameters"]["run"]["council_replications"] == 20
    p = m["precision"]
    assert p["asked"] is None and 0 < p["reached"] < 1 and "met" not in p
    assert 0 < p["share_reached"] < 1  # the PB shares, by their half-width in points
    assert f"replications: 20 (the 95% intervals of the headline measures are within " \
        f"{p['reached']:.1%} of their means for levels and {p['share_reached'] * 100:.1f} " \
        "points for shares)" in out
    card = pd.read_csv(manifest.parent / "scorecard.csv")
    scored = card[card["n"] > 0]
    assert len(scored) and (scored["n"] == 20).all() and scored["p_met_low"].notna().all()


def test_all_england_keeps_its_fixed_default_and_refuses_a_precision(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All England takes run.replications (two runs side by side, about a minute); --precision
    there is refused before anything runs."""
    assert main(["run", "baseline", "--precision", "0.01", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--precision 0.01: expected with --replications auto or a run of selected " \
        "councils" in err and "found 2 replication(s)" in err
    assert not any(tmp_path.iterdir())
