"""Compare two run folders table by table: every Parquet table or dataset and every CSV.

Usage::

    python benchmarks/compare_runs.py RUN_A RUN_B

A Parquet table may be one file (``timeseries.parquet``) or a folder of per-task files (a
partitioned dataset, read in path order). Tables are compared row by row in their order, with
values equal to the last bit (NaN equal to NaN); CSVs byte for byte. For a table that differs
only in floating-point values, the largest absolute and relative differences are printed.
Exit status 0 when everything common to both is identical, 1 otherwise.
"""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _parquet(path: Path) -> pd.DataFrame:
    if path.is_dir():
        import pyarrow.dataset as ds

        files = sorted(str(p) for p in path.glob("*.parquet"))
        return ds.dataset(files, format="parquet").to_table().to_pandas()
    return pd.read_parquet(path)


def _compare_frames(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    if list(a.columns) != list(b.columns):
        return f"columns differ: {list(a.columns)} vs {list(b.columns)}"
    if len(a) != len(b):
        return f"rows differ: {len(a)} vs {len(b)}"
    worst = []
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            xv, yv = x.to_numpy(), y.to_numpy()
            if not np.array_equal(xv, yv, equal_nan=True):
                d = np.abs(xv - yv)
                rel = d / np.maximum(np.abs(xv), np.abs(yv))
                n = int((~((xv == yv) | (np.isnan(xv) & np.isnan(yv)))).sum())
                worst.append(f"{c}: {n} values differ, max abs {np.nanmax(d):.3g}, "
                             f"max rel {np.nanmax(rel):.3g}")
        elif not x.astype(str).equals(y.astype(str)):
            return f"column {c} differs"
        elif str(x.dtype) != str(y.dtype):
            worst.append(f"{c}: dtype {x.dtype} vs {y.dtype}")
    return "; ".join(worst) or None


def main(a: Path, b: Path) -> int:
    bad = 0
    names = sorted({p.name for p in a.iterdir()} & {p.name for p in b.iterdir()})
    for name in names:
        pa, pb = a / name, b / name
        if name.endswith(".parquet"):
            why = _compare_frames(_parquet(pa), _parquet(pb))
        elif name.endswith(".csv"):
            why = None if filecmp.cmp(pa, pb, shallow=False) else "bytes differ"
        else:
            continue
        print(f"{name}: {'identical' if why is None else why}")
        bad += why is not None
    only = sorted({p.name for p in a.iterdir()} ^ {p.name for p in b.iterdir()})
    if only:
        print(f"in one folder only: {', '.join(only)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
