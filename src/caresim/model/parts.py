"""What a process declares besides its parameters: the metrics it records, its ledger lines
(and the shape of a team of staff, which two processes share).

In starsim's terms a process *defines its results*: each process module lists the
:class:`Metric` s it records and, if it books money, the :class:`LedgerLine` s it fills; the
registries (:mod:`caresim.recording`, ``caresim.model.finance.LEDGER``) are assembled from
these declarations, and every reader (tables, docs, report, workbook) takes names, units,
labels and descriptions from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from caresim.model.queueing import ServerPool


@dataclass(frozen=True)
class Metric:
    """A recorded quantity."""

    name: str
    unit: str
    kind: str  # "stock", "flow" or "ratio"
    description: str
    numerator: str = ""
    denominator: str = ""
    fy_only: bool = False


@dataclass(frozen=True)
class LedgerLine:
    """One line of the budget ledger (GBP cash, per council and financial year).

    Attributes
    ----------
    name : str
        Column of ``ledger.csv``.
    label : str
        Short label for readers (report, workbook).
    description : str
        What the line holds, for the docs.
    group : str
        The heading it is shown under in the report.
    shown : bool
        Whether the report's ledger table shows it.
    total : bool
        A total line (shown in bold).
    summary : str
        The row of the report's real-terms summary it adds to ("" for none); lines with the
        same summary row are summed into it.
    """

    name: str
    label: str
    description: str
    group: str
    shown: bool = True
    total: bool = False
    summary: str = ""


@dataclass
class StaffTeam:
    """A team of staff in each council serving its FIFO queue (assessors, reviewers).

    Attributes
    ----------
    pool : ServerPool
        Each council's servers (FIFO multi-server queue).
    fte, fte0 : numpy.ndarray
        Staff now (set by finance each April) and in April 2008 (FTE).
    demand0 : numpy.ndarray
        The work expected a year in April 2008 (the staffing yardstick).
    """

    pool: ServerPool
    fte: np.ndarray
    fte0: np.ndarray
    demand0: np.ndarray
