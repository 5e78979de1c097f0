"""``caresim run``: load, run and write a scenario; finish an interrupted run."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd

from caresim.analysis.headline import PRECISION_HEADLINES
from caresim.analysis.replications import auto_rule, enough, next_batch, record
from caresim.analysis.sampling import PARAMETER_SETS_DESIGN, parameter_sets, scenario_sets
from caresim.app.common import (
    RunOutputs,
    execute_tasks,
    resolve_councils,
    scope_of,
)
from caresim.app.side import Documents, draw_and_book, side_process
from caresim.councils import load_councils
from caresim.errors import InputError
from caresim.finite import NonFiniteOutput
from caresim.io import (
    check_output_root,
    claim_partial,
    discard_partial,
    environment,
    finalise,
    locked,
    remove_lock_file,
    run_id,
    write_outputs,
)
from caresim.measures import scope_label
from caresim.measures.targets import target_readings
from caresim.params.schema import Scenario
from caresim.partials import RunFold, join_measures
from caresim.runner import (
    ExecutorSpec,
    Progress,
    RunStore,
    check_resumable,
    default_workers,
    plan,
)
from caresim.scenario import ResolvedScenario, load_scenario


def _documents(folder: Path, tables: RunOutputs, params: Scenario, codes: list[str],
               scope: str, manifest: dict) -> Documents:
    """What the run's plots and workbook are made from (:mod:`caresim.app.side`)."""
    from caresim.workbook import headline_rows

    where = scope_label(scope, codes)
    s = tables.summary
    n = int(s["n"].max()) if len(s) else 0
    # the figures show the scope only: its rows, not the whole summary (millions of rows for
    # England), are split into months and years
    return Documents(
        folder=folder, manifest=manifest, scope_rows=s[(s["council_code"] == scope).to_numpy()],
        headline_rows=headline_rows(s), scorecard=tables.scorecard, scope=scope,
        targets=target_readings(params.targets),
        titles={"pb_share": f"{where}: personal budget share against the targets "
                            f"({n} replication(s))",
                "spend": f"{where}: adult social care spend by financial year"})


def _first_batch(spec: ExecutorSpec, fewest: int, cap: int) -> int:
    """The first batch of a precision-driven run: ``fewest`` replications (or ``cap``, if
    lower), or one per worker if there are more workers."""
    return max(min(fewest, cap), spec.workers, spec.dask_local or 0)


def _auto_batches(store: RunStore, tasks_for, spec: ExecutorSpec, precision: float,
                  share_precision: float, cap: int, fewest: int, first: int,
                  progress: Progress | None, fold: RunFold) -> None:
    """Add batches of replications until the headline measures reach ``precision`` (levels,
    relative) and ``share_precision`` (shares, units of a share), after at least ``fewest``
    replications (or ``cap``, if lower) and at most ``cap``, ``first`` to begin with.
    Replications already in ``fold`` (a resumed run's) count: with the ``first`` of its plan,
    the batches and the checks fall where an uninterrupted run's do."""
    fewest = min(fewest, cap)
    # batches grow with the run, so the checks between them stay few; a non-finite output
    # ends the run (it is refused after the loop), so no batch follows it
    while fold.count < cap and fold.non_finite is None and not (
            fold.count >= fewest
            and enough(fold.headline_values(), precision, fewest,
                       share_precision=share_precision)):
        done = fold.count
        new = tasks_for(done, next_batch(done, first, cap))
        store.extend(len(new))
        execute_tasks(tasks_for(0, done + len(new)), spec, store, progress, fold)


def _precision(fold: RunFold, asked: float | None, share_asked: float, cap: int,
               cap_from: str | None = None) -> dict | None:
    """The precision reached by a run of two or more replications (:func:`caresim.analysis.
    replications.record`): the levels' largest relative half-width and the shares' largest
    half-width in units of a share; for a ``--replications auto`` run also what it asked for
    and whether the cap stopped it first. ``None`` for one run. A resumed run is measured on
    what it holds."""
    if fold.count < 2:
        return None
    out = record(fold.headline_values(), asked, cap, share_asked)
    if out is not None and asked and cap_from:
        out["cap_from"] = cap_from
    return out


