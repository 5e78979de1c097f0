"""Pending events outside the population: people between contact and service.

A buffer holds rows (struct of arrays) with an event time ``t``; ``pop_due`` removes and returns
the rows due before a time, sorted by (time, insertion order) so that processing order is
deterministic.

How rows are stored is for speed only and does not change what is returned:

* :class:`EventBuffer` files rows by time into buckets (between given edges, the month starts
  in the model, or of :data:`BUCKET_DAYS` days), each a list of chunks in insertion order, so
  ``pop_due`` touches only the buckets that can hold due rows, never the whole buffer (rows far
  ahead wait unfiled until the horizon reaches them);
* :class:`RecordBuffer` keeps rows in insertion order, for records that are also summed over
  in full each month (the sums add in that order). A popped row is only marked removed (time
  NaN); removed rows are dropped, keeping the order of the rest, once they outnumber the live
  ones.

Both count their rows per council as rows come and go.
"""

from __future__ import annotations

import math

import numpy as np

from caresim.model.kernels import indices_below
from caresim.model.sorting import stable_argsort_float

BUCKET_DAYS = 32.0
"""Width (days) of :class:`EventBuffer`'s time buckets when no edges are given (a power of two,
so the division is exact)."""

_FAR = 2**40
"""Uniform buckets: key for times that are NaN, infinite or beyond ``±_FAR`` buckets."""


class _Counts:
    """Rows per council, kept up to date as rows come and go."""

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.int64)

    def add(self, council: np.ndarray, sign: int) -> None:
        c = np.bincount(council)
        if len(c) > len(self.counts):
            self.counts = np.concatenate((self.counts, np.zeros(len(c) - len(self.counts),
                                                                np.int64)))
        self.counts[: len(c)] += sign * c

    def by_council(self, n: int) -> np.ndarray:
        """As ``np.bincount(council, minlength=n).astype(float)`` over the rows held."""
        nz = np.flatnonzero(self.counts)
        m = int(nz[-1]) + 1 if len(nz) else 0
        out = np.zeros(max(n, m))
        out[:m] = self.counts[:m]
        return out


