"""``caresim compare``: scenarios under common random numbers, differenced against the first.

Every scenario runs the same replications (and, under ``--parameter-uncertainty``, the same
parameter sets), so replication r of set k of each draws the same random numbers stream by
stream. ``--replications auto`` adds replications to every scenario in batches until the
paired differences B - A of the headline measures reach the precision asked for
(:mod:`caresim.analysis.replications`), or the cap ``run.max_replications`` stops it.

The parent keeps no run's tables: each task's result is reduced as it comes, in plan order, to
what compare reads of it (:class:`ScenarioRuns`) and dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from caresim.analysis.headline import PRECISION_HEADLINES, headline_values, reading_table
from caresim.analysis.replications import (
    auto_rule,
    enough,
    next_batch,
    reached,
    reached_points,
    record,
)
from caresim.analysis.sampling import (
    PARAMETER_SETS_DESIGN,
    ParamSpec,
    assumption_parameters,
    parameter_sets,
    scenario_sets,
)
from caresim.app.common import execute_tasks, resolve_councils, scope_of
from caresim.errors import InputError
from caresim.io import check_output_root, environment, run_id, write_folder
from caresim.measures import RunTables
from caresim.measures.readings import COMPARE_EXTRAS
from caresim.measures.targets import target_readings
from caresim.params.schema import Scenario
from caresim.partials import RunFold, partial_of
from caresim.runner import ExecutorSpec, Progress, TaskResult, default_workers, plan
from caresim.scenario import ResolvedScenario, load_scenario
from caresim.scorecard import scorecard_from_inputs

PAIRED_DIFFERENCES = "the 95% interval of each paired difference B - A"
"""What ``compare --replications auto`` narrows."""


@dataclass
class Comparison:
    """Paired differences of the headline indicators and target values, B - A.

    Attributes
    ----------
    names : list of str
        The scenarios, the first being A.
    differences : pandas.DataFrame
        See :func:`caresim.analysis.compare.paired_differences`, with ``a, b, verdict_a,
        verdict_b``.
    per_replication : pandas.DataFrame
        ``parameter_set, replication, indicator, unit, value, scenario``.
    folder : pathlib.Path or None
        Where it was written.
    manifest : dict
        What was run: seed, replications, the precision asked for and reached, parameter sets.
    """

    names: list[str]
    differences: pd.DataFrame
    per_replication: pd.DataFrame
    folder: Path | None = None
    manifest: dict | None = None


def _target_values(run: RunTables, scope: str, targets) -> pd.DataFrame:
    """Per-run values of each scorecard target (for paired differences), run by run."""
    values = reading_table(target_readings(targets), run, scope, prefix="target ")
    return values.sort_values(["parameter_set", "replication"], kind="stable",
                              ignore_index=True)


def _indicator_major(values: pd.DataFrame) -> pd.DataFrame:
    """Per-run values of some readings gathered run by run (each run's readings in turn), in
    the order one :func:`caresim.analysis.headline.reading_table` over all the runs gives: by
    indicator (first seen first), then run (stable)."""
    order = {name: i for i, name in enumerate(dict.fromkeys(values["indicator"]))}
    return values.iloc[values["indicator"].map(order).to_numpy().argsort(kind="stable")
                       ].reset_index(drop=True)


@dataclass
class ScenarioRuns:
    """What compare keeps of one scenario's runs, reduced as each arrives (in plan order):
    a :class:`caresim.partials.RunFold` of them (the scorecard's inputs and the headlines
    ``auto`` narrows) and each run's per-replication values; never a run's tables.

    Attributes
    ----------
    name : str
        The scenario.
    params : Scenario
        Its parameters (its targets and run settings; under parameter uncertainty those of the
        scenario, not of a set drawn).
    scope : str
        The scope compared (:func:`caresim.councils.scope_of`).
    fold : RunFold
        Its runs folded.
    values : list of tuple
        Per run: its headline values, its :data:`caresim.measures.readings.COMPARE_EXTRAS`
        and its target values (``parameter_set, replication, indicator, unit, value``).
    """

    name: str
    params: Scenario
    scope: str
    fold: RunFold = field(default_factory=RunFold)
    values: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = field(
        default_factory=list)

    def add(self, result: TaskResult) -> None:
        """Reduce the scenario's next run (in plan order) to what compare reads of it."""
        monthly, fy, ledger = result.monthly, result.fy, result.ledger
        self.fold.add(partial_of(self.fold.count, monthly, fy, ledger, self.params, self.scope,
                                 result.seconds))
        run = RunTables(monthly, fy, ledger)
        self.values.append((headline_values(monthly, fy, ledger, self.scope),
                            reading_table(COMPARE_EXTRAS, run, self.scope),
                            _target_values(run, self.scope, self.params.targets)))

    def per_replication(self) -> pd.DataFrame:
        """``parameter_set, replication, indicator, unit, value, scenario`` of every run: the
        headlines, then the extras, each by indicator then run, then the targets by run."""
        headlines, extras, targets = (pd.concat(block, ignore_index=True)
                                      for block in zip(*self.values, strict=True))
        targets = targets.sort_values(["parameter_set", "replication"], kind="stable",
                                      ignore_index=True)
        return pd.concat([_indicator_major(headlines), _indicator_major(extras), targets],
                         ignore_index=True).assign(scenario=self.name)

    def precision_values(self) -> pd.DataFrame:
        """The headlines ``auto`` narrows, of every run (by indicator, then run)."""
        return _indicator_major(self.fold.headline_values())

    def scorecard(self) -> pd.DataFrame:
        """The scenario's scorecard over its runs (as ``caresim run`` folds it)."""
        fold = self.fold
        return scorecard_from_inputs(fold.targets, self.params.targets, fold.council_codes,
                                     len(fold.parameter_sets) > 1, self.params.run,
                                     fold.mean_paths())


@dataclass
class _Batch:
    """The ``fold`` :func:`caresim.runner.execute` gives each task's result, in plan order:
    hands it to the scenario the task belongs to."""

    owners: list[ScenarioRuns]
    next_index: int = 0

    def add(self, result: TaskResult) -> None:
        """Reduce the next task's result into its scenario's runs."""
        self.owners[self.next_index].add(result)
        self.next_index += 1


def _verdicts(card: pd.DataFrame, scope: str) -> dict[str, str]:
    """``target <name>`` -> the scenario's outcome for the scope, in words with its p_met."""
    from caresim.measures.targets import met_word

    rows = card[card["scope"].astype(str) == scope]
    return {f"target {r['target']}": (met_word(r["met"], r["n"]) if r["n"] == 0 else
                                       f"{met_word(r['met'], r['n'])} (p_met {r['p_met']:.2f})")
            for _, r in rows.iterrows()}


def shared_uncertainty(scenarios: list[ResolvedScenario]) -> tuple[list[ParamSpec], list[str]]:
    """The assumptions every scenario samples the same way, and those a scenario changes.

    An assumption the scenarios give different values, ranges or distributions is what they
    compare (e.g. a scenario's own acceptance rate): drawing it from the first scenario's range
    would overwrite the other's choice, so it is held at each scenario's own value. The rest
    are drawn once and applied to every scenario. A dated assumption is drawn as a multiplier of
    each scenario's own values, so a scenario that changes its values keeps its change.

    Returns
    -------
    tuple
        The specs drawn (in the first scenario's order) and the paths held at each scenario's
        value.
    """
    per = [{s.path: s for s in assumption_parameters(sc.params, include_calibrated=True)}
           for sc in scenarios]
    shared = [s for s in per[0].values() if all(p.get(s.path) == s for p in per[1:])]
    paths = {s.path for s in shared}
    held = sorted({p for specs in per for p in specs} - paths)
    return shared, held


def _run_batch(variants: list[list[ResolvedScenario]], runs: list[ScenarioRuns],
               codes: list[str], first: int, count: int, spec: ExecutorSpec,
               progress: Progress | None) -> None:
    """Replications ``first .. first + count - 1`` of each parameter set of every scenario, as
    one batch of tasks (so no worker waits for the next scenario), each task's result reduced
    into its scenario's runs as it comes."""
    tasks, owners = [], []
    for sets, mine in zip(variants, runs, strict=True):
        new = [t for k, drawn in enumerate(sets)
               for t in plan(mine.name, drawn.params, codes, count, first, k)]
        tasks += new
        owners += [mine] * len(new)
    execute_tasks(tasks, spec, None, progress, _Batch(owners))


def _precision_pairs(runs: list[ScenarioRuns]) -> tuple[pd.DataFrame, dict]:
    """Paired differences B - A of the headlines ``auto`` narrows, one indicator per scenario
    B (``<B>: <headline>``), with the level each is relative to."""
    from caresim.analysis.compare import difference_scale, paired_values

    base = runs[0].precision_values()
    parts, scale = [], {}
    for k, mine in enumerate(runs[1:], start=1):
        pairs = paired_values(base, mine.precision_values())
        pairs["indicator"] = f"{k}: " + pairs["indicator"]
        parts.append(pairs)
        scale |= difference_scale(pairs)
    return pd.concat(parts, ignore_index=True), scale


def compare(paths: list[str], out: Path, seed: int | None = None,
            replications: int | str | None = None, councils: list[str] | None = None,
            spec: ExecutorSpec | None = None, progress: Progress | None = None,
            command: list[str] | None = None,
            announce: Callable[[str], None] | None = None, precision: float | None = None,
            share_precision: float | None = None, max_replications: int | None = None,
            parameter_uncertainty: int | None = None) -> Comparison:
    """Run scenarios under common random numbers and difference each against the first.

    Parameters
    ----------
    paths : list of str
        Two or more scenarios (files or bundled names); the first is A.
    out : pathlib.Path
        Output root: writes ``out/compare/<id>/``.
    seed : int, optional
        Master seed of every scenario (default: the first scenario's ``run.seed``).
    replications : int or "auto", optional
        The same replications of every scenario. A whole number; ``"auto"`` adds replications
        to every scenario in batches until the 95% interval of each paired difference of the
        headline measures (:data:`caresim.analysis.headline.PRECISION_HEADLINES`) is within
        ``precision`` of the level for a level and ``share_precision`` (units of a share) for a
        share, at most ``max_replications``. Default: the first scenario's
        ``run.replications``, at least 5.
    councils : list of str, optional
        The councils every scenario runs.
    spec, progress, command
        The executor, the progress display and the command line the manifest records.
    announce : callable, optional
        Told, in words, as each batch of replications starts (one batch without ``auto``)
        and, with ``auto``, the precision reached after each.
    precision, share_precision, max_replications : optional
        With ``auto``: default the first scenario's ``run.precision`` (a fraction),
        ``run.share_precision`` (units of a share) and ``run.max_replications``.
    parameter_uncertainty : int, optional
        N parameter sets drawn (scrambled Sobol, seeded by the master seed) over the
        assumptions the scenarios share (:func:`shared_uncertainty`); every scenario runs the
        same N sets x the replications, and a pair is (parameter set, replication). The
        intervals are then 95% ranges over the pairs, which reflect the assumptions' ranges.

    Raises
    ------
    caresim.errors.InputError
        For bad input, before anything runs.
    """
    from caresim.analysis.compare import paired_differences

    if len(paths) < 2:
        raise InputError("compare: expected at least two scenarios; found "
                         f"{len(paths)}.")
    auto = replications == "auto"
    if not auto and (precision is not None or share_precision is not None):
        option = "--precision" if precision is not None else "--share-precision"
        raise InputError(f"compare {option}: expected with --replications auto; found "
                         f"{replications or 'the default'} replication(s).")
    if parameter_uncertainty is not None and (auto or parameter_uncertainty < 1):
        raise InputError("compare --parameter-uncertainty: expected a whole number >= 1 with a "
                         f"fixed --replications; found {parameter_uncertainty} with replications "
                         f"{replications or 'the default'}.")
    if precision is not None and not precision > 0:
        raise InputError(f"compare --precision: expected a number > 0; found {precision}.")
    scenarios = [load_scenario(p) for p in paths]
    first = scenarios[0].with_run(max_replications=max_replications,
                                  share_precision=share_precision).params
    seed = first.run.seed if seed is None else seed
    cap = first.run.max_replications
    reps = replications if isinstance(replications, int) else max(first.run.replications, 5)
    precision = precision or first.run.precision
    share_precision = first.run.share_precision
    check_output_root(out)
    resolved = []
    for s in scenarios:
        r, codes = resolve_councils(s.with_run(seed=seed, replications=None if auto else reps),
                                    councils or [])
        resolved.append((s.name, r, codes))
    if len({tuple(c) for _, _, c in resolved}) > 1:
        raise InputError("compare: the scenarios select different councils; pass --council to "
                         "compare the same ones.")
    codes = resolved[0][2]
    scope = scope_of(codes)
    specs, held = shared_uncertainty([r for _, r, _ in resolved])
    sets = parameter_sets(first, parameter_uncertainty, seed, specs) \
        if parameter_uncertainty else []
    variants = [scenario_sets(r, sets) for _, r, _ in resolved]
    n_sets = max(1, len(sets))
    spec = spec or ExecutorSpec(workers=default_workers(reps * n_sets))

    def say(text: str) -> None:
        if announce is not None:
            announce(text)

    runs = [ScenarioRuns(name, r.params, scope) for name, r, _ in resolved]
    done = 0
    start = max(3, spec.workers, spec.dask_local or 0) if auto else reps
    names = [name for name, _, _ in resolved]
    while True:
        count = next_batch(done, start, cap) if auto else reps
        what = (f"{count} replication(s)" if n_sets == 1 else
                f"{n_sets} parameter sets x {count} replication(s)")
        where = f" ({done + 1} to {done + count})" if auto else ""
        say(f"running {', '.join(names)}: {what}{where} of {len(codes)} council(s) each")
        _run_batch(variants, runs, codes, done, count, spec, progress)
        done += count
        if not auto:
            break
        pairs, scale = _precision_pairs(runs)
        if enough(pairs, precision, share_precision=share_precision, scale=scale):
            break
        got = (f"{reached(pairs, scale):.1%} for levels and {reached_points(pairs) * 100:.1f} "
               f"points for shares, asked {precision:.1%} and {share_precision * 100:.1f} points")
        if done >= cap:
            say(f"the cap of {cap} replications stopped it before the paired differences "
                f"reached the precision asked for ({got})")
            break
        say(f"after {done} replications the paired differences are within {got}; adding more")
    precision_record = None
    if not sets:  # under parameter uncertainty the intervals are ranges, not a mean's precision
        pairs, scale = _precision_pairs(runs)
        precision_record = record(pairs, precision if auto else None, cap,
                                  share_precision if auto else None, scale)
    if precision_record is not None:
        precision_record["of"] = PAIRED_DIFFERENCES
    per_rep = [mine.per_replication() for mine in runs]
    verdicts = [_verdicts(mine.scorecard(), scope) for mine in runs]
    diffs = [paired_differences(per_rep[0].drop(columns="scenario"),
                                other.drop(columns="scenario"))
             .assign(a=resolved[0][0], b=other["scenario"].iloc[0],
                     verdict_a=lambda d: d["indicator"].map(verdicts[0]).fillna(""),
                     verdict_b=lambda d, k=k: d["indicator"].map(verdicts[k]).fillna(""))
             for k, other in enumerate(per_rep[1:], start=1)]
    differences = pd.concat(diffs, ignore_index=True)
    started = dt.datetime.now(dt.UTC)
    manifest = {
        "scenarios": [n for n, _, _ in resolved], "master_seed": seed, "replications": done,
        "replications_rule": (auto_rule(precision, share_precision, PRECISION_HEADLINES,
                                        PAIRED_DIFFERENCES) if auto else "fixed"),
        "precision": precision_record,
        "parameter_uncertainty": ({
            "parameter_sets": len(sets), "design": PARAMETER_SETS_DESIGN, "seed": seed,
            "parameters": sorted(s.path for s in specs),
            "held_at_each_scenarios_value": held,
            "pairs": "(parameter set, replication)",
            "intervals": "95% range over parameter sets and replications"} if sets else None),
        "councils": codes, "scope": scope, "common_random_numbers": True,
        "executor": spec.describe(), "command": command or [],
        "environment": environment(), "started_utc": started.isoformat()}
    comparison = Comparison(manifest["scenarios"], differences,
                            pd.concat(per_rep, ignore_index=True), manifest=manifest)
    from caresim import plotting

    comparison.folder = write_folder(
        out / "compare" / run_id(started, "-vs-".join(comparison.names)),
        csv={"comparison.csv": differences, "per_replication.csv": comparison.per_replication},
        manifest=manifest,
        figures={"comparison.png": plotting.comparison_figure(differences)})
    return comparison
