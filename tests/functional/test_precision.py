"""Replications honest by default (issue 19, point 1): without --replications a run adds
replications until the headline measures reach the scenario's stated precision (a level's
relative half-width, a share's half-width in points), capped by scope (run.replications for all
England, run.council_replications for selected councils), and ``--replications auto`` does the
same up to run.max_replications; when the cap stops it first, the console, the manifest, the
workbook and the report say so, with the precision asked for and reached."""

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


@pytest.fixture(scope="module")
def rutland_capped(tmp_path_factory) -> Path:
    """Rutland to June 2011 with the default's cap for selected councils lowered to 4 (20 in
    the bundled scenarios) to keep the test short; the bundled precision."""
    return scenario_until(tmp_path_factory.mktemp("scenario"), "2011-06-30", name="rutland",
                          councils=["Rutland"], council_replications=4)


def test_a_default_council_run_stops_at_its_cap_and_says_so(
        rutland_capped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No --replications: the run adds replications until the bundled precision (5% for
    levels, 1 point for shares), which four runs of Rutland cannot reach; the cap
    (run.council_replications) stops it, and the console, the manifest, the workbook and the
    report's first page say so, with the precision asked for and reached."""
    from caresim.reporting import load_run, what_was_run

    assert main(["run", str(rutland_capped), "--workers", "2",
                 "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    (manifest,) = (tmp_path / "out").rglob("manifest.json")
    m = json.loads(manifest.read_text(encoding="utf-8"))
    run = m["parameters"]["run"]
    p = m["precision"]
    assert m["replications"] == run["council_replications"] == 4
    assert p["asked"] == run["precision"] == 0.05
    assert p["share_asked"] == run["share_precision"] == 0.01
    assert p["share_reached"] > p["share_asked"]
    assert p["met"] is False and p["stopped_at_cap"] is True
    assert p["cap"] == 4 and p["cap_from"] == "run.council_replications"
    assert m["replications_rule"].startswith("auto: ")
    assert m["replications_rule"].endswith("at least 3 and at most 4 replications")
    said = ("replications 4 (auto: until the 95% interval of each headline measure is within "
            f"5.0% of its level for levels and within 1.0 points for shares; reached "
            f"{p['reached']:.1%} for levels, {p['share_reached'] * 100:.1f} points for shares, "
            "not 5.0% and 1.0 points: the cap of 4 replications stopped it first "
            "(run.council_replications))")
    assert f"caresim: warning: {said}" in captured.err
    assert captured.out.count(said) == 0  # said once, on stderr, not again on stdout
    assert about(manifest.parent)["Replications"] == said.removeprefix("replications ")
    assert f"replications: {said.removeprefix('replications ')};" in what_was_run(
        load_run(manifest.parent))
    card = pd.read_csv(manifest.parent / "scorecard.csv")
    scored = card[card["n"] > 0]
    assert len(scored) and (scored["n"] == 4).all() and scored["p_met_low"].notna().all()


def test_a_default_council_run_that_reaches_its_precision_stops_before_the_cap(
        rutland: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No --replications, a loose precision: the run stops at run.min_replications (3), well
    before its cap (run.council_replications, 20), and says what it reached."""
    m, err, folder = auto_run(rutland, tmp_path / "out",
                              ["--precision", "10", "--share-precision", "1"], capsys)
    p = m["precision"]
    assert m["replications"] == m["parameters"]["run"]["min_replications"] == 3
    assert p["met"] is True and p["stopped_at_cap"] is False
    assert p["cap"] == m["parameters"]["run"]["council_replications"] == 20
    assert p["cap_from"] == "run.council_replications"
    assert "warning: replications" not in err
    assert about(folder)["Replications"] == (
        "3 (auto: until the 95% interval of each headline measure is within 1000.0% of its "
        f"level for levels and within 100.0 points for shares; reached {p['reached']:.1%} for "
        f"levels, {p['share_reached'] * 100:.1f} points for shares)")


def test_an_explicit_number_of_replications_is_still_fixed(
        rutland: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--replications N runs exactly N: no precision asked for, no cap."""
    m, err, _ = auto_run(rutland, tmp_path / "out", ["--replications", "2"], capsys)
    assert m["replications"] == 2 and m["replications_rule"] == "fixed"
    p = m["precision"]
    assert p["asked"] is None and "met" not in p and "cap" not in p
    assert "warning: replications" not in err


def test_a_precision_with_a_fixed_number_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--precision goes with the default or --replications auto; with a fixed number it is
    refused before anything runs (all England, so nothing may start)."""
    assert main(["run", "baseline", "--replications", "2", "--precision", "0.01",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--precision 0.01: expected with --replications auto or without --replications" \
        in err and "found 2 replication(s)" in err
    assert not any(tmp_path.iterdir())


def test_a_resumed_default_run_goes_on_to_its_cap(
        rutland_capped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A default run that failed in its first batch, resumed, runs the missing task and then
    the batches an uninterrupted run would have, to its cap; it does not stop at the first
    batch and call that its result."""
    import caresim.runner as runner
    from tests.conftest import fail_task

    real = fail_task(monkeypatch)
    assert main(["run", str(rutland_capped), "--workers", "1", "--quiet",
                 "--out", str(tmp_path / "out")]) == 1
    (partial,) = (tmp_path / "out").rglob("*.partial")
    calls: list[int] = []
    monkeypatch.setattr(runner, "run_task", lambda i, t: calls.append(i) or real(i, t))
    assert main(["run", "--resume", str(partial), "--workers", "1", "--quiet"]) == 0
    assert calls == [1, 3]  # the failed task of the first batch (0-2), then the next batch
    (manifest,) = (tmp_path / "out").rglob("manifest.json")
    m = json.loads(manifest.read_text(encoding="utf-8"))
    p = m["precision"]
    assert m["replications"] == p["cap"] == 4
    assert p["stopped_at_cap"] is True and p["cap_from"] == "run.council_replications"
    assert "the cap of 4 replications stopped it first (run.council_replications)" in \
        capsys.readouterr().err
