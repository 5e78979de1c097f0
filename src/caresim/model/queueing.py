"""Exact FIFO multi-server queues, one independent queue per group (council).

Each group ``g`` has ``c_g`` identical servers. Jobs of a group are served first come,
first served. With the jobs of a group in arrival order, the start time of a job is given by
the recurrence

    start = max(arrival, earliest time one of the group's servers is free)

after which that server is busy until ``start + duration``. This is the exact FIFO
``G/G/c`` queue (the Kiefer-Wolfowitz workload recurrence); no time stepping is involved.

The state (the time each server next becomes free) persists between calls to
:meth:`ServerPool.serve`, so the simulation can feed arrivals one window (e.g. one month) at a
time. All times are in days, as float64.

Two engines compute the same recurrence and give bit-for-bit identical start times:

* ``"numba"``: a compiled kernel over plain arrays, one binary min-heap per group stored in a
  row of a 2-D array (``O(log c)`` per job);
* ``"python"``: a pure-Python fallback using :mod:`heapq`, one heap per group.

When every job of a call has the same duration (as the model's assessments and reviews do),
the numba engine uses a second kernel that needs no heap: within a group, starts are
non-decreasing, so the free times a call adds come in non-decreasing order, and the earliest
free server is the smaller of the heads of two sorted sequences (the free times the call began
with, sorted, and those it added). Each job still takes the smallest free time, so the start
times are the same bit for bit; rows are left sorted, which is a valid heap.

The default engine is ``"numba"`` when numba can be imported and the environment variable
``CARESIM_DISABLE_NUMBA`` is not ``"1"``; see :data:`USING_NUMBA`. Compiled kernels are cached
on disk in ``NUMBA_CACHE_DIR`` when it is set, else in the user's cache folder
(:func:`numba_cache_dir`), never inside the installed package.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from caresim.model.sorting import stable_argsort_float

__all__ = ["ENGINES", "USING_NUMBA", "ServerPool", "default_engine", "numba_available",
           "numba_cache_dir"]

Engine = Literal["numba", "python"]

#: Names accepted by the ``engine`` argument of :meth:`ServerPool.serve`.
ENGINES: tuple[str, ...] = ("numba", "python")

_NUMBA_DISABLED: bool = os.environ.get("CARESIM_DISABLE_NUMBA", "") == "1"


def numba_cache_dir() -> str:
    """Where numba caches compiled kernels: ``NUMBA_CACHE_DIR`` when set, else the ``numba``
    folder of the user's cache folder for caresim (``platformdirs.user_cache_dir``)."""
    from platformdirs import user_cache_dir

    return os.environ.get("NUMBA_CACHE_DIR") or os.path.join(user_cache_dir("caresim"), "numba")


def _try_import_numba() -> Any | None:
    # numba reads NUMBA_CACHE_DIR when it is first imported (worker processes inherit it);
    # without it numba would write its cache beside the package's source files
    os.environ.setdefault("NUMBA_CACHE_DIR", numba_cache_dir())
    try:
        import numba
    except Exception:  # ImportError, or a broken install (e.g. numpy version mismatch)
        return None
    if not numba.config.CACHE_DIR:  # numba was imported before caresim set the variable
        numba.config.CACHE_DIR = numba_cache_dir()
    return numba


_numba: Any | None = None if _NUMBA_DISABLED else _try_import_numba()

#: True when the default engine is the compiled numba kernel.
USING_NUMBA: bool = _numba is not None

_numba_kernel: Callable[..., None] | None = None


def numba_available() -> bool:
    """Return whether numba can be imported (even if disabled as the default).

    Returns
    -------
    bool
        True if ``engine="numba"`` can be requested explicitly.
    """
    global _numba
    if _numba is None:
        _numba = _try_import_numba()
    return _numba is not None