def run_scenario(path: str, out: Path, seed: int | None = None,
                 replications: int | str | None = None, councils: list[str] | None = None,
                 spec: ExecutorSpec | None = None, command: list[str] | None = None,
                 progress: Progress | None = None, precision: float | None = None,
                 parameter_uncertainty: int | None = None,
                 max_replications: int | None = None,
                 all_csv: bool = False,
                 share_precision: float | None = None) -> tuple[Path, RunOutputs]:
    """Load, run and write a scenario; returns the run folder and the tables.

    ``replications="auto"`` adds replications until the 95% interval of the headline indicators
    is within ``precision`` for the levels (relative half-width; default the scenario's
    ``run.precision``) and ``share_precision`` for the shares (absolute half-width in units of a
    share; default ``run.share_precision``), at least ``run.min_replications`` and at most
    ``max_replications`` (default ``run.max_replications``). Without ``replications`` (and
    without ``parameter_uncertainty``) the run is the same, capped by scope
    (:meth:`caresim.params.schema.RunSettings.default_cap`): at ``run.replications`` for all
    England, at ``run.council_replications`` for selected councils, unless
    ``max_replications`` is given. A whole number of ``replications`` runs exactly that many.
    ``all_csv`` adds the monthly per-council
    ``timeseries.csv`` to the CSVs written beside the Parquet tables (see
    :func:`caresim.io.write_outputs`). ``parameter_uncertainty=N`` draws N
    parameter sets (scrambled Sobol over every assumption's range and distribution, calibrated
    parameters over their calibration range; seeded by the master seed) and runs each with the
    same replications (common random numbers across sets).

    Raises
    ------
    caresim.errors.InputError
        For any bad input, before anything is written.
    """
    started = dt.datetime.now(dt.UTC)
    if precision is not None and precision <= 0:
        raise InputError(f"--precision: expected a number > 0; found {precision}.")
    scenario, codes = resolve_councils(load_scenario(path).with_run(
        seed=seed, replications=replications if isinstance(replications, int) else None,
        max_replications=max_replications, share_precision=share_precision), councils or [])
    params = scenario.params
    cap, cap_from = params.run.max_replications, "--max-replications"
    if replications is None and parameter_uncertainty is not None:
        replications = params.run.replications
    elif replications is None:  # the default: precision-driven, capped by scope
        replications = "auto"
        if max_replications is None:
            cap, cap_from = params.run.default_cap(len(codes) == len(load_councils()))
    elif max_replications is None:
        cap_from = "run.max_replications"
    auto = replications == "auto"
    if share_precision is not None and precision is None and not auto:
        raise InputError(f"--share-precision {share_precision:g}: expected with --replications "
                         f"auto or without --replications; found {replications} "
                         "replication(s).")
    if precision is not None and not auto:
        raise InputError(f"--precision {precision:g}: expected with --replications auto or "
                         f"without --replications; found {replications} replication(s).")
    if parameter_uncertainty is not None and (auto or parameter_uncertainty < 1):
        raise InputError("--parameter-uncertainty: expected a whole number >= 1 with a fixed "
                         "--replications; found "
                         f"{parameter_uncertainty} with replications {replications}.")
    if isinstance(replications, int) and replications != params.run.replications:
        scenario = scenario.with_run(replications=replications)
        params = scenario.params
    check_output_root(out)
    reps = params.run.replications
    precision = precision or params.run.precision
    n_most = cap if auto else reps
    spec = spec or ExecutorSpec(workers=1 if n_most == 1 else default_workers(n_most))
    info = {"scenario": scenario.name, "scenario_files": list(scenario.files),
            "scenario_hash": scenario.hash, "codes": codes, "replications": reps,
            "auto_precision": precision if auto else None, "command": command or [],
            "auto_cap": cap if auto else None, "auto_cap_from": cap_from if auto else None,
            "auto_first": (_first_batch(spec, params.run.min_replications, cap)
                           if auto else None),
            "all_csv": all_csv,
            "parameter_sets": parameter_sets(params, parameter_uncertainty, params.run.seed),
            "started_utc": started.isoformat(), "parameters": params.model_dump(mode="json")}
    n_sets = max(1, len(info["parameter_sets"]))
    folder = claim_partial(out, scenario.name, run_id(started, scenario.hash[:8]))
    with locked(folder):
        try:
            store = RunStore.create(folder, info, 0 if auto else reps * n_sets)
        except BaseException:
            discard_partial(folder)
            raise
        final, tables = _complete(store, spec, progress, scenario)
    remove_lock_file(final)
    return final, tables


