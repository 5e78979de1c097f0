"""Monthly passes over every row: package spend accrued to the month's end, stocks, savings.

At each month end every person in service accrues package spend up to the end of the month, and
the stocks (people and annual package cost by council, setting and support mode) are counted.
Both need every row; :func:`month_end_pass` does them in one pass. Rows are grouped by *line*:
0 residential, 1 community council-arranged, 2 community council-managed PB, 3 community direct
payment (the spend lines of :mod:`caresim.model.finance`).

:func:`shadow_savings` is the one pass over the prevention-savings records each month.

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

    A council's running sums are kept in local variables while consecutive rows belong to it
    (rows are mostly grouped by council); they are the same additions in the same order as
    adding into the arrays, so the results equal ``bincount``'s.
    """
    cur = -1
    s0 = s1 = s2 = s3 = 0.0
    u0 = u1 = u2 = u3 = 0
    tot = pbs = dps = 0.0
    for i in range(council.shape[0]):
        if not active[i]:
            continue
        c = council[i]
        if c != cur:
            if cur >= 0:
                spend[cur, 0] = s0
                spend[cur, 1] = s1
                spend[cur, 2] = s2
                spend[cur, 3] = s3
                users[cur, 0] = u0
                users[cur, 1] = u1
                users[cur, 2] = u2
                users[cur, 3] = u3
                cost_total[cur] = tot
                cost_pb[cur] = pbs
                cost_dp[cur] = dps
            cur = c
            s0 = spend[c, 0]
            s1 = spend[c, 1]
            s2 = spend[c, 2]
            s3 = spend[c, 3]
            u0 = users[c, 0]
            u1 = users[c, 1]
            u2 = users[c, 2]
            u3 = users[c, 3]
            tot = cost_total[c]
            pbs = cost_pb[c]
            dps = cost_dp[c]
        w = cost[i]
        days = t1 - t_accrued[i]
        if days < 0.0:
            days = 0.0
        amount = w * days / 365.25
        t_accrued[i] = t1
        tot += w
        if setting[i] == 1:
            s0 += amount
            u0 += 1
        else:
            m = mode[i]
            if m == 0:
                s1 += amount
                u1 += 1
            elif m == 1:
                s2 += amount
                u2 += 1
                pbs += w
            else:
                s3 += amount
                u3 += 1
                pbs += w
                dps += w
    if cur >= 0:
        spend[cur, 0] = s0
        spend[cur, 1] = s1
        spend[cur, 2] = s2
        spend[cur, 3] = s3
        users[cur, 0] = u0
        users[cur, 1] = u1
        users[cur, 2] = u2
        users[cur, 3] = u3
        cost_total[cur] = tot
        cost_pb[cur] = pbs
        cost_dp[cur] = dps


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
        out[council[i]] += avoided[i] * days / 365.25


_kernels: dict[str, Callable[..., None]] = {}


def _get_kernel(name: str = "month_end") -> Callable[..., None]:
    kernel = _kernels.get(name)
    if kernel is None:
        if not queueing.numba_available():
            raise RuntimeError("engine='numba' requested but numba cannot be imported")
        import numba

        py = {"month_end": _month_end_loop, "shadow": _shadow_loop}[name]
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
    spend = np.zeros((n, N_LINES))
    users = np.zeros((n, N_LINES), dtype=np.int64)
    cost_total, cost_pb, cost_dp = np.zeros(n), np.zeros(n), np.zeros(n)
    _get_kernel()(council, setting, mode, cost, t_accrued, active, t1, spend, users,
                  cost_total, cost_pb, cost_dp)
    return MonthEnd(spend, users, cost_total, cost_pb, cost_dp)


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