def default_engine() -> Engine:
    """Return the engine used when ``engine=None``.

    Returns
    -------
    {"numba", "python"}
        ``"numba"`` if :data:`USING_NUMBA`, else ``"python"``.
    """
    return "numba" if USING_NUMBA else "python"


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------


def _serve_heap_kernel(
    free_at: np.ndarray,
    n_active: np.ndarray,
    group: np.ndarray,
    arrival: np.ndarray,
    duration: np.ndarray,
    patience: np.ndarray,
    start: np.ndarray,
) -> None:
    """Plain-array FIFO recurrence (compiled with numba; valid, but slow, as plain Python).

    Parameters
    ----------
    free_at : ndarray of float64, shape (n_groups, max_servers)
        Time (days) each server next becomes free. Row ``g`` holds a binary min-heap over
        its first ``n_active[g]`` slots. Modified in place.
    n_active : ndarray of int64, shape (n_groups,)
        Number of active servers per group.
    group, arrival, duration : ndarray, shape (n_jobs,)
        Jobs, sorted so that within a group they are in FIFO (arrival) order. Group as int64,
        arrival and duration in days as float64.
    patience : ndarray of float64, shape (n_jobs,)
        Longest wait (days) each job accepts; a job that would wait longer leaves the queue
        unserved (reneges) and uses no server time. ``+inf`` for no limit.
    start : ndarray of float64, shape (n_jobs,)
        Output: start time (days) of each job; ``+inf`` when the group has no server; ``nan``
        when the job reneged.
    """
    n_jobs = group.shape[0]
    for i in range(n_jobs):
        g = group[i]
        c = n_active[g]
        if c == 0:
            start[i] = np.inf
            continue
        root = free_at[g, 0]
        a = arrival[i]
        s = a if a > root else root
        if s - a > patience[i]:
            start[i] = np.nan
            continue
        start[i] = s
        v = s + duration[i]
        # Replace the root by v and sift it down.
        pos = 0
        while True:
            child = 2 * pos + 1
            if child >= c:
                break
            right = child + 1
            if right < c and free_at[g, right] < free_at[g, child]:
                child = right
            if free_at[g, child] < v:
                free_at[g, pos] = free_at[g, child]
                pos = child
            else:
                break
        free_at[g, pos] = v


def _serve_merge_kernel(
    free_at: np.ndarray,
    n_active: np.ndarray,
    group: np.ndarray,
    arrival: np.ndarray,
    duration: np.ndarray,
    patience: np.ndarray,
    start: np.ndarray,
) -> None:
    """Same contract and results as :func:`_serve_heap_kernel` when all durations are equal.

    Requires the jobs sorted by group (and FIFO within a group). Per group: ``free_at[g, :c]``
    sorted is sequence A; free times added by this call (``start + duration``, non-decreasing
    because starts are non-decreasing and the duration is constant) are appended to sequence
    B; each job takes the smaller head. At the end of the group A's rest and B's rest are
    merged back into the row, sorted.
    """
    n_jobs = group.shape[0]
    added = np.empty(n_jobs, dtype=np.float64)
    merged = np.empty(free_at.shape[1], dtype=np.float64)
    lo = 0
    while lo < n_jobs:
        g = group[lo]
        hi = lo + 1
        while hi < n_jobs and group[hi] == g:
            hi += 1
        c = n_active[g]
        if c == 0:
            for i in range(lo, hi):
                start[i] = np.inf
            lo = hi
            continue
        row = free_at[g]
        row[:c].sort()
        ha = 0  # head of A: row[ha:c]
        hb = 0  # B: added[hb:tb]
        tb = 0
        for i in range(lo, hi):
            if hb == tb or (ha < c and row[ha] <= added[hb]):
                root = row[ha]
                from_a = True
            else:
                root = added[hb]
                from_a = False
            a = arrival[i]
            s = a if a > root else root
            if s - a > patience[i]:
                start[i] = np.nan
                continue
            start[i] = s
            if from_a:
                ha += 1
            else:
                hb += 1
            added[tb] = s + duration[i]
            tb += 1
        k = 0
        while ha < c or hb < tb:
            if hb == tb or (ha < c and row[ha] <= added[hb]):
                merged[k] = row[ha]
                ha += 1
            else:
                merged[k] = added[hb]
                hb += 1
            k += 1
        for j in range(c):
            row[j] = merged[j]
        lo = hi


