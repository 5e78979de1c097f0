"""A path caresim cannot write (issue 19, point 9): an ``--out`` that is a file, that has a file
on its path or whose folder refuses writing; a report into such a run folder. Each exits 2 with
the usual one-paragraph message, before anything runs, and writes nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import caresim.app.compare as app_compare
import caresim.app.run as app_run
from caresim.cli import main
from tests.conftest import scenario_until

BASELINE = Path(__file__).resolve().parents[2] / "src" / "caresim" / "scenarios" / "baseline.yaml"


def _refuses(folder: Path) -> bool:
    try:
        os.rmdir(tempfile.mkdtemp(dir=folder))
    except OSError:
        return True
    return False


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder that refuses new entries for this process: read-only permissions when not
    root; as root (who ignores permissions), a pseudo file system such as /sys."""
    if os.geteuid() != 0:
        folder = tmp_path / "read_only"
        folder.mkdir()
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    for candidate in (Path("/sys"), Path("/proc")):
        if candidate.is_dir() and _refuses(candidate):
            yield candidate
            return
    pytest.skip("running as root with no folder that refuses writing")


@pytest.fixture(autouse=True)
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad output path must be refused before any replication runs."""
    def refuse(*args, **kwargs):
        raise AssertionError("replications ran before the output path was checked")

    monkeypatch.setattr(app_run, "execute_tasks", refuse)
    monkeypatch.setattr(app_compare, "execute_tasks", refuse)


def tree(folder: Path) -> list[tuple[str, bytes | None]]:
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else None)
                  for p in folder.rglob("*"))


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("caresim: error: "), err
    return err


COMMANDS = {
    "run": ["run", "baseline", "--council", "Rutland", "--quiet"],
    "compare": ["compare", "baseline", "no_grant", "--council", "Rutland", "--replications", "1",
                "--quiet"],
    "validate": ["validate", "baseline", "--council", "Rutland", "--replications", "1",
                 "--quiet"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_is_a_file(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep", encoding="utf-8")
    before = tree(tmp_path)
    err = refused([*COMMANDS[command], "--out", str(target)], capsys)
    assert f"--out {target}: expected a folder; found a file." in err
    assert tree(tmp_path) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_under_a_file(command: str, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a_file").write_text("keep", encoding="utf-8")
    before = tree(tmp_path)
    err = refused([*COMMANDS[command], "--out", str(tmp_path / "a_file" / "sub")], capsys)
    assert f"expected a folder path; found the file {tmp_path / 'a_file'} on it." in err
    assert tree(tmp_path) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_in_a_folder_that_refuses_writing(command: str, unwritable: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in unwritable.iterdir())
    out = unwritable / "caresim_out" / "deeper"
    err = refused([*COMMANDS[command], "--out", str(out)], capsys)
    assert f"--out {out}: expected a writable folder; found no write access to {unwritable}" \
        in err
    assert sorted(p.name for p in unwritable.iterdir()) == before


def test_calibrate_write_scenario_is_checked_before_fitting(
        tmp_path: Path, unwritable: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = unwritable / "calibrated.yaml"
    err = refused(["calibrate", "prior", "--max-evaluations", "1", "--quiet", "--out",
                   str(tmp_path), "--write-scenario", str(target)], capsys)
    assert f"--write-scenario {target}: expected a file in a writable folder" in err
    assert list(tmp_path.iterdir()) == []


def test_calibrate_write_scenario_onto_a_folder(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["calibrate", "prior", "--max-evaluations", "1", "--quiet", "--out",
                   str(tmp_path / "out"), "--write-scenario", str(tmp_path)], capsys)
    assert f"--write-scenario {tmp_path}: expected a file path; found a folder." in err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run of Rutland over one financial year, one replication (a few seconds)."""
    where = tmp_path_factory.mktemp("report_run")
    scenario = scenario_until(where, "2009-03-31", name="short", councils=["Rutland"],
                              council_replications=1)
    assert main(["run", str(scenario), "--quiet", "--out", str(where / "out")]) == 0
    (folder,) = (where / "out" / "short").iterdir()
    return folder


@pytest.fixture
def fresh_run(run_folder: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(run_folder, tmp_path / "run"))


def test_report_into_a_run_folder_that_refuses_writing(
        fresh_run: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """As a read-only mount would (root ignores permissions, so the refusal is simulated)."""
    import caresim.io

    monkeypatch.setattr(caresim.io, "_refuses_writing",
                        lambda folder: "read-only file system" if Path(folder) == fresh_run
                        else None)
    before = tree(fresh_run)
    err = refused(["report", str(fresh_run)], capsys)
    assert f"RUN_DIR {fresh_run}: expected a writable folder; found no write access to " \
           f"{fresh_run} (read-only file system)." in err
    assert tree(fresh_run) == before


@pytest.mark.parametrize("blocker", ["report.html", "report.md"])
def test_report_onto_a_folder(blocker: str, fresh_run: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    (fresh_run / blocker).mkdir()
    before = tree(fresh_run)
    err = refused(["report", str(fresh_run)], capsys)
    assert f"report {fresh_run / blocker}: expected a file path; found a folder." in err
    assert tree(fresh_run) == before


def test_report_figures_folder_is_a_file(fresh_run: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (fresh_run / "report_files").write_text("keep", encoding="utf-8")
    before = tree(fresh_run)
    err = refused(["report", str(fresh_run)], capsys)
    assert "expected a folder for the report's figures; found a file." in err
    assert tree(fresh_run) == before
