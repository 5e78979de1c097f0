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

With ``--reference``, a last section times the per-person simpy reference
(``benchmarks/reference.py``) and the engine side by side on the same case: whole councils in
data order totalling about ``--reference-users`` people in service on 1 April 2008 (100,000
by default), one replication each, with the ratio of their wall times.

Usage::

    python benchmarks/run.py                          # one all-England baseline replication
    python benchmarks/run.py --councils Kent Rutland --replications 3
    python benchmarks/run.py --warmup --json out.json
    python benchmarks/run.py --warmup --all           # every figure of docs/performance.md
    python benchmarks/run.py --replications 0 --reference   # only the reference section
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


def _reference_case(params, users_wanted: int) -> tuple[list[str], int]:
    """Whole councils in data order, each taken if the total stays within ``users_wanted``
    people in service on 1 April 2008, until the total is within 1% of it."""
    import numpy as np

    from caresim.councils import select_councils
    from caresim.model.inputs import derive_inputs

    codes = select_councils([])
    inp = derive_inputs(params, codes)
    users = np.rint(inp.users_community) + np.rint(inp.users_residential)
    chosen, total = [], 0
    for code, u in zip(codes, users.astype(int).tolist(), strict=True):
        if total + u <= users_wanted:
            chosen.append(code)
            total += u
        if total >= 0.99 * users_wanted:
            break
    return chosen, total


def _time_reference(params, users_wanted: int, replication: int) -> dict:
    """Time the engine and the per-person reference on the same case; print side by side."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reference import run_reference

    from caresim.model.model import run_replication

    codes, users = _reference_case(params, users_wanted)
    print(f"reference case: {len(codes)} whole councils, {users:,} users in service on "
          f"1 April 2008, replication {replication}")
    run_replication(params, codes[:1], replication)  # numba kernels loaded before timing
    out = {"councils": len(codes), "users": users}
    for name, run in (("engine", run_replication), ("reference", run_reference)):
        w0, c0 = time.perf_counter(), _cpu_s()
        run(params, codes, replication)
        out[f"{name}_wall_s"] = time.perf_counter() - w0
        out[f"{name}_cpu_s"] = _cpu_s() - c0
    out["ratio"] = out["reference_wall_s"] / out["engine_wall_s"]
    print(f"  engine     wall {out['engine_wall_s']:8.2f} s, cpu {out['engine_cpu_s']:8.2f} s")
    print(f"  reference  wall {out['reference_wall_s']:8.2f} s, cpu "
          f"{out['reference_cpu_s']:8.2f} s  (one simpy process per person)")
    print(f"  ratio (reference / engine, wall): {out['ratio']:.0f}x")
    return out


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
    ap.add_argument("--all", action="store_true",
                    help="everything issue 4 asks for in one invocation: this England "
                    "replication, the reference beside the engine at ~100k users, cost from "
                    "10k users to all England, and replications on 1 and 2 worker processes")
    ap.add_argument("--reference", action="store_true",
                    help="also time the per-person reference and the engine on one case")
    ap.add_argument("--reference-users", type=int, default=100_000,
                    help="people in service in the reference case (whole councils)")
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
    reference = None
    if args.all:
        args.reference = True
    if args.reference:
        reference = _time_reference(scenario.params, args.reference_users,
                                    args.first_replication)
    scale = parallel = None
    if args.all:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from scaling import parallel as run_parallel
        from scaling import scaling as run_scaling

        print("cost against users (one replication each, CPU seconds, linear fit):")
        scale = run_scaling([10_000, 30_000, 100_000, 300_000, 700_000, 1_300_000])
        for row in scale:
            print("  ", row)
        print("4 replications of councils totalling ~300k users on 1 and 2 worker processes:")
        parallel = run_parallel(4, 300_000)
        for row in parallel:
            print("  ", row)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"scenario": args.scenario, "councils": len(codes),
                       "startup_s": startup, "import_s": t_import, "load_s": t_load,
                       "numba": USING_NUMBA, "peak_rss_mb": peak,
                       "rss_before_mb": rss_before, "traced_peak_mb": traced, "runs": runs,
                       "reference": reference, "scaling": scale, "parallel": parallel},
                      fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
