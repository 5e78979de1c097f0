"""Write docs/sensitivity.md from caresim runs: generated, never typed by hand.

Three runs, all on the shipped baseline with the master seed:

1. ``caresim sensitivity`` (:data:`ARGS`): Morris screening of every assumption, all England;
2. ``caresim run --parameter-uncertainty`` (:data:`UNCERTAINTY`): the scorecard when every
   assumption is drawn from its range;
3. ``caresim run`` with replications only (:data:`RANDOMNESS`): the same scorecard when only
   the simulation's randomness varies, for contrast.

Usage::

    python scripts/generate_sensitivity_docs.py --workers 2   # all England (about 40 min)
    python scripts/generate_sensitivity_docs.py --quick       # Rutland (a minute)
    python scripts/generate_sensitivity_docs.py --keep DIR    # keep the run folders in DIR
    python scripts/generate_sensitivity_docs.py --from DIR    # rewrite from kept folders

Executor options (``--workers``, ``--scheduler``, ``--dask-local``) are passed through. The
document says which commands made it and how long they took.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "sensitivity.md"

ARGS = ["baseline", "--method", "morris", "--samples", "4", "--replications", "1",
        "--seed", "20080401"]
"""The analysis documented: Morris screening of every assumption, all England."""

UNCERTAINTY = ["baseline", "--parameter-uncertainty", "16", "--replications", "2",
               "--seed", "20080401"]
"""The scorecard under parameter uncertainty: 16 draws of every assumption x 2 replications."""

RANDOMNESS = ["baseline", "--replications", "4", "--seed", "20080401"]
"""The scorecard with every parameter at its value: 4 replications."""

QUICK = ["--council", "Rutland"]
"""``--quick``: every run on one small council (and Morris with 2 trajectories)."""

TOP = 10
"""Parameters tabulated per output."""

KEY = {"oat": ("swing", "|output at high - output at low|"),
       "morris": ("mu_star", "μ\\*"), "sobol": ("ST", "total index ST")}


def _scale(unit: str, method: str) -> tuple[float, str]:
    if method == "sobol":
        return 1.0, "share of variance"
    return {"fraction": (100.0, "percentage points"), "GBP": (1e-6, "GBP m"),
            "people": (1.0, "people")}.get(unit, (1.0, unit))


def _fmt(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _output_section(rows: pd.DataFrame, method: str, description: str) -> list[str]:
    key, what = KEY[method]
    unit = rows["unit"].iloc[0]
    scale, label = _scale(unit, method)
    rows = rows.sort_values("rank")
    name = rows["output"].iloc[0]
    lines = [f"### {description[:1].upper()}{description[1:]} (`{name}`)", ""]
    if (rows[key] == 0).all():
        return [*lines, "No assumption moved this output in this run.", ""]
    total = rows[key].abs().sum()
    top = rows.head(3)
    share = top[key].abs().sum() / total if total > 0 else 0.0
    named = ", ".join(f"`{r['parameter']}` ({_fmt(r[key] * scale)} {label})"
                      for _, r in top.iterrows())
    lines += [f"Most sensitive to {named}; these three make up {100 * share:.0f}% of the sum "
              f"of {what} over all {len(rows)} assumptions.", ""]
    if method == "morris":
        cols = ["rank", "parameter", f"μ\\* ({label})", "95% interval of μ\\*",
                f"μ ({label})", f"σ ({label})", "σ / μ\\*"]
        body = [[int(r["rank"]), f"`{r['parameter']}`", _fmt(r["mu_star"] * scale),
                 f"{_fmt(max(r['mu_star'] - r['mu_star_conf'], 0.0) * scale)} to "
                 f"{_fmt((r['mu_star'] + r['mu_star_conf']) * scale)}",
                 _fmt(r["mu"] * scale), _fmt(r["sigma"] * scale),
                 f"{r['sigma'] / r['mu_star']:.2f}" if r["mu_star"] > 0 else ""]
                for _, r in rows.head(TOP).iterrows()]
    elif method == "sobol":
        cols = ["rank", "parameter", "S1", "S1 95% interval", "ST", "ST 95% interval"]
        body = [[int(r["rank"]), f"`{r['parameter']}`", f"{r['S1']:.3f}",
                 f"{r['S1_low']:.3f} to {r['S1_high']:.3f}", f"{r['ST']:.3f}",
                 f"{r['ST_low']:.3f} to {r['ST_high']:.3f}"] for _, r in rows.head(TOP).iterrows()]
    else:
        cols = ["rank", "parameter", f"at low ({label})", f"at high ({label})",
                f"swing ({label})"]
        body = [[int(r["rank"]), f"`{r['parameter']}`", _fmt(r["effect_low"] * scale),
                 _fmt(r["effect_high"] * scale), _fmt(r["swing"] * scale)]
                for _, r in rows.head(TOP).iterrows()]
    table = pd.DataFrame(body, columns=cols).to_markdown(
        index=False, disable_numparse=True, colalign=["right", "left"] + ["right"] * (
            len(cols) - 2))
    lines += [table, ""]
    return lines


def _command(folder: Path) -> str:
    """The command that made a run folder, as its manifest records it (less ``--out``)."""
    argv = json.loads((folder / "manifest.json").read_text())["command"]
    shown = [a for i, a in enumerate(argv)
             if a not in ("--out", "--quiet") and (i == 0 or argv[i - 1] != "--out")]
    return " ".join(shown)


def _names(items: list[str]) -> str:
    return ", ".join(f"`{t}`" for t in items)


def _in_brief(indices: pd.DataFrame, key: str) -> list[str]:
    """The top three assumptions for the 2011 milestone and for the grant's effect."""
    lines = ["## In brief", ""]
    for output, what in (("pb_share_adass 2011-04-01", "the April 2011 milestone (PB share on "
                          "1 April 2011)"),
                         ("grant effect on pb_share_adass 2011-04-01", "the grant's effect on "
                          "it (with the grant minus without)")):
        rows = indices[(indices["output"] == output) & (indices[key] != 0)]
        top = rows.sort_values("rank").head(3)["parameter"]
        named = ", ".join(f"`{p}`" for p in top) or "no assumption"
        lines.append(f"- For {what}: {named}.")
    return [*lines, ""]