def resume_run(run_dir: Path, spec: ExecutorSpec | None = None,
               progress: Progress | None = None) -> tuple[Path, RunOutputs]:
    """Finish an interrupted run: run only the tasks not done, then write the outputs."""
    check_resumable(Path(run_dir))
    with locked(Path(run_dir)):
        store = RunStore.open(Path(run_dir))
        n = store.plan_info()["replications"]
        final, tables = _complete(store, spec or ExecutorSpec(workers=default_workers(n)),
                                  progress)
    remove_lock_file(final)
    return final, tables


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
    # a run planned before the cap was recorded in its plan had --max-replications's
    cap = info.get("auto_cap") or params.run.max_replications

    def tasks_for(first: int, count: int):
        if not info.get("parameter_sets"):
            return plan(info["scenario"], params, codes, count, first)
        tasks = []
        for k, drawn in enumerate(scenario_sets(scenario, info["parameter_sets"])):
            tasks += plan(info["scenario"], drawn.params, codes, info["replications"], 0, k)
        return tasks

    with side_process(len(codes)) as side:  # started now: its imports overlap the tasks
        fold = RunFold()
        if info.get("parameter_sets"):
            execute_tasks(tasks_for(0, 0), spec, store, progress, fold)
        elif info.get("auto_precision"):
            if store.states():  # resuming: finish the batch planned when it stopped, go on
                execute_tasks(tasks_for(0, len(store.states())), spec, store, progress, fold)
            _auto_batches(store, tasks_for, spec, info["auto_precision"],
                          params.run.share_precision, cap, params.run.min_replications,
                          info.get("auto_first") or _first_batch(
                              spec, params.run.min_replications, cap),
                          progress, fold)
        else:  # a fixed plan: run the tasks planned and not done
            execute_tasks(tasks_for(0, len(store.states())), spec, store, progress, fold)
        t_sim = time.perf_counter() - t0
        t_written = time.perf_counter()
        if fold.non_finite is not None:
            discard_partial(store.folder)
            raise NonFiniteOutput(*fold.non_finite)
        # the measures join, then the plots and the workbook, are made beside the summary
        # and the tables (in a second process for a run of many councils)
        joined = side.submit(join_measures, store.folder, fold.count,
                             store.folder / "measures.parquet")
        tables = folded_outputs(store.folder, fold, params)
        manifest = _manifest(store, spec, info, params, fold, cap, t_sim)
        documents = side.submit(draw_and_book, _documents(store.folder, tables, params, codes,
                                                          scope, manifest))
        write_outputs(store.folder, tables.summary, tables.scorecard, manifest, fold.count,
                      bool(info.get("all_csv")))
        joined.result()
        documents.result()
    final = finalise(store.folder)
    tables.folder = final
    tables.write_seconds = time.perf_counter() - t_written
    return final, tables


