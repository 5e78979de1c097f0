"""Pending events outside the population: people between contact and service.

A buffer holds rows (struct of arrays) with an event time ``t``; ``pop_due`` removes and returns
the rows due before a time, sorted by (time, insertion order) so that processing order is
deterministic.

Storage (for speed; it does not change what is returned): columns grow by doubling, so a push
copies only the new rows. Rows are kept in insertion order; a popped row is only marked removed
(its time set to NaN, so it is never due again) and removed rows are dropped, keeping the order of
the rest, once they outnumber the live ones. Live rows per council are counted as rows come and
go.
"""

from __future__ import annotations

import numpy as np

from caresim.model.sorting import stable_argsort_float


class EventBuffer:
    """Rows waiting for an event at time ``t`` (clock days).

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
        self._counts = np.zeros(0, dtype=np.int64)  # live rows per council

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
        if set(values) != set(self.dtypes):
            raise ValueError(f"expected columns {sorted(self.dtypes)}; got {sorted(values)}")
        arrays = {k: np.asarray(v, dtype=self.dtypes[k]) for k, v in values.items()}
        k = len(arrays["t"])
        if any(len(a) != k for a in arrays.values()):
            raise ValueError("all columns must have the same length")
        if k == 0:
            return
        self._reserve(self._n + k)
        sl = slice(self._n, self._n + k)
        for name, a in arrays.items():
            self._store[name][sl] = a
        self._live[sl] = True
        self._n += k
        self._n_live += k
        counts = np.bincount(arrays["council"])
        if len(counts) > len(self._counts):
            self._counts = np.concatenate(
                (self._counts, np.zeros(len(counts) - len(self._counts), np.int64)))
        self._counts[: len(counts)] += counts

    def pop_due(self, before: float) -> dict[str, np.ndarray]:
        """Remove and return rows with ``t < before``, sorted by time (stable)."""
        t = self._store["t"][: self._n]
        idx = np.flatnonzero(t < before)  # removed rows hold NaN: never due
        if len(idx) > 1:
            idx = idx[stable_argsort_float(t[idx])]
        out = {k: v[idx] for k, v in self._store.items()}
        if len(idx):
            t[idx] = np.nan
            self._live[idx] = False
            self._n_live -= len(idx)
            self._counts -= np.bincount(out["council"], minlength=self._counts.shape[0])
            if self._n - self._n_live > max(self._n_live, 4096):
                self._compact()
        return out

    def count_by_council(self, n: int) -> np.ndarray:
        """Rows per council (length ``n``)."""
        out = np.zeros(max(n, len(self._counts)))
        out[: len(self._counts)] = self._counts
        return out

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
