"""``caresim calibrate``: fit the calibrated assumptions to the published record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from caresim.app.common import resolve_councils
from caresim.io import check_output_file, check_output_root, run_id, write_folder, write_text
from caresim.runner import ExecutorSpec, default_workers, execute, make_executor, plan
from caresim.scenario import ResolvedScenario, load_scenario, nest


@dataclass
class Calibration:
    """A calibration's result and where it was written."""

    fit: object
    scenario_text: str
    folder: Path


def calibrate(path: str, out: Path, seed: int | None = None, replications: int = 1,
              every: int = 4, max_evaluations: int = 200, spec: ExecutorSpec | None = None,
              write_scenario: Path | None = None, command: list[str] | None = None,
              progress=None, until: str = "2011-12") -> Calibration:
    """Fit the calibrated assumptions of ``path`` (the prior) to the published record.

    Writes ``out/calibration/<id>/``: ``calibrated.yaml`` (a scenario that extends the prior
    and overrides the fitted values, each sourced ``calibrated: <id>, objective <value>``),
    ``components.csv``, ``identification.csv``, ``history.csv``, ``predictions.csv`` (the
    fitted figures after ``until``, predicted, not fitted) and ``report.md``; and, when
    ``write_scenario`` is given, the same scenario there (how the shipped baseline is made).
    ``until`` is the last financial year fitted (2008-09 to 2011-12).
    """
    from caresim.analysis import calibration as cal
    from caresim.analysis.validation import figure_values
    from caresim.measures import RunTables

    scenario, all_codes = resolve_councils(
        load_scenario(path).with_run(seed=seed, replications=replications), [])
    params = scenario.params
    until = cal.check_until(until)
    check_output_root(out)
    if write_scenario is not None:
        check_output_file(write_scenario, "--write-scenario")
    codes = cal.calibration_sample(all_codes, every)
    from caresim.model.inputs import derive_inputs

    full = derive_inputs(params, all_codes)
    part = derive_inputs(params, codes)
    scale = ((full.users_community.sum() + full.users_residential.sum())
             / (part.users_community.sum() + part.users_residential.sum()))
    targets = cal.fitted_targets()  # every one to 2011-12: those after ``until`` are predicted
    spec = spec or ExecutorSpec(workers=default_workers(replications))
    executor = make_executor(spec)

    def evaluate(candidate: ResolvedScenario) -> pd.Series:
        candidate = candidate.with_run(end_date=cal.evaluation_end(candidate.params.run.end_date))
        tasks = plan(scenario.name, candidate.params, codes, replications)
        results = execute(tasks, executor)
        monthly = pd.concat([r.monthly for r in results], ignore_index=True)
        fy = pd.concat([r.fy for r in results], ignore_index=True)
        values = {}
        tables = RunTables(monthly, fy, pd.concat([r.ledger for r in results],
                                                  ignore_index=True))
        for t in targets:
            v = float(figure_values(t, tables).mean())
            values[(t.series, t.period)] = v if t.unit == "fraction" else v * scale
        return pd.Series(values)

    try:
        fit = cal.calibrate(scenario, evaluate, max_evaluations, progress, until)
    finally:
        executor.shutdown()
    cal_id = run_id(dt.datetime.now(dt.UTC), scenario.hash[:8])
    note = cal.calibrated_note(cal_id, fit.objective)
    text = _calibrated_yaml(scenario, fit, note, cal_id, every, replications, max_evaluations)
    history = pd.DataFrame([{**{leaf.path: x for leaf, x in zip(fit.leaves, xs, strict=True)},
                             "objective": v, "phase": phase} for xs, v, phase in fit.history])
    folder = write_folder(
        out / "calibration" / cal_id,
        csv={"components.csv": fit.components, "identification.csv": fit.identification,
             "history.csv": history, "predictions.csv": fit.predictions},
        text={"calibrated.yaml": text,
              "report.md": _calibration_report(fit, cal_id, command, every, len(codes),
                                               replications)})
    if write_scenario is not None:
        write_text(write_scenario, text)
    return Calibration(fit, text, folder)


def _calibrated_yaml(scenario: ResolvedScenario, fit, note: str, run_id: str, every: int,
                     replications: int, max_evaluations: int) -> str:
    import yaml

    from caresim.analysis import calibration as cal

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
        overrides[leaf.path] = entry
    header = (
        "# Question: what happened? English adult social care from April 2008 as it was: the\n"
        "# Social Care Reform Grant at its verified outturn (GBP 84m, 194m, 239m for\n"
        "# 2008/09-2010/11), ring-fenced; the CSR07 3% efficiency requirement; the Spending\n"
        "# Review 2010 funding path from 2011/12; the assumptions calibrated to the published\n"
        "# record to 2011/12. Every other scenario extends this file.\n"
        "#\n"
        f"# Written by `caresim calibrate {prior.name} --seed {scenario.params.run.seed} "
        f"--replications {replications} --every {every} --max-evaluations {max_evaluations}"
        f"{'' if fit.until == cal.LAST_PERIOD else ' --fit-until ' + fit.until}`\n"
        f"# (calibration {run_id}); never edited by hand. The priors are in {prior.name}.\n")
    body = {"extends": prior.name, "name": "baseline",
            "description": "History as it happened, 2008-2020, calibrated to 2011/12.",
            **nest(overrides)}
    return header + yaml.safe_dump(body, sort_keys=False, width=100)


def _calibration_report(fit, run_id: str, command, every: int, n_councils: int,
                        replications: int) -> str:
    lines = [f"# Calibration {run_id}", "",
             f"Command: `{' '.join(['caresim', *(command or [])[1:]])}`. Objective "
             f"{fit.objective:.4g} after {fit.evaluations} evaluations on {n_councils} councils "
             f"(every {every}th), {replications} replication(s), common random numbers; "
             f"published figures fitted up to {fit.until}.", "",
             "## Parameters and identification", "",
             fit.identification.to_markdown(index=False, floatfmt=".4g"), "",
             "## Components (scaled residual: (model - published) / tolerance)", "",
             fit.components.to_markdown(index=False, floatfmt=".3g"), ""]
    if len(fit.predictions):
        within = int(fit.predictions["within_goal"].sum())
        lines += [f"## Predicted, not fitted: {within} of {len(fit.predictions)} figures after "
                  f"{fit.until} within the fit goals", "",
                  fit.predictions.to_markdown(index=False, floatfmt=".3g"), ""]
    return "\n".join(lines)
