"""Faults around a run (issue 20): colliding run ids, a run store in use, resuming what cannot
be resumed, non-finite output, file-system errors and bad options. Each ends cleanly: exit
status 2 for bad input or a bad environment, 1 with a one-paragraph message for a fault caresim
detects in itself, never a traceback, and never a finished-looking folder that is not.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

import caresim.app.run as app_run
import caresim.runner as runner
from caresim.cli import main
from caresim.io import locked
from tests.conftest import fail_task, scenario_until

BASELINE = Path(__file__).resolve().parents[2] / "src" / "caresim" / "scenarios" / "baseline.yaml"
SERIAL = ["--workers", "1"]
"""Runs in this process: the faults here are in files and exit statuses, not in workers."""


@pytest.fixture(scope="module")
def short(tmp_path_factory) -> Path:
    """Baseline for Rutland over one financial year, one replication: a run of a few
    seconds."""
    return scenario_until(tmp_path_factory.mktemp("scenario"), "2009-03-31", name="short",
                          councils=["Rutland"], council_replications=1)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return rc, err


def one_paragraph(err: str) -> None:
    """One error paragraph, after any warnings (the short run does not reach most targets, so
    ``run`` warns that they are not scored)."""
    assert "internal error" not in err, err
    lines = [x for x in err.strip().splitlines() if not x.startswith("caresim: warning: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("caresim: error: "), err


@pytest.fixture
def partial(short: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    """An unfinished run folder: replication 1 of 2 failed and was recorded."""
    real = fail_task(monkeypatch)
    assert main(["run", str(short), "--replications", "2", "--workers", "1", "--quiet",
                 "--out", str(tmp_path / "out")]) == 1
    capsys.readouterr()
    monkeypatch.setattr(runner, "run_task", real)
    (found,) = (tmp_path / "out").rglob("*.partial")
    return found


# --------------------------------------------------------------------------- run ids and locks


def test_two_runs_with_the_same_id_get_two_folders(short: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Two identical runs started in the same second had the same run id, and the second died
    with FileExistsError."""
    monkeypatch.setattr(app_run, "run_id", lambda now, *parts: "20260101T000000Z-same")
    for _ in range(2):
        rc, err = run_cli(["run", str(short), "--quiet", *SERIAL, "--out", str(tmp_path)], capsys)
        assert rc == 0, err
    folders = sorted(p.name for p in (tmp_path / "short").iterdir())
    assert folders == ["20260101T000000Z-same", "20260101T000000Z-same-2"]
    for name in folders:
        assert (tmp_path / "short" / name / "manifest.json").is_file()
        assert not (tmp_path / "short" / name / ".lock").exists()