def _manifest(store: RunStore, spec: ExecutorSpec, info: dict, params: Scenario,
              fold: RunFold, cap: int, t_sim: float) -> dict:
    """The run's ``manifest.json`` (what was run, how, and how long it took)."""
    return {
        "caresim_version": environment()["caresim"], "scenario": info["scenario"],
        "scenario_files": info["scenario_files"], "scenario_hash": info["scenario_hash"],
        "master_seed": params.run.seed, "replications": fold.count,
        # under parameter uncertainty the intervals are ranges, not a mean's precision
        "precision": None if info.get("parameter_sets") else _precision(
            fold, info.get("auto_precision"), params.run.share_precision, cap,
            info.get("auto_cap_from")),
        "replications_rule": (auto_rule(info["auto_precision"], params.run.share_precision,
                                        PRECISION_HEADLINES, cap=cap,
                                        fewest=min(params.run.min_replications, cap))
                              if info.get("auto_precision") else "fixed"),
        "parameter_uncertainty": ({
            "parameter_sets": len(info["parameter_sets"]), "design": PARAMETER_SETS_DESIGN,
            "seed": params.run.seed, "parameters": sorted(info["parameter_sets"][0]),
            "intervals": "95% range over parameter sets and replications"}
            if info.get("parameter_sets") else None),
        "councils": info["codes"], "executor": spec.describe(), "command": info["command"],
        "started_utc": info["started_utc"], "environment": environment(),
        "timings_seconds": {"simulation": round(t_sim, 3),
                            "tasks": [s.get("seconds") for s in store.states()],
                            "tasks_writing": round(fold.write_seconds, 3)},
        "parameters": info["parameters"],
        # when the simulation and its tables were done: the workbook and the manifest agree
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(),
    }


class StoredRunOutputs(RunOutputs):
    """A written run's tables: the summary and scorecard in memory, the per-run tables read
    from the run's Parquet datasets only when asked for (``timeseries``, ``financial_years``,
    ``ledger``), so a run's parent never holds them unasked."""

    def __init__(self, folder: Path, summary: pd.DataFrame, scorecard: pd.DataFrame) -> None:
        self.folder = Path(folder)
        self.summary = summary
        self.scorecard = scorecard
        self.write_seconds = 0.0
        """Seconds the parent spent after the last task: summaries, files, plots, workbook."""

    def _read(self, table: str) -> pd.DataFrame:
        from caresim.partials import dataset_dir

        return pd.read_parquet(dataset_dir(self.folder, table))

    @property  # type: ignore[override]
    def timeseries(self) -> pd.DataFrame:
        """Every run's monthly rows (read from ``timeseries.parquet/``)."""
        return self._read("monthly")

    @property  # type: ignore[override]
    def financial_years(self) -> pd.DataFrame:
        """Every run's financial-year rows (read from ``financial_years.parquet/``)."""
        return self._read("fy")

    @property  # type: ignore[override]
    def ledger(self) -> pd.DataFrame:
        """Every run's ledger rows (read from ``ledger.parquet/``)."""
        return self._read("ledger")


def folded_outputs(folder: Path, fold: RunFold, params: Scenario) -> StoredRunOutputs:
    """The summary and scorecard of a run whose tasks wrote their own tables and were folded.

    The summary's groups come from the first task's tables; with several parameter sets its
    95% ranges are read from every task's file a slice at a time
    (:func:`caresim.results.folded_summary`)."""
    from caresim.partials import dataset_dir, part_name, read_task
    from caresim.results import folded_summary
    from caresim.scorecard import scorecard_from_inputs

    first = read_task(folder, 0, ("monthly", "fy"))
    uncertain = len(fold.parameter_sets) > 1
    parts = {t: ([dataset_dir(folder, t) / part_name(i) for i in range(fold.count)]
                 if uncertain else None) for t in ("monthly", "fy")}
    assert fold.monthly is not None and fold.fy is not None
    summary = pd.concat([folded_summary(first["monthly"], "date", fold.monthly, parts["monthly"]),
                         folded_summary(first["fy"], "fy", fold.fy, parts["fy"])],
                        ignore_index=True)
    del first
    card = scorecard_from_inputs(fold.targets, params.targets, fold.council_codes, uncertain,
                                 params.run, fold.mean_paths())
    return StoredRunOutputs(folder, summary, card)
