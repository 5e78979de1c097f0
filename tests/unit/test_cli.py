"""The command line's own behaviour: help, version, usage errors and exit statuses (DESIGN §9)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from caresim import __version__
from caresim.cli import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, build_parser, main

SUBCOMMANDS = ["run", "check", "diff", "scenarios", "councils"]


def test_exit_codes() -> None:
    assert (EXIT_OK, EXIT_INTERNAL, EXIT_INPUT) == (0, 1, 2)


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert re.search(rf"^ +{name}\b", out, re.MULTILINE), name


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: caresim {name}")
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]
    assert sub.description and sub.description.split()[0] in out


def test_run_help_documents_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for option in ("--out", "--seed", "--replications", "--council", "--workers", "--quiet"):
        assert option in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"caresim {__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_INPUT
    assert "usage: caresim" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "text"), [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["run"], "expected a SCENARIO (file or bundled name) or --resume RUN_DIR"),
    (["diff", "baseline"], "the following arguments are required: b"),
    (["check"], "the following arguments are required: scenario"),
    (["run", "baseline", "--seed", "abc"], "invalid int value: 'abc'"),
    (["run", "baseline", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_2(argv: list[str], text: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.startswith("caresim: error: ")
    assert text in err
    assert "--help" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_check_several_files_stops_at_the_first_bad_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "baseline", "no_such_scenario", "no_grant"]) == EXIT_INPUT
    out, err = capsys.readouterr()
    assert out.startswith("ok: baseline ")
    assert "no_grant" not in out
    assert "no_such_scenario" in err


def test_internal_error_exits_1_with_traceback(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A bug (not bad input) is reported as one, with the traceback, and exit status 1."""
    import caresim.scenario

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("deliberate")

    monkeypatch.setattr(caresim.scenario, "load_scenario", boom)
    assert main(["check", "baseline"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "caresim: internal error: ZeroDivisionError: deliberate" in err
    assert "Traceback" in err


def _comparison_row(n: int, **changes) -> dict:
    row = {"indicator": "target pb_share_april_2011", "unit": "fraction", "n": n, "a": "baseline",
           "b": "no_grant", "mean_a": 0.345, "a_ci_low": 0.30, "a_ci_high": 0.39,
           "mean_b": 0.25, "b_ci_low": 0.21, "b_ci_high": 0.29, "diff": -0.095,
           "diff_ci_low": -0.11, "diff_ci_high": -0.08, "unpaired_ci_low": -0.16,
           "unpaired_ci_high": -0.03, "width_ratio": 0.25,
           "verdict_a": "met (p_met 0.58)", "verdict_b": "NOT met (p_met 0.10)"}
    return {**row, **changes}


def test_compare_prints_each_scenarios_level_and_verdict_beside_the_difference() -> None:
    import pandas as pd

    from caresim.cli import format_comparison

    text = format_comparison(pd.DataFrame([_comparison_row(10)]))
    lines = text.splitlines()
    assert lines[1] == "  target pb_share_april_2011"
    assert lines[2].split() == ["baseline", "34.5%", "[30.0%,", "39.0%]", "met", "(p_met",
                                "0.58)"]
    assert lines[3].split()[:2] == ["no_grant", "25.0%"] and "NOT met (p_met 0.10)" in lines[3]
    assert lines[4].split()[:5] == ["B", "-", "A", "-9.5", "pp"] and "4.0x narrower" in lines[4]


def test_compare_of_one_run_shows_no_pseudo_interval() -> None:
    import pandas as pd

    from caresim.cli import format_comparison

    nan = float("nan")
    row = _comparison_row(1, a_ci_low=nan, a_ci_high=nan, b_ci_low=nan, b_ci_high=nan,
                          diff_ci_low=nan, diff_ci_high=nan, unpaired_ci_low=nan,
                          unpaired_ci_high=nan, width_ratio=nan)
    text = format_comparison(pd.DataFrame([row]))
    assert text.count("(one run: no interval)") == 3
    assert "[" not in text.split("\n", 1)[1]


def test_help_of_replications_matches_each_command(capsys: pytest.CaptureFixture[str]) -> None:
    """validate and calibrate take a whole number and say their own default; run and compare
    take auto too, and compare's help says what auto narrows, its default and its options
    (issue 19, point 6: compare's help gave a wrong default and rejected auto)."""
    import re

    helps = {}
    for command in ("run", "compare", "validate", "calibrate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps[command] = " ".join(capsys.readouterr().out.split())
    for command in ("run", "compare"):
        assert "--replications N|auto" in helps[command], command
        for option in ("--precision X", "--share-precision X", "--max-replications N",
                       "--parameter-uncertainty N"):
            assert option in helps[command], (command, option)
    for command in ("validate", "calibrate"):
        assert re.search(r"--replications N\b", helps[command]) and "auto" not in \
            helps[command].split("--replications N", 1)[1].split("--council")[0], command
    compare = helps["compare"]
    assert "run.replications, at least 5" in compare
    assert "savings shortfall" in compare and "closing position" in compare
    assert "paired differences of the headline measures" in compare
    assert "when the cap stopped it" in compare
    assert "one percentage point" in compare and "run.share_precision" in compare
    assert "paired by parameter set and replication" in compare


def test_compare_refuses_precision_without_auto(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """--precision, --share-precision and --parameter-uncertainty with auto are bad input,
    refused before anything runs."""
    for options in (["--precision", "0.1"], ["--share-precision", "0.02"],
                    ["--replications", "auto", "--parameter-uncertainty", "2"],
                    ["--replications", "auto", "--share-precision", "2"]):
        assert main(["compare", "baseline", "no_grant", "--council", "Rutland", *options,
                     "--out", str(tmp_path)]) == 2, options
        err = capsys.readouterr().err
        assert "caresim: error:" in err and "Traceback" not in err, options
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("command", ["run", "compare", "validate", "calibrate", "check", "diff",
                                     "scenarios", "councils", "report", "sensitivity",
                                     "measures"])
def test_help_prints_percent_signs_once(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """argparse expands '%%' in option help but prints a description as written: compare's
    description said '95%% interval'."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "%%" not in out and "%(" not in out


class _Clock:
    """A clock the test moves: each task takes ``step`` seconds."""

    def __init__(self, step: float) -> None:
        self.t, self.step = 0.0, step

    def __call__(self) -> float:
        return self.t

    def tick(self) -> None:
        self.t += self.step


def test_log_progress_prints_now_and_then_with_the_time_left(
        capsys: pytest.CaptureFixture[str]) -> None:
    """--progress log (issue 18, point 4): off a terminal, a line at most every 10 s and after
    the last task, each with the time left, then that the tables are being written."""
    from caresim.cli_options import log_progress

    clock = _Clock(4.0)

    def tasks():
        for i in range(6):
            clock.tick()
            yield i

    assert list(log_progress(tasks(), 6, clock=clock, every=10.0)) == list(range(6))
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["caresim: 3 of 6 tasks done, 12 s so far, about 12 s left",
                     "caresim: 6 of 6 tasks done, 24 s so far",
                     "caresim: building and writing the tables"]


@pytest.mark.parametrize(("options", "tty", "shown"), [
    ([], False, "log"), ([], True, "bar"), (["--progress", "log"], True, "log"),
    (["--progress", "bar"], False, "bar"), (["--progress", "none"], True, None),
    (["--quiet"], True, None), (["--quiet", "--progress", "log"], False, None),
])
def test_progress_mode_follows_the_option_and_the_terminal(
        options: list[str], tty: bool, shown: str | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse
    import sys

    from caresim.cli_options import log_progress, progress, run_options

    parser = argparse.ArgumentParser()
    run_options(parser)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    chosen = progress(parser.parse_args(options))
    if shown is None:
        assert chosen is None
    elif shown == "log":
        assert chosen is log_progress
    else:
        assert chosen is not None and chosen is not log_progress


@pytest.mark.parametrize("until", ["2012-13", "2011"])
def test_calibrate_fit_until_outside_the_window_exits_2_and_writes_nothing(
        until: str, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["calibrate", "prior", "--fit-until", until, "--max-evaluations", "1",
               "--quiet", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("caresim: error: --fit-until: expected a financial year from "
                          "2008-09 to 2011-12"), err
    assert f"found '{until}'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