def test_resume_of_a_folder_in_use_is_refused(partial: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Two resumes of one folder both did the work, and one crashed."""
    with locked(partial):
        rc, err = run_cli(["run", "--resume", str(partial), "--quiet"], capsys)
    assert rc == 2
    one_paragraph(err)
    assert f"run folder {partial}: expected a run folder no other caresim process is using; " \
           "found it in use" in err
    assert json.loads((partial / "tasks.json").read_text())["tasks"][1]["state"] == "failed"
    rc, err = run_cli(["run", "--resume", str(partial), "--quiet", *SERIAL], capsys)  # free again
    assert rc == 0, err
    assert not partial.exists()
    assert (partial.parent / partial.name.removesuffix(".partial") / "manifest.json").is_file()


def test_resume_of_a_finished_folder(short: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(short), "--quiet", *SERIAL, "--out", str(tmp_path)]) == 0
    (finished,) = (tmp_path / "short").iterdir()
    before = sorted(p.name for p in finished.iterdir())
    rc, err = run_cli(["run", "--resume", str(finished), "--quiet"], capsys)
    assert rc == 2
    one_paragraph(err)
    assert f"--resume {finished}: expected an unfinished run folder" in err
    assert "found a finished run folder" in err
    assert sorted(p.name for p in finished.iterdir()) == before


@pytest.mark.parametrize(("name", "text", "message"), [
    ("tasks.json", "garbage{", "tasks.json: expected the JSON caresim wrote; found a file that "
                               "cannot be read (JSONDecodeError"),
    ("tasks.json", '{"tasks": [{"index": 0, "state": "running"}]}', "tasks.json: task 0: "
                   "expected index 0 and a state in pending, done, failed; found index 0 and "
                   "state 'running'"),
    ("tasks.json", "[]", "tasks.json: expected a valid dictionary"),
    ("plan.json", "\xff\xfe", "plan.json: expected the JSON caresim wrote; found a file that "
                              "cannot be read"),
    ("plan.json", '{"scenario": "short"}', "plan.json: key 'scenario_files': expected this "
                                           "required key; found nothing"),
])
def test_resume_of_garbage(partial: Path, name: str, text: str, message: str,
                           capsys: pytest.CaptureFixture[str]) -> None:
    (partial / name).write_text(text, encoding="utf-8")
    rc, err = run_cli(["run", "--resume", str(partial), "--quiet"], capsys)
    assert rc == 2
    one_paragraph(err)
    assert message in err, err
    assert partial.exists() and not (partial / "manifest.json").exists()


@pytest.mark.parametrize(("path", "value", "message"), [
    (("services", "cost_community_gbp_per_year", "value"), -5.0,
     "key 'parameters.services.cost_community_gbp_per_year.value': expected a non-negative "
     "number in [0, 1e+12]"),
    (("services", "cost_community_gbp_per_year", "value"), 0.0,
     "key 'parameters.services.cost_community_gbp_per_year.value': expected a value in (0, inf]"),
    (("run", "end_date"), "2999-03-31", "key 'parameters.run.end_date': expected a date at most "
                                        "42 years after start_date"),
])
def test_resume_with_invalid_parameters(partial: Path, path: tuple[str, ...], value: object,
                                        message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads((partial / "plan.json").read_text())
    node = plan["parameters"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    node.pop("range", None)  # a value outside its range would be reported first
    (partial / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    rc, err = run_cli(["run", "--resume", str(partial), "--quiet"], capsys)
    assert rc == 2
    one_paragraph(err)
    assert f"{partial / 'plan.json'}: " in err
    assert message in err, err


def test_resume_with_a_finished_task_missing(partial: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (partial / "ledger.parquet" / "part-000000.parquet").write_bytes(b"not parquet")
    rc, err = run_cli(["run", "--resume", str(partial), "--quiet"], capsys)
    assert rc == 2
    one_paragraph(err)
    assert "task 0: expected the tables of a finished task; found " \
           "ledger.parquet/part-000000.parquet missing or unreadable" in err


# --------------------------------------------------------------------------- non-finite output


def test_non_finite_money_exits_1_and_writes_nothing(short: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A run producing NaN money exited 0 and wrote it; now it names the council, year and
    line, exits 1 and leaves nothing behind."""
    real = runner.run_task

    def nan_spend(index, task):
        r = real(index, task)
        r.ledger.loc[r.ledger.index[0], "spend_total_gbp"] = np.nan
        return r

    monkeypatch.setattr(runner, "run_task", nan_spend)
    out = tmp_path / "out"
    out.mkdir()
    rc, err = run_cli(["run", str(short), "--quiet", *SERIAL, "--out", str(out)], capsys)
    assert rc == 1
    one_paragraph(err)
    assert "ledger line 'spend_total_gbp' for Rutland (E06000017) in 2008-09 is nan" in err
    assert list(out.rglob("*")) == []


def test_infinite_timeseries_value_is_named(short: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    real = runner.run_task

    def inf_income(index, task):
        r = real(index, task)
        ts = r.monthly
        row = ts.index[(ts["metric"] == "income_gbp") & (ts["council_code"] == "E06000017")][3]
        ts.loc[row, "value"] = np.inf
        return r

    monkeypatch.setattr(runner, "run_task", inf_income)
    rc, err = run_cli(["run", str(short), "--quiet", *SERIAL, "--out", str(tmp_path)], capsys)
    assert rc == 1
    assert "timeseries line 'income_gbp' for Rutland (E06000017) in 2008-07-31 is inf" in err
    assert list(tmp_path.rglob("*")) == []


# --------------------------------------------------------------------------- file system


def test_full_disk(short: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    import caresim.partials as partials

    def no_space(frame, path):  # each task writes its own part of the dataset
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(partials, "_atomic_parquet", no_space)
    rc, err = run_cli(["run", str(short), "--quiet", *SERIAL, "--out", str(tmp_path)], capsys)
    assert rc == 2
    one_paragraph(err)
    assert "timeseries.parquet/part-000000.parquet: expected free space on the disk; found No " \
           "space left on device" in err
    finished = [p for p in (tmp_path / "short").iterdir() if not p.name.endswith(".partial")]
    assert finished == []


def test_out_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a_file").write_text("keep", encoding="utf-8")
    rc, err = run_cli(["run", "baseline", "--quiet", "--out", str(tmp_path / "a_file" / "sub")],
                      capsys)
    assert rc == 2
    one_paragraph(err)
    assert f"expected a folder path; found the file {tmp_path / 'a_file'} on it" in err
    assert (tmp_path / "a_file").read_text(encoding="utf-8") == "keep"


def test_out_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    """An --out with no write access is refused before anything runs (as a read-only mount,
    since root ignores permissions)."""
    import caresim.io

    real_access = os.access
    monkeypatch.setattr(caresim.io.os, "access",
                        lambda path, mode: False if Path(path) == tmp_path
                        else real_access(path, mode))
    rc, err = run_cli(["run", "baseline", "--quiet", "--out", str(tmp_path / "out")], capsys)
    assert rc == 2
    one_paragraph(err)
    assert f"--out {tmp_path / 'out'}: expected a writable folder; found no write access to " \
           f"{tmp_path} (permission denied)." in err
    assert list(tmp_path.iterdir()) == []


def test_report_into_a_read_only_run_folder(short: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(short), "--quiet", *SERIAL, "--out", str(tmp_path)]) == 0
    (folder,) = (tmp_path / "short").iterdir()
    if os.geteuid() == 0:  # root ignores permissions: refuse as a read-only mount would
        import pathlib

        real_mkdir = pathlib.Path.mkdir

        def read_only(self, *args, **kwargs):
            if self.is_relative_to(folder):
                raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, "mkdir", read_only)
    else:
        folder.chmod(0o555)
    try:
        rc, err = run_cli(["report", str(folder)], capsys)
    finally:
        folder.chmod(0o755)
    assert rc == 2
    one_paragraph(err)
    assert "expected a location caresim can read and write; found" in err
    assert not (folder / "report.html").exists()


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(("options", "message"), [
    (["--out", ""], "--out: expected a folder path; found ''."),
    (["--scheduler", "not-a-url"], "--scheduler not-a-url: expected a Dask scheduler address "
                                   "such as tcp://HOST:PORT; found no host and port."),
    (["--replications", "auto", "--precision", "nan"], "--precision: expected a number > 0"),
    (["--replications", "auto", "--precision", "inf"], "--precision: expected a number > 0"),
    (["--replications", "3", "--precision", "0.01"], "--precision 0.01: expected with "
                                                     "--replications auto"),
    (["--replications", "auto", "--max-replications", "2"], "--max-replications: expected"),
])
def test_bad_options(short: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     options: list[str], message: str,
                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    rc, err = run_cli(["run", str(short), "--quiet", *options], capsys)
    assert rc == 2
    one_paragraph(err)
    assert message in err, err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- orphans


@pytest.mark.slow
def test_workers_end_when_the_parent_is_killed(short: Path, tmp_path: Path) -> None:
    """SIGKILL of `caresim run` mid-task left its worker processes and the resource tracker
    alive (about 375 MB each). They must end with their parent. The waits are bounds (a
    time-out fails the test), not timed assertions."""
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    cmd = [sys.executable, "-m", "caresim", "run", str(short), "--replications", "8",
           "--workers", "2", "--quiet", "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    children: list = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            stored = list(tmp_path.rglob("ledger.parquet/part-*.parquet"))  # a task's tables
            children = parent.children(recursive=True)
            if stored and len(children) >= 2:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the run ended before it could be killed mid-task"
        assert len(children) >= 2, "no worker processes appeared"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _, alive = psutil.wait_procs(children, timeout=120)
        assert alive == [], f"still alive after their parent was killed: {alive}"
    finally:
        for p in children:
            with contextlib.suppress(psutil.Error):
                p.kill()
