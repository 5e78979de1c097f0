"""Write a run folder atomically: build it in ``<run-id>.partial``, rename when complete.

An interrupted run leaves no half-written ``<run-id>`` folder, only the partial one, which holds
the run store (plan, task states, finished tasks) so that ``caresim run --resume`` can finish
it. Layout of a finished run (``docs/outputs.md``): ``tasks.json`` (each task's state),
``manifest.json``, ``timeseries``, ``financial_years``, ``summary`` (Parquet and CSV),
``scorecard.csv``, ``ledger.csv``, ``plots/``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from caresim import __version__
from caresim.errors import RunStoreError
from caresim.scenario import json_default

PACKAGES = ("numpy", "scipy", "simpy", "pandas", "pyarrow", "pydantic", "PyYAML", "numba",
            "matplotlib")


def check_output_root(root: Path) -> None:
    """Fail early (exit 2) when the output folder cannot be used."""
    if root.exists() and not root.is_dir():
        raise RunStoreError(f"--out {root}: expected a folder; found a file.")
    probe = root if root.exists() else root.parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise RunStoreError(f"--out {root}: expected a writable folder; found no write access "
                            f"to {probe}.")


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


def new_run_id(scenario_hash: str, now: dt.datetime) -> str:
    """A run id: UTC time and the scenario hash, e.g. ``20261122T083000Z-1a2b3c4d``."""
    return f"{now.strftime('%Y%m%dT%H%M%S')}Z-{scenario_hash[:8]}"


def _write_table(frame: pd.DataFrame, folder: Path, stem: str) -> None:
    out = frame.copy()
    for col in ("date",):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col]).dt.date.astype(str)
    out.to_parquet(folder / f"{stem}.parquet", index=False)
    out.to_csv(folder / f"{stem}.csv", index=False)


PARTIAL_SUFFIX = ".partial"


def partial_folder(root: Path, scenario_name: str, run_id: str) -> Path:
    """Where a run is built: ``root/<scenario>/<run-id>.partial`` (renamed when complete)."""
    return root / scenario_name / f"{run_id}{PARTIAL_SUFFIX}"


def write_outputs(folder: Path, tables: dict[str, pd.DataFrame], manifest: dict[str, Any],
                  figures: dict[str, Any]) -> None:
    """Write every output file into ``folder`` (the partial folder)."""
    _write_table(tables["timeseries"], folder, "timeseries")
    _write_table(tables["financial_years"], folder, "financial_years")
    _write_table(tables["summary"], folder, "summary")
    tables["scorecard"].to_csv(folder / "scorecard.csv", index=False)
    tables["ledger"].to_csv(folder / "ledger.csv", index=False)
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    for name, fig in figures.items():
        fig.savefig(plots / f"{name}.png", dpi=120, bbox_inches="tight")
    manifest = {**manifest, "finished_utc": dt.datetime.now(dt.UTC).isoformat()}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=json_default))


@contextlib.contextmanager
def atomic_folder(final: Path):
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
