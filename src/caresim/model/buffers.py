"""Pending events outside the population: people between contact and service.

A buffer holds rows (struct of arrays) with an event time ``t``; ``pop_due`` removes and returns
the rows due before a time, sorted by (time, insertion order) so that processing order is
deterministic.
"""

from __future__ import annotations

import numpy as np


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
        self.cols = {k: np.empty(0, dtype=v) for k, v in self.dtypes.items()}

    def __len__(self) -> int:
        return len(self.cols["t"])

    def push(self, **values: np.ndarray) -> None:
        """Append rows (every column must be given)."""
        if set(values) != set(self.dtypes):
            raise ValueError(f"expected columns {sorted(self.dtypes)}; got {sorted(values)}")
        for k, v in values.items():
            self.cols[k] = np.concatenate((self.cols[k], np.asarray(v, dtype=self.dtypes[k])))

    def pop_due(self, before: float) -> dict[str, np.ndarray]:
        """Remove and return rows with ``t < before``, sorted by time (stable)."""
        due = self.cols["t"] < before
        idx = np.flatnonzero(due)
        idx = idx[np.argsort(self.cols["t"][idx], kind="stable")]
        out = {k: v[idx] for k, v in self.cols.items()}
        keep = ~due
        self.cols = {k: v[keep] for k, v in self.cols.items()}
        return out

    def count_by_council(self, n: int) -> np.ndarray:
        """Rows per council (length ``n``)."""
        return np.bincount(self.cols["council"], minlength=n).astype(float)
