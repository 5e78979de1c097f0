"""Benchmark one or more replications of the caresim engine.

Prints, for a scenario (default ``baseline``) and a set of councils (default all England):

* start-up time: importing the engine and loading the scenario (what every worker pays);
* per replication: wall time, CPU time (user + system; steadier than wall time on a shared
  machine), users in service at the start and the end, and user-years simulated per second;
* peak memory: the process's peak resident set size (``ru_maxrss``), and what the
  replications added to it; with ``--tracemalloc``, the peak of memory allocated through Python
  and numpy during the replications (slower; excludes numba's and the interpreter's own).

The first replication includes loading the compiled numba kernels from their cache (or
compiling them, a few seconds, when the cache is missing or stale); ``--warmup`` runs a
one-council replication first so that the timed runs exclude this.

Usage::

    python benchmarks/run.py                          # one all-England baseline replication
    python benchmarks/run.py --councils Kent Rutland --replications 3
    python benchmarks/run.py --warmup --json out.json
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _user_years(result, cal) -> tuple[float, float, float]:
    """User-years in service over the run (monthly stocks x month length), start and end."""
    import numpy as np

    from caresim.recording import INDEX

    users = (result.monthly[:, :, INDEX["users_community"]]
             + result.monthly[:, :, INDEX["users_residential"]]).sum(axis=1)
    starts = cal.month_starts()
    days = np.array([(b - a).days for a, b in itertools.pairwise(starts)])
    return float((users * days).sum() / 365.25), float(users[0]), float(users[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="baseline", help="scenario name or file")
    ap.add_argument("--councils", nargs="*", default=[],
                    help="council names or GSS codes (default: all 152)")
    ap.add_argument("--replications", type=int, default=1, help="replications to run, 0..N-1")
    ap.add_argument("--first-replication", type=int, default=0)
    ap.add_argument("--warmup", action="store_true",
                    help="run a one-council replication first (numba kernels loaded)")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="also trace the peak of Python/numpy allocations (slower)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    from caresim.councils import select_councils
    from caresim.model.model import run_replication
    from caresim.model.queueing import USING_NUMBA
    from caresim.scenario import load_scenario
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    codes = select_councils(args.councils)
    t_load = time.perf_counter() - t0
    startup = time.perf_counter() - _T_START
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"numba {'on' if USING_NUMBA else 'off'}")
    print(f"start-up: {startup:.2f} s (caresim imports {t_import:.2f} s, scenario and "
          f"councils {t_load:.2f} s)")
    print(f"scenario {args.scenario!r}, {len(codes)} councils")

    if args.warmup:
        t0 = time.perf_counter()
        run_replication(scenario.params, codes[:1], 0)
        print(f"warm-up (1 council): {time.perf_counter() - t0:.2f} s")

    rss_before = _peak_rss_mb()
    if args.tracemalloc:
        tracemalloc.start()
    runs = []
    from caresim.calendar import Calendar

    cal = Calendar(scenario.params.run.start_date, scenario.params.run.end_date)
    for rep in range(args.first_replication, args.first_replication + args.replications):
        w0, c0 = time.perf_counter(), _cpu_s()
        result = run_replication(scenario.params, codes, rep)
        wall, cpu = time.perf_counter() - w0, _cpu_s() - c0
        user_years, first, last = _user_years(result, cal)
        runs.append({"replication": rep, "wall_s": wall, "cpu_s": cpu,
                     "user_years": user_years, "users_first_month": first,
                     "users_last_month": last, "user_years_per_s": user_years / wall})
        print(f"replication {rep}: wall {wall:.2f} s, cpu {cpu:.2f} s, "
              f"{first:,.0f} -> {last:,.0f} users, {user_years / 1e6:.2f}m user-years, "
              f"{user_years / wall / 1e6:.2f}m user-years/s")
        del result
    traced = None
    if args.tracemalloc:
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    peak = _peak_rss_mb()
    print(f"peak RSS {peak:.0f} MB (+{peak - rss_before:.0f} MB during the replications)"
          + (f"; traced peak {traced:.0f} MB" if traced is not None else ""))
    if len(runs) > 1:
        walls = [r["wall_s"] for r in runs]
        print(f"mean wall {sum(walls) / len(walls):.2f} s, min {min(walls):.2f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"scenario": args.scenario, "councils": len(codes),
                       "startup_s": startup, "import_s": t_import, "load_s": t_load,
                       "numba": USING_NUMBA, "peak_rss_mb": peak,
                       "rss_before_mb": rss_before, "traced_peak_mb": traced, "runs": runs},
                      fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
