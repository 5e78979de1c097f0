"""Cost against the number of users, and replications on one against two worker processes.

Used by ``benchmarks/run.py --all``; runnable alone::

    python benchmarks/scaling.py            # both sections
    python benchmarks/scaling.py --quick    # smaller cases
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def council_sets(targets: list[int]) -> list[tuple[int, list[str]]]:
    """For each target number of users, the first councils in data order reaching it."""
    from caresim.councils import load_councils
    from caresim.model.inputs import derive_inputs
    from caresim.scenario import load_scenario

    params = load_scenario("baseline").params
    codes = load_councils()["code"].tolist()
    inp = derive_inputs(params, codes)
    users = np.rint(inp.users_community) + np.rint(inp.users_residential)
    cum = np.cumsum(users)
    out = []
    for target in targets:
        k = int(np.searchsorted(cum, target)) + 1
        out.append((int(cum[min(k, len(codes)) - 1]), codes[:k]))
    return out


def scaling(targets: list[int]) -> list[dict]:
    """Wall and CPU seconds of one replication for council sets of growing size."""
    import resource

    from caresim.model.model import run_replication
    from caresim.scenario import load_scenario

    params = load_scenario("baseline").params
    run_replication(params, council_sets([1])[0][1], 0)  # warm the numba kernels
    rows = []
    for users, codes in council_sets(targets):
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        run_replication(params, codes, 0)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        rows.append({"users_at_start": users, "councils": len(codes), "wall_s": wall,
                     "cpu_s": cpu})
    x = np.array([r["users_at_start"] for r in rows], float)
    y = np.array([r["cpu_s"] for r in rows])
    slope, intercept = np.polyfit(x, y, 1)
    fitted = intercept + slope * x
    r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    for r, f in zip(rows, fitted, strict=True):
        r["cpu_fit_s"] = float(f)
    rows.append({"fit": f"cpu_s = {intercept:.2f} + {slope * 1e6:.2f} per million users",
                 "r2": float(r2)})
    return rows


def parallel(replications: int, target_users: int) -> list[dict]:
    """Wall seconds of ``replications`` replications through the runner, 1 and 2 processes."""
    from caresim.runner import ExecutorSpec, execute, make_executor, plan
    from caresim.scenario import load_scenario

    params = load_scenario("baseline").params
    users, codes = council_sets([target_users])[0]
    rows = []
    for workers in (1, 2):
        tasks = plan("baseline", params, codes, replications)
        executor = make_executor(ExecutorSpec(workers=workers))
        t0 = time.perf_counter()
        execute(tasks, executor)
        executor.shutdown()
        rows.append({"workers": workers, "replications": replications, "users": users,
                     "wall_s": time.perf_counter() - t0})
    rows[1]["speed_up"] = rows[0]["wall_s"] / rows[1]["wall_s"]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller cases")
    args = ap.parse_args()
    targets = [10_000, 30_000, 100_000, 300_000] if args.quick else \
        [10_000, 30_000, 100_000, 300_000, 700_000, 1_300_000]
    print("cost against users (one replication, 2008-2020):")
    for r in scaling(targets):
        print("  ", r)
    print("replications on 1 and 2 worker processes:")
    for r in parallel(4, 100_000 if args.quick else 300_000):
        print("  ", r)


if __name__ == "__main__":
    main()
