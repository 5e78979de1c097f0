"""The service-user population as arrays: one row per person in service.

Columns hold each person's state and the exact continuous times of their next events. Rows are
appended in blocks as people start services and marked inactive when they leave; ``compact``
drops inactive rows while keeping the order of the others, so the order in which a council's
people are visited (and so its random draws) never depends on other councils.
"""

from __future__ import annotations

import numpy as np

COMMUNITY, RESIDENTIAL = 0, 1
"""Settings."""
ARRANGED, MANAGED_PB, DIRECT_PAYMENT = 0, 1, 2
"""Support modes: council-arranged, council-managed personal budget, direct payment."""

COLUMNS: dict[str, type] = {
    "council": np.int32,       # council index
    "age": np.int8,            # 0: 18-64, 1: 65+
    "need": np.int8,           # 0 low .. 3 critical
    "setting": np.int8,        # COMMUNITY or RESIDENTIAL
    "mode": np.int8,           # ARRANGED, MANAGED_PB or DIRECT_PAYMENT
    "cost": np.float64,        # annual package cost, GBP/year
    "t_start": np.float64,     # service start, clock days
    "t_review": np.float64,    # next review: due time, or completion time once queued
    "review_queued": np.bool_,
    "t_exit": np.float64,      # exit time, clock days
    "t_accrued": np.float64,   # spend accrued up to this time, clock days
    "reabled": np.bool_,       # went through reablement before this service
    "active": np.bool_,
}


class Population:
    """Struct-of-arrays store of service users with amortised growth.

    Parameters
    ----------
    capacity : int
        Initial number of rows allocated.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._cap = max(int(capacity), 16)
        self.cols: dict[str, np.ndarray] = {k: np.zeros(self._cap, dtype=t)
                                            for k, t in COLUMNS.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Append rows; every column must be given. Returns the new rows' indices."""
        missing = set(COLUMNS) - set(values) - {"active", "review_queued", "reabled"}
        if missing:
            raise ValueError(f"missing columns: {sorted(missing)}")
        k = len(values["council"])
        if self.n + k > self._cap:
            new_cap = max(self._cap * 2, self.n + k)
            for name, arr in self.cols.items():
                grown = np.zeros(new_cap, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.cols[name] = grown
            self._cap = new_cap
        sl = slice(self.n, self.n + k)
        for name, arr in self.cols.items():
            if name in values:
                arr[sl] = values[name]
            else:
                arr[sl] = name == "active"
        self.n += k
        return np.arange(sl.start, sl.stop)

    def compact(self) -> None:
        """Drop inactive rows, keeping the order of the rest."""
        keep = np.flatnonzero(self.cols["active"][: self.n])
        for arr in self.cols.values():
            arr[: len(keep)] = arr[keep]
        self.n = len(keep)
