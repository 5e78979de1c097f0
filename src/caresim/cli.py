"""The command line: parse, call the library, map errors to exit codes. No modelling here.

Exit status: 0 success; 2 bad input (one paragraph, no traceback); 1 internal error.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from caresim import __version__
from caresim.errors import InputError

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors are bad input too
        raise InputError(f"{self.prog}: {message}. See '{self.prog} --help'.")


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    def wrap(futures, total):
        return tqdm(futures, total=total, desc="replications", unit="rep", file=sys.stderr)

    return wrap


def cmd_run(args: argparse.Namespace) -> int:
    from caresim.api import run_scenario

    folder, tables = run_scenario(args.scenario, Path(args.out), args.seed, args.replications,
                                  args.council, args.workers, sys.argv, _progress(args.quiet))
    if not args.quiet:
        print(f"wrote {folder}")
        print(format_scorecard(tables.scorecard))
    return EXIT_OK


def format_scorecard(card) -> str:
    """The scorecard of the first council run alone, else England, as aligned text."""
    from caresim.councils import load_councils
    from caresim.streams import NATIONAL

    scopes = [s for s in card["scope"].unique() if s != NATIONAL]
    scope = scopes[0] if len(scopes) == 1 else NATIONAL
    names = dict(zip(load_councils()["code"], load_councils()["name"], strict=True))
    view = card[card["scope"] == scope]
    n = int(view["n"].max()) if len(view) else 0
    lines = [f"scorecard for {names.get(scope, 'England')} over {n} replication(s) "
             "(p_met: share of replications meeting the target, 95% interval):"]
    for _, r in view.iterrows():
        if r["target"].startswith("prevention"):
            value, threshold = f"GBP {r['value'] / 1e6:,.1f}m", "> 0"
        else:
            value, threshold = f"{100 * r['value']:.1f}%", f">= {100 * r['threshold']:g}%"
        mark = "met" if r["met"] else "NOT met"
        lines.append(f"  {r['target']:<31} {value:>14} (target {threshold:<9}) {mark:<8} "
                     f"p_met {r['p_met']:.2f} [{r['p_met_low']:.2f}, {r['p_met_high']:.2f}]")
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    from caresim.api import resolve_councils
    from caresim.scenario import load_scenario

    for path in args.scenario:
        s = load_scenario(path)
        resolve_councils(s, [])
        print(f"ok: {path} (scenario '{s.name}', hash {s.hash}, "
              f"{' -> '.join(Path(f).name for f in s.files)})")
    return EXIT_OK


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
    p = _Parser(prog="caresim", description=textwrap.dedent("""\
        caresim: a discrete-event simulation of English adult social care from April 2008:
        personal budgets, the Social Care Reform Grant, austerity and prevention, scored
        against the targets of the time."""),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"caresim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    r = sub.add_parser("run", help="run a scenario and write its run folder",
                       description="Run SCENARIO (a file, or a bundled name such as baseline) and "
                       "write OUT/<scenario>/<run-id>/ with tables, scorecard, ledger, plots and "
                       "manifest. The folder appears only when complete.")
    r.add_argument("scenario", help="scenario file or bundled scenario name")
    r.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    r.add_argument("--seed", type=int, help="master seed (default: the scenario's run.seed)")
    r.add_argument("--replications", type=int,
                   help="number of replications (default: the scenario's run.replications)")
    r.add_argument("--council", action="append", default=[], metavar="NAME|CODE",
                   help="run only this council (repeatable); default all 152 or run.councils")
    r.add_argument("--workers", type=int,
                   help="worker processes (default: one per core, up to the replications)")
    r.add_argument("--quiet", action="store_true", help="print nothing on success")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("check", help="validate scenario files without running them",
                       description="Validate each scenario file (and its extends chain).")
    c.add_argument("scenario", nargs="+", help="scenario files or bundled names")
    c.set_defaults(func=cmd_check)

    d = sub.add_parser("diff", help="list the parameters that differ between two scenarios",
                       description="List every parameter whose value differs between A and B, "
                       "with both values and their sources.")
    d.add_argument("a")
    d.add_argument("b")
    d.set_defaults(func=cmd_diff)

    s = sub.add_parser("scenarios", help="list the bundled scenarios",
                       description="List the bundled scenarios, one line each: the question it answers.")
    s.set_defaults(func=cmd_scenarios)

    k = sub.add_parser("councils", help="list the 152 councils (GSS code, name, region)",
                       description="List the councils that --council accepts.")
    k.set_defaults(func=cmd_councils)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_INPUT
        if getattr(args, "replications", None) is not None and args.replications < 1:
            raise InputError(f"--replications: expected a whole number >= 1; found {args.replications}.")
        if getattr(args, "seed", None) is not None and args.seed < 0:
            raise InputError(f"--seed: expected a whole number >= 0; found {args.seed}.")
        if getattr(args, "workers", None) is not None and args.workers < 1:
            raise InputError(f"--workers: expected a whole number >= 1; found {args.workers}.")
        return args.func(args)
    except InputError as exc:
        print(f"caresim: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("caresim: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place internal errors become exit 1
        import traceback

        print(f"caresim: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("This is a bug in caresim; please report it with the traceback below.",
              file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL
