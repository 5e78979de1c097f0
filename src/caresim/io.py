"""Every file caresim writes goes through this module: one atomic writer, one run id, one layout.

A run folder is written atomically: built in ``<run-id>.partial``, renamed when complete.

An interrupted run leaves no half-written ``<run-id>`` folder, only the partial one, which holds
the run store (plan, task states, finished tasks) so that ``caresim run --resume`` can finish
it. Layout of a finished run (``docs/outputs.md``): ``tasks.json`` (each task's state),
``manifest.json``, the per-run tables ``timeseries.parquet/``, ``financial_years.parquet/`` and
``ledger.parquet/`` (Parquet datasets: one file per task, written by the task,
:mod:`caresim.partials`), ``summary.parquet``, ``measures.parquet``, the CSVs people open by
hand (``financial_years.csv``, ``summary.csv``, ``scorecard.csv``, ``ledger.csv``), ``plots/``.

Every other output (a comparison, a validation, a calibration, a sensitivity analysis, a report,
the workbook, the run store's ``plan.json`` and ``tasks.json``) goes through the same two
writers: :func:`atomic_file` for one file and :func:`atomic_folder` for a folder, so nothing is
ever left half-written; :func:`write_folder` writes a study's tables, texts, figures and
manifest into one. Folder names come from :func:`run_id`.

Run folders stay consistent when runs collide or are killed: :func:`claim_partial` creates a
run's ``<run-id>.partial`` folder atomically (two runs started in the same second with the same
scenario take ``<run-id>`` and ``<run-id>-2``), and :func:`locked` holds an exclusive lock
(``fcntl.flock`` on ``<folder>/.lock``) while a run store is in use, so a second
``caresim run --resume`` of one folder stops with a clear message. The system releases the lock
when the process ends, however it ends (even ``kill -9``), so a stale lock never blocks a
resume."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from caresim import __version__
from caresim.errors import RunStoreError
from caresim.measures import yearly_rows
from caresim.scenario import json_default

try:
    import fcntl
except ImportError:  # not on Windows: run stores are not locked there
    fcntl = None  # type: ignore[assignment]

PACKAGES = ("numpy", "scipy", "simpy", "pandas", "pyarrow", "pydantic", "PyYAML", "numba",
            "matplotlib")


def _nearest_existing(path: Path) -> Path:
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _refuses_writing(folder: Path) -> str | None:
    """Why ``folder`` refuses a new entry (tried by making and removing an empty folder in it,
    since permissions alone do not say: root ignores them, a read-only mount or a pseudo file
    system does not), or None when it accepts one."""
    if not os.access(folder, os.W_OK):
        return "permission denied"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".caresim-probe-", dir=folder))
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def check_output_root(root: Path, option: str = "--out") -> None:
    """Fail early (exit 2), before anything runs or is written, when the output folder cannot
    be used: it is a file, a file lies on its path, or the folder that would hold it refuses
    writing.

    Parameters
    ----------
    root : pathlib.Path
        The output folder asked for (it need not exist).
    option : str
        How the user named it, for the message (``--out``, ``RUN_DIR``).

    Raises
    ------
    caresim.errors.RunStoreError
        When the folder cannot be written.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise RunStoreError(f"{option} {root}: expected a folder; found a file.")
    _refuse_unwritable(root, root, option, "a folder path", "a writable folder")


def check_output_file(path: Path, option: str) -> None:
    """Fail early (exit 2), before anything runs, when a file caresim will write cannot be:
    it is a folder, a file lies on its path, or its folder refuses writing.

    Parameters
    ----------
    path : pathlib.Path
        The file to be written (it need not exist).
    option : str
        How the user named it, for the message (e.g. ``--write-scenario``).

    Raises
    ------
    caresim.errors.RunStoreError
        When the file cannot be written.
    """
    path = Path(path)
    if path.is_dir():
        raise RunStoreError(f"{option} {path}: expected a file path; found a folder.")
    _refuse_unwritable(path, path.parent, option, "a file path", "a file in a writable folder")


def _refuse_unwritable(named: Path, folder: Path, option: str, path_kind: str,
                       writable: str) -> None:
    """Raise when a file lies on ``folder``'s path (e.g. ``--out a_file/sub``) or the nearest
    existing folder on it refuses writing; the message names ``named`` as ``option`` gave it."""
    probe = _nearest_existing(folder)
    if not probe.is_dir():
        raise RunStoreError(f"{option} {named}: expected {path_kind}; found the file {probe} "
                            "on it.")
    why = _refuses_writing(probe)
    if why is not None:
        raise RunStoreError(f"{option} {named}: expected {writable}; found no write access to "
                            f"{probe} ({why}).")


def git_commit() -> str | None:
    """The git commit of the caresim source tree, when it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def environment() -> dict[str, Any]:
    """Platform, Python and package versions for the manifest."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"platform": platform.platform(), "python": sys.version.split()[0],
            "packages": versions, "caresim": __version__, "git_commit": git_commit()}


def run_id(now: dt.datetime, *parts: str) -> str:
    """The id of a run or study: UTC time then its parts, e.g. ``20261122T083000Z-1a2b3c4d``.

    Parameters
    ----------
    now : datetime.datetime
        When it started (UTC).
    *parts : str
        What it is: a scenario hash's first 8 digits, a method, scenario names...
    """
    return "-".join((f"{now.strftime('%Y%m%dT%H%M%S')}Z", *parts))


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write into; move it onto ``path`` on success
    (replacing any old file), remove it on any failure."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path, data: Any, indent: int = 2) -> None:
    """Write ``data`` as JSON (dates as ISO text) to ``path`` atomically."""
    write_text(path, json.dumps(data, indent=indent, default=json_default))


def save_figure(fig: Any, path: Path, dpi: int = 120) -> None:
    """Save a matplotlib figure as PNG (tight bounding box) and close it."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def _write_table(frame: pd.DataFrame, folder: Path, stem: str,
                 csv: Callable[[pd.DataFrame], pd.DataFrame] | None) -> None:
    """``stem.parquet``, whole, and ``stem.csv`` of the rows and columns ``csv`` keeps (none
    when ``csv`` is ``None``)."""
    out = frame
    if "date" in out.columns:  # a copy only when a column changes (a summary has no date)
        out = frame.copy()
        out["date"] = pd.to_datetime(out["date"]).dt.date.astype(str)
    out.to_parquet(folder / f"{stem}.parquet", index=False)
    if csv is not None:
        csv(out).to_csv(folder / f"{stem}.csv", index=False)


SAME_ON_EVERY_ROW = ("scenario", "covers")
"""Summary columns with one value for the whole run, kept in the manifest, not on every row
of ``summary.csv``."""


def _same_on_every_row(summary: pd.DataFrame) -> dict[str, str]:
    """The :data:`SAME_ON_EVERY_ROW` columns of ``summary`` with one value, and that value
    (each column looked at once: millions of rows for England)."""
    return {c: str(summary[c].iloc[0]) for c in SAME_ON_EVERY_ROW
            if c in summary.columns and summary[c].nunique() == 1}


def _summary_csv(every_period: bool, same: dict[str, str]
                 ) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def rows(summary: pd.DataFrame) -> pd.DataFrame:
        kept = summary if every_period else yearly_rows(summary)
        return kept.drop(columns=list(same))
    return rows


PARTIAL_SUFFIX = ".partial"
LOCK_NAME = ".lock"


def claim_partial(root: Path, scenario_name: str, run_id: str, attempts: int = 1000) -> Path:
    """Create and return a new, empty ``root/<scenario>/<run-id>[-k].partial`` folder.

    Creating a folder is atomic, and a finished ``<run-id>`` folder only ever comes from
    renaming its own ``.partial`` folder, so two runs never claim the same id.

    Parameters
    ----------
    root : pathlib.Path
        The output folder (``--out``).
    scenario_name : str
        The scenario's name (a safe folder name).
    run_id : str
        The run id wanted (:func:`run_id`); ``-2``, ``-3``, ... is added when it is taken.
    attempts : int
        How many ids to try.

    Raises
    ------
    caresim.errors.RunStoreError
        When no id is free after ``attempts`` tries.
    """
    parent = Path(root) / scenario_name
    parent.mkdir(parents=True, exist_ok=True)
    for k in range(1, attempts + 1):
        rid = run_id if k == 1 else f"{run_id}-{k}"
        partial = parent / f"{rid}{PARTIAL_SUFFIX}"
        try:
            partial.mkdir()
        except FileExistsError:
            continue
        if (parent / rid).exists():  # a finished run took this id first
            partial.rmdir()
            continue
        return partial
    raise RunStoreError(f"--out {root}: expected a free run id for {run_id}; found "
                        f"{attempts} taken.")


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the run store in ``folder`` exclusively while the block runs.

    Raises
    ------
    caresim.errors.RunStoreError
        When another process holds it.
    """
    if fcntl is None:
        yield
        return
    fd = os.open(Path(folder) / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunStoreError(f"run folder {folder}: expected a run folder no other caresim "
                                "process is using; found it in use (another `caresim run` is "
                                "running or resuming it).") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def discard_partial(folder: Path) -> None:
    """Remove a partial folder that can never be finished, and its scenario folder if that is
    left empty, so that a failed run leaves nothing behind."""
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        Path(folder).parent.rmdir()  # only when empty


def remove_lock_file(folder: Path) -> None:
    """Remove the lock file from a folder no longer in use (a finished run's)."""
    with contextlib.suppress(FileNotFoundError):
        (Path(folder) / LOCK_NAME).unlink()


def write_outputs(folder: Path, summary: pd.DataFrame, scorecard: pd.DataFrame,
                  manifest: dict[str, Any], n_tasks: int, all_csv: bool = False) -> None:
    """Write the run-wide files into ``folder`` (the partial folder) beside the datasets the
    tasks wrote (``timeseries.parquet/``, ``financial_years.parquet/``, ``ledger.parquet/``,
    one file per task: :mod:`caresim.partials`): the summary as Parquet;
    as CSV the tables people open by hand (financial years, the summary by financial year, the
    scorecard, the ledger: the tasks' rows joined in plan order) and, with ``all_csv``, the
    monthly ``timeseries.csv`` and the summary's monthly rows too. ``measures.parquet`` (the
    tasks' measures joined), the plots and the workbook are made beside these
    (:mod:`caresim.app.side`)."""
    from caresim.partials import CSV_TABLES, join_csv

    tasks = list(range(n_tasks))
    for table, stem in CSV_TABLES.items():
        join_csv(folder, tasks, table, folder / f"{stem}.csv")
    if all_csv:
        join_csv(folder, tasks, "monthly", folder / "timeseries.csv")
    same = _same_on_every_row(summary)
    _write_table(summary, folder, "summary", _summary_csv(all_csv, same))
    manifest = {**manifest, "summary_csv": {
        "rows": "every period" if all_csv else "financial years", **same}}
    scorecard.to_csv(folder / "scorecard.csv", index=False)
    manifest = {"finished_utc": dt.datetime.now(dt.UTC).isoformat(), **manifest}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=json_default))


