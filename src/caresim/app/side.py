"""A run's measures join, figures and workbook, made beside the parent's summary and tables.

After its tasks, a run's parent has three independent pieces of work left: joining the tasks'
measures into ``measures.parquet`` (for many replications, the largest transient memory of
the stage: about 0.55 GiB at 100 England replications, measured), building the summary and
scorecard and writing the tables (the summary, the CSVs), and the documents people open (the
two plots and ``workbook.xlsx``). For a run of many councils the join and the documents go to
one second process (spawn start method), started when the run begins so that its imports
(matplotlib, xlsxwriter) are done while the tasks run. The parent builds the summary and writes
the tables meanwhile, so the work overlaps on a second core, the join's memory is never added
to the summary's in the parent, and the parent never imports matplotlib. A run of few
councils, whose documents take a fraction of a second, does all of it in the parent, by the
same functions (:func:`caresim.partials.join_measures`, :func:`draw_and_book`), so both ways
write the same files.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from caresim.measures.targets import TargetReading
from caresim.worker_guard import exit_with_parent

SIDE_MIN_COUNCILS = 20
"""Runs of at least this many councils draw their figures and write their workbook in a
second process; smaller runs do it in the parent. The workbook takes about 25 ms per council
(3.8 s for England's 153 scopes), so below 20 councils the documents take under half a second,
less than starting a process and importing its libraries (1.8 s of CPU and 270 MB, measured
with ``/usr/bin/time`` on ``python -c "import caresim.plotting, caresim.workbook"``)."""

@dataclass(frozen=True)
class Documents:
    """What the figures and the workbook of a run need, small enough to send to a process.

    Attributes
    ----------
    folder : pathlib.Path
        The run's partial folder; the ledger is read from its ``ledger.parquet/`` dataset.
    manifest : dict
        The run manifest as the workbook records it.
    scope_rows : pandas.DataFrame
        The summary's rows of the scope shown (monthly and financial-year).
    headline_rows : pandas.DataFrame
        The summary's financial-year rows of the workbook's headline metrics, every scope.
    scorecard : pandas.DataFrame
        The run's scorecard.
    scope : str
        GSS code shown first: the council of a one-council run, else ``E92000001``.
    targets : tuple of TargetReading
        The scenario's targets, drawn on the PB-share plot.
    titles : dict
        Plot name (``pb_share``, ``spend``) -> title.
    """

    folder: Path
    manifest: dict[str, Any]
    scope_rows: pd.DataFrame
    headline_rows: pd.DataFrame
    scorecard: pd.DataFrame
    scope: str
    targets: tuple[TargetReading, ...]
    titles: dict[str, str]


def draw_and_book(docs: Documents) -> None:
    """Draw the run's plots into ``plots/`` (PNG) and write ``workbook.xlsx`` in its folder."""
    from caresim import plotting  # matplotlib only where plots are made
    from caresim.io import save_figure
    from caresim.measures import monthly_rows, yearly_rows
    from caresim.partials import dataset_dir
    from caresim.workbook import write_workbook

    months, years = monthly_rows(docs.scope_rows), yearly_rows(docs.scope_rows)
    figures = {"pb_share": plotting.pb_share_figure(months, years, docs.targets, docs.scope,
                                                    docs.titles["pb_share"]),
               "spend": plotting.spend_figure(years, docs.scope, docs.titles["spend"])}
    plots = docs.folder / "plots"
    plots.mkdir(exist_ok=True)
    for name, fig in figures.items():
        save_figure(fig, plots / f"{name}.png")  # its default resolution, as before
    ledger = pd.read_parquet(dataset_dir(docs.folder, "ledger"))
    write_workbook(docs.folder / "workbook.xlsx", docs.manifest, docs.headline_rows,
                   docs.scorecard, ledger, docs.scope)


def _warm() -> None:
    """Import what :func:`draw_and_book` needs (run in the second process as it starts)."""
    import caresim.plotting
    import caresim.workbook  # noqa: F401


class _Inline:
    """A job run in the calling process when its result is asked for."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args

    def result(self) -> Any:
        return self.fn(*self.args)


class SideProcess:
    """Where a run's join and documents are made: a second process (jobs run one at a time,
    in the order given), or the parent (``pool`` None: each job when its result is asked
    for)."""

    def __init__(self, pool: Executor | None) -> None:
        self.pool = pool

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future | _Inline:
        """Start ``fn(*args)`` (in the parent: when ``result()`` is called)."""
        if self.pool is None:
            return _Inline(fn, args)
        return self.pool.submit(fn, *args)


@contextmanager
def side_process(n_councils: int) -> Iterator[SideProcess]:
    """A :class:`SideProcess` for a run of ``n_councils``: a second process, started now and
    importing its libraries, for :data:`SIDE_MIN_COUNCILS` or more; else the parent. The
    process ends when the block does (after its work, or on an error)."""
    if n_councils < SIDE_MIN_COUNCILS:
        yield SideProcess(None)
        return
    pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"),
                               initializer=exit_with_parent)
    try:
        pool.submit(_warm)
        yield SideProcess(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