def _uncertainty_section(uncertain: Path, fixed: Path | None) -> list[str]:
    """The scorecard under parameter uncertainty, beside the one with randomness only."""
    command = _command(uncertain)
    fixed_command = _command(fixed) if fixed is not None else ""
    manifest = json.loads((uncertain / "manifest.json").read_text())
    info = manifest["parameter_uncertainty"]
    scope = manifest["councils"][0] if len(manifest["councils"]) == 1 else "E92000001"
    card = pd.read_csv(uncertain / "scorecard.csv", keep_default_na=False)
    card = card[card["scope"].astype(str) == scope].set_index("target")
    runs = int(card["n"].max())
    minutes = manifest["timings_seconds"]["simulation"] / 60
    lines = [
        "## How sure: the scorecard under parameter uncertainty", "",
        f"From `{command}`: {info['parameter_sets']} parameter sets ({info['design']} draws of "
        f"all {len(info['parameters'])} assumptions and calibrated parameters from their "
        f"ranges, seed {info['seed']}), each run with the same "
        f"{runs // info['parameter_sets']} replications: {runs} runs in {minutes:.1f} min "
        f"({manifest['executor']}).", ""]
    cols = ["target", "threshold", "mean over runs", "p_met, parameters and randomness",
            "95% interval (over sets)"]
    other = None
    if fixed is not None:
        fm = json.loads((fixed / "manifest.json").read_text())
        other = pd.read_csv(fixed / "scorecard.csv", keep_default_na=False)
        other = other[other["scope"].astype(str) == scope].set_index("target")
        cols += [f"p_met, randomness only ({fm['replications']} replications)"]
    body = []
    for target, r in card.iterrows():
        money = target.startswith("prevention")
        fmt = (lambda v: f"GBP {v / 1e6:,.1f}m") if money else (lambda v: f"{100 * v:.1f}%")
        row = [f"`{target}`", ("> GBP 0" if money else f">= {100 * r['threshold']:.1f}%"),
               fmt(r["value"]), f"{r['p_met']:.2f}",
               f"{r['p_met_low']:.2f} to {r['p_met_high']:.2f}"]
        if other is not None:
            row.append(f"{other.loc[target, 'p_met']:.2f}" if target in other.index else "")
        body.append(row)
    lines += [pd.DataFrame(body, columns=cols).to_markdown(
        index=False, disable_numparse=True, colalign=["left"] + ["right"] * (len(cols) - 1)), ""]
    between = [t for t, r in card.iterrows() if 0 < r["p_met"] < 1]
    text = "**p_met** is the share of runs meeting the target. "
    if other is not None:
        open_ = [t for t, r in other.iterrows() if 0 < r["p_met"] < 1]
        text += (f"With every parameter at its value (`{fixed_command}`), randomness alone "
                 + ("leaves every target at a probability of 0 or 1. " if not open_ else
                    "leaves " + _names(open_) + " strictly between 0 and 1. "))
    text += ("Drawing the assumptions from their ranges gives " + (
        "probabilities strictly between 0 and 1 for " + _names(between) if between else
        "no probability strictly between 0 and 1 in this run") + ". The interval is a 95% "
        "Wilson interval over the parameter sets (the replications of one set share its "
        "draw, so they are not counted as independent). It covers the assumptions' ranges "
        "and the simulation's randomness, not the model's structure.")
    lines += [text, ""]
    return lines


