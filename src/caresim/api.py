"""The library entry points the command line calls: run a scenario and write its run folder.

Nothing here prints; progress is reported through an optional callback.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from caresim.councils import resolve_council, select_councils
from caresim.errors import CouncilError, ScenarioError
from caresim.outputs import check_output_root, environment, new_run_id, write_run
from caresim.params.schema import Scenario
from caresim.results import summarise
from caresim.runner import default_workers, execute, make_executor, plan
from caresim.scenario import ResolvedScenario, load_scenario
from caresim.scorecard import scorecard


@dataclass
class RunOutputs:
    """Every table of a run, in memory."""

    timeseries: pd.DataFrame
    financial_years: pd.DataFrame
    ledger: pd.DataFrame
    summary: pd.DataFrame
    scorecard: pd.DataFrame


def resolve_councils(scenario: ResolvedScenario, cli_councils: list[str]) -> tuple[Scenario, list[str]]:
    """Council codes to run (command line first, else the scenario's ``run.councils``, else all)
    and the parameters with ``council_overrides`` keyed by GSS code."""
    params = scenario.params
    tokens = cli_councils or params.run.councils
    try:
        codes = select_councils(tokens)
    except CouncilError as exc:
        if not cli_councils:
            raise ScenarioError(_file_for(scenario, "run.councils"), "run.councils",
                                "names or GSS codes of English councils (see `caresim councils`)",
                                f"'{exc.token}', which matches none", exc.hint) from None
        raise
    overrides = {}
    for key, value in params.council_overrides.items():
        try:
            overrides[resolve_council(key)] = value
        except CouncilError as exc:
            raise ScenarioError(_file_for(scenario, f"council_overrides.{key}"),
                                f"council_overrides.{key}",
                                "the name or GSS code of an English council as the key",
                                f"'{exc.token}', which matches none", exc.hint) from None
    return params.model_copy(update={"council_overrides": overrides}), codes


def _file_for(scenario: ResolvedScenario, key: str) -> str:
    return scenario.provenance.get(key, scenario.files[-1])


def run_tables(name: str, params: Scenario, codes: list[str], replications: int, workers: int,
               progress: Callable[[Iterable[Future], int], Iterable[Future]] | None = None
               ) -> RunOutputs:
    """Run every replication and build the run's tables (summaries computed once, here)."""
    tasks = plan(name, params, codes, replications)
    executor = make_executor(workers)
    try:
        results = execute(tasks, executor, progress)
    finally:
        executor.shutdown()
    monthly = pd.concat([r.monthly for r in results], ignore_index=True)
    fy = pd.concat([r.fy for r in results], ignore_index=True)
    ledger = pd.concat([r.ledger for r in results], ignore_index=True)
    summary = pd.concat([summarise(monthly, "date"), summarise(fy, "fy")], ignore_index=True)
    return RunOutputs(monthly, fy, ledger, summary, scorecard(monthly, fy, ledger, params.targets))


def run_scenario(path: str, out: Path, seed: int | None = None, replications: int | None = None,
                 councils: list[str] | None = None, workers: int | None = None,
                 command: list[str] | None = None,
                 progress: Callable[[Iterable[Future], int], Iterable[Future]] | None = None
                 ) -> tuple[Path, RunOutputs]:
    """Load, run and write a scenario; returns the run folder and the tables.

    Raises
    ------
    caresim.errors.InputError
        For any bad input, before anything is written.
    """
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    scenario = load_scenario(path).with_run(seed=seed, replications=replications)
    params, codes = resolve_councils(scenario, councils or [])
    check_output_root(out)
    reps = params.run.replications
    n_workers = workers if workers is not None else (1 if reps == 1 else default_workers(reps))
    t_setup = time.perf_counter() - t0
    tables = run_tables(scenario.name, params, codes, reps, n_workers, progress)
    t_run = time.perf_counter() - t0 - t_setup

    from caresim import plotting  # matplotlib only where plots are made

    targets = {k: getattr(params.targets, k).value for k in
               ("pb_share_march_2010", "pb_share_april_2011")}
    monthly_summary = tables.summary[tables.summary["period"].str.len() == 10]
    fy_summary = tables.summary[tables.summary["period"].str.len() == 7]
    scope = codes[0] if len(codes) == 1 else "E92000001"
    figures = {"pb_share": plotting.pb_share_figure(monthly_summary, fy_summary, targets, scope),
               "spend": plotting.spend_figure(fy_summary, scope)}
    manifest = {
        "caresim_version": environment()["caresim"], "scenario": scenario.name,
        "scenario_files": list(scenario.files), "scenario_hash": scenario.hash,
        "master_seed": params.run.seed, "replications": reps, "councils": codes,
        "workers": n_workers, "command": command or [], "started_utc": started.isoformat(),
        "environment": environment(),
        "timings_seconds": {"setup": round(t_setup, 3), "simulation_and_tables": round(t_run, 3)},
        "parameters": params.model_dump(mode="json"),
    }
    run_id = new_run_id(scenario.hash, started)
    folder = write_run(out, scenario.name, run_id, {
        "timeseries": tables.timeseries, "financial_years": tables.financial_years,
        "summary": tables.summary, "scorecard": tables.scorecard, "ledger": tables.ledger,
    }, manifest, figures)
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(fig)
    return folder, tables
