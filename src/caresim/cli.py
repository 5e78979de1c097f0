"""The command line: parse, call the library, map errors to exit codes. No modelling here.

Exit status: 0 success; 2 bad input (one paragraph, no traceback); 1 internal error.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

from caresim import __version__
from caresim.cli_options import (
    Parser,
    check_options,
    fixed_replications,
    precision_options,
    progress,
    progress_mode,
    replications,
    run_options,
    spec,
)
from caresim.errors import CaresimError, InputError, from_os_error

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def cmd_run(args: argparse.Namespace) -> int:
    from caresim.app.run import resume_run, run_scenario

    reps = replications(args.replications)
    if args.resume:
        if args.scenario:
            raise InputError(
                "run --resume RUN_DIR: expected no SCENARIO (the run folder holds "
                f"it); found '{args.scenario}'."
            )
        folder, tables = resume_run(Path(args.resume), spec(args, None), progress(args))
    else:
        if not args.scenario:
            raise InputError(
                "run: expected a SCENARIO (file or bundled name) or --resume "
                "RUN_DIR; found neither. See 'caresim run --help'."
            )
        from caresim.scenario import load_scenario

        warn(load_scenario(args.scenario))
        n = reps if isinstance(reps, int) else None
        n_tasks = n * (args.parameter_uncertainty or 1) if n else None
        folder, tables = run_scenario(
            args.scenario,
            Path(args.out),
            args.seed,
            reps,
            args.council,
            spec(args, n_tasks),
            args.command,
            progress(args),
            args.precision,
            args.parameter_uncertainty,
            args.max_replications,
            args.csv == "all",
            args.share_precision,
        )
    import json

    from caresim.analysis.replications import describe

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    # the precision asked for, reached, and the cap that stopped it first: on stderr, once
    short = (manifest.get("precision") or {}).get("met") is False
    if short:
        print(f"caresim: warning: replications {describe(manifest)}", file=sys.stderr)
    if not args.quiet:
        print(f"wrote {folder}")
        pu = manifest.get("parameter_uncertainty")
        if pu:
            print(f"replications: {manifest['replications'] // pu['parameter_sets']} of each of "
                  f"{pu['parameter_sets']} parameter sets (intervals: {pu['intervals']})")
        elif manifest.get("replications", 1) > 1 and not short:
            print(f"replications: {describe(manifest)}")
        print(format_scorecard(tables.scorecard))
    return EXIT_OK


def format_scorecard(card) -> str:
    """The scorecard of the one council run, else of the aggregate (England, or the selection
    of councils run), as lines of verdicts."""
    from caresim.councils import ENGLAND_CODE

    scopes = [s for s in card["scope"].unique() if s != ENGLAND_CODE]
    scope = scopes[0] if len(scopes) == 1 else ENGLAND_CODE
    view = card[card["scope"] == scope]
    n = int(view["n"].max()) if len(view) else 0
    covers = view["covers"].iloc[0] if len(view) else "replications"
    label = view["label"].iloc[0] if len(view) else scope
    from caresim.scorecard import p_met_interval

    over = ("one run (a single replication: no intervals; --replications auto gives them)"
            if n == 1 else f"{n} runs, {covers} (p_met: share of runs meeting the target, "
            "95% interval)")
    lines = [f"scorecard for {label} over {over}:"]
    for _, r in view.iterrows():
        if r["n"] == 0:  # not scored: the verdict gives the reason
            lines.append(f"  {r['verdict']}")
        elif n == 1:
            lines.append(f"  {r['verdict']}")
        else:
            lines.append(f"  {r['verdict']}; p_met {r['p_met']:.2f} {p_met_interval(r)}")
    return "\n".join(lines)


def cmd_compare(args: argparse.Namespace) -> int:
    from caresim.app.compare import compare

    reps = replications(args.replications)
    from caresim.scenario import load_scenario

    for path in args.scenarios:
        warn(load_scenario(path))

    def announce(text: str) -> None:
        if not args.quiet:
            print(f"caresim compare: {text}", file=sys.stderr, flush=True)

    result = compare(
        args.scenarios,
        Path(args.out),
        args.seed,
        reps,
        args.council,
        spec(args, (reps if isinstance(reps, int) else 5) * (args.parameter_uncertainty or 1)),
        progress(args, batches=True),
        args.command,
        announce,
        args.precision,
        args.share_precision,
        args.max_replications,
        args.parameter_uncertainty,
    )
    from caresim.analysis.replications import describe

    manifest = result.manifest or {}
    if (manifest.get("precision") or {}).get("met") is False:
        print(f"caresim: warning: replications {describe(manifest)}", file=sys.stderr)
    if args.quiet:
        return EXIT_OK
    print(f"wrote {result.folder}")
    pu = manifest.get("parameter_uncertainty")
    sets = f" x {pu['parameter_sets']} parameter sets" if pu else ""
    print(f"replications of each scenario: {describe(manifest)}{sets}")
    if pu:
        held = pu["held_at_each_scenarios_value"]
        print(f"parameter uncertainty: {pu['parameter_sets']} parameter sets ({pu['design']}) of "
              f"{len(pu['parameters'])} assumptions, the same in every scenario; pairs are "
              f"(parameter set, replication)"
              + (f"; held at each scenario's own value: {', '.join(held)}" if held else ""))
    print(format_comparison(result.differences))
    return EXIT_OK


def _level(r, side: str, scale) -> str:
    """One scenario's level in a comparison row: mean, its interval, and a target's verdict."""
    from caresim.measures import format_value

    unit = r["unit"]
    text = format_value(r[f"mean_{side}"], unit, scale=scale)
    lo, hi = r[f"{side}_ci_low"], r[f"{side}_ci_high"]
    if lo == lo:  # not NaN: more than one replication
        text += (f" [{format_value(lo, unit, scale=scale)}, "
                 f"{format_value(hi, unit, scale=scale)}]")
    else:
        text += " (one run: no interval)"
    verdict = r.get(f"verdict_{side}", "")
    return f"    {r[side]:<24} {text}" + (f"  {verdict}" if verdict else "")


def format_comparison(d) -> str:
    """Each indicator with each scenario's level (and, for a target, its verdict) beside the
    paired difference, as aligned text; with how much narrower pairing made each interval."""
    from caresim.measures import common_scale, format_difference
    from caresim.results import COVERS_PARAMETERS

    if "covers" in d.columns and (d["covers"] == COVERS_PARAMETERS).any():
        head = ("each scenario's level (mean over parameter sets and replications, 95% range "
                "over them: parameters and randomness) and the paired difference B - A, paired "
                "by parameter set and replication (95% range; the unpaired range of B - A "
                "beside it; 'x narrower' = unpaired width / paired width):")
    else:
        head = ("each scenario's level (mean over replications, 95% interval) and the paired "
                "difference B - A under common random numbers (95% interval; unpaired interval "
                "beside it; 'x narrower' = unpaired width / paired width):")
    lines = [head]
    for _, r in d.iterrows():
        unit = r["unit"]
        ends = ("mean_a", "a_ci_low", "a_ci_high", "mean_b", "b_ci_low", "b_ci_high")
        scale = common_scale([r[k] for k in ends], unit)

        lines.append(f"  {r['indicator']}")
        for side in ("a", "b"):
            lines.append(_level(r, side, scale))
        ends = ("diff", "diff_ci_low", "diff_ci_high", "unpaired_ci_low", "unpaired_ci_high")
        scale = common_scale([r[k] for k in ends], unit)
        diff, lo, hi, ulo, uhi = (format_difference(r[k], unit, scale=scale) for k in ends)
        if r["n"] < 2:
            lines.append(f"    {'B - A':<24} {diff} (one run: no interval)")
            continue
        if r["diff_ci_high"] == r["diff_ci_low"]:
            ratio = "no paired variation: the difference is the same in every replication"
        elif r["width_ratio"] > 0:
            ratio = f"{1 / r['width_ratio']:.1f}x narrower"
        else:
            ratio = ""
        lines.append(f"    {'B - A':<24} {diff} [{lo}, {hi}]  unpaired [{ulo}, {uhi}]  "
                     f"{ratio}  (n = {r['n']})")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    from caresim.app.validate import validate

    reps = fixed_replications(args, "validate")
    v = validate(
        args.scenario,
        Path(args.out),
        reps,
        args.seed,
        spec(args, reps or 1),
        progress(args),
        args.command,
        args.council,
    )
    if not args.quiet:
        from caresim.analysis.time_split import summary_line

        print(f"wrote {v.folder}")
        print(v.markdown)
        print(summary_line(v.time_split))
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    from caresim.analysis.calibration import PARAMETERS
    from caresim.app.calibrate import calibrate

    reps = fixed_replications(args, "calibrate") or 1
    if args.every < 1 or args.max_evaluations < 1:
        raise InputError(
            "calibrate: expected --every and --max-evaluations >= 1; found "
            f"{args.every} and {args.max_evaluations}."
        )
    mode = progress_mode(args)
    bar = None
    if mode == "bar":
        from tqdm import tqdm

        bar = tqdm(total=args.max_evaluations, desc="calibration", unit="eval", file=sys.stderr)
    start = time.monotonic()

    def report_progress(n: int, value: float, phase: str) -> None:
        if bar is not None:
            if phase == "search":
                bar.update(1)
            bar.set_postfix(objective=f"{value:.4g}", phase=phase)
        elif mode == "log":
            print(f"caresim: calibration evaluation {n} ({phase}; search budget "
                  f"{args.max_evaluations}), objective {value:.4g}, "
                  f"{time.monotonic() - start:.0f} s so far", file=sys.stderr, flush=True)

    result = calibrate(
        args.scenario,
        Path(args.out),
        args.seed,
        reps,
        args.every,
        args.max_evaluations,
        spec(args, reps),
        Path(args.write_scenario) if args.write_scenario else None,
        args.command,
        report_progress,
        args.fit_until,
    )
    if bar is not None:
        bar.close()
    if not args.quiet:
        fit = result.fit
        print(f"wrote {result.folder}")
        print(
            f"objective {fit.objective:.4g} after {fit.evaluations} evaluations; "
            f"calibrated {len(PARAMETERS)} parameters:"
        )
        print(
            fit.identification[
                ["parameter", "value", "std_error", "max_abs_correlation", "identified"]
            ].to_string(index=False)
        )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from caresim.app.common import resolve_councils
    from caresim.scenario import load_scenario

    for path in args.scenario:
        s = load_scenario(path)
        resolve_councils(s, [])
        warn(s)
        print(
            f"ok: {path} (scenario '{s.name}', hash {s.hash}, "
            f"{' -> '.join(Path(f).name for f in s.files)})"
        )
    return EXIT_OK


def warn(scenario) -> None:
    """Print the scenario's warnings (targets its run cannot score) to stderr."""
    from caresim.app.common import scenario_warnings

    for line in scenario_warnings(scenario):
        print(f"caresim: warning: {line}", file=sys.stderr)


