"""``caresim sensitivity``: how much each assumption moves the headline results.

A thin layer, as the rest of the command line: parse, call
:func:`caresim.app.sensitivity.run_sensitivity`, print where the tables went and the most
influential assumptions for each output. Wired into the parser by ``caresim.cli.build_parser``
calling :func:`register`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from caresim.cli_options import replications, run_options, spec
from caresim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def _progress_bar(quiet: bool) -> Callable[[int, int], None] | None:
    """A ``(done, total)`` callback drawing a progress bar on a terminal, else None."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc="model runs", unit="run", file=sys.stderr)
        bar["bar"].update(done - bar["bar"].n)
        if done == total:
            bar.pop("bar").close()

    return update


def format_top(indices: pd.DataFrame, method: str, k: int = 5) -> str:
    """The ``k`` most influential assumptions for each output, as aligned text."""
    key, what = {"oat": ("swing", "|high - low|"), "morris": ("mu_star", "mu*"),
                 "sobol": ("ST", "ST")}[method]
    lines = [f"most influential assumptions by {what} ({method}):"]
    for output, rows in indices.groupby("output", sort=False):
        unit = rows["unit"].iloc[0]
        scale, label = (100, "pp") if unit == "fraction" and key != "ST" else (
            (1e-6, "GBP m") if unit == "GBP" and key != "ST" else (1, "" if key == "ST" else unit))
        lines.append(f"  {output}:")
        for _, r in rows.sort_values("rank").head(k).iterrows():
            extra = f" [S1 {r['S1']:.2f}]" if key == "ST" else ""
            lines.append(f"    {r['rank']:>3}. {r['parameter']:<52} {r[key] * scale:>12,.4g} "
                         f"{label}{extra}")
    return "\n".join(lines)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run ``caresim sensitivity``; exit status 0."""
    from caresim.app.sensitivity import run_sensitivity

    reps = replications(args.replications) or 1
    if reps == "auto":
        raise InputError("sensitivity --replications: expected a whole number; found 'auto'.")
    if args.samples is not None and args.samples < 1:
        raise InputError(f"--samples: expected a whole number >= 1; found {args.samples}.")
    executor = spec(args, os.cpu_count() or 1)  # one worker per core unless told
    result = run_sensitivity(args.scenario, args.method, args.parameters or None, args.samples,
                             reps, args.council, executor, args.seed, Path(args.out), args.command,
                             _progress_bar(args.quiet))
    if not args.quiet:
        print(f"wrote {result.folder}")
        print(f"{result.n_points} design points x {reps} replication(s) x 2 (with and without "
              f"the grant) = {result.n_tasks} model runs in {result.seconds:.1f} s")
        print(format_top(result.indices, result.method))
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``sensitivity`` subcommand to the ``caresim`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``sensitivity`` parser.
    """
    from caresim.analysis.sensitivity_settings import DEFAULT_SAMPLES
    morris, sobol = DEFAULT_SAMPLES["morris"], DEFAULT_SAMPLES["sobol"]

    p = subparsers.add_parser(
        "sensitivity", help="how much each assumption moves the headline results",
        description="Vary the assumptions of SCENARIO (every parameter whose source starts "
        "'assumption:' and has a range, or those given with --parameters) and measure five "
        "outputs for England, or for the council when one is run: the PB share on 1 April "
        "2011; the grant's effect on it (each sample run again without the grant, paired); "
        "cumulative cashable savings to 2010-11 as a share of the 2007-08 net budget; unmet "
        "need and net spend in 2014-15. Methods: oat (each parameter at its low and high, a "
        f"tornado), morris (screening: mu*, sigma; --samples trajectories, default {morris}) "
        "and sobol (first-order and total indices with bootstrap intervals; --samples base "
        f"sample N, a power of 2, default {sobol}; N (k + 2) design points). Every design point "
        "runs replications 0..N-1 (common random numbers). Writes OUT/sensitivity/<id>/ with "
        "indices.csv, evaluations.csv, parameters.csv, manifest.json and plots/.")
    p.add_argument("scenario", help="scenario file or bundled scenario name")
    p.add_argument("--method", required=True, metavar="oat|morris|sobol",
                   help="one-at-a-time, Morris screening or Sobol' indices")
    p.add_argument("--parameters", nargs="+", metavar="P",
                   help="assumptions to vary: dotted paths (e.g. services.p_accept_pb) or "
                   "their last part when unique (default: every assumption with a range)")
    p.add_argument("--samples", type=int, metavar="N",
                   help=f"Morris trajectories (default {morris}) or the Sobol' base sample (a "
                   f"power of 2, default {sobol}); not used by oat")
    run_options(p)
    for action in p._actions:  # the shared options, worded for this command
        if action.dest == "replications":
            action.metavar = "N"
            action.help = "replications per design point, numbered 0..N-1 at every point " \
                "(default 1)"
        elif action.dest == "workers":
            action.help = "local worker processes (default: one per core)"
    p.set_defaults(func=cmd_sensitivity)
    return p
