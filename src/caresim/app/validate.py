"""``caresim validate``: a scenario against every published series."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from caresim.app.common import build_tables, execute_tasks, resolve_councils
from caresim.councils import ENGLAND_CODE
from caresim.io import check_output_root, run_id, write_folder
from caresim.runner import ExecutorSpec, Progress, default_workers, plan
from caresim.scenario import load_scenario


@dataclass
class Validation:
    """The validation table, the council spread and where they were written."""

    table: pd.DataFrame
    spread: pd.DataFrame
    spread_summary: dict
    markdown: str
    folder: Path


def validate(path: str, out: Path, replications: int | None = None, seed: int | None = None,
             spec: ExecutorSpec | None = None, progress: Progress | None = None,
             command: list[str] | None = None, councils: list[str] | None = None) -> Validation:
    """Run a scenario (all England by default) and compare it with every published series.

    Writes ``out/validation/<id>/``: ``validation.csv``, ``validation.md``,
    ``council_spread.csv`` and one plot per series in ``plots/``.
    """
    from caresim import __version__, plotting
    from caresim.analysis.validation import council_spread, validation_markdown, validation_table

    scenario, codes = resolve_councils(
        load_scenario(path).with_run(seed=seed, replications=replications), councils or [])
    params = scenario.params
    check_output_root(out)
    reps = params.run.replications
    spec = spec or ExecutorSpec(workers=default_workers(reps))
    results = execute_tasks(plan(scenario.name, params, codes, reps), spec, None, progress)
    tables = build_tables(results, params)
    table = validation_table(tables.timeseries, tables.financial_years)
    spread, spread_summary = council_spread(tables.timeseries)
    meta = {"scenario": scenario.name, "hash": scenario.hash, "replications": reps,
            "councils": len(codes), "seed": params.run.seed, "version": __version__,
            "command": " ".join(["caresim", *(command or [])[1:]]) if command
            else "caresim validate"}
    markdown = validation_markdown(table, spread_summary, meta)
    started = dt.datetime.now(dt.UTC)
    summary = tables.summary[tables.summary["council_code"] == ENGLAND_CODE]
    figures = {}
    for series, rows in table.groupby("series", sort=False):
        metric = rows["model_metric"].iloc[0]
        monthly = rows["period"].str.len().iloc[0] == 10
        path_rows = summary[(summary["metric"] == metric)
                            & (summary["period"].str.len() == (10 if monthly else 7))]
        figures[f"plots/{_slug(series)}.png"] = plotting.validation_figure(
            series, rows.reset_index(drop=True), path_rows if len(path_rows) else None)
    folder = write_folder(out / "validation" / run_id(started, scenario.hash[:8]),
                          csv={"validation.csv": table, "council_spread.csv": spread},
                          text={"validation.md": markdown}, figures=figures, dpi=110)
    return Validation(table, spread, spread_summary, markdown, folder)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")
