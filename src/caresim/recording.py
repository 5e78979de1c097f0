"""What is observed: the metric registry and the per-council monthly recorder.

Every metric has a unit and a kind: ``stock`` (its value at the end of the period) or ``flow``
(a total over the period). Ratios (``kind = ratio``) are never summed: they are recomputed from
their numerator and denominator at every level (council, national, month, financial year), so
national values are ratios of national sums (docs/design.md). Each process declares the metrics it
records (:class:`~caresim.model.parts.Metric`) and its ledger lines; this module assembles the
registries, and ``docs/outputs.md`` is generated from them.
"""

from __future__ import annotations

import numpy as np

from caresim.model import (
    assessment,
    demand,
    exits,
    finance,
    flows,
    grant,
    levers,
    personal_budgets,
    prevention,
    rationing,
    reserves,
    reviews,
    services,
    transformation,
)
from caresim.model.parts import LedgerLine, Metric

METRICS: tuple[Metric, ...] = (
    # stocks: value at the end of the period
    *services.STOCKS,
    *flows.STOCKS,
    *transformation.METRICS,
    *assessment.STOCKS,
    *reviews.STOCKS,
    *assessment.THRESHOLDS,
    *grant.STOCKS,
    *rationing.STOCKS,
    *services.MONEY_STOCKS,
    # flows: totals over the period
    *demand.METRICS,
    *assessment.FLOWS,
    *prevention.EPISODES,
    *services.STARTS,
    *exits.METRICS,
    *reviews.FLOWS,
    *services.OFFERS,
    *finance.FLOWS,
    *grant.FLOWS,
    *finance.SAVINGS,
    *prevention.AVOIDED,
    *levers.SAVINGS,
    *grant.DIVERTED,
    *personal_budgets.FLOWS,
    *rationing.FLOWS,
    *reserves.FLOWS,
    # financial-year only
    *services.YEAR,
    *personal_budgets.YEAR,
)
"""Every metric, assembled from the processes' own declarations in the order the tables list
them."""
LEDGER: tuple[LedgerLine, ...] = finance.LEDGER
"""Every ledger line, in the order of ``ledger.csv`` (assembled by the finance process, which
keeps the ledger, from its own lines and the grant's)."""

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
RECORDED: tuple[str, ...] = tuple(m.name for m in METRICS if m.kind != "ratio")
INDEX: dict[str, int] = {name: i for i, name in enumerate(RECORDED)}


class Recorder:
    """Monthly per-council values of every recorded (non-ratio) metric.

    ``values[month, council, metric]``: flows are added during the month, stocks set at its end.
    """

    def __init__(self, n_months: int, n_councils: int,
                 month_start_days: np.ndarray | None = None) -> None:
        self.values = np.zeros((n_months, n_councils, len(RECORDED)))
        self.month = 0
        self.index = INDEX
        self.month_start_days = month_start_days

    def add_at_times(self, name: str, council: np.ndarray, days: np.ndarray,
                     weights: np.ndarray | None = None) -> None:
        """Add per-event counts (or weights) to the months their times ``days`` fall in;
        events after the last month are dropped."""
        n_months, n = self.values.shape[:2]
        month = np.searchsorted(self.month_start_days, days, side="right") - 1
        keep = np.flatnonzero((month >= 0) & (month < n_months))
        w = None if weights is None else weights[keep]
        flat = np.bincount(month[keep] * n + council[keep], w, minlength=n_months * n)
        self.values[:, :, INDEX[name]] += flat.reshape(n_months, n)

    def add(self, name: str, per_council: np.ndarray) -> None:
        """Add a flow (array over councils) to the current month."""
        self.values[self.month, :, INDEX[name]] += per_council

    def add_at(self, name: str, council: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add counts (or weights) per event, given each event's council index."""
        n = self.values.shape[1]
        self.values[self.month, :, INDEX[name]] += np.bincount(council, weights, minlength=n)

    def set(self, name: str, per_council: np.ndarray) -> None:
        """Set a stock (array over councils) for the current month."""
        self.values[self.month, :, INDEX[name]] = per_council
