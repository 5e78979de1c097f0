"""Bit-for-bit equality of the engine's fast paths with the plain formulations they replace.

Part of the default test tier. Each fast path is checked on random
inputs, including NaN, infinities, ties and signed zeros where they can occur:

* numba kernels (:mod:`caresim.model.kernels`, the equal-duration queue kernel) against their
  pure-numpy fallbacks, and the fallbacks against the original numpy code;
* the sorting helpers against numpy's stable sorts (and ``searchsorted``);
* the bucketed :class:`~caresim.model.buffers.EventBuffer` and the
  :class:`~caresim.model.buffers.RecordBuffer` against the original concatenating buffer;
* :meth:`caresim.streams.StreamSet.draw_grouped` against the original argsort-per-call version;
* a small model run with numba on and off (subprocess), bit for bit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from caresim.model import kernels, queueing
from caresim.model.buffers import EventBuffer, RecordBuffer
from caresim.model.sorting import (
    group_order,
    group_time_order,
    searchsorted_right,
    stable_argsort_float,
)
from caresim.streams import StreamSet

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf x 0 in edge cases
needs_numba = pytest.mark.skipif(not queueing.numba_available(), reason="numba not importable")
SEEDS = range(60)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
        a, b, equal_nan=a.dtype.kind in "fc")


def _population(rng: np.random.Generator, n_rows: int, n: int) -> dict[str, np.ndarray]:
    council = rng.integers(0, n, n_rows).astype(np.int32)
    if rng.random() < 0.5:  # partly grouped, like the real population
        k = n_rows // 2
        council[:k] = np.sort(council[:k])
    setting = (rng.random(n_rows) < 0.3).astype(np.int8)
    mode = np.where(setting == 0, rng.integers(0, 3, n_rows), 0).astype(np.int8)
    cost = rng.choice([0.0, 1.5e4, 2.2e4], n_rows) + rng.random(n_rows) * 1e4
    t_acc = rng.random(n_rows) * 40
    t_acc[rng.random(n_rows) < 0.05] = 100.0  # accrued past t1: clipped at zero days
    if rng.random() < 0.3:
        t_acc[rng.integers(0, n_rows)] = np.nan
        cost[rng.integers(0, n_rows)] = np.inf
    active = rng.random(n_rows) < 0.8
    t_exit = rng.choice([np.inf, 10.0], n_rows) * rng.random(n_rows) + rng.random(n_rows) * 60
    t_review = rng.random(n_rows) * 80
    t_review[rng.random(n_rows) < 0.02] = np.nan
    queued = rng.random(n_rows) < 0.4
    return dict(council=council, setting=setting, mode=mode, cost=cost, t_accrued=t_acc,
                active=active, t_exit=t_exit, t_review=t_review, queued=queued)


# --------------------------------------------------------------------------------------------
# kernels: numba == numpy fallback == original formulation
# --------------------------------------------------------------------------------------------


def _original_accrual(p, idx, t, n):
    """The original finance.accrue of rows ``idx`` to time ``t``: (spend by council and line,
    the accrual times after)."""
    t_acc = p["t_accrued"].copy()
    days = np.maximum(np.asarray(t) - t_acc[idx], 0.0)
    amount = p["cost"][idx] * days / 365.25
    line = np.where(p["setting"][idx] == 1, 0, 1 + p["mode"][idx])
    key = p["council"][idx].astype(np.int64) * 4 + line
    spend = np.bincount(key, amount, minlength=n * 4).reshape(n, 4)
    t_acc[idx] = t
    return spend, t_acc


def _original_month_end(p, t1, n):
    """The original finance.accrue over active rows and model.record_stocks bincounts."""
    spend, t_acc = _original_accrual(p, np.flatnonzero(p["active"]), t1, n)
    act = p["active"]
    c = p["council"][act]
    setting, mode, cost = p["setting"][act], p["mode"][act], p["cost"][act]
    comm = setting == 0

    def count(mask, weights=None):
        w = None if weights is None else weights[mask]
        return np.bincount(c[mask], w, minlength=n).astype(float)

    stocks = [count(comm), count(setting == 1), count(comm & (mode == 0)),
              count(comm & (mode == 1)), count(comm & (mode == 2)), count(comm & (mode != 0)),
              count(np.ones_like(comm), cost), count(comm & (mode != 0), cost),
              count(comm & (mode == 2), cost)]
    return spend, t_acc, stocks


def _stocks(r: kernels.MonthEnd):
    u = r.users
    return [(u[:, 1] + u[:, 2] + u[:, 3]).astype(float), u[:, 0].astype(float),
            u[:, 1].astype(float), u[:, 2].astype(float), u[:, 3].astype(float),
            (u[:, 2] + u[:, 3]).astype(float), r.cost_total, r.cost_pb, r.cost_dp]


@pytest.mark.parametrize("seed", SEEDS)
def test_month_end_pass(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    p = _population(rng, int(rng.integers(0, 3000)), n)
    t1 = 31.0
    ref_spend, ref_tacc, ref_stocks = _original_month_end(p, t1, n)
    engines = ["numpy"] + (["numba"] if queueing.numba_available() else [])
    for eng in engines:
        t_acc = p["t_accrued"].copy()
        r = kernels.month_end_pass(p["council"], p["setting"], p["mode"], p["cost"], t_acc,
                                   p["active"], t1, n, engine=eng)
        assert _same(r.spend, ref_spend), eng
        assert _same(t_acc, ref_tacc), eng
        for a, b in zip(_stocks(r), ref_stocks, strict=True):
            assert _same(a, b), eng


@pytest.mark.parametrize("seed", SEEDS)
def test_row_kernels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    p = _population(rng, int(rng.integers(1, 3000)), n)
    t1 = 30.0
    engines = ["numpy"] + (["numba"] if queueing.numba_available() else [])
    # candidates / due_events / reviews_due: the original expressions of model.user_events
    ref_cand = np.flatnonzero(p["active"] & ((p["t_exit"] < t1) | (p["t_review"] < t1)))
    cand = ref_cand if rng.random() < 0.5 else np.sort(rng.choice(
        len(p["active"]), size=min(len(p["active"]), 50), replace=False))
    t_ex = p["t_exit"][cand]
    t_rev = np.where(p["queued"][cand], p["t_review"][cand], np.inf)
    is_due = p["active"][cand] & (np.minimum(t_ex, t_rev) < t1)
    ref_due, ref_leaving = cand[is_due], t_ex[is_due] <= t_rev[is_due]
    ref_rdue = cand[p["active"][cand] & ~p["queued"][cand] & (p["t_review"][cand] < t1)]
    ref_below = np.flatnonzero(p["t_review"] < t1)
    idx = np.sort(rng.choice(len(p["active"]), size=min(len(p["active"]), 200), replace=False))
    rng.shuffle(idx)
    for eng in engines:
        assert _same(kernels.candidates(p["active"], p["t_exit"], p["t_review"], t1, eng),
                     ref_cand)
        due, leaving = kernels.due_events(cand, p["active"], p["t_exit"], p["t_review"],
                                          p["queued"], t1, eng)
        assert _same(due, ref_due) and _same(leaving, ref_leaving), eng
        assert _same(kernels.reviews_due(cand, p["active"], p["queued"], p["t_review"], t1,
                                         eng), ref_rdue), eng
        assert _same(kernels.indices_below(p["t_review"], t1, eng), ref_below), eng
        for t in (t1, rng.random(len(idx)) * 50):
            ref, ref_tacc = _original_accrual(p, idx, t, n)
            t_acc = p["t_accrued"].copy()
            got = kernels.accrue_rows(idx, t, p["council"], p["setting"], p["mode"], p["cost"],
                                      t_acc, n, eng)
            assert _same(got, ref) and _same(t_acc, ref_tacc), eng


@pytest.mark.parametrize("seed", SEEDS)
def test_shadow_savings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    k = int(rng.integers(0, 3000))
    t = rng.choice([np.inf, 1.0], k) * rng.random(k) * 90
    t_from = rng.random(k) * 60
    if k and rng.random() < 0.3:
        t[rng.integers(0, k)] = np.nan
        t_from[rng.integers(0, k)] = np.nan
    council = rng.integers(0, n, k).astype(np.int32)
    avoided = rng.random(k) * 2e4
    live = rng.random(k) < 0.7
    t0, t1 = 30.0, 61.0
    li = np.flatnonzero(live)
    days = np.maximum(np.minimum(t[li], t1) - np.maximum(t_from[li], t0), 0.0)
    ref = np.bincount(council[li], avoided[li] * days / 365.25, minlength=n)
    for eng in ["numpy"] + (["numba"] if queueing.numba_available() else []):
        assert _same(kernels.shadow_savings(t, t_from, council, avoided, live, t0, t1, n, eng),
                     ref), eng


# --------------------------------------------------------------------------------------------
# queue: the equal-duration kernel == the heap kernel
# --------------------------------------------------------------------------------------------


@needs_numba
@pytest.mark.parametrize("seed", range(200))
def test_merge_kernel_equals_heap_kernel(seed: int) -> None:
    rng = np.random.default_rng(seed)
    heap = queueing._get_numba_kernel()
    n_groups = int(rng.integers(1, 6))
    n0 = rng.integers(0, 5, n_groups)
    pa, pb = queueing.ServerPool(n0, 0.0), queueing.ServerPool(n0, 0.0)
    now = 0.0
    for _ in range(int(rng.integers(1, 6))):
        if rng.random() < 0.4:
            new = rng.integers(0, 6, n_groups)
            pa.set_servers(new, now)
            pb.set_servers(new, now)
        k = int(rng.integers(0, 40))
        g = rng.integers(0, n_groups, k)
        arrival = now + (np.round(rng.random(k) * 8) if rng.random() < 0.3
                         else rng.random(k) * 10)
        dur = np.full(k, float(rng.choice([0.0, 1.0, 2.5, rng.random() * 3])))
        pat = rng.choice([np.inf, 0.0, 1.0, 3.0], k) if rng.random() < 0.5 else np.inf
        got = pa.serve(g, arrival, dur, pat, engine="numba")  # equal durations: merge kernel
        order = queueing._fifo_order(g.astype(np.int64), arrival, n_groups)
        st = np.empty(k)
        if k:
            heap(pb._free_at, pb._n, g.astype(np.int64)[order], arrival[order], dur[order],
                 np.broadcast_to(np.asarray(pat, float), arrival.shape)[order].copy(), st)
        ref = np.empty(k)
        ref[order] = st
        assert _same(got, ref)
        assert _same(np.sort(pa._free_at, axis=1), np.sort(pb._free_at, axis=1))
        now += 10.0


# --------------------------------------------------------------------------------------------
# sorting helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(300))
def test_sorting_helpers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(0, 400))
    kind = seed % 4
    if kind == 0:
        x = rng.random(k)
    elif kind == 1:
        x = rng.integers(0, 5, k).astype(float)
    elif kind == 2:
        x = rng.choice([0.0, -0.0, np.inf, -np.inf, 1.0, np.nan], k)
    else:
        x = np.round(rng.random(k) * 20) / 4
    assert _same(stable_argsort_float(x), np.argsort(x, kind="stable"))
    g = rng.integers(0, int(rng.integers(1, 200)), k).astype(np.int32)
    if seed % 7 == 0:
        g = np.sort(g)
    o = group_order(g)
    assert _same(np.arange(k) if o is None else o, np.argsort(g, kind="stable"))
    if kind != 2:
        assert _same(group_time_order(g, x), np.lexsort((x, g)))
    edges = np.sort(rng.choice([0.0, -0.0, 0.5, 0.5, 1.0, 2.0, np.inf, -np.inf],
                               int(rng.integers(0, 12))))
    assert _same(searchsorted_right(edges, x), np.searchsorted(edges, x, side="right"))


# --------------------------------------------------------------------------------------------
# buffers: against the original implementation
# --------------------------------------------------------------------------------------------


class _OriginalBuffer:
    """The original EventBuffer: concatenate on push, full scan and copy on pop."""

    def __init__(self, dtypes):
        self.dtypes = dict(dtypes)
        self.cols = {k: np.empty(0, dtype=v) for k, v in self.dtypes.items()}

    def __len__(self):
        return len(self.cols["t"])

    def push(self, **values):
        for k, v in values.items():
            self.cols[k] = np.concatenate((self.cols[k], np.asarray(v, dtype=self.dtypes[k])))

    def pop_due(self, before):
        due = self.cols["t"] < before
        idx = np.flatnonzero(due)
        idx = idx[np.argsort(self.cols["t"][idx], kind="stable")]
        out = {k: v[idx] for k, v in self.cols.items()}
        self.cols = {k: v[~due] for k, v in self.cols.items()}
        return out

    def count_by_council(self, n):
        return np.bincount(self.cols["council"], minlength=n).astype(float)


@pytest.mark.parametrize("seed", range(150))
def test_buffers_equal_original(seed: int) -> None:
    rng = np.random.default_rng(seed)
    dt = {"t": np.float64, "council": np.int32, "x": np.int8}
    if seed % 3 == 0:
        edges = None
    else:
        steps = [28.0, 30.0, 31.0] if seed % 3 == 1 else [28.0, 30.0, 31.0, 30.4]
        edges = np.cumsum(rng.choice(steps, 200)) - 100
    ref, ev, rb = _OriginalBuffer(dt), EventBuffer(dt, edges), RecordBuffer(dt)
    now = 0.0
    for _ in range(30):
        k = int(rng.integers(0, 200))
        kind = rng.integers(0, 5)
        if kind == 0:
            t = now + rng.exponential(100, k)
        elif kind == 1:
            t = now + np.round(rng.random(k) * 60)
        elif kind == 2:
            t = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0, 32.0, 64.0, 1e300, now], k)
        elif kind == 3:
            t = now + rng.random(k) * 3000
        else:
            t = np.full(k, now + 5.0)
        values = dict(t=t, council=rng.integers(0, 7, k), x=rng.integers(0, 100, k))
        for b in (ref, ev, rb):
            b.push(**values)
        before = (rng.choice([now + 30.4, now + 32.0, now, np.inf, np.nan, now + 1000])
                  if rng.random() < 0.2 else now + 30.4)
        outs = [b.pop_due(before) for b in (ref, ev, rb)]
        for name in dt:
            assert _same(outs[0][name], outs[1][name]), name
            assert _same(outs[0][name], outs[2][name]), name
        assert len(ref) == len(ev) == len(rb)
        for m in (3, 7, 9):
            assert _same(ref.count_by_council(m), ev.count_by_council(m))
            assert _same(ref.count_by_council(m), rb.count_by_council(m))
        order = np.argsort(ref.cols["t"], kind="stable")
        for name in dt:
            assert _same(ref.cols[name], rb.cols[name])
            assert _same(ref.cols[name][order], ev.cols[name])
        now += 30.4


# --------------------------------------------------------------------------------------------
# grouped draws: against the original implementation
# --------------------------------------------------------------------------------------------


def _original_draw_grouped(ss: StreamSet, name, council, draw):
    n = council.shape[0]
    if n == 0:
        return draw(np.random.Generator(np.random.PCG64(0)), 0)
    order = np.argsort(council, kind="stable")
    sorted_c = council[order]
    bounds = np.flatnonzero(np.diff(sorted_c)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [n]))
    first = np.asarray(draw(ss.get(int(sorted_c[0]), name), ends[0] - starts[0]))
    out = np.empty((n, *first.shape[1:]), dtype=first.dtype)
    out[order[starts[0]:ends[0]]] = first
    for s, e in zip(starts[1:], ends[1:], strict=True):
        out[order[s:e]] = draw(ss.get(int(sorted_c[s]), name), e - s)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_draw_grouped_equals_original(seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = [f"E0{i:07d}" for i in range(9)]
    a, b = StreamSet(5, seed, codes), StreamSet(5, seed, codes)
    draws = [lambda g, k: g.random(k), lambda g, k: g.random((k, 3)),
             lambda g, k: g.standard_normal(k)]
    for _ in range(10):
        k = int(rng.integers(0, 300))
        council = rng.integers(0, 9, k).astype(np.int32)
        if rng.random() < 0.4:
            council = np.sort(council)
        fn = draws[int(rng.integers(0, 3))]
        assert _same(a.draw_grouped("x", council, fn), _original_draw_grouped(b, "x", council,
                                                                              fn))


# --------------------------------------------------------------------------------------------
# the model: numba on and off give the same numbers
# --------------------------------------------------------------------------------------------

_RUN = """
import json, sys
import numpy as np
from caresim.councils import select_councils
from caresim.model.model import run_replication
from caresim.scenario import load_scenario
r = run_replication(load_scenario("baseline").params, select_councils(["Rutland", "Torbay"]), 1)
led = np.array([[v for k, v in row.items() if k != "fy"] for row in r.ledger])
print(json.dumps({"monthly": r.monthly.tobytes().hex(), "ledger": led.tobytes().hex()}))
"""


@needs_numba
def test_model_numba_on_and_off_identical() -> None:
    out = {}
    for flag in ("0", "1"):
        env = dict(os.environ, CARESIM_DISABLE_NUMBA=flag)
        res = subprocess.run([sys.executable, "-c", _RUN], env=env, capture_output=True,
                             text=True, check=True)
        out[flag] = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["0"] == out["1"]
