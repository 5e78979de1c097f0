"""Tests for caresim.model.queueing (exact FIFO multi-server queues)."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from caresim.model import queueing
from caresim.model.queueing import ServerPool

ENGINE_PARAMS = [
    "python",
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(not queueing.numba_available(), reason="numba not importable"),
    ),
]


@pytest.fixture(params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


# ---------------------------------------------------------------------------------------------
# Reference implementation: direct per-event simulation, linear scan over a list of servers
# ---------------------------------------------------------------------------------------------


class DirectSim:
    """Naive reference: one list of server free times per group, O(c) scan per job."""

    def __init__(self, n_servers: list[int], start_day: float = 0.0) -> None:
        self.servers = [[start_day] * c for c in n_servers]

    def set_servers(self, n_servers: list[int], now_day: float) -> None:
        for g, c in enumerate(n_servers):
            row = sorted(self.servers[g])
            if c < len(row):
                row = row[len(row) - c :]  # drop the ones free earliest
            else:
                row = row + [now_day] * (c - len(row))
            self.servers[g] = row

    def serve(self, group: np.ndarray, arrival: np.ndarray, duration: np.ndarray) -> np.ndarray:
        out = np.empty(len(group))
        # FIFO per group, ties in input order: a stable sort by (group, arrival).
        order = sorted(range(len(group)), key=lambda i: (group[i], arrival[i]))
        for i in order:
            row = self.servers[int(group[i])]
            if not row:
                out[i] = math.inf
                continue
            j = min(range(len(row)), key=row.__getitem__)
            a = float(arrival[i])
            s = a if a > row[j] else row[j]
            out[i] = s
            row[j] = s + float(duration[i])
        return out

    def busy(self, at_day: float) -> np.ndarray:
        return np.array([sum(f > at_day for f in row) for row in self.servers])


def _random_jobs(
    rng: np.random.Generator, n: int, n_groups: int, t0: float, t1: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    group = rng.integers(0, n_groups, size=n)
    arrival = rng.uniform(t0, t1, size=n)
    # Some exact ties in arrival time, to exercise the stable tie-breaking.
    arrival[rng.random(n) < 0.1] = np.floor(t0)
    duration = rng.exponential(3.0, size=n)
    duration[rng.random(n) < 0.05] = 0.0
    return group, arrival, duration


# ---------------------------------------------------------------------------------------------
# Hand-computed cases
# ---------------------------------------------------------------------------------------------


def test_single_server_hand_computed(engine: str) -> None:
    pool = ServerPool(np.array([1]))
    start = pool.serve(
        np.zeros(5, dtype=int),
        np.array([0.0, 1.0, 2.0, 10.0, 10.5]),
        np.array([2.0, 2.0, 2.0, 1.0, 1.0]),
        engine=engine,
    )
    # 0 -> [0,2); 1 waits to 2 -> [2,4); 2 waits to 4 -> [4,6); idle gap; 10 -> [10,11); 10.5 -> 11
    np.testing.assert_array_equal(start, [0.0, 2.0, 4.0, 10.0, 11.0])
    np.testing.assert_array_equal(pool.busy_servers(10.9), [1])
    np.testing.assert_array_equal(pool.busy_servers(12.0), [0])


def test_two_servers_hand_computed(engine: str) -> None:
    pool = ServerPool(np.array([2]))
    start = pool.serve(
        np.zeros(5, dtype=int),
        np.array([0.0, 0.0, 0.0, 0.0, 20.0]),
        np.array([3.0, 1.0, 1.0, 1.0, 5.0]),
        engine=engine,
    )
    # A: [0,3); B: [0,1); job 2 takes B at 1 -> [1,2); job 3 takes B at 2 -> [2,3); idle; 20
    np.testing.assert_array_equal(start, [0.0, 0.0, 1.0, 2.0, 20.0])
    np.testing.assert_array_equal(pool.busy_servers(21.0), [1])


def test_ties_served_in_input_order(engine: str) -> None:
    arrival = np.array([5.0, 5.0, 5.0])
    pool = ServerPool(np.array([1]))
    start = pool.serve(np.zeros(3, dtype=int), arrival, np.array([1.0, 2.0, 3.0]), engine=engine)
    np.testing.assert_array_equal(start, [5.0, 6.0, 8.0])
    pool = ServerPool(np.array([1]))
    start = pool.serve(np.zeros(3, dtype=int), arrival, np.array([3.0, 2.0, 1.0]), engine=engine)
    np.testing.assert_array_equal(start, [5.0, 8.0, 10.0])


def test_unsorted_input_and_groups_independent(engine: str) -> None:
    pool = ServerPool(np.array([1, 1]))
    start = pool.serve(
        np.array([1, 0, 1, 0]),
        np.array([3.0, 1.0, 0.0, 0.0]),
        np.array([1.0, 1.0, 5.0, 2.0]),
        engine=engine,
    )
    # group 0: arrival 0 -> [0,2), arrival 1 -> 2. group 1: arrival 0 -> [0,5), arrival 3 -> 5
    np.testing.assert_array_equal(start, [5.0, 2.0, 0.0, 0.0])


def test_zero_servers_gives_inf(engine: str) -> None:
    pool = ServerPool(np.array([0, 1]))
    start = pool.serve(
        np.array([0, 1, 0, 1]),
        np.array([0.0, 0.0, 1.0, 1.0]),
        np.array([1.0, 2.0, 1.0, 2.0]),
        engine=engine,
    )
    np.testing.assert_array_equal(start, [np.inf, 0.0, np.inf, 2.0])
    np.testing.assert_array_equal(pool.busy_servers(0.0), [0, 1])


def test_start_day(engine: str) -> None:
    pool = ServerPool(np.array([2]), start_day=10.0)
    start = pool.serve(np.zeros(3, dtype=int), np.array([0.0, 11.0, 12.0]),
                       np.array([5.0, 1.0, 1.0]), engine=engine)  # fmt: skip
    np.testing.assert_array_equal(start, [10.0, 11.0, 12.0])


def test_empty_input(engine: str) -> None:
    pool = ServerPool(np.array([1, 2]))
    start = pool.serve(np.array([], dtype=int), np.array([]), np.array([]), engine=engine)
    assert start.shape == (0,)
    assert start.dtype == np.float64


def test_set_servers_hand_computed(engine: str) -> None:
    pool = ServerPool(np.array([1]))
    pool.serve(np.array([0]), np.array([0.0]), np.array([10.0]), engine=engine)  # busy to 10
    pool.set_servers(np.array([2]), now_day=5.0)  # added server free from 5
    np.testing.assert_array_equal(pool.n_servers, [2])
    start = pool.serve(np.array([0, 0]), np.array([3.0, 6.0]), np.array([1.0, 1.0]),
                       engine=engine)  # fmt: skip
    np.testing.assert_array_equal(start, [5.0, 6.0])  # not before now_day; then server at 6

    # Two servers free at 7 and 10; dropping one removes the one free at 7.
    pool.set_servers(np.array([1]), now_day=6.5)
    np.testing.assert_array_equal(pool.busy_servers(6.5), [1])
    start = pool.serve(np.array([0]), np.array([8.0]), np.array([1.0]), engine=engine)
    np.testing.assert_array_equal(start, [10.0])

    # Idle servers are removed before busy ones.
    pool = ServerPool(np.array([3]))
    pool.serve(np.array([0]), np.array([0.0]), np.array([100.0]), engine=engine)
    pool.set_servers(np.array([1]), now_day=1.0)
    np.testing.assert_array_equal(pool.busy_servers(1.0), [1])
    start = pool.serve(np.array([0]), np.array([2.0]), np.array([1.0]), engine=engine)
    np.testing.assert_array_equal(start, [100.0])

    # Down to zero and back.
    pool.set_servers(np.array([0]), now_day=3.0)
    start = pool.serve(np.array([0]), np.array([4.0]), np.array([1.0]), engine=engine)
    np.testing.assert_array_equal(start, [np.inf])
    pool.set_servers(np.array([1]), now_day=50.0)
    start = pool.serve(np.array([0]), np.array([60.0]), np.array([1.0]), engine=engine)
    np.testing.assert_array_equal(start, [60.0])


# ---------------------------------------------------------------------------------------------
# Properties on random input
# ---------------------------------------------------------------------------------------------


def test_engines_identical_on_random_input() -> None:
    if not queueing.numba_available():
        pytest.skip("numba not importable")
    rng = np.random.default_rng(20240601)
    n_groups = 7
    n_servers = np.array([1, 2, 3, 0, 5, 8, 13])
    pools = {e: ServerPool(n_servers, start_day=-2.0) for e in ("numba", "python")}
    for window in range(6):
        t0 = 30.0 * window
        group, arrival, duration = _random_jobs(rng, 3000, n_groups, t0, t0 + 30.0)
        out = {e: p.serve(group, arrival, duration, engine=e) for e, p in pools.items()}
        assert np.array_equal(out["numba"], out["python"])  # bit for bit, inf included
        closed = pools["numba"].n_servers[group] == 0
        assert closed.any() and (~closed).any()
        assert np.isinf(out["numba"][closed]).all()
        assert np.isfinite(out["numba"][~closed]).all()
        np.testing.assert_array_equal(
            pools["numba"].busy_servers(t0 + 30.0), pools["python"].busy_servers(t0 + 30.0)
        )
        if window == 2:
            for p in pools.values():
                p.set_servers(np.array([2, 1, 20, 4, 5, 0, 13]), now_day=t0 + 30.0)
    np.testing.assert_array_equal(
        np.sort(pools["numba"]._free_at, axis=1), np.sort(pools["python"]._free_at, axis=1)
    )


def test_matches_direct_simulation(engine: str) -> None:
    rng = np.random.default_rng(7)
    n_servers = [1, 2, 3, 0, 6]
    pool = ServerPool(np.array(n_servers))
    ref = DirectSim(n_servers)
    group, arrival, duration = _random_jobs(rng, 2000, len(n_servers), 0.0, 300.0)
    np.testing.assert_array_equal(
        pool.serve(group, arrival, duration, engine=engine), ref.serve(group, arrival, duration)
    )


def test_state_carries_over_between_calls(engine: str) -> None:
    rng = np.random.default_rng(11)
    n_servers = np.array([1, 3, 4, 10])
    group, arrival, duration = _random_jobs(rng, 4000, 4, 0.0, 200.0)
    one_call = ServerPool(n_servers).serve(group, arrival, duration, engine=engine)

    pool = ServerPool(n_servers)
    two_calls = np.empty_like(one_call)
    first = arrival < 97.3  # a split in time: later call never has earlier arrivals
    two_calls[first] = pool.serve(group[first], arrival[first], duration[first], engine=engine)
    two_calls[~first] = pool.serve(group[~first], arrival[~first], duration[~first],
                                   engine=engine)  # fmt: skip
    assert np.array_equal(one_call, two_calls)
    assert first.any() and (~first).any()


def test_fifo_start_times_non_decreasing(engine: str) -> None:
    rng = np.random.default_rng(3)
    pool = ServerPool(np.array([3]))
    n = 5000
    arrival = rng.uniform(0.0, 1000.0, size=n)
    duration = rng.exponential(1.0, size=n)  # load 3*5/... heavy enough to queue
    duration *= 3.0 * 1000.0 / duration.sum() * 0.95
    start = pool.serve(np.zeros(n, dtype=int), arrival, duration, engine=engine)
    order = np.argsort(arrival, kind="stable")
    assert np.all(np.diff(start[order]) >= 0.0)
    assert np.all(start >= arrival)
    assert np.mean(start > arrival) > 0.1  # there was actual queueing


def test_output_in_input_order(engine: str) -> None:
    rng = np.random.default_rng(5)
    n_servers = np.array([2, 3, 1])
    n = 3000
    group = rng.integers(0, 3, size=n)
    arrival = rng.permutation(n).astype(float) * 0.1  # distinct arrival times
    duration = rng.exponential(0.5, size=n)
    base = ServerPool(n_servers).serve(group, arrival, duration, engine=engine)
    perm = rng.permutation(n)
    shuffled = ServerPool(n_servers).serve(group[perm], arrival[perm], duration[perm],
                                           engine=engine)  # fmt: skip
    assert np.array_equal(shuffled, base[perm])
    assert not np.array_equal(base[perm], base)  # the shuffle did change the order


@pytest.mark.parametrize("n_groups", [3, 70_000])
def test_fifo_order_equals_lexsort(n_groups: int) -> None:
    rng = np.random.default_rng(17)
    n = 20_000
    group = rng.integers(0, n_groups, size=n)
    group[: n // 2] = rng.integers(0, 3, size=n // 2)  # many jobs per group
    arrival = np.round(rng.uniform(0.0, 50.0, size=n), 1)  # many exact ties
    order = queueing._fifo_order(group, arrival, n_groups)
    np.testing.assert_array_equal(order, np.lexsort((arrival, group)))


def test_set_servers_matches_direct_simulation(engine: str) -> None:
    rng = np.random.default_rng(99)
    capacities = [
        [2, 1, 3, 0],
        [4, 1, 3, 2],  # increase
        [1, 0, 3, 2],  # decrease (some to zero)
        [9, 2, 1, 2],  # beyond the initial maximum
        [3, 2, 1, 12],
        [0, 0, 0, 0],
        [1, 5, 2, 3],
    ]
    pool = ServerPool(np.array(capacities[0]), start_day=0.0)
    ref = DirectSim(capacities[0], start_day=0.0)
    for w, caps in enumerate(capacities):
        t0 = 30.0 * w
        if w > 0:
            pool.set_servers(np.array(caps), now_day=t0)
            ref.set_servers(caps, now_day=t0)
        np.testing.assert_array_equal(pool.n_servers, caps)
        np.testing.assert_array_equal(pool.busy_servers(t0), ref.busy(t0))
        group, arrival, duration = _random_jobs(rng, 400, 4, t0, t0 + 30.0)
        duration *= 2.0
        got = pool.serve(group, arrival, duration, engine=engine)
        want = ref.serve(group, arrival, duration)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(pool.busy_servers(t0 + 15.0), ref.busy(t0 + 15.0))


# ---------------------------------------------------------------------------------------------
# Queueing theory
# ---------------------------------------------------------------------------------------------


def erlang_c(c: int, offered_load: float) -> float:
    """Probability of waiting in M/M/c with offered load a = lambda/mu (Erlang C)."""
    a = offered_load
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_formula() -> None:
    assert erlang_c(1, 0.8) == pytest.approx(0.8)  # M/M/1: P(wait) = rho
    assert erlang_c(3, 2.4) == pytest.approx(11.52 / 17.8)
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)


def _mmc_waits(c: int, lam: float, mu: float, n: int, seed: int) -> np.ndarray:
    """Queue waits of n customers in M/M/c, fed month by month (30-day windows)."""
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1.0 / lam, size=n))
    duration = rng.exponential(1.0 / mu, size=n)
    group = np.zeros(n, dtype=np.int64)
    pool = ServerPool(np.array([c]))
    start = np.empty(n)
    edges = np.searchsorted(arrival, np.arange(0.0, arrival[-1] + 30.0, 30.0))
    edges = np.append(edges, n)
    for lo, hi in itertools.pairwise(edges):
        if hi > lo:
            start[lo:hi] = pool.serve(group[lo:hi], arrival[lo:hi], duration[lo:hi],
                                      engine=None)  # fmt: skip
    return start - arrival


def _batch_means(x: np.ndarray, n_batches: int = 40) -> tuple[float, float]:
    batches = np.array([b.mean() for b in np.array_split(x, n_batches)])
    return float(batches.mean()), float(batches.std(ddof=1) / math.sqrt(n_batches))


@pytest.mark.parametrize(
    ("c", "lam", "mu", "seed"),
    [
        (3, 2.4, 1.0, 12345),  # M/M/3, rho = 0.8
        (1, 0.8, 1.0, 54321),  # M/M/1, rho = 0.8
    ],
)
def test_mmc_mean_wait_matches_theory(c: int, lam: float, mu: float, seed: int) -> None:
    n = 400_000
    waits = _mmc_waits(c, lam, mu, n, seed)
    assert np.all(waits >= 0.0)
    waits = waits[n // 20 :]  # drop warm-up from the empty-and-idle start
    mean, se = _batch_means(waits)
    if c == 1:
        expected = (lam / mu) / (mu - lam)  # rho / (mu - lambda) = 4.0
        assert expected == pytest.approx(4.0)
    else:
        expected = erlang_c(c, lam / mu) / (c * mu - lam)
        assert expected == pytest.approx(1.0787, abs=1e-4)
    assert abs(mean - expected) < 3.0 * se, (mean, expected, se)
    assert se < 0.05 * expected  # the run is long enough for the check to be meaningful
    # P(wait > 0) = Erlang C (also rho for c = 1): a second, independent moment check.
    p_wait = float(np.mean(waits > 0.0))
    assert p_wait == pytest.approx(erlang_c(c, lam / mu), abs=0.01)


# ---------------------------------------------------------------------------------------------
# Validation and engine selection
# ---------------------------------------------------------------------------------------------


def test_validation_errors() -> None:
    with pytest.raises(ValueError):
        ServerPool(np.array([1, -1]))
    with pytest.raises(TypeError):
        ServerPool(np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        ServerPool(np.array([[1, 2]]))
    pool = ServerPool(np.array([1, 2]))
    g, a, d = np.array([0, 1]), np.array([0.0, 1.0]), np.array([1.0, 1.0])
    with pytest.raises(ValueError, match="shape"):
        pool.serve(g, a[:1], d)
    with pytest.raises(ValueError):
        pool.serve(g[:, None], a[:, None], d[:, None])
    with pytest.raises(TypeError):
        pool.serve(np.array([0.0, 1.0]), a, d)
    with pytest.raises(ValueError):
        pool.serve(np.array([0, 2]), a, d)
    with pytest.raises(ValueError):
        pool.serve(g, np.array([0.0, np.nan]), d)
    with pytest.raises(ValueError):
        pool.serve(g, a, np.array([1.0, -1.0]))
    with pytest.raises(ValueError):
        pool.serve(g, a, np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="engine"):
        pool.serve(g, a, d, engine="cython")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pool.set_servers(np.array([1, 2, 3]), now_day=0.0)
    with pytest.raises(ValueError):
        pool.set_servers(np.array([1, 2]), now_day=np.nan)
    # Failed calls leave the state untouched.
    np.testing.assert_array_equal(pool.n_servers, [1, 2])
    np.testing.assert_array_equal(pool.serve(g, a, d), [0.0, 1.0])


def test_n_servers_is_a_copy() -> None:
    pool = ServerPool(np.array([1, 2]))
    n = pool.n_servers
    n[0] = 50
    np.testing.assert_array_equal(pool.n_servers, [1, 2])


def test_default_engine_and_env_switch() -> None:
    expected = queueing.numba_available() and os.environ.get("CARESIM_DISABLE_NUMBA") != "1"
    assert expected == queueing.USING_NUMBA
    assert queueing.default_engine() == ("numba" if queueing.USING_NUMBA else "python")
    src = str(Path(queueing.__file__).resolve().parents[2])
    env = dict(os.environ, CARESIM_DISABLE_NUMBA="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    code = (
        "from caresim.model import queueing as q; import numpy as np; "
        "p = q.ServerPool(np.array([1])); "
        "s = p.serve(np.array([0, 0]), np.array([0.0, 0.0]), np.array([1.0, 1.0])); "
        "print(q.USING_NUMBA, q.default_engine(), s.tolist())"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert res.stdout.split() == ["False", "python", "[0.0,", "1.0]"]


# ---------------------------------------------------------------------------------------------
# Reneging: jobs whose wait would exceed their patience leave unserved
# ---------------------------------------------------------------------------------------------


def test_reneging_hand_computed(engine: str) -> None:
    pool = ServerPool(np.array([1]))
    start = pool.serve(np.array([0, 0, 0]), np.array([0.0, 1.0, 2.0]),
                       np.array([10.0, 10.0, 10.0]), np.array([np.inf, 5.0, np.inf]),
                       engine=engine)
    # B (arrives 1, would start 10, wait 9 > 5) reneges; C takes the server at 10, not 20
    assert start[0] == 0.0
    assert np.isnan(start[1])
    assert start[2] == 10.0


def test_reneging_engines_identical_and_bounded() -> None:
    if not queueing.numba_available():
        pytest.skip("numba not importable")
    rng = np.random.default_rng(7)
    n = 20_000
    group = rng.integers(0, 5, n)
    arrival = np.sort(rng.uniform(0, 1000, n))
    duration = rng.exponential(1.5, n)  # overloaded: 20 arrivals/day vs ~5 servers
    patience = rng.uniform(0, 30, n)
    out = {}
    for eng in ("numba", "python"):
        pool = ServerPool(np.array([3, 4, 5, 6, 7]))
        out[eng] = pool.serve(group, arrival, duration, patience, engine=eng)
    np.testing.assert_array_equal(out["numba"], out["python"])
    served = ~np.isnan(out["numba"])
    assert 0 < served.sum() < n
    assert np.all(out["numba"][served] - arrival[served] <= patience[served])


def test_negative_patience_rejected() -> None:
    pool = ServerPool(np.array([1]))
    with pytest.raises(ValueError, match="patience"):
        pool.serve(np.array([0]), np.array([0.0]), np.array([1.0]), np.array([-1.0]))
