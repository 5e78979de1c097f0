"""``caresim validate``: a scenario against every published series.

The parent keeps no run's tables: each task's result is reduced as it comes, in plan order, to
the values validate reads of it (:class:`ValidationRuns`) and dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from caresim.analysis.validation import (
    Query,
    gather_values,
    path_query,
    query_values,
    validation_queries,
)
from caresim.app.common import execute_tasks, resolve_councils
from caresim.io import check_output_root, run_id, write_folder
from caresim.measures import RunTables, get_measure
from caresim.results import summarise
from caresim.runner import ExecutorSpec, Progress, TaskResult, default_workers, plan
from caresim.scenario import load_scenario

if TYPE_CHECKING:
    from caresim.analysis.time_split import TimeSplitCheck


@dataclass
class ValidationRuns:
    """The ``fold`` :func:`caresim.runner.execute` gives each task's result, in plan order:
    keeps the values of ``queries`` in each run (:func:`caresim.analysis.validation.query_values`),
    never a run's tables.

    Attributes
    ----------
    queries : tuple of Query
        What validate reads of a run (:func:`caresim.analysis.validation.validation_queries`).
    runs : list of dict
        Per run, in plan order: each query's values.
    """

    queries: tuple[Query, ...]
    runs: list[dict[Query, pd.DataFrame]] = field(default_factory=list)

    @property
    def next_index(self) -> int:
        """The task due next (plan order)."""
        return len(self.runs)

    def add(self, result: TaskResult) -> None:
        """Reduce the next task's tables to the values of the queries."""
        self.runs.append(query_values(self.queries,
                                      RunTables(result.monthly, result.fy, result.ledger)))

    def values(self) -> dict[Query, pd.DataFrame]:
        """Each query's values over every run, as one reading of all their tables gives them
        (:func:`caresim.analysis.validation.gather_values`)."""
        return gather_values(self.runs)


@dataclass
class Validation:
    """The validation table, the council spread and where they were written."""

    table: pd.DataFrame
    spread: pd.DataFrame
    spread_summary: dict
    markdown: str
    folder: Path
    time_split: TimeSplitCheck | None = None


def validate(path: str, out: Path, replications: int | None = None, seed: int | None = None,
             spec: ExecutorSpec | None = None, progress: Progress | None = None,
             command: list[str] | None = None, councils: list[str] | None = None) -> Validation:
    """Run a scenario (all England by default) and compare it with every published series.

    Writes ``out/validation/<id>/``: ``validation.csv``, ``validation.md``,
    ``council_spread.csv``, ``reablement_check.csv``, ``time_split.csv`` (when a time-split
    calibration is shipped: :mod:`caresim.analysis.time_split`) and one plot per series in
    ``plots/``.
    """
    from caresim import __version__, plotting
    from caresim.analysis.time_split import TimeSplitCheck, load_time_split, time_split_table
    from caresim.analysis.validation import (
        council_spread,
        reablement_check,
        validation_markdown,
        validation_table,
    )
    from caresim.councils import select_councils

    scenario, codes = resolve_councils(
        load_scenario(path).with_run(seed=seed, replications=replications), councils or [])
    params = scenario.params
    check_output_root(out)
    shipped = load_time_split()  # a bad shipped file stops validate before the run
    every_council = select_councils([])
    reps = params.run.replications
    spec = spec or ExecutorSpec(workers=default_workers(reps))
    runs = ValidationRuns(validation_queries())
    execute_tasks(plan(scenario.name, params, codes, reps), spec, None, progress, runs)
    values = runs.values()
    table = validation_table(values)
    spread, spread_summary = council_spread(values)
    meta = {"scenario": scenario.name, "hash": scenario.hash, "replications": reps,
            "councils": len(codes), "seed": params.run.seed, "version": __version__,
            "command": " ".join(["caresim", *(command or [])[1:]]) if command
            else "caresim validate"}
    reablement = reablement_check(values)
    split = None if shipped is None else TimeSplitCheck(
        time_split_table(shipped.predictions, table, england=len(codes) == len(every_council)),
        shipped.provenance)
    markdown = validation_markdown(table, spread_summary, meta, reablement, split)
    started = dt.datetime.now(dt.UTC)
    figures = {}
    for series, rows in table.groupby("series", sort=False):
        figures[f"plots/{_slug(series)}.png"] = plotting.validation_figure(
            series, rows.reset_index(drop=True), _path(values, rows["model_measure"].iloc[0],
                                                       rows["period"].iloc[0]))
    folder = write_folder(out / "validation" / run_id(started, scenario.hash[:8]),
                          csv={"validation.csv": table, "council_spread.csv": spread,
                               "reablement_check.csv": reablement,
                               **({} if split is None else {"time_split.csv": split.table})},
                          text={"validation.md": markdown}, figures=figures, dpi=110)
    return Validation(table, spread, spread_summary, markdown, folder, split)


def _path(values: dict[Query, pd.DataFrame], measure: str, period: str) -> pd.DataFrame | None:
    """The measure's whole path for England at the kind of the figure's period (month ends or
    financial years): mean and 95% interval over replications; ``None`` over spans."""
    query = path_query(measure, period)
    if query is None:
        return None
    m = get_measure(measure)
    return summarise(values[query].assign(metric=m.name, unit=m.unit), "period")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")
