"""``caresim measures [--grep WORD]``: list every measure with its unit, periods and definition.

A thin layer: :func:`caresim.measures.find_measures` does the filtering (and raises the usual
input error for a pattern that is invalid or matches nothing). Wired into the parser by
``caresim.cli.build_parser`` calling :func:`register`.
"""

from __future__ import annotations

import argparse
import textwrap

WIDTH = 100
"""Line width of the listing."""


def listing(pattern: str | None = None) -> str:
    """The text ``caresim measures`` prints.

    Parameters
    ----------
    pattern : str, optional
        A word or regular expression (case ignored) the name, unit or definition must match.

    Raises
    ------
    caresim.measures.MeasureError
        When ``pattern`` is not a valid regular expression or matches no measure.
    """
    from caresim.measures import find_measures

    found = find_measures(pattern)
    lines = [f"{len(found)} measure(s): name [unit; periods; tables], then the definition. "
             "Official statistics say what the return counts and how the model differs."]
    for m in found:
        tables = ", ".join(m.tables) if m.tables else "not computed"
        lines.append("")
        lines.append(f"{m.name} [{m.unit}; {', '.join(m.periods)}; {tables}]")
        lines += textwrap.wrap(m.definition, WIDTH, initial_indent="    ",
                               subsequent_indent="    ")
    return "\n".join(lines)


def cmd_measures(args: argparse.Namespace) -> int:
    """Print the listing; exit status 0."""
    print(listing(args.grep))
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``measures`` subcommand to the ``caresim`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``measures`` parser.
    """
    p = subparsers.add_parser(
        "measures", help="list every measure caresim reports, with its unit and definition",
        description="List every measure caresim reports: each metric and ledger line, the "
        "measures derived from them, and the official statistics the model is compared with "
        "(RAP, SALT, ASCOF, PSS-EX1, the ADASS surveys), each with its unit, the periods it is "
        "given at (month end, financial year, span of years), the tables it reads and its "
        "definition; an official one also says what the return counts and what the model "
        "leaves out, or which model state it lacks.")
    p.add_argument("--grep", metavar="WORD",
                   help="list only measures whose name, unit or definition match WORD (a word "
                   "or regular expression; case ignored)")
    p.set_defaults(func=cmd_measures)
    return p
