"""Compiled kernels are cached outside the package: NUMBA_CACHE_DIR when set, else the user's
cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from caresim.model import queueing

SRC = Path(__file__).resolve().parents[2] / "src"
CODE = ("import numpy as np, numba; from caresim.model import kernels; "
        "kernels.indices_below(np.arange(5.0), 2.5, engine='numba'); "
        "print(numba.config.CACHE_DIR)")

pytestmark = pytest.mark.skipif(not queueing.numba_available(), reason="numba not installed")


def _compile(tmp_path: Path, **env_changes: str) -> tuple[str, set[Path]]:
    """Compile one cached kernel in a fresh process; return numba's cache folder and the
    cache index files written inside the package."""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR",
                                                             "CARESIM_DISABLE_NUMBA")}
    env.update(PYTHONPATH=str(SRC), XDG_CACHE_HOME=str(tmp_path / "xdg"), **env_changes)
    before = set(SRC.rglob("*.nbi"))
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.split()[-1]
    return out, set(SRC.rglob("*.nbi")) - before


def test_cache_goes_to_the_user_cache_folder(tmp_path: Path) -> None:
    where, in_package = _compile(tmp_path)
    assert Path(where) == tmp_path / "xdg" / "caresim" / "numba"
    assert list(Path(where).rglob("*.nbi")), "the kernel was cached there"
    assert in_package == set()


def test_numba_cache_dir_is_honoured(tmp_path: Path) -> None:
    where, in_package = _compile(tmp_path, NUMBA_CACHE_DIR=str(tmp_path / "mine"))
    assert Path(where) == tmp_path / "mine"
    assert list((tmp_path / "mine").rglob("*.nbi"))
    assert not (tmp_path / "xdg").exists()
    assert in_package == set()
