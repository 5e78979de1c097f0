"""Benchmark the measures table of a run folder: the wide tables, then ``measures_table``.

Usage::

    python benchmarks/measures.py RUN_FOLDER [--repeat 3]

Prints the seconds (wall and CPU) to build the wide tables and to build the measures table,
the best of ``--repeat`` runs, and the table's rows. On an all-England run this is the cost
``caresim run`` adds to write ``measures.parquet``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from caresim.measures import RunTables, measures_table


def _tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (pd.read_parquet(folder / "timeseries.parquet"),
            pd.read_parquet(folder / "financial_years.parquet"),
            pd.read_csv(folder / "ledger.csv"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="a run folder written by `caresim run`")
    ap.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = ap.parse_args(argv)
    frames = _tables(args.folder)
    best: dict[str, tuple[float, float]] = {}
    rows = 0
    for _ in range(args.repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        t = RunTables(*frames)
        _ = t.monthly, t.yearly, t.ledger_wide
        w1, c1 = time.perf_counter(), time.process_time()
        rows = len(measures_table(t))
        w2, c2 = time.perf_counter(), time.process_time()
        for name, wall, cpu in (("wide tables", w1 - w0, c1 - c0),
                                ("measures_table", w2 - w1, c2 - c1)):
            if name not in best or cpu < best[name][1]:
                best[name] = (wall, cpu)
    for name, (wall, cpu) in best.items():
        print(f"{name:<15} wall {wall:7.2f} s  cpu {cpu:7.2f} s")
    print(f"rows            {rows:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