def write_folder(final: Path, csv: dict[str, pd.DataFrame] | None = None,
                 text: dict[str, str] | None = None, figures: dict[str, Any] | None = None,
                 manifest: dict[str, Any] | None = None, dpi: int = 120) -> Path:
    """Write a study's folder atomically and return it.

    Parameters
    ----------
    final : pathlib.Path
        The folder to create (it must not exist).
    csv : dict
        File name (relative, e.g. ``comparison.csv``) -> table, written without the index.
    text : dict
        File name -> text (UTF-8).
    figures : dict
        File name (e.g. ``plots/a.png``) -> matplotlib figure, saved and closed.
    manifest : dict
        Written as ``manifest.json`` (dates as ISO text).
    """
    with atomic_folder(final) as tmp:
        for name, frame in (csv or {}).items():
            frame.to_csv(tmp / name, index=False)
        for name, body in (text or {}).items():
            (tmp / name).write_text(body, encoding="utf-8")
        if manifest is not None:
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2,
                                                          default=json_default))
        for name, fig in (figures or {}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            save_figure(fig, tmp / name, dpi)
    return final


@contextlib.contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield ``<final>.partial`` to write into; rename it to ``final`` on success and remove
    it on any failure, so no half-written folder is left behind."""
    tmp = final.with_name(final.name + PARTIAL_SUFFIX)
    if final.exists():
        raise RunStoreError(f"output folder {final} already exists; expected a new one.")
    tmp.mkdir(parents=True)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def finalise(partial: Path) -> Path:
    """Drop the per-task tables and rename the partial folder into place; returns the path."""
    final = partial.with_name(partial.name.removesuffix(PARTIAL_SUFFIX))
    if final.exists():
        raise RunStoreError(f"run folder {final} already exists; expected a new run id.")
    shutil.rmtree(partial / "tasks", ignore_errors=True)
    os.replace(partial, final)
    return final