def cmd_diff(args: argparse.Namespace) -> int:
    from caresim.scenario import diff, load_scenario

    a, b = load_scenario(args.a), load_scenario(args.b)
    rows = diff(a, b)
    if not rows:
        print(f"no differences between {a.name} and {b.name}")
        return EXIT_OK
    for r in rows:
        unit = f" [{r['unit']}]" if r["unit"] else ""
        print(f"{r['parameter']}{unit}")
        print(f"  {a.name}: {r['value_a']}" + (f"  ({r['source_a']})" if r["source_a"] else ""))
        print(f"  {b.name}: {r['value_b']}" + (f"  ({r['source_b']})" if r["source_b"] else ""))
    return EXIT_OK


def cmd_scenarios(args: argparse.Namespace) -> int:
    from caresim.scenario import bundled_scenarios

    for path in bundled_scenarios():
        words = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#") or not line.strip("# "):
                break
            words.append(line.strip("# ").strip())
        question = " ".join(words).removeprefix("Question: ")
        if len(question) > 100:
            question = question[:99].rsplit(" ", 1)[0] + "..."
        print(f"{path.stem:<18} {question}")
    return EXIT_OK


def cmd_councils(args: argparse.Namespace) -> int:
    from caresim.councils import load_councils

    df = load_councils()
    for _, r in df.iterrows():
        print(f"{r['code']}  {r['name']:<36} {r['region']}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    p = Parser(
        prog="caresim",
        description=textwrap.dedent("""\
        caresim: a discrete-event simulation of English adult social care from April 2008:
        personal budgets, the Social Care Reform Grant, austerity and prevention, scored
        against the targets of the time."""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"caresim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    r = sub.add_parser(
        "run",
        help="run a scenario and write its run folder",
        description="Run SCENARIO (a file, or a bundled name such as baseline) and "
        "write OUT/<scenario>/<run-id>/ with tables, scorecard, ledger, plots and "
        "manifest. The folder appears only when complete.",
    )
    r.add_argument("scenario", nargs="?", help="scenario file or bundled scenario name")
    r.add_argument(
        "--resume", metavar="RUN_DIR", help="finish an interrupted run: its <run-id>.partial folder"
    )
    run_options(r)
    r.add_argument(
        "--csv",
        choices=("people", "all"),
        default="people",
        help="people (default): CSVs of the financial years, the summary by financial year, the "
        "scorecard and the ledger beside the Parquet tables; all: also the monthly "
        "per-council timeseries.csv and the monthly summary rows (hundreds of MB for England)",
    )
    precision_options(r, "the 95%% intervals of the headline indicators")
    r.set_defaults(func=cmd_run)

    cmp_ = sub.add_parser(
        "compare",
        help="paired differences between scenarios",
        description="Run each scenario under common random numbers (same "
        "seed, councils and replications, and with --parameter-uncertainty the same parameter "
        "sets) and print, for the headline indicators, the savings shortfall, the closing "
        "position, the people served and each target, every scenario's level with its 95% "
        "interval (and, for a target, its verdict and p_met) beside the paired difference from "
        "the first scenario with its 95% interval; writes OUT/compare/<id>/ (comparison.csv, "
        "per_replication.csv, comparison.png, manifest.json). Says on stderr what it runs as "
        "each batch starts. With --replications auto every scenario gets the same "
        "replications, added in batches until the paired differences of the headline "
        "measures reach the precision, and it says the precision asked for and reached, and "
        "when the cap stopped it.",
    )
    cmp_.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="two or more scenarios")
    run_options(cmp_, replications_help="number of replications of every scenario, or 'auto': "
                "until the 95%% intervals of the paired differences of the headline measures "
                "are within --precision and --share-precision (default: the first scenario's "
                "run.replications, at least 5)", auto=True)
    precision_options(cmp_, "the 95%% intervals of the paired differences B - A of the "
                      "headline indicators", "of the larger of the two levels")
    cmp_.set_defaults(func=cmd_compare)

    v = sub.add_parser(
        "validate",
        help="the model against every published series",
        description="Run SCENARIO (default: the shipped baseline) for all England "
        "and compare it with every published series on its own definition: a "
        "table (CSV and Markdown) of published value, definition, source, status, "
        "model mean with its 95% interval and the error, plus a plot per series; "
        "writes OUT/validation/<id>/.",
    )
    v.add_argument(
        "scenario",
        nargs="?",
        default="baseline",
        help="scenario file or bundled name (default: baseline)",
    )
    run_options(v, replications_help="number of replications, a whole number (default: the "
                "scenario's run.replications)")
    v.set_defaults(func=cmd_validate)

    cal = sub.add_parser(
        "calibrate",
        help="fit the calibrated assumptions to the published record to 2011/12",
        description="Fit the calibrated assumptions (caresim.analysis."
        "calibration.PARAMETERS) of SCENARIO (default: prior, the "
        "uncalibrated assumptions) to the verified and derived outturns up to "
        "2011/12, with common random numbers; writes OUT/calibration/<id>/ "
        "with calibrated.yaml, the components of the objective, the history "
        "and an identification report. --write-scenario PATH also writes the "
        "scenario there: that is how the shipped baseline is made.",
    )
    cal.add_argument(
        "scenario",
        nargs="?",
        default="prior",
        help="the scenario holding the priors (default: prior)",
    )
    run_options(cal, replications_help="replications per evaluation, a whole number "
                "(default: 1)")
    cal.add_argument(
        "--every",
        type=int,
        default=4,
        metavar="K",
        help="calibration sample: every K-th council in data order (default 4)",
    )
    cal.add_argument(
        "--max-evaluations",
        type=int,
        default=200,
        metavar="N",
        help="budget of model evaluations of the search (default 200); identification "
        "then takes at most one more per parameter",
    )
    cal.add_argument(
        "--fit-until",
        default="2011-12",
        metavar="FY",
        help="last financial year whose published figures are fitted, 2008-09 to 2011-12 "
        "(default 2011-12); the fitted figures after it are predicted and written to "
        "predictions.csv: the time-split check",
    )
    cal.add_argument(
        "--write-scenario", metavar="PATH", help="also write the calibrated scenario to PATH"
    )
    cal.set_defaults(func=cmd_calibrate)

    from caresim.cli_report import register as register_report

    register_report(sub)
    from caresim.cli_sensitivity import register as register_sensitivity

    register_sensitivity(sub)
    from caresim.cli_measures import register as register_measures

    register_measures(sub)

    c = sub.add_parser(
        "check",
        help="validate scenario files without running them",
        description="Validate each scenario file (and its extends chain).",
    )
    c.add_argument("scenario", nargs="+", help="scenario files or bundled names")
    c.set_defaults(func=cmd_check)

    d = sub.add_parser(
        "diff",
        help="list the parameters that differ between two scenarios",
        description="List every parameter whose value differs between A and B, "
        "with both values and their sources.",
    )
    d.add_argument("a")
    d.add_argument("b")
    d.set_defaults(func=cmd_diff)

    s = sub.add_parser(
        "scenarios",
        help="list the bundled scenarios",
        description="List the bundled scenarios, one line each: the question it answers.",
    )
    s.set_defaults(func=cmd_scenarios)

    k = sub.add_parser(
        "councils",
        help="list the 152 councils (GSS code, name, region)",
        description="List the councils that --council accepts.",
    )
    k.set_defaults(func=cmd_councils)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        # what the manifests record: this call's arguments, also when called from Python
        args.command = ["caresim", *(sys.argv[1:] if argv is None else argv)]
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_INPUT
        if getattr(args, "seed", None) is not None and args.seed < 0:
            raise InputError(f"--seed: expected a whole number >= 0; found {args.seed}.")
        if getattr(args, "workers", None) is not None and args.workers < 1:
            raise InputError(f"--workers: expected a whole number >= 1; found {args.workers}.")
        if getattr(args, "dask_local", None) is not None and args.dask_local < 1:
            raise InputError(
                f"--dask-local: expected a whole number >= 1; found {args.dask_local}."
            )
        check_options(args)
        return args.func(args)
    except InputError as exc:
        print(f"caresim: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        problem = from_os_error(exc)
        if problem is None:
            return _internal_error(exc)
        print(f"caresim: error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except MemoryError:
        print("caresim: error: the run needs more memory than this machine can give it; "
              "nothing finished was written. Run fewer councils or replications at a time, "
              "or use fewer --workers.", file=sys.stderr)
        return EXIT_INTERNAL
    except CaresimError as exc:  # a fault caresim detected itself, such as non-finite output
        print(f"caresim: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print(
            "caresim: interrupted; no finished run folder was written (an unfinished "
            "<run-id>.partial folder can be finished with caresim run --resume).",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    import traceback

    print(f"caresim: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    print("This is a bug in caresim; please report it with the traceback below.", file=sys.stderr)
    traceback.print_exception(exc)
    return EXIT_INTERNAL

