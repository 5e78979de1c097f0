"""The command line's own behaviour: help, version, usage errors and exit statuses (DESIGN §9)."""

from __future__ import annotations

import re

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
