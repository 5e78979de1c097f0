"""``caresim report``: write a run's report (HTML and Markdown) into its run folder.

A thin layer, as the rest of the command line: parse, check the folders, call
:func:`caresim.app.report.write_report`, print the two paths. Wired into the parser by
``caresim.cli.build_parser`` calling :func:`register`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from caresim.errors import RunStoreError

EXPECTED = "a run folder containing manifest.json (written by `caresim run`)"


def check_run_dir(path: str, option: str = "RUN_DIR") -> Path:
    """The path of a run folder, or a clear error.

    Parameters
    ----------
    path : str
        What was given on the command line.
    option : str
        The argument's name, for the message (``RUN_DIR`` or ``--against``).

    Raises
    ------
    caresim.errors.RunStoreError
        When ``path`` does not exist, is not a folder, or has no ``manifest.json``.
    """
    p = Path(path)
    if not p.exists():
        raise RunStoreError(f"{option} {p}: expected {EXPECTED}; found no such folder.")
    if not p.is_dir():
        raise RunStoreError(f"{option} {p}: expected {EXPECTED}; found a file.")
    if not (p / "manifest.json").is_file():
        raise RunStoreError(f"{option} {p}: expected {EXPECTED}; found a folder without "
                            "manifest.json (pass the <run-id> folder inside "
                            "OUT/<scenario>/, not OUT or OUT/<scenario>).")
    return p


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of ``args.run_dir`` (compared with ``args.against``); exit status 0."""
    run_dir = check_run_dir(args.run_dir)
    against = check_run_dir(args.against, "--against") if args.against else None
    if against is not None and against.resolve() == run_dir.resolve():
        raise RunStoreError(f"--against {args.against}: expected a different run folder from "
                            f"RUN_DIR; found the same folder ({run_dir}), whose comparison with "
                            "itself would be zero by construction.")
    from caresim.app.report import MODEL_HTML, MODEL_MD, REPORT_PAGES, write_report

    existing = [run_dir / name for name in REPORT_PAGES if (run_dir / name).is_file()]
    if existing and not args.overwrite:
        raise RunStoreError(f"RUN_DIR {run_dir}: expected a run folder without a report; found "
                            f"{existing[0]} already written. Pass --overwrite to replace it, or "
                            "copy it elsewhere first.")
    html_path, md_path = write_report(run_dir, against)
    print(f"wrote {html_path}")
    print(f"wrote {md_path}")
    print(f"wrote {run_dir / MODEL_HTML} and {run_dir / MODEL_MD} (the model description)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to the ``caresim`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``report`` parser.
    """
    p = subparsers.add_parser(
        "report", help="write a run's report (HTML and Markdown) into its run folder",
        description="Write RUN_DIR/report.html (one self-contained page: figures embedded, no "
        "scripts; its one link is to the model page beside it) and RUN_DIR/report.md (figures "
        "in RUN_DIR/report_files/) from the run's own tables, and the model description "
        "under the STRESS-DES headings on its own page, RUN_DIR/model.html and model.md. The "
        "report covers the council when the run was of one council, else the councils run "
        "together (England when all were run). Its first page says what was run, each "
        "target's verdict with the chance of meeting it, five headline numbers with their "
        "95% intervals and, with --against, the paired differences of the other run minus "
        "this one; then the targets in detail, the budget ledger by financial year in cash "
        "and at 2008-09 prices, the PB share, spend and savings figures, the comparison by "
        "financial year, and the run's details (seed, scenario files, hash, versions and the "
        "parameters that differ from the bundled baseline).")
    p.add_argument("run_dir", metavar="RUN_DIR",
                   help="a run folder written by `caresim run` (OUT/<scenario>/<run-id>/, "
                   "containing manifest.json)")
    p.add_argument("--against", metavar="RUN_DIR",
                   help="a second run folder to compare with (differences are that run minus this "
                   "one); it must include the council reported")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a report (or model page) already in RUN_DIR (without it, an "
                   "existing one is never overwritten: the command stops with exit status 2)")
    p.set_defaults(func=cmd_report)
    return p
