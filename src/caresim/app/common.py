"""What every study shares: the councils a scenario runs, its scope, executing tasks and the
tables of a run."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from caresim.councils import resolve_council, scope_of, select_councils  # noqa: F401 (scope_of: re-exported)
from caresim.errors import CouncilError, ScenarioError
from caresim.measures.targets import check_targets
from caresim.params.schema import Scenario
from caresim.results import summarise
from caresim.runner import ExecutorSpec, Progress, RunStore, TaskResult, execute, make_executor
from caresim.scenario import ResolvedScenario
from caresim.scorecard import scorecard


@dataclass
class RunOutputs:
    """Every table of a run, in memory."""

    timeseries: pd.DataFrame
    financial_years: pd.DataFrame
    ledger: pd.DataFrame
    summary: pd.DataFrame
    scorecard: pd.DataFrame


def file_for(scenario: ResolvedScenario, key: str) -> str:
    return scenario.provenance.get(key, scenario.files[-1])


def resolve_councils(scenario: ResolvedScenario, cli_councils: list[str]
                     ) -> tuple[ResolvedScenario, list[str]]:
    """Council codes to run (command line first, else the scenario's ``run.councils``, else all)
    and the scenario with ``council_overrides`` keyed by GSS code; the scenario's targets are
    checked against the measures first (a clear error for an unknown measure)."""
    check_targets(scenario)
    params = scenario.params
    tokens = list(cli_councils) or list(params.run.councils)
    try:
        codes = select_councils(tokens)
    except CouncilError as exc:
        if not cli_councils:
            raise ScenarioError(file_for(scenario, "run.councils"), "run.councils",
                                "names or GSS codes of English councils (see `caresim councils`)",
                                f"'{exc.token}', which matches none", exc.hint) from None
        raise
    overrides = {}
    for key, value in params.council_overrides.items():
        try:
            overrides[resolve_council(key)] = value
        except CouncilError as exc:
            raise ScenarioError(file_for(scenario, f"council_overrides.{key}"),
                                f"council_overrides.{key}",
                                "the name or GSS code of an English council as the key",
                                f"'{exc.token}', which matches none", exc.hint) from None
    if list(overrides) == list(params.council_overrides):
        return scenario, codes
    return scenario.replace({"council_overrides": overrides},
                            source="council_overrides keyed by GSS code"), codes


def scenario_warnings(scenario: ResolvedScenario) -> list[str]:
    """What the command line warns about before a scenario runs: each target its run cannot
    score (:func:`caresim.measures.targets.target_warnings`), naming the scenario's file."""
    from caresim.measures.targets import target_warnings
    from caresim.params.schema import RunSettings

    check_targets(scenario)  # an unknown measure is an error before it is a warning
    run = scenario.params.run
    lines = target_warnings(scenario.params.targets, run.start_date, run.end_date,
                            RunSettings.model_fields["start_date"].default)
    return [f"{scenario.files[-1]}: {line}" for line in lines]


def build_tables(results: list[TaskResult], params: Scenario) -> RunOutputs:
    """Every table of a run from its task results (summaries computed once, here)."""
    monthly = pd.concat([r.monthly for r in results], ignore_index=True)
    fy = pd.concat([r.fy for r in results], ignore_index=True)
    ledger = pd.concat([r.ledger for r in results], ignore_index=True)
    summary = pd.concat([summarise(monthly, "date"), summarise(fy, "fy")], ignore_index=True)
    return RunOutputs(monthly, fy, ledger, summary, scorecard(monthly, fy, ledger, params.targets,
                                                                params.run))


def execute_tasks(tasks, spec: ExecutorSpec, store: RunStore | None, progress: Progress | None,
                  fold=None) -> list[TaskResult]:
    """Run ``tasks`` on the executor ``spec`` names (see :func:`caresim.runner.execute`)."""
    executor = make_executor(spec)
    try:
        return execute(tasks, executor, store, progress, fold)
    finally:
        executor.shutdown()
