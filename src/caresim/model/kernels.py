"""Monthly passes over every row: package spend accrued to the month's end, stocks, savings.

At each month end every person in service accrues package spend up to the end of the month, and
the stocks (people and annual package cost by council, setting and support mode) are counted.
Both need every row; :func:`month_end_pass` does them in one pass. Rows are grouped by *line*:
0 residential, 1 community council-arranged, 2 community council-managed PB, 3 community direct
payment (the spend lines of :mod:`caresim.model.finance`).

:func:`shadow_savings` is the one pass over the prevention-savings records each month,
:func:`candidates` the one search of the population for people with a review or exit due
(then :func:`due_events` and :func:`reviews_due` look only at those),
:func:`accrue_rows` accrues the spend of the people reviewed or leaving, and
:func:`indices_below` finds the records of a :class:`~caresim.model.buffers.RecordBuffer` that
end. Kernels are compiled once and cached on disk (``cache=True``).

Every sum adds its terms one at a time in row order, exactly as ``numpy.bincount`` does, so the
two engines give bit-for-bit identical results:

* ``"numba"``: one compiled loop over the rows (the default when numba can be imported and
  ``CARESIM_DISABLE_NUMBA`` is not ``"1"``, as for :mod:`caresim.model.queueing`);
* ``"numpy"``: a few ``bincount`` passes, the pure-numpy fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import queueing

ENGINES: tuple[str, ...] = ("numba", "numpy")
"""Names accepted by the ``engine`` arguments."""

N_LINES = 4
"""Lines: 0 residential, 1 arranged, 2 managed PB, 3 direct payment."""


@dataclass(frozen=True)
class MonthEnd:
    """Results of :func:`month_end_pass`, arrays over councils.

    Attributes
    ----------
    spend : numpy.ndarray
        ``[council, line]`` package spend (GBP) accrued in this pass.
    users : numpy.ndarray
        ``[council, line]`` people in service (int64).
    cost_total, cost_pb, cost_dp : numpy.ndarray
        Annual cost (GBP/year) of all packages, of PBs (managed and direct payments), of
        direct payments.
    """

    spend: np.ndarray
    users: np.ndarray
    cost_total: np.ndarray
    cost_pb: np.ndarray
    cost_dp: np.ndarray


def _month_end_loop(council, setting, mode, cost, t_accrued, active, t1, spend, users,
                    cost_total, cost_pb, cost_dp):  # pragma: no cover - compiled by numba
    """One pass: accrue to ``t1`` and add to the per-council sums (outputs start at zero).

    Outputs have one extra council slot, ``n``, that takes the terms of rows outside a sum
    (inactive rows; rows without a PB for ``cost_pb``...), so the loop has no branches that
    depend on the data; each real slot receives its own terms in row order, as ``bincount``
    adds them.
    """
    n = cost_total.shape[0] - 1
    for i in range(council.shape[0]):
        a = active[i]
        c = council[i] if a else n
        w = cost[i]
        ta = t_accrued[i]
        days = t1 - ta
        if days < 0.0:
            days = 0.0
        amount = w * days / DAYS_PER_YEAR
        t_accrued[i] = t1 if a else ta
        line = 0 if setting[i] == 1 else 1 + mode[i]
        spend[c, line] += amount
        users[c, line] += 1
        cost_total[c] += w
        cost_pb[c if line >= 2 else n] += w
        cost_dp[c if line == 3 else n] += w


def _accrue_rows_loop(idx, t, council, setting, mode, cost, t_accrued,
                      sums):  # pragma: no cover - compiled by numba
    """Accrue rows ``idx`` to times ``t`` (one per row); ``sums[council, line]`` in idx order."""
    for j in range(idx.shape[0]):
        i = idx[j]
        tj = t[j]
        days = tj - t_accrued[i]
        if days < 0.0:
            days = 0.0
        line = 0 if setting[i] == 1 else 1 + mode[i]
        sums[council[i], line] += cost[i] * days / DAYS_PER_YEAR
        t_accrued[i] = tj


def _below_loop(x, v, out):  # pragma: no cover - compiled by numba
    """Write the positions ``i`` with ``x[i] < v`` to ``out``, in order; return their count."""
    k = 0
    for i in range(x.shape[0]):
        out[k] = i
        k += x[i] < v
    return k


def _shadow_loop(t, t_from, council, avoided, live, t0, t1, out):  # pragma: no cover
    """Avoided spend in ``[t0, t1)`` of each live record, added to ``out`` in row order.

    The comparisons reproduce ``np.minimum``, ``np.maximum`` (NaN propagates) exactly.
    """
    for i in range(t.shape[0]):
        if not live[i]:
            continue
        end = t[i]
        if t1 < end:
            end = t1
        start = t_from[i]
        if t0 > start:
            start = t0
        days = end - start
        if days < 0.0:
            days = 0.0
        out[council[i]] += avoided[i] * days / DAYS_PER_YEAR


def _candidates_loop(active, t_exit, t_review, t1, out):  # pragma: no cover - numba
    """Write the active rows with ``t_exit < t1`` or ``t_review < t1`` to ``out``; count."""
    k = 0
    for i in range(active.shape[0]):
        out[k] = i
        k += active[i] & ((t_exit[i] < t1) | (t_review[i] < t1))
    return k


def _due_events_loop(cand, active, t_exit, t_review, queued, t1, due,
                     leaving):  # pragma: no cover - compiled by numba
    """Rows of ``cand`` with an exit or a queued review before ``t1``; count returned."""
    k = 0
    for j in range(cand.shape[0]):
        i = cand[j]
        te = t_exit[i]
        tr = t_review[i] if queued[i] else np.inf
        # np.minimum propagates NaN, so a NaN time makes a row not due
        is_due = active[i] & (te == te) & (tr == tr) & ((te < t1) | (tr < t1))
        due[k] = i
        leaving[k] = te <= tr
        k += is_due
    return k


def _reviews_due_loop(rows, active, queued, t_review, t1, out):  # pragma: no cover - numba
    """Rows of ``rows`` that are active, not queued, with ``t_review < t1``; count returned."""
    k = 0
    for j in range(rows.shape[0]):
        i = rows[j]
        out[k] = i
        k += active[i] & (not queued[i]) & (t_review[i] < t1)
    return k


_kernels: dict[str, Callable[..., None]] = {}


def _get_kernel(name: str = "month_end") -> Callable[..., None]:
    kernel = _kernels.get(name)
    if kernel is None:
        if not queueing.numba_available():
            raise RuntimeError("engine='numba' requested but numba cannot be imported")
        import numba

        py = {"month_end": _month_end_loop, "shadow": _shadow_loop,
              "candidates": _candidates_loop, "accrue": _accrue_rows_loop,
              "below": _below_loop, "due_events": _due_events_loop,
              "reviews_due": _reviews_due_loop}[name]
        kernel = _kernels[name] = numba.njit(cache=True, nogil=True)(py)
    return kernel


def _engine(engine: str | None) -> str:
    eng = engine or ("numba" if queueing.USING_NUMBA else "numpy")
    if eng not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES} or None, got {engine!r}")
    return eng


def _month_end_numpy(council, setting, mode, cost, t_accrued, active, t1, n) -> MonthEnd:
    """The same sums by ``bincount``; inactive rows go to an extra bin that is dropped."""
    line = np.where(setting == 1, 0, 1 + mode.astype(np.intp))
    key = council.astype(np.intp) * N_LINES + line
    key[~active] = n * N_LINES
    m = n * N_LINES + 1
    days = np.subtract(t1, t_accrued)
    np.maximum(days, 0.0, out=days)
    spend = np.bincount(key, cost * days / DAYS_PER_YEAR, minlength=m)[:-1].reshape(n, N_LINES)
    np.copyto(t_accrued, t1, where=active)
    users = np.bincount(key, minlength=m)[:-1].reshape(n, N_LINES)
    dp_key = np.where(line == 3, key, n * N_LINES)
    cost_dp = np.bincount(dp_key, cost, minlength=m)[:-1].reshape(n, N_LINES)[:, 3]
    c_all = np.where(active, council, n)
    cost_total = np.bincount(c_all, cost, minlength=n + 1)[:n]
    c_pb = np.where(line >= 2, c_all, n)
    cost_pb = np.bincount(c_pb, cost, minlength=n + 1)[:n]
    return MonthEnd(spend, users.astype(np.int64), cost_total, cost_pb, cost_dp.copy())


def month_end_pass(council: np.ndarray, setting: np.ndarray, mode: np.ndarray,
                   cost: np.ndarray, t_accrued: np.ndarray, active: np.ndarray, t1: float,
                   n: int, engine: str | None = None) -> MonthEnd:
    """Accrue every active row's package spend to ``t1`` and count the stocks, in one pass.

    Parameters
    ----------
    council, setting, mode, cost, t_accrued, active : numpy.ndarray
        Population columns (:mod:`caresim.model.population`); ``t_accrued`` of the active
        rows is set to ``t1`` in place.
    t1 : float
        Time (days) to accrue to.
    n : int
        Number of councils.
    engine : {"numba", "numpy"} or None
        None: ``"numba"`` where available (:data:`caresim.model.queueing.USING_NUMBA`).

    Returns
    -------
    MonthEnd
        Spend ``days x cost / 365.25`` (days not below zero) summed by council and line in row
        order; people and annual costs by council.
    """
    t1 = float(t1)
    if _engine(engine) == "numpy":
        return _month_end_numpy(council, setting, mode, cost, t_accrued, active, t1, n)
    spend = np.zeros((n + 1, N_LINES))
    users = np.zeros((n + 1, N_LINES), dtype=np.int64)
    cost_total, cost_pb, cost_dp = np.zeros(n + 1), np.zeros(n + 1), np.zeros(n + 1)
    _get_kernel()(council, setting, mode, cost, t_accrued, active, t1, spend, users,
                  cost_total, cost_pb, cost_dp)
    return MonthEnd(spend[:n], users[:n], cost_total[:n], cost_pb[:n], cost_dp[:n])


def shadow_savings(t: np.ndarray, t_from: np.ndarray, council: np.ndarray,
                   avoided_gbp_per_year: np.ndarray, live: np.ndarray, t0: float, t1: float,
                   n: int, engine: str | None = None) -> np.ndarray:
    """Avoided package spend (GBP) in ``[t0, t1)`` by council, over the live records.

    Each record avoids ``avoided_gbp_per_year`` from ``t_from`` to ``t`` (days):
    ``avoided x max(min(t, t1) - max(t_from, t0), 0) / 365.25``, summed by council in row
    order. Used for prevention savings (:func:`caresim.model.prevention.accrue_shadow`).
    """
    t0, t1 = float(t0), float(t1)
    if _engine(engine) == "numpy":
        days = np.maximum(np.minimum(t, t1) - np.maximum(t_from, t0), 0.0)
        key = np.where(live, council, n)  # removed rows go to an extra bin that is dropped
        return np.bincount(key, avoided_gbp_per_year * days / DAYS_PER_YEAR,
                           minlength=n + 1)[:n]
    out = np.zeros(n)
    _get_kernel("shadow")(t, t_from, council, avoided_gbp_per_year, live, t0, t1, out)
    return out


def candidates(active: np.ndarray, t_exit: np.ndarray, t_review: np.ndarray, t1: float,
               engine: str | None = None) -> np.ndarray:
    """Rows (increasing) that are active with an exit or a review time before ``t1``.

    Same as ``np.flatnonzero(active & ((t_exit < t1) | (t_review < t1)))``.
    """
    t1 = float(t1)
    if _engine(engine) == "numpy":
        return np.flatnonzero(active & ((t_exit < t1) | (t_review < t1)))
    out = np.empty(active.shape[0], dtype=np.intp)
    k = _get_kernel("candidates")(active, t_exit, t_review, t1, out)
    return out[:k].copy()


def accrue_rows(idx: np.ndarray, t: np.ndarray | float, council: np.ndarray,
                setting: np.ndarray, mode: np.ndarray, cost: np.ndarray, t_accrued: np.ndarray,
                n: int, engine: str | None = None) -> np.ndarray:
    """Accrue package spend of rows ``idx`` up to ``t`` (days); set their ``t_accrued``.

    Returns ``[council, line]`` spend, each cell summed in the order of ``idx`` (as
    ``bincount`` would). ``idx`` must not repeat a row.
    """
    if _engine(engine) == "numpy":
        days = np.maximum(np.asarray(t) - t_accrued[idx], 0.0)
        amount = cost[idx] * days / DAYS_PER_YEAR
        line = np.where(setting[idx] == 1, 0, 1 + mode[idx])
        key = council[idx].astype(np.int64) * N_LINES + line
        sums = np.bincount(key, amount, minlength=n * N_LINES).reshape(n, N_LINES)
        t_accrued[idx] = t
        return sums
    t = np.asarray(t, dtype=np.float64)
    t = np.full(idx.shape, t) if t.ndim == 0 else np.ascontiguousarray(t)
    sums = np.zeros((n, N_LINES))
    _get_kernel("accrue")(idx, t, council, setting, mode, cost, t_accrued, sums)
    return sums


def indices_below(x: np.ndarray, v: float, engine: str | None = None) -> np.ndarray:
    """``np.flatnonzero(x < v)`` in one pass."""
    if _engine(engine) == "numpy":
        return np.flatnonzero(x < v)
    out = np.empty(x.shape[0], dtype=np.intp)
    k = _get_kernel("below")(x, float(v), out)
    return out[:k].copy()


def due_events(cand: np.ndarray, active: np.ndarray, t_exit: np.ndarray, t_review: np.ndarray,
               review_queued: np.ndarray, t1: float,
               engine: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``cand`` whose next own event (exit, or queued review) falls before ``t1``.

    Returns the rows (in the order of ``cand``) and whether each one's event is its exit
    (exit time not after the review time). The event time is
    ``np.minimum(t_exit, np.where(review_queued, t_review, inf))``.
    """
    t1 = float(t1)
    if _engine(engine) == "numpy":
        t_ex = t_exit[cand]
        t_rev = np.where(review_queued[cand], t_review[cand], np.inf)
        is_due = active[cand] & (np.minimum(t_ex, t_rev) < t1)
        return cand[is_due], t_ex[is_due] <= t_rev[is_due]
    due = np.empty(cand.shape[0], dtype=np.intp)
    leaving = np.empty(cand.shape[0], dtype=np.bool_)
    k = _get_kernel("due_events")(cand, active, t_exit, t_review, review_queued, t1, due,
                                  leaving)
    return due[:k].copy(), leaving[:k].copy()


def reviews_due(rows: np.ndarray, active: np.ndarray, review_queued: np.ndarray,
                t_review: np.ndarray, t1: float, engine: str | None = None) -> np.ndarray:
    """Rows of ``rows`` (in order) that are active with a review due, not queued, before ``t1``."""
    t1 = float(t1)
    if _engine(engine) == "numpy":
        return rows[active[rows] & ~review_queued[rows] & (t_review[rows] < t1)]
    out = np.empty(rows.shape[0], dtype=np.intp)
    k = _get_kernel("reviews_due")(rows, active, review_queued, t_review, t1, out)
    return out[:k].copy()