_numba_merge_kernel: Callable[..., None] | None = None


def _get_numba_merge_kernel() -> Callable[..., None]:
    global _numba_merge_kernel
    if _numba_merge_kernel is None:
        if not numba_available() or _numba is None:
            raise RuntimeError("engine='numba' requested but numba cannot be imported")
        _numba_merge_kernel = _numba.njit(cache=True, nogil=True)(_serve_merge_kernel)
    return _numba_merge_kernel


def _get_numba_kernel() -> Callable[..., None]:
    global _numba_kernel
    if _numba_kernel is None:
        if not numba_available() or _numba is None:
            raise RuntimeError("engine='numba' requested but numba cannot be imported")
        _numba_kernel = _numba.njit(cache=True, nogil=True)(_serve_heap_kernel)
    return _numba_kernel


def _serve_python(
    free_at: np.ndarray,
    n_active: np.ndarray,
    group: np.ndarray,
    arrival: np.ndarray,
    duration: np.ndarray,
    patience: np.ndarray,
    start: np.ndarray,
) -> None:
    """Pure-Python engine with the same contract as :func:`_serve_heap_kernel`.

    Requires the jobs to be sorted by group (as well as FIFO within a group). Uses
    :mod:`heapq` on one list per group; start times are identical bit for bit to the numba
    kernel because both apply the same float64 operations to the same multiset of free times.
    """
    n_jobs = group.shape[0]
    if n_jobs == 0:
        return
    bounds = np.flatnonzero(np.diff(group)) + 1
    seg_start = np.concatenate(([0], bounds)).tolist()
    seg_end = np.concatenate((bounds, [n_jobs])).tolist()
    replace = heapq.heapreplace
    for lo, hi in zip(seg_start, seg_end, strict=True):
        g = int(group[lo])
        c = int(n_active[g])
        if c == 0:
            start[lo:hi] = np.inf
            continue
        heap: list[float] = free_at[g, :c].tolist()
        heapq.heapify(heap)
        out: list[float] = []
        append = out.append
        nan = float("nan")
        for a, d, w in zip(arrival[lo:hi].tolist(), duration[lo:hi].tolist(),
                           patience[lo:hi].tolist(), strict=True):
            root = heap[0]
            s = a if a > root else root
            if s - a > w:
                append(nan)
                continue
            append(s)
            replace(heap, s + d)
        start[lo:hi] = out
        free_at[g, :c] = heap


# --------------------------------------------------------------------------------------------
# Public class
# --------------------------------------------------------------------------------------------


