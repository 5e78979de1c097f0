"""``caresim compare``: scenarios under common random numbers, differenced against the first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from caresim.analysis.headline import headline_values, reading_table
from caresim.app.common import RunOutputs, build_tables, execute_tasks, resolve_councils, scope_of
from caresim.errors import InputError
from caresim.io import check_output_root, environment, run_id, write_folder
from caresim.measures import RunTables
from caresim.measures.readings import COMPARE_EXTRAS
from caresim.measures.targets import target_readings
from caresim.runner import ExecutorSpec, Progress, default_workers, plan
from caresim.scenario import load_scenario


@dataclass
class Comparison:
    """Paired differences of the headline indicators and target values, B - A."""

    names: list[str]
    differences: pd.DataFrame
    per_replication: pd.DataFrame
    folder: Path | None = None


def _target_values(tables: RunOutputs, scope: str, targets) -> pd.DataFrame:
    """Per-replication values of each scorecard target (for paired differences)."""
    run = RunTables(tables.timeseries, tables.financial_years, tables.ledger)
    values = reading_table(target_readings(targets), run, scope, prefix="target ")
    return values.sort_values("replication", kind="stable", ignore_index=True)


def _verdicts(card: pd.DataFrame, scope: str) -> dict[str, str]:
    """``target <name>`` -> the scenario's outcome for the scope, in words with its p_met."""
    from caresim.measures.targets import met_word

    rows = card[card["scope"].astype(str) == scope]
    return {f"target {r['target']}": (met_word(r["met"], r["n"]) if r["n"] == 0 else
                                       f"{met_word(r['met'], r['n'])} (p_met {r['p_met']:.2f})")
            for _, r in rows.iterrows()}


def compare(paths: list[str], out: Path, seed: int | None = None,
            replications: int | None = None, councils: list[str] | None = None,
            spec: ExecutorSpec | None = None, progress: Progress | None = None,
            command: list[str] | None = None,
            announce: Callable[[str], None] | None = None) -> Comparison:
    """Run scenarios under common random numbers and difference each against the first.

    Every scenario runs with the same master seed (the first scenario's unless ``seed``), the
    same councils and the same replication numbers, so replication r of each shares its
    random numbers stream by stream. Replications default to the first scenario's
    ``run.replications``, at least 5. ``announce`` is told, in words, as each scenario starts.
    """
    from caresim.analysis.compare import paired_differences

    if len(paths) < 2:
        raise InputError("compare: expected at least two scenarios; found "
                         f"{len(paths)}.")
    scenarios = [load_scenario(p) for p in paths]
    first = scenarios[0].params
    seed = first.run.seed if seed is None else seed
    reps = replications or max(first.run.replications, 5)
    check_output_root(out)
    resolved = []
    for s in scenarios:
        r, codes = resolve_councils(s.with_run(seed=seed, replications=reps), councils or [])
        resolved.append((s.name, r.params, codes))
    if len({tuple(c) for _, _, c in resolved}) > 1:
        raise InputError("compare: the scenarios select different councils; pass --council to "
                         "compare the same ones.")
    codes = resolved[0][2]
    scope = scope_of(codes)
    spec = spec or ExecutorSpec(workers=default_workers(reps))
    per_rep, verdicts = [], []
    for k, (name, params, _) in enumerate(resolved):
        if announce is not None:
            announce(f"scenario {k + 1} of {len(resolved)}: {name}, {reps} replication(s) of "
                     f"{len(codes)} council(s)")
        results = execute_tasks(plan(name, params, codes, reps), spec, None, progress)
        tables = build_tables(results, params)
        run = RunTables(tables.timeseries, tables.financial_years, tables.ledger)
        values = pd.concat([headline_values(tables.timeseries, tables.financial_years,
                                            tables.ledger, scope),
                            reading_table(COMPARE_EXTRAS, run, scope),
                            _target_values(tables, scope, params.targets)], ignore_index=True)
        per_rep.append(values.assign(scenario=name))
        verdicts.append(_verdicts(tables.scorecard, scope))
    base = per_rep[0]
    diffs = [paired_differences(base.drop(columns="scenario"), other.drop(columns="scenario"))
             .assign(a=resolved[0][0], b=other["scenario"].iloc[0],
                     verdict_a=lambda d: d["indicator"].map(verdicts[0]).fillna(""),
                     verdict_b=lambda d, k=k: d["indicator"].map(verdicts[k]).fillna(""))
             for k, other in enumerate(per_rep[1:], start=1)]
    differences = pd.concat(diffs, ignore_index=True)
    comparison = Comparison([n for n, _, _ in resolved], differences,
                            pd.concat(per_rep, ignore_index=True))
    started = dt.datetime.now(dt.UTC)
    from caresim import plotting

    comparison.folder = write_folder(
        out / "compare" / run_id(started, "-vs-".join(comparison.names)),
        csv={"comparison.csv": differences, "per_replication.csv": comparison.per_replication},
        manifest={"scenarios": comparison.names, "master_seed": seed, "replications": reps,
                  "councils": codes, "scope": scope, "common_random_numbers": True,
                  "executor": spec.describe(), "command": command or [],
                  "environment": environment(), "started_utc": started.isoformat()},
        figures={"comparison.png": plotting.comparison_figure(differences)})
    return comparison