def markdown(folder: Path, uncertain: Path | None = None, fixed: Path | None = None) -> str:
    """docs/sensitivity.md from a sensitivity run folder (and the uncertainty runs)."""
    command = _command(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    indices = pd.read_csv(folder / "indices.csv", keep_default_na=False)
    params = pd.read_csv(folder / "parameters.csv", keep_default_na=False)
    method = manifest["method"]
    key, what = KEY[method]
    env = manifest["environment"]
    from caresim.councils import load_councils

    councils = load_councils()
    where = dict(zip(councils["code"], councils["name"], strict=True)).get(manifest["scope"],
                                                                         "England")
    reps = manifest["replications"]
    timing = manifest["timings_seconds"]
    lines = [
        "# Sensitivity of the headline results to the assumptions", "",
        f"Generated by `python scripts/generate_sensitivity_docs.py` from `{command}` "
        f"(caresim {env['caresim']}, commit {env.get('git_commit') or 'unknown'}, "
        f"{manifest['finished_utc'][:10]}). Do not edit by hand: rerun the script.", "",
        *_in_brief(indices, key),
        "## What was run", "",
        f"- Method: **{method}**; scenario `{manifest['scenario']}` (hash "
        f"`{manifest['scenario_hash']}`); outputs for **{where}** "
        f"({len(manifest['councils'])} council(s) run).",
        f"- Parameters varied: the {len(params)} assumptions with a range (source "
        "`assumption: ...`), each over its range with its distribution; a dated assumption "
        "through a multiplier on all its values.",
        f"- Design: {manifest['samples']} trajectories (the most spread out of "
        f"{10 * manifest['samples']} candidates) x ({len(params)} + 1) = "
        f"{manifest['design_points']} design points."
        if method == "morris" else f"- Design: {manifest['design_points']} design points.",
        f"- Each point run with {'replication 0' if reps == 1 else f'replications 0..{reps - 1}'}"
        f" (common random "
        f"numbers, master seed {manifest['master_seed']}) to 31 March 2015, and again without "
        "the grant to 31 March 2011 for the paired grant effect (no output needs later years, "
        "and the model never looks ahead: a test checks that a shortened run repeats the full "
        f"run's history exactly): {manifest['model_runs']} model runs in "
        f"**{timing['model_runs'] / 60:.1f} min** "
        f"({timing['per_run_mean']:.1f} s per run on average; {manifest['executor']}).",
        "",
    ]
    if method == "morris":
        lines += [
            "## How to read it", "",
            "Each parameter is moved across a 4-level grid of its quantiles, one at a time along "
            "random trajectories. An elementary effect is the change in an output per unit of "
            "the parameter's quantile scale, so it is roughly the change when the parameter "
            "crosses its whole range. **μ\\*** (mean absolute effect) ranks influence; **μ** "
            "(signed mean) gives the direction; **σ** (standard deviation of the effects) is "
            "large when the effect depends on the other parameters (interaction) or is "
            "non-linear. σ / μ\\* above about 0.5 marks a parameter whose effect is not simply "
            "additive. With one replication per point, part of σ is simulation noise. The "
            "interval on μ\\* is a 95% bootstrap interval over the trajectories (normal "
            "approximation, cut at 0). With few trajectories the ranks are a screening: they "
            "separate the assumptions that matter from those that do not, and the order within "
            "the top few is itself uncertain (see the intervals).", ""]
    lines += ["## Which assumptions matter most", ""]
    descriptions = {k: v["description"] for k, v in manifest["outputs"].items()}
    for output, rows in indices.groupby("output", sort=False):
        lines += _output_section(rows, method, descriptions.get(output, output))
    # a parameter that never moved an output has no rank for it
    ranked = indices.assign(rank=indices["rank"].where(indices[key] != 0))
    ranks = ranked.pivot(index="parameter", columns="output", values="rank")
    ranks = ranks[list(dict.fromkeys(indices["output"]))]
    relative = indices.assign(rel=indices[key].abs() / indices.groupby("output")[key]
                              .transform(lambda s: s.abs().max() or 1.0))
    negligible = sorted(p for p, g in relative.groupby("parameter") if (g["rel"] < 0.01).all())
    best = ranks.min(axis=1).sort_values()
    lines += ["## Ranks across the outputs", "",
              f"Rank of every assumption screened by {what} (1 = most influential) for each "
              f"output, those in the top {TOP} of some output first, then by their best rank, so "
              f"each assumption added since the last screening can be found here.", "",
              ranks.loc[best.index].map(
                  lambda v: "-" if pd.isna(v) else str(int(v))).reset_index()
              .rename(columns={"parameter": "assumption"})
              .to_markdown(index=False, disable_numparse=True,
                           colalign=["left"] + ["right"] * ranks.shape[1]), "",
              "A dash: the assumption did not move that output at all in this run.", ""]
    if negligible:
        lines += [f"Negligible for every output (below 1% of the largest {what} of each "
                  f"output): {', '.join(f'`{p}`' for p in negligible)}.", ""]
    if uncertain is not None:
        lines += _uncertainty_section(uncertain, fixed)
    return "\n".join(lines)


def _newest(folders: list[Path], what: str, root: Path) -> Path:
    if not folders:
        raise SystemExit(f"--from {root}: expected a {what} folder; found none.")
    return sorted(folders, key=lambda f: f.name)[-1]


def _kept(root: Path) -> tuple[Path, Path, Path | None]:
    """The newest sensitivity, parameter-uncertainty and fixed-parameter runs under ``root``."""
    sens = _newest([f for f in (root / "sensitivity").glob("*") if f.is_dir()],
                   "sensitivity/<id>", root)
    runs = [f for f in (root / "baseline").glob("*") if (f / "manifest.json").is_file()]
    def uncertain(f: Path) -> bool:
        return bool(json.loads((f / "manifest.json").read_text())["parameter_uncertainty"])
    fixed = [f for f in runs if not uncertain(f)]
    return (sens, _newest([f for f in runs if uncertain(f)], "baseline/<run-id> with "
                          "--parameter-uncertainty", root),
            sorted(fixed, key=lambda f: f.name)[-1] if fixed else None)


def main(argv: list[str] | None = None) -> int:
    """Run the analyses and write docs/sensitivity.md; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Rutland, 2 Morris trajectories")
    ap.add_argument("--keep", metavar="DIR", help="write the run folders under DIR")
    ap.add_argument("--from", dest="source", metavar="DIR",
                    help="do not run: write from the folders a --keep DIR run left")
    ap.add_argument("--out-doc", default=str(DOC), help="where to write (default docs/)")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--scheduler")
    ap.add_argument("--dask-local", type=int)
    opts = ap.parse_args(argv)
    from caresim.cli import main as caresim

    extra = QUICK if opts.quick else []
    sens_args = [*ARGS, *extra]
    if opts.quick:
        sens_args[sens_args.index("--samples") + 1] = "2"
    executor = []
    for flag in ("workers", "scheduler", "dask_local"):
        if getattr(opts, flag) is not None:
            executor += [f"--{flag.replace('_', '-')}", str(getattr(opts, flag))]
    uncertainty_args, randomness_args = [*UNCERTAINTY, *extra], [*RANDOMNESS, *extra]
    started = dt.datetime.now()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(opts.source or opts.keep or tmp)
        if not opts.source:
            for command in (["sensitivity", *sens_args], ["run", *uncertainty_args],
                            ["run", *randomness_args]):
                status = caresim([*command, *executor, "--out", str(out), "--quiet"])
                if status != 0:
                    return status
        sens, uncertain, fixed = _kept(out)
        text = markdown(sens, uncertain, fixed)
    Path(opts.out_doc).write_text(text, encoding="utf-8")
    print(f"wrote {opts.out_doc} ({(dt.datetime.now() - started).total_seconds():.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