def _as_counts(n_servers: np.ndarray | Any, name: str = "n_servers") -> np.ndarray:
    arr = np.asarray(n_servers)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must have an integer dtype, got {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0")
    return arr


def _as_finite_day(x: float, name: str) -> float:
    v = float(x)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return v


def _fifo_order(group: np.ndarray, arrival: np.ndarray, n_groups: int) -> np.ndarray:
    """Stable sort permutation by (group, arrival); ties keep input order.

    Same result as ``np.lexsort((arrival, group))``, but faster: a stable sort on arrival
    (:func:`caresim.model.sorting.stable_argsort_float`) followed by a stable sort on group,
    which numpy does as a radix sort for small integer types.
    """
    by_arrival = stable_argsort_float(arrival)
    g = group[by_arrival]
    if n_groups <= np.iinfo(np.uint16).max + 1:
        g = g.astype(np.uint16)
    return by_arrival[np.argsort(g, kind="stable")]


class ServerPool:
    """FIFO multi-server queues for ``n_groups`` independent groups. Times in days (float64).

    Parameters
    ----------
    n_servers : ndarray of int, shape (n_groups,)
        Number of servers of each group, ``>= 0``. A group with 0 servers never serves
        anybody: its jobs get start time ``+inf``.
    start_day : float, default 0.0
        Time (days) from which all initial servers are free.

    Notes
    -----
    The state is ``free_at[n_groups, max_servers]`` (float64, days): the time each server next
    becomes free; slots ``>= n_servers[g]`` are inactive and hold ``+inf``. Row ``g`` is kept
    as a binary min-heap over its active slots. Jobs of a group must be fed in non-decreasing
    arrival order across calls (arrivals of a later call are not earlier than those of an
    earlier call); within one call, input need not be sorted.

    Examples
    --------
    >>> pool = ServerPool(np.array([1, 2]))
    >>> pool.serve(np.array([0, 0, 1]), np.array([0.0, 1.0, 0.0]), np.array([2.0, 1.0, 1.0]))
    array([0., 2., 0.])
    """

    def __init__(self, n_servers: np.ndarray, start_day: float = 0.0) -> None:
        n = _as_counts(n_servers)
        day = _as_finite_day(start_day, "start_day")
        width = max(int(n.max(initial=0)), 1)
        cols = np.arange(width)
        self._n: np.ndarray = n
        self._free_at: np.ndarray = np.where(cols[None, :] < n[:, None], day, np.inf)

    @property
    def n_servers(self) -> np.ndarray:
        """ndarray of int64, shape (n_groups,): current number of servers per group (copy)."""
        return self._n.copy()

    def set_servers(self, n_servers: np.ndarray, now_day: float) -> None:
        """Change the number of servers of each group at time ``now_day``.

        Parameters
        ----------
        n_servers : ndarray of int, shape (n_groups,)
            New number of servers per group, ``>= 0``. May exceed the previous maximum.
        now_day : float
            Time (days) of the change.

        Notes
        -----
        Added servers are free from ``now_day``. When a group loses ``k`` servers, the ``k``
        that become free earliest are removed: idle servers first, then the busy servers that
        finish first. A removed busy server still completes the work already scheduled on it
        (those jobs' start times were already returned); it just takes no new job. Free times
        of retained servers are left unchanged (an idle retained server keeps a free time
        ``<= now_day``).
        """
        new = _as_counts(n_servers)
        if new.shape != self._n.shape:
            raise ValueError(f"n_servers must have shape {self._n.shape}, got {new.shape}")
        day = _as_finite_day(now_day, "now_day")
        old = self._n
        new_width = max(int(new.max(initial=0)), 1)
        width = max(self._free_at.shape[1], new_width)
        srt = np.full((old.shape[0], width), np.inf)
        # Active slots first in ascending order, inactive (+inf) slots last.
        srt[:, : self._free_at.shape[1]] = np.sort(self._free_at, axis=1)
        cols = np.arange(width)
        drop = np.maximum(old - new, 0)  # servers removed: the first `drop` of each sorted row
        src = np.minimum(cols[None, :] + drop[:, None], width - 1)
        shifted = np.take_along_axis(srt, src, axis=1)
        keep = np.minimum(old, new)[:, None]
        res = np.where(
            cols[None, :] < keep,
            shifted,
            np.where(cols[None, :] < new[:, None], day, np.inf),
        )
        res.sort(axis=1)  # a sorted row is a valid min-heap
        self._free_at = np.ascontiguousarray(res[:, :new_width])
        self._n = new

    def serve(
        self,
        group: np.ndarray,
        arrival_day: np.ndarray,
        duration_day: np.ndarray,
        patience_day: np.ndarray | float = np.inf,
        *,
        engine: Engine | None = None,
    ) -> np.ndarray:
        """Serve a batch of jobs FIFO within each group and return their start times.

        Parameters
        ----------
        group : ndarray of int, shape (n_jobs,)
            Group index of each job, in ``[0, n_groups)``.
        arrival_day : ndarray of float, shape (n_jobs,)
            Arrival time of each job (days), finite. Need not be sorted; ties within a group
            are served in input order.
        duration_day : ndarray of float, shape (n_jobs,)
            Service time of each job (days), finite and ``>= 0``.
        patience_day : ndarray of float or float, default inf
            Longest wait (days) each job accepts before leaving the queue unserved (``> = 0``).
        engine : {"numba", "python"} or None, default None
            Implementation to use; None means :func:`default_engine`. Both give identical
            results.

        Returns
        -------
        ndarray of float64, shape (n_jobs,)
            Start time (days) of each job, in input order; ``+inf`` for groups with no server;
            ``nan`` for jobs that reneged. The wait in queue is ``start - arrival_day``.
        """
        g = np.asarray(group)
        arr = np.asarray(arrival_day, dtype=np.float64)
        dur = np.asarray(duration_day, dtype=np.float64)
        if g.ndim != 1 or arr.ndim != 1 or dur.ndim != 1:
            raise ValueError("group, arrival_day and duration_day must be 1-D")
        if not (g.shape == arr.shape == dur.shape):
            raise ValueError(
                f"shape mismatch: group {g.shape}, arrival_day {arr.shape}, "
                f"duration_day {dur.shape}"
            )
        if g.size and (g.dtype == np.bool_ or not np.issubdtype(g.dtype, np.integer)):
            raise TypeError(f"group must have an integer dtype, got {g.dtype}")
        g = g.astype(np.int64)
        n_jobs = g.shape[0]
        if n_jobs == 0:
            return np.empty(0, dtype=np.float64)
        if g.min() < 0 or g.max() >= self._n.shape[0]:
            raise ValueError(f"group indices must be in [0, {self._n.shape[0]})")
        if not np.all(np.isfinite(arr)):
            raise ValueError("arrival_day must be finite")
        if not np.all(np.isfinite(dur)) or dur.min() < 0:
            raise ValueError("duration_day must be finite and >= 0")

        eng = default_engine() if engine is None else engine
        if eng == "numba":
            kernel = _get_numba_kernel()
        elif eng == "python":
            kernel = _serve_python
        else:
            raise ValueError(f"engine must be one of {ENGINES} or None, got {engine!r}")

        pat = np.broadcast_to(np.asarray(patience_day, dtype=np.float64), arr.shape)
        if np.any(np.isnan(pat)) or np.any(pat < 0):
            raise ValueError("patience_day must be >= 0 (inf for no limit)")
        order = _fifo_order(g, arr, self._n.shape[0])
        g_s = np.ascontiguousarray(g[order])
        a_s = np.ascontiguousarray(arr[order])
        d_s = np.ascontiguousarray(dur[order])
        start_s = np.empty(n_jobs, dtype=np.float64)
        p_s = np.ascontiguousarray(pat[order])
        if eng == "numba" and d_s[0] == d_s.min() == d_s.max():
            kernel = _get_numba_merge_kernel()  # equal durations: no heap needed
        kernel(self._free_at, self._n, g_s, a_s, d_s, p_s, start_s)
        start = np.empty(n_jobs, dtype=np.float64)
        start[order] = start_s
        return start

    def busy_servers(self, at_day: float) -> np.ndarray:
        """Count, per group, the servers still busy at time ``at_day``.

        Parameters
        ----------
        at_day : float
            Time (days).

        Returns
        -------
        ndarray of int64, shape (n_groups,)
            Number of active servers whose free time is ``> at_day``. Only jobs already passed
            to :meth:`serve` are counted (including work scheduled to start after ``at_day``).
        """
        t = float(at_day)
        cols = np.arange(self._free_at.shape[1])
        active = cols[None, :] < self._n[:, None]
        return np.count_nonzero(active & (self._free_at > t), axis=1).astype(np.int64)
