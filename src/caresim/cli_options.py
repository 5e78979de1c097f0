"""What the subcommands of the command line share: the parser class, the run options, the
executor and replications they ask for, the progress bar. Imported by ``caresim.cli`` and its
subcommand modules (``cli_report``, ``cli_sensitivity``), which import nothing of each other's.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from urllib.parse import urlsplit

from caresim.errors import InputError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors are bad input too
        raise InputError(f"{self.prog}: {message}. See '{self.prog} --help'.")


PROGRESS_MODES = ("auto", "bar", "log", "none")

LOG_EVERY_SECONDS = 10.0
"""The most often ``--progress log`` prints a line (the last task always gets one)."""


def progress_mode(args: argparse.Namespace) -> str:
    """``bar``, ``log`` or ``none``: ``--progress`` with ``auto`` decided (a bar on a terminal,
    else log lines) and ``--quiet`` meaning none."""
    mode = "none" if getattr(args, "quiet", False) else getattr(args, "progress", None) or "auto"
    if mode == "auto":
        mode = "bar" if sys.stderr.isatty() else "log"
    return mode


def progress(args: argparse.Namespace, batches: bool = False):
    """How a command shows its tasks done: ``--progress`` (``auto``: a bar on a terminal, else a
    line now and then with the time left); nothing with ``--quiet`` or ``none``. ``batches``:
    the tasks come in several batches (``compare``), so the log does not say after each that
    the tables are being written."""
    mode = progress_mode(args)
    if mode == "none":
        return None
    if mode == "log":
        if batches:
            import functools

            return functools.partial(log_progress, last_line=None)
        return log_progress
    from tqdm import tqdm

    def wrap(futures, total):
        return tqdm(futures, total=total, desc="replications", unit="rep", file=sys.stderr)

    return wrap


def log_progress(futures, total: int, clock=time.monotonic, every: float = LOG_EVERY_SECONDS,
                 last_line: str | None = "building and writing the tables"):
    """Yield ``futures`` and, on stderr, a line such as ``caresim: 3 of 20 tasks done, 12 s so
    far, about 68 s left`` at most every ``every`` seconds and after the last; then
    ``last_line``, by default that the tables are being written (the time left is the mean time
    per task so far, times the tasks left)."""
    start = last = clock()
    done = 0
    for fut in futures:
        yield fut
        done += 1
        now = clock()
        if now - last >= every or done == total:
            last = now
            spent = now - start
            left = spent / done * (total - done)
            print(f"caresim: {done} of {total} tasks done, {spent:.0f} s so far"
                  + (f", about {left:.0f} s left" if done < total else ""),
                  file=sys.stderr, flush=True)
    if last_line:
        print(f"caresim: {last_line}", file=sys.stderr, flush=True)


def spec(args: argparse.Namespace, n_tasks: int | None):
    from caresim.runner import ExecutorSpec, default_workers

    if args.scheduler and args.dask_local:
        raise InputError("--scheduler and --dask-local: expected one of them; found both.")
    workers = args.workers
    if workers is None:
        workers = 1 if n_tasks == 1 else default_workers(n_tasks or 2)
    return ExecutorSpec(workers=workers, scheduler=args.scheduler, dask_local=args.dask_local)


def replications(text: str | None) -> int | str | None:
    if text is None or text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise InputError(
            f"--replications: expected a whole number >= 1 or 'auto'; found '{text}'."
        ) from None
    if value < 1:
        raise InputError(f"--replications: expected a whole number >= 1; found {value}.")
    return value


def fixed_replications(args: argparse.Namespace, command: str) -> int | None:
    """``--replications`` for commands that need a whole number (not ``auto``)."""
    reps = replications(args.replications)
    if reps == "auto":
        raise InputError(f"{command} --replications: expected a whole number; found 'auto'.")
    return reps


def precision_options(r: argparse.ArgumentParser, what: str,
                      relative_to: str = "of its mean") -> None:
    """``--precision``, ``--share-precision``, ``--max-replications`` and
    ``--parameter-uncertainty``: how ``--replications auto`` stops (``what`` it narrows, each
    level's half-width ``relative_to`` what), and parameter sets."""
    r.add_argument(
        "--precision",
        type=float,
        metavar="X",
        help=f"with --replications auto (or, for run, without --replications): add "
        f"replications until {what} have, for a level (money, people), a half-width <= X "
        f"{relative_to} (default: the scenario's run.precision, 0.05 in the bundled "
        "scenarios)",
    )
    r.add_argument(
        "--share-precision",
        type=float,
        metavar="X",
        help="with --precision's rule: and, for a share (the PB share), a half-width <= X in "
        "units of a share, 0.01 being one percentage point (default: the scenario's "
        "run.share_precision, 0.01 in the bundled scenarios)",
    )
    r.add_argument(
        "--max-replications",
        type=int,
        metavar="N",
        help="with --replications auto (or, for run, without --replications): stop at N "
        "replications and say so (default: the scenario's run.max_replications, 200 in the "
        "bundled scenarios; for run without --replications, the cap of its scope, see "
        "--replications)",
    )
    r.add_argument(
        "--parameter-uncertainty",
        type=int,
        metavar="N",
        help="draw N parameter sets over every assumption's range (scrambled Sobol) "
        "and run each with the replications: intervals and the scorecard's "
        "probabilities then cover parameters and randomness (compare: every scenario runs the "
        "same sets, paired by parameter set and replication; intervals are 95%% ranges)",
    )


def run_options(r: argparse.ArgumentParser, replications_help: str | None = None,
                auto: bool | None = None) -> None:
    """The options every command that runs the model takes; ``replications_help`` replaces
    the help of ``--replications`` for a command whose default or accepted values differ,
    and ``auto`` says whether it takes ``auto`` (default: only without ``replications_help``)."""
    auto = replications_help is None if auto is None else auto
    r.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    r.add_argument("--seed", type=int, help="master seed (default: the scenario's run.seed)")
    r.add_argument(
        "--replications",
        metavar="N|auto" if auto else "N",
        help=replications_help or "number of replications (exactly that many), or 'auto': "
        "until the 95%% intervals of the headline measures are within --precision and "
        "--share-precision, at most --max-replications (default: the same rule, at least the "
        "scenario's run.min_replications, 3, and at most its run.replications for all England, "
        "2 in the bundled scenarios, about a minute on 2 cores, or its "
        "run.council_replications for selected councils, 20; when the cap stops it first, the "
        "console, the manifest and the report say so, with the precision asked for and "
        "reached)",
    )
    r.add_argument(
        "--council",
        action="append",
        default=[],
        metavar="NAME|CODE",
        help="run only this council (repeatable); default all 152 or run.councils",
    )
    r.add_argument(
        "--workers",
        type=int,
        help="local worker processes (default: one per core, up to the replications)",
    )
    r.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the tasks on an existing Dask cluster (pip install 'caresim[dask]')",
    )
    r.add_argument(
        "--dask-local",
        type=int,
        metavar="N",
        help="start a local Dask cluster of N worker processes",
    )
    r.add_argument(
        "--progress",
        choices=PROGRESS_MODES,
        default="auto",
        help="auto (default): a bar on a terminal, otherwise a line on stderr now and then "
        "with the time left; none with --quiet",
    )
    r.add_argument(
        "--quiet", action="store_true", help="no progress bar and nothing printed on success"
    )


def check_options(args: argparse.Namespace) -> None:
    """Options that argparse accepts but no command can use (exit status 2)."""
    if getattr(args, "out", None) == "":
        raise InputError("--out: expected a folder path; found ''.")
    scheduler = getattr(args, "scheduler", None)
    if scheduler is not None:
        check_scheduler_address(scheduler)
    precision = getattr(args, "precision", None)
    if precision is not None:
        if not math.isfinite(precision) or precision <= 0:
            raise InputError(f"--precision: expected a number > 0 (a relative half-width "
                             f"such as 0.01); found {precision}.")
    share = getattr(args, "share_precision", None)
    if share is not None and not (math.isfinite(share) and 0 < share <= 1):
        raise InputError(f"--share-precision: expected a number > 0 and <= 1 (a half-width in "
                         f"units of a share, 0.01 being one percentage point); found {share}.")


def check_scheduler_address(address: str) -> None:
    """A Dask scheduler address must be ``[PROTOCOL://]HOST:PORT``."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.scheme or not parts.hostname or port is None:
        raise InputError(f"--scheduler {address}: expected a Dask scheduler address such as "
                         "tcp://HOST:PORT; found no host and port.")