def _check(dtypes: dict[str, type], values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if set(values) != set(dtypes):
        raise ValueError(f"expected columns {sorted(dtypes)}; got {sorted(values)}")
    arrays = {k: np.asarray(v, dtype=dtypes[k]) for k, v in values.items()}
    k = len(arrays["t"])
    if any(a.ndim != 1 or len(a) != k for a in arrays.values()):
        raise ValueError("all columns must be 1-D with the same length")
    return arrays


class EventBuffer:
    """Rows waiting for an event at time ``t`` (clock days).

    Parameters
    ----------
    dtypes : dict
        Column name -> dtype; must include ``t`` and ``council``.
    edges : numpy.ndarray, optional
        Increasing bucket edges (days). Give the times ``pop_due`` will be called with (the
        month starts) so that it never has to split a bucket. Default: buckets of
        :data:`BUCKET_DAYS` days.

    Notes
    -----
    Rows due within :data:`HORIZON` buckets of the latest ``pop_due`` are filed in their
    buckets, as slices of the block they were pushed in (sorted by bucket); rows due later wait,
    in insertion order, in a far store, and are filed when the horizon moves past them. Either
    way a bucket's rows stay in insertion order, and no memory is held for long by rows that
    have gone.
    """

    HORIZON = 24
    """Buckets ahead of the latest ``pop_due`` in which rows are filed as they come."""

    def __init__(self, dtypes: dict[str, type], edges: np.ndarray | None = None) -> None:
        if "t" not in dtypes or "council" not in dtypes:
            raise ValueError("an event buffer needs 't' and 'council' columns")
        self.dtypes = dict(dtypes)
        self._edges = None if edges is None else np.asarray(edges, dtype=np.float64)
        self._table: np.ndarray | None = None
        if self._edges is not None:
            e = self._edges
            if e.ndim != 1 or len(e) == 0 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
                raise ValueError("bucket edges must be finite and increasing")
            span = e[-1] - e[0]
            if np.all(e == np.floor(e)) and span <= 1e6:
                # whole-day edges: look a time's bucket up by its day (exact, and much faster
                # than a binary search): table[j + 1] = number of edges <= e[0] + j
                days = e[0] + np.arange(int(span) + 1)
                self._table = np.concatenate(
                    ([0], np.searchsorted(e, days, side="right"))).astype(np.int64)
        # bucket key -> chunks (dicts of columns), each chunk in insertion order
        self._buckets: dict[int, list[dict[str, np.ndarray]]] = {}
        self._far: list[dict[str, np.ndarray]] = []  # rows in buckets >= _limit, in order
        self._limit: int | None = None
        self._n = 0
        self._counts = _Counts()

    def __len__(self) -> int:
        return self._n

    @property
    def cols(self) -> dict[str, np.ndarray]:
        """Copies of all rows' columns, sorted by (time, insertion order)."""
        parts = [ch for b in sorted(self._buckets) for ch in self._buckets[b]] + self._far
        return self._sorted(parts)

    def push(self, **values: np.ndarray) -> None:
        """Append rows (every column must be given)."""
        arrays = _check(self.dtypes, values)
        k = len(arrays["t"])
        if k == 0:
            return
        key = self._keys(arrays["t"])
        if self._limit is None:
            self._limit = int(key.min()) + self.HORIZON
        is_far = key >= self._limit
        far = np.flatnonzero(is_far)  # index arrays: faster than boolean masks
        if len(far) == k:
            self._far.append({n: a.copy() for n, a in arrays.items()})
        elif len(far):
            self._far.append({n: a[far] for n, a in arrays.items()})
            near = np.flatnonzero(~is_far)
            self._file({n: a[near] for n, a in arrays.items()}, key[near])
        else:
            self._file(arrays, key, copy=True)
        self._n += k
        self._counts.add(arrays["council"], 1)

    def pop_due(self, before: float) -> dict[str, np.ndarray]:
        """Remove and return rows with ``t < before``, sorted by time (stable)."""
        before = float(before)
        parts: list[dict[str, np.ndarray]] = []
        if not math.isnan(before):
            last = int(self._keys(np.array([before]))[0])
            if self._limit is not None and last >= self._limit - 1:
                self._refile(last + self.HORIZON)
            for b in sorted(b for b in self._buckets if b <= last and self._lower(b) < before):
                self._take(b, before, parts)
        out = self._sorted(parts)
        if len(out["t"]):
            self._n -= len(out["t"])
            self._counts.add(out["council"], -1)
        return out

    def count_by_council(self, n: int) -> np.ndarray:
        """Rows per council (length ``n``)."""
        return self._counts.by_council(n)

    def _file(self, arrays: dict[str, np.ndarray], key: np.ndarray, copy: bool = False) -> None:
        """File rows in their buckets (after the rows already there)."""
        if len(key) == 0:
            return
        lo, hi = int(key.min()), int(key.max())
        if lo == hi:
            chunks = [(lo, {n: a.copy() if copy else a for n, a in arrays.items()})]
        else:
            # group by bucket, keeping the order within a bucket (a stable sort); the chunks
            # are slices of one sorted block
            rel = key - lo
            if hi - lo <= np.iinfo(np.uint16).max:
                rel = rel.astype(np.uint16)  # radix sort
            order = np.argsort(rel, kind="stable")
            block = {n: a[order] for n, a in arrays.items()}
            ks = key[order]
            cut = np.flatnonzero(ks[1:] != ks[:-1]) + 1
            starts = [0, *cut.tolist()]
            ends = [*cut.tolist(), len(ks)]
            chunks = [(b, {n: a[s:e] for n, a in block.items()})
                      for b, s, e in zip(ks[starts].tolist(), starts, ends, strict=True)]
        buckets = self._buckets
        for b, chunk in chunks:
            held = buckets.get(b)
            if held is None:
                buckets[b] = [chunk]
            else:
                held.append(chunk)

    def _refile(self, limit: int) -> None:
        """Move the horizon to bucket ``limit``, filing the far rows now before it."""
        self._limit = limit
        if not self._far:
            return
        far = {n: np.concatenate([p[n] for p in self._far]) for n in self.dtypes}
        key = self._keys(far["t"])
        is_near = key < limit
        later = np.flatnonzero(~is_near)
        near = np.flatnonzero(is_near)
        self._far = [{n: a[later] for n, a in far.items()}] if len(later) else []
        self._file({n: a[near] for n, a in far.items()}, key[near])

    def _take(self, b: int, before: float, parts: list[dict[str, np.ndarray]]) -> None:
        """Move the rows of bucket ``b`` with ``t < before`` to ``parts``."""
        chunks = self._buckets[b]
        upper = self._upper(b)
        if upper <= before and upper != math.inf:  # the whole bucket is due
            parts.extend(chunks)
            del self._buckets[b]
            return
        kept = []
        for ch in chunks:
            is_due = ch["t"] < before
            due = np.flatnonzero(is_due)
            if len(due) == len(is_due):
                parts.append(ch)
            elif len(due) == 0:
                kept.append(ch)
            else:
                rest = np.flatnonzero(~is_due)
                parts.append({n: a[due] for n, a in ch.items()})
                kept.append({n: a[rest] for n, a in ch.items()})
        if kept:
            self._buckets[b] = kept
        else:
            del self._buckets[b]

    def _sorted(self, parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """New arrays of the rows of ``parts`` (in order), sorted by time (stable)."""
        if not parts:
            return {n: np.empty(0, dtype=dt) for n, dt in self.dtypes.items()}
        if len(parts) == 1:
            cols = {n: a.copy() for n, a in parts[0].items()}
        else:
            cols = {n: np.concatenate([p[n] for p in parts]) for n in self.dtypes}
        t = cols["t"]
        if len(t) > 1 and not bool(np.all(t[1:] >= t[:-1])):
            order = stable_argsort_float(t)
            cols = {n: a[order] for n, a in cols.items()}
        return cols

    def _keys(self, t: np.ndarray) -> np.ndarray:
        """Bucket of each time. With edges: the number of edges ``<= t`` (NaN: after all).
        Uniform: ``floor(t / BUCKET_DAYS)``, ``±_FAR`` for NaN, infinite or huge times."""
        if self._table is not None:
            span = len(self._table) - 2
            with np.errstate(invalid="ignore"):
                d = np.clip(np.floor(t) - self._edges[0], -1.0, span)
            d[np.isnan(d)] = span  # NaN: after all edges, as searchsorted puts it
            return self._table[d.astype(np.int64) + 1]
        if self._edges is not None:
            return np.searchsorted(self._edges, t, side="right").astype(np.int64)
        with np.errstate(invalid="ignore"):
            k = np.floor(t / BUCKET_DAYS)
            k = np.where(k < _FAR, k, _FAR)  # NaN and +inf: far
            k = np.where(k > -_FAR, k, -_FAR)
        return k.astype(np.int64)

    def _lower(self, b: int) -> float:
        """Every time in bucket ``b`` is ``>=`` this."""
        if self._edges is not None:
            return -math.inf if b == 0 else float(self._edges[b - 1])
        return -math.inf if b <= -_FAR else b * BUCKET_DAYS

    def _upper(self, b: int) -> float:
        """Every time in bucket ``b`` is ``<`` this; ``inf`` for the last bucket, which also
        holds NaN and ``inf``."""
        if self._edges is not None:
            return math.inf if b >= len(self._edges) else float(self._edges[b])
        return math.inf if b >= _FAR else (b + 1) * BUCKET_DAYS


class RecordBuffer:
    """Rows with an end time ``t`` (clock days), kept in insertion order.

    Same interface as :class:`EventBuffer`, plus :meth:`stored` for one pass over every row
    in insertion order.

    Parameters
    ----------
    dtypes : dict
        Column name -> dtype; must include ``t`` and ``council``.
    """

    def __init__(self, dtypes: dict[str, type]) -> None:
        if "t" not in dtypes or "council" not in dtypes:
            raise ValueError("an event buffer needs 't' and 'council' columns")
        self.dtypes = dict(dtypes)
        self._cap = 0
        self._n = 0  # rows stored, live or removed
        self._n_live = 0
        self._store = {k: np.empty(0, dtype=v) for k, v in self.dtypes.items()}
        self._live = np.empty(0, dtype=bool)
        self._counts = _Counts()

    def __len__(self) -> int:
        return self._n_live

    @property
    def cols(self) -> dict[str, np.ndarray]:
        """The live rows' columns in insertion order (views; do not modify)."""
        self._compact()
        return {k: v[: self._n] for k, v in self._store.items()}

    def stored(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """All stored rows, live and removed, in insertion order, and the live mask (views).

        Lets a caller make one pass over the buffer without copying it; removed rows must be
        ignored (their ``t`` is NaN).
        """
        return {k: v[: self._n] for k, v in self._store.items()}, self._live[: self._n]

    def push(self, **values: np.ndarray) -> None:
        """Append rows (every column must be given)."""
        arrays = _check(self.dtypes, values)
        k = len(arrays["t"])
        if k == 0:
            return
        self._reserve(self._n + k)
        sl = slice(self._n, self._n + k)
        for name, a in arrays.items():
            self._store[name][sl] = a
        self._live[sl] = True
        self._n += k
        self._n_live += k
        self._counts.add(arrays["council"], 1)

    def pop_due(self, before: float) -> dict[str, np.ndarray]:
        """Remove and return rows with ``t < before``, sorted by time (stable)."""
        t = self._store["t"][: self._n]
        idx = indices_below(t, before)  # removed rows hold NaN: never due
        if len(idx) > 1:
            idx = idx[stable_argsort_float(t[idx])]
        out = {k: v[idx] for k, v in self._store.items()}
        if len(idx):
            t[idx] = np.nan
            self._live[idx] = False
            self._n_live -= len(idx)
            self._counts.add(out["council"], -1)
            if self._n - self._n_live > max(self._n_live, 4096):
                self._compact()
        return out

    def count_by_council(self, n: int) -> np.ndarray:
        """Rows per council (length ``n``)."""
        return self._counts.by_council(n)

    def _reserve(self, rows: int) -> None:
        if rows <= self._cap:
            return
        cap = max(rows, 2 * self._cap, 1024)
        for name, arr in self._store.items():
            grown = np.empty(cap, dtype=arr.dtype)
            grown[: self._n] = arr[: self._n]
            self._store[name] = grown
        live = np.zeros(cap, dtype=bool)
        live[: self._n] = self._live[: self._n]
        self._live = live
        self._cap = cap

    def _compact(self) -> None:
        """Drop removed rows, keeping the order of the live ones."""
        if self._n_live == self._n:
            return
        keep = np.flatnonzero(self._live[: self._n])
        for arr in self._store.values():
            arr[: len(keep)] = arr[keep]
        self._live[: len(keep)] = True
        self._n = len(keep)
