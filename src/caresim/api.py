"""The library entry points the command line calls: runs, resumed runs and comparisons.

Nothing here prints; progress is reported through an optional callback.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from caresim.analysis.headline import PRECISION_HEADLINES, headline_values
from caresim.analysis.replications import enough
from caresim.councils import resolve_council, select_councils
from caresim.errors import CouncilError, InputError, ScenarioError
from caresim.outputs import (
    atomic_folder,
    check_output_root,
    environment,
    finalise,
    new_run_id,
    partial_folder,
    write_outputs,
)
from caresim.params.schema import Scenario
from caresim.results import summarise
from caresim.runner import (
    ExecutorSpec,
    Progress,
    RunStore,
    TaskResult,
    default_workers,
    execute,
    make_executor,
    plan,
)
from caresim.scenario import ResolvedScenario, load_scenario
from caresim.scorecard import scorecard
from caresim.streams import NATIONAL

MAX_AUTO_REPLICATIONS = 200


@dataclass
class RunOutputs:
    """Every table of a run, in memory."""

    timeseries: pd.DataFrame
    financial_years: pd.DataFrame
    ledger: pd.DataFrame
    summary: pd.DataFrame
    scorecard: pd.DataFrame


def _file_for(scenario: ResolvedScenario, key: str) -> str:
    return scenario.provenance.get(key, scenario.files[-1])


def resolve_councils(scenario: ResolvedScenario, cli_councils: list[str]
                     ) -> tuple[ResolvedScenario, list[str]]:
    """Council codes to run (command line first, else the scenario's ``run.councils``, else all)
    and the scenario with ``council_overrides`` keyed by GSS code."""
    params = scenario.params
    tokens = list(cli_councils) or list(params.run.councils)
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
    if list(overrides) == list(params.council_overrides):
        return scenario, codes
    return scenario.replace({"council_overrides": overrides},
                            source="council_overrides keyed by GSS code"), codes


def scope_of(codes: list[str]) -> str:
    """The scope a run reports first: the council when one was run, else England."""
    return codes[0] if len(codes) == 1 else NATIONAL


def build_tables(results: list[TaskResult], params: Scenario) -> RunOutputs:
    """Every table of a run from its task results (summaries computed once, here)."""
    monthly = pd.concat([r.monthly for r in results], ignore_index=True)
    fy = pd.concat([r.fy for r in results], ignore_index=True)
    ledger = pd.concat([r.ledger for r in results], ignore_index=True)
    summary = pd.concat([summarise(monthly, "date"), summarise(fy, "fy")], ignore_index=True)
    return RunOutputs(monthly, fy, ledger, summary, scorecard(monthly, fy, ledger, params.targets))


def _figures(tables: RunOutputs, params: Scenario, scope: str) -> dict:
    from caresim import plotting  # matplotlib only where plots are made
    from caresim.councils import load_councils

    names = dict(zip(load_councils()["code"], load_councils()["name"], strict=True))
    where = names.get(scope, "England")
    targets = {k: getattr(params.targets, k).value for k in
               ("pb_share_march_2010", "pb_share_april_2011")}
    s = tables.summary
    monthly_summary = s[s["period"].str.len() == 10]
    fy_summary = s[s["period"].str.len() == 7]
    n = int(s["n"].max()) if len(s) else 0
    return {"pb_share": plotting.pb_share_figure(
                monthly_summary, fy_summary, targets, scope,
                f"{where}: personal budget share against the targets ({n} replication(s))"),
            "spend": plotting.spend_figure(
                fy_summary, scope, f"{where}: adult social care spend by financial year")}


def _auto_batches(store: RunStore, tasks_for, spec: ExecutorSpec, precision: float,
                  scope: str, progress: Progress | None) -> list[TaskResult]:
    batch = max(3, spec.workers, spec.dask_local or 0)
    results: list[TaskResult] = []
    while True:
        new = tasks_for(len(results), batch)
        store.extend(len(new))
        results = _execute(tasks_for(0, len(results) + len(new)), spec, store, progress)
        values = headline_values(pd.concat([r.monthly for r in results]),
                                 pd.concat([r.fy for r in results]),
                                 pd.concat([r.ledger for r in results]), scope,
                                 PRECISION_HEADLINES)
        if enough(values, precision) or len(results) >= MAX_AUTO_REPLICATIONS:
            return results


def _execute(tasks, spec: ExecutorSpec, store: RunStore | None, progress: Progress | None
             ) -> list[TaskResult]:
    executor = make_executor(spec)
    try:
        return execute(tasks, executor, store, progress)
    finally:
        executor.shutdown()


def run_scenario(path: str, out: Path, seed: int | None = None,
                 replications: int | str | None = None, councils: list[str] | None = None,
                 spec: ExecutorSpec | None = None, command: list[str] | None = None,
                 progress: Progress | None = None, precision: float | None = None,
                 parameter_uncertainty: int | None = None) -> tuple[Path, RunOutputs]:
    """Load, run and write a scenario; returns the run folder and the tables.

    ``replications="auto"`` adds replications until the 95% interval of the headline indicators
    is within ``precision`` (relative half-width). ``parameter_uncertainty=N`` draws N
    parameter sets (scrambled Sobol over every assumption's range and distribution, calibrated
    parameters over their calibration range; seeded by the master seed) and runs each with the
    same replications (common random numbers across sets).

    Raises
    ------
    caresim.errors.InputError
        For any bad input, before anything is written.
    """
    started = dt.datetime.now(dt.UTC)
    auto = replications == "auto"
    if auto and (precision is None or precision <= 0):
        raise InputError("--replications auto needs --precision X (relative half-width, > 0).")
    if parameter_uncertainty is not None and (auto or parameter_uncertainty < 1):
        raise InputError("--parameter-uncertainty: expected a whole number >= 1 with a fixed "
                         "--replications; found "
                         f"{parameter_uncertainty} with replications {replications}.")
    scenario, codes = resolve_councils(load_scenario(path).with_run(
        seed=seed, replications=None if auto else replications), councils or [])
    params = scenario.params
    check_output_root(out)
    reps = params.run.replications
    spec = spec or ExecutorSpec(workers=1 if reps == 1 else default_workers(reps))
    run_id = new_run_id(scenario.hash, started)
    folder = partial_folder(out, scenario.name, run_id)
    info = {"scenario": scenario.name, "scenario_files": list(scenario.files),
            "scenario_hash": scenario.hash, "codes": codes, "replications": reps,
            "auto_precision": precision if auto else None, "command": command or [],
            "parameter_sets": _parameter_sets(params, parameter_uncertainty),
            "started_utc": started.isoformat(), "parameters": params.model_dump(mode="json")}
    folder.parent.mkdir(parents=True, exist_ok=True)
    n_sets = max(1, len(info["parameter_sets"]))
    store = RunStore.create(folder, info, 0 if auto else reps * n_sets)
    return _complete(store, spec, progress, scenario)


def _parameter_sets(params: Scenario, n: int | None) -> list[dict[str, float]]:
    """N draws of every assumption (and calibrated parameter), as {path: value} dicts."""
    if not n:
        return []
    from caresim.analysis.sampling import assumption_parameters, draw

    specs = assumption_parameters(params, include_calibrated=True)
    values = draw(params, specs, n, "sobol", params.run.seed)
    return [{spec.path: float(v) for spec, v in zip(specs, row, strict=True)} for row in values]


def resume_run(run_dir: Path, spec: ExecutorSpec | None = None,
               progress: Progress | None = None) -> tuple[Path, RunOutputs]:
    """Finish an interrupted run: run only the tasks not done, then write the outputs."""
    store = RunStore.open(Path(run_dir))
    n = store.plan_info()["replications"]
    return _complete(store, spec or ExecutorSpec(workers=default_workers(n)), progress)


def _complete(store: RunStore, spec: ExecutorSpec, progress: Progress | None,
              scenario: ResolvedScenario | None = None) -> tuple[Path, RunOutputs]:
    """Run the tasks of a run store not yet done and write the run folder.

    ``scenario`` is the resolved scenario of a run just planned; a resumed run has only its
    ``plan.json``, whose parameters are validated once here.
    """
    t0 = time.perf_counter()
    info = store.plan_info()
    if scenario is None:
        scenario = ResolvedScenario.of(Scenario.model_validate(info["parameters"]),
                                       tuple(info["scenario_files"]))
    params = scenario.params
    codes = info["codes"]
    scope = scope_of(codes)

    def tasks_for(first: int, count: int):
        if not info.get("parameter_sets"):
            return plan(info["scenario"], params, codes, count, first)
        from caresim.analysis.sampling import apply_values

        tasks = []
        for k, values in enumerate(info["parameter_sets"]):
            drawn = apply_values(scenario, values, note=f"parameter set {k} of "
                                 f"{len(info['parameter_sets'])}")
            tasks += plan(info["scenario"], drawn.params, codes, info["replications"], 0, k)
        return tasks

    if info.get("parameter_sets"):
        results = _execute(tasks_for(0, 0), spec, store, progress)
    elif info.get("auto_precision") and not store.states():
        results = _auto_batches(store, tasks_for, spec, info["auto_precision"], scope, progress)
    else:  # a fixed plan, or resuming an auto run: finish the tasks already planned
        results = _execute(tasks_for(0, len(store.states())), spec, store, progress)
    t_sim = time.perf_counter() - t0
    tables = build_tables(results, params)
    figures = _figures(tables, params, scope)
    manifest = {
        "caresim_version": environment()["caresim"], "scenario": info["scenario"],
        "scenario_files": info["scenario_files"], "scenario_hash": info["scenario_hash"],
        "master_seed": params.run.seed, "replications": len(results),
        "replications_rule": (f"auto: 95% interval within {info['auto_precision']:g} relative "
                              f"half-width for {', '.join(PRECISION_HEADLINES)}"
                              if info.get("auto_precision") else "fixed"),
        "parameter_uncertainty": ({
            "parameter_sets": len(info["parameter_sets"]), "design": "scrambled Sobol",
            "seed": params.run.seed, "parameters": sorted(info["parameter_sets"][0]),
            "intervals": "95% range over parameter sets and replications"}
            if info.get("parameter_sets") else None),
        "councils": codes, "executor": spec.describe(), "command": info["command"],
        "started_utc": info["started_utc"], "environment": environment(),
        "timings_seconds": {"simulation": round(t_sim, 3),
                            "tasks": [s.get("seconds") for s in store.states()]},
        "parameters": info["parameters"],
    }
    write_outputs(store.folder, {
        "timeseries": tables.timeseries, "financial_years": tables.financial_years,
        "summary": tables.summary, "scorecard": tables.scorecard, "ledger": tables.ledger,
    }, manifest, figures)
    from caresim.workbook import write_workbook

    write_workbook(store.folder / "workbook.xlsx", manifest, tables.summary, tables.scorecard,
                   tables.ledger, scope)
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(fig)
    return finalise(store.folder), tables


# --------------------------------------------------------------------------------- compare


@dataclass
class Comparison:
    """Paired differences of the headline indicators and target values, B - A."""

    names: list[str]
    differences: pd.DataFrame
    per_replication: pd.DataFrame
    folder: Path | None = None


def _target_values(tables: RunOutputs, scope: str, targets) -> pd.DataFrame:
    """Per-replication values of each scorecard target (for paired differences)."""
    rows = []
    for rep in sorted(tables.timeseries["replication"].unique()):
        m = tables.timeseries[tables.timeseries["replication"] == rep]
        f = tables.financial_years[tables.financial_years["replication"] == rep]
        led = tables.ledger[tables.ledger["replication"] == rep]
        card = scorecard(m, f, led, targets)
        for _, r in card[card["scope"] == scope].iterrows():
            rows.append({"replication": int(rep), "indicator": f"target {r['target']}",
                         "unit": "GBP" if r["target"].startswith("prevention") else "fraction",
                         "value": float(r["value"])})
    return pd.DataFrame(rows)


def compare(paths: list[str], out: Path, seed: int | None = None,
            replications: int | None = None, councils: list[str] | None = None,
            spec: ExecutorSpec | None = None, progress: Progress | None = None,
            command: list[str] | None = None) -> Comparison:
    """Run scenarios under common random numbers and difference each against the first.

    Every scenario runs with the same master seed (the first scenario's unless ``seed``), the
    same councils and the same replication numbers, so replication r of each shares its
    random numbers stream by stream.
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
    per_rep = []
    for name, params, _ in resolved:
        results = _execute(plan(name, params, codes, reps), spec, None, progress)
        tables = build_tables(results, params)
        values = pd.concat([headline_values(tables.timeseries, tables.financial_years,
                                            tables.ledger, scope),
                            _target_values(tables, scope, params.targets)], ignore_index=True)
        per_rep.append(values.assign(scenario=name))
    base = per_rep[0]
    diffs = [paired_differences(base.drop(columns="scenario"), other.drop(columns="scenario"))
             .assign(a=resolved[0][0], b=other["scenario"].iloc[0]) for other in per_rep[1:]]
    differences = pd.concat(diffs, ignore_index=True)
    comparison = Comparison([n for n, _, _ in resolved], differences,
                            pd.concat(per_rep, ignore_index=True))
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%S")
    folder = out / "compare" / f"{stamp}Z-{'-vs-'.join(comparison.names)}"
    import matplotlib.pyplot as plt

    from caresim import plotting

    with atomic_folder(folder) as tmp:
        differences.to_csv(tmp / "comparison.csv", index=False)
        comparison.per_replication.to_csv(tmp / "per_replication.csv", index=False)
        (tmp / "manifest.json").write_text(json.dumps({
            "scenarios": comparison.names, "master_seed": seed, "replications": reps,
            "councils": codes, "scope": scope, "common_random_numbers": True,
            "executor": spec.describe(), "command": command or [],
            "environment": environment(), "started_utc": started.isoformat()}, indent=2))
        fig = plotting.comparison_figure(differences)
        fig.savefig(tmp / "comparison.png", dpi=120, bbox_inches="tight")
        plt.close(fig)
    comparison.folder = folder
    return comparison


# --------------------------------------------------------------------------------- validate


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
    results = _execute(plan(scenario.name, params, codes, reps), spec, None, progress)
    tables = build_tables(results, params)
    table = validation_table(tables.timeseries, tables.financial_years)
    spread, spread_summary = council_spread(tables.timeseries)
    meta = {"scenario": scenario.name, "hash": scenario.hash, "replications": reps,
            "councils": len(codes), "seed": params.run.seed, "version": __version__,
            "command": " ".join(["caresim", *(command or [])[1:]]) if command
            else "caresim validate"}
    markdown = validation_markdown(table, spread_summary, meta)
    started = dt.datetime.now(dt.UTC)
    folder = out / "validation" / f"{started.strftime('%Y%m%dT%H%M%S')}Z-{scenario.hash[:8]}"
    import matplotlib.pyplot as plt

    summary = tables.summary[tables.summary["council_code"] == NATIONAL]
    with atomic_folder(folder) as tmp:
        (tmp / "plots").mkdir()
        table.to_csv(tmp / "validation.csv", index=False)
        spread.to_csv(tmp / "council_spread.csv", index=False)
        (tmp / "validation.md").write_text(markdown)
        for series, rows in table.groupby("series", sort=False):
            metric = rows["model_metric"].iloc[0]
            monthly = rows["period"].str.len().iloc[0] == 10
            path_rows = summary[(summary["metric"] == metric)
                                & (summary["period"].str.len() == (10 if monthly else 7))]
            fig = plotting.validation_figure(series, rows.reset_index(drop=True),
                                             path_rows if len(path_rows) else None)
            fig.savefig(tmp / "plots" / f"{_slug(series)}.png", dpi=110, bbox_inches="tight")
            plt.close(fig)
    return Validation(table, spread, spread_summary, markdown, folder)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


# --------------------------------------------------------------------------------- calibrate


@dataclass
class Calibration:
    """A calibration's result and where it was written."""

    fit: object
    scenario_text: str
    folder: Path


def calibrate(path: str, out: Path, seed: int | None = None, replications: int = 1,
              every: int = 4, max_evaluations: int = 200, spec: ExecutorSpec | None = None,
              write_scenario: Path | None = None, command: list[str] | None = None,
              progress=None) -> Calibration:
    """Fit the calibrated assumptions of ``path`` (the prior) to the published record.

    Writes ``out/calibration/<id>/``: ``calibrated.yaml`` (a scenario that extends the prior
    and overrides the fitted values, each sourced ``calibrated: <id>, objective <value>``),
    ``components.csv``, ``identification.csv``, ``history.csv`` and ``report.md``; and, when
    ``write_scenario`` is given, the same scenario there (how the shipped baseline is made).
    """
    from caresim.analysis import calibration as cal
    from caresim.analysis.validation import target_values

    scenario, all_codes = resolve_councils(
        load_scenario(path).with_run(seed=seed, replications=replications), [])
    params = scenario.params
    check_output_root(out)
    codes = cal.calibration_sample(all_codes, every)
    from caresim.model.inputs import derive_inputs

    full = derive_inputs(params, all_codes)
    part = derive_inputs(params, codes)
    scale = ((full.users_community.sum() + full.users_residential.sum())
             / (part.users_community.sum() + part.users_residential.sum()))
    targets = cal.fitted_targets()
    spec = spec or ExecutorSpec(workers=default_workers(replications))
    executor = make_executor(spec)

    def evaluate(candidate: ResolvedScenario) -> pd.Series:
        tasks = plan(scenario.name, candidate.params, codes, replications)
        results = execute(tasks, executor)
        monthly = pd.concat([r.monthly for r in results], ignore_index=True)
        fy = pd.concat([r.fy for r in results], ignore_index=True)
        values = {}
        for t in targets:
            v = float(target_values(t, monthly, fy).mean())
            values[(t.series, t.period)] = v if t.unit == "fraction" else v * scale
        return pd.Series(values)

    try:
        fit = cal.calibrate(scenario, evaluate, max_evaluations, progress)
    finally:
        executor.shutdown()
    run_id = f"{cal.stamp()}-{scenario.hash[:8]}"
    note = cal.calibrated_note(run_id, fit.objective)
    text = _calibrated_yaml(scenario, fit, note, run_id, every, replications, max_evaluations)
    folder = out / "calibration" / run_id
    with atomic_folder(folder) as tmp:
        (tmp / "calibrated.yaml").write_text(text)
        fit.components.to_csv(tmp / "components.csv", index=False)
        fit.identification.to_csv(tmp / "identification.csv", index=False)
        pd.DataFrame([{**{leaf.path: x for leaf, x in zip(fit.leaves, xs, strict=True)},
                       "objective": v} for xs, v in fit.history]).to_csv(
            tmp / "history.csv", index=False)
        (tmp / "report.md").write_text(_calibration_report(fit, run_id, command, every,
                                                           len(codes), replications))
    if write_scenario is not None:
        write_scenario.write_text(text)
    return Calibration(fit, text, folder)


def _calibrated_yaml(scenario: ResolvedScenario, fit, note: str, run_id: str, every: int,
                     replications: int, max_evaluations: int) -> str:
    import yaml

    prior = Path(scenario.files[-1])
    overrides: dict = {}
    for leaf, x in zip(fit.leaves, fit.x, strict=True):
        node = scenario.get(leaf.path)
        entry = {"unit": node.unit, "source": f"{note}; prior: {node.source}"}
        se = float(fit.identification.loc[fit.identification["parameter"] == leaf.path,
                                          "std_error"].iloc[0])
        low = max(leaf.low, x - 2 * se) if np.isfinite(se) else leaf.low
        high = min(leaf.high, x + 2 * se) if np.isfinite(se) else leaf.high
        if leaf.dated:  # calibrated through a multiplier x: the range is relative to x
            entry["values"] = {k.isoformat(): float(v * x) for k, v in node.values.items()}
            entry["range"] = [float(low / x), float(high / x)]
        else:
            entry["value"] = float(x)
            entry["range"] = [float(low), float(high)]
        entry["distribution"] = "triangular"
        entry["note"] = ("range: calibration uncertainty, value +- 2 standard errors "
                         "(local Jacobian) within the prior range; triangular around the fit")
        cursor = overrides
        *parents, last = leaf.path.split(".")
        for key in parents:
            cursor = cursor.setdefault(key, {})
        cursor[last] = entry
    header = (
        "# Question: what happened? English adult social care from April 2008 as it was: the\n"
        "# Social Care Reform Grant at its verified outturn (GBP 84m, 194m, 239m for\n"
        "# 2008/09-2010/11), ring-fenced; the CSR07 3% efficiency requirement; the Spending\n"
        "# Review 2010 funding path from 2011/12; the assumptions calibrated to the published\n"
        "# record to 2011/12. Every other scenario extends this file.\n"
        "#\n"
        f"# Written by `caresim calibrate {prior.name} --seed {scenario.params.run.seed} "
        f"--replications {replications} --every {every} --max-evaluations {max_evaluations}`\n"
        f"# (calibration {run_id}); never edited by hand. The priors are in {prior.name}.\n")
    body = {"extends": prior.name, "name": "baseline",
            "description": "History as it happened, 2008-2020, calibrated to 2011/12.",
            **overrides}
    return header + yaml.safe_dump(body, sort_keys=False, width=100)


def _calibration_report(fit, run_id: str, command, every: int, n_councils: int,
                        replications: int) -> str:
    lines = [f"# Calibration {run_id}", "",
             f"Command: `{' '.join(['caresim', *(command or [])[1:]])}`. Objective "
             f"{fit.objective:.4g} after {fit.evaluations} evaluations on {n_councils} councils "
             f"(every {every}th), {replications} replication(s), common random numbers.", "",
             "## Parameters and identification", "",
             fit.identification.to_markdown(index=False, floatfmt=".4g"), "",
             "## Components (scaled residual: (model - published) / tolerance)", "",
             fit.components.to_markdown(index=False, floatfmt=".3g"), ""]
    return "\n".join(lines)
