"""Bad scenario files and bad arguments: exit status 2, one paragraph, nothing written.

Each file in ``tests/broken_scenarios/`` (see its README) has one failure. For each we check that
``caresim check`` and ``caresim run`` stop with status 2 and a message that names the file, the
key path, what was expected and what was found, with no traceback and no output written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from caresim.cli import main

BROKEN = Path(__file__).resolve().parents[1] / "broken_scenarios"

# file -> substrings its message must contain (key path, expected, found, suggestion)
CASES: dict[str, list[str]] = {
    "missing_extends.yaml": [
        "key 'extends'",
        "expected the path of an existing scenario file",
        "found '../../src/caresim/scenarios/no_such_parent.yaml'",
    ],
    "extends_not_string.yaml": [
        "key 'extends'",
        "expected a file name (string)",
        "found ['",
    ],
    "yaml_syntax.yaml": [
        "expected valid YAML",
        "found a syntax error at line 7",
    ],
    "top_level_list.yaml": [
        "expected a mapping of keys to values at the top level",
        "found a list",
    ],
    "unknown_top_key.yaml": [
        "key 'grnat'",
        "expected a known key",
        "found the unknown key 'grnat'",
        "Did you mean 'grant'?",
    ],
    "unknown_nested_key.yaml": [
        "key 'grant.tranches_gpb'",
        "expected a known key",
        "found the unknown key 'tranches_gpb'",
        "Did you mean 'tranches_gbp'?",
    ],
    "wrong_type.yaml": [
        "key 'reablement.cost_gbp_per_episode.value'",
        "expected a non-negative number",
        "found 'two thousand' (str)",
    ],
    "negative_cost.yaml": [
        "key 'reablement.cost_gbp_per_episode.value'",
        "expected a non-negative number in [0, inf]",
        "found -2088",
    ],
    "probability_out_of_range.yaml": [
        "key 'demand.p_resolved_at_contact.value'",
        "expected a probability in [0, 1]",
        "found 1.47",
    ],
    "probabilities_not_summing.yaml": [
        "key 'population.need_mix_in_service.probabilities'",
        "expected probabilities summing to 1",
        "found a sum of 0.9",
    ],
    "dates_out_of_order.yaml": [
        "key 'grant.tranches_gbp.values'",
        "expected dates in increasing order",
        "found 2009-04-01 after 2010-04-01",
    ],
    "bad_date_key.yaml": [
        "key 'grant.tranches_gbp.values'",
        "expected dates like 2010-04-01 as keys",
        "found 'April 2009'",
    ],
    "unit_mismatch.yaml": [
        "key 'grant.tranches_gbp.unit'",
        "expected unit 'GBP/year'",
        "found 'GBP'",
    ],
    "missing_source.yaml": [
        "key 'reablement.cost_gbp_per_episode.source'",
        "expected this required key",
        "found nothing",
    ],
    "assumption_without_range.yaml": [
        "key 'finance.pass_through'",
        "expected a 'range: [low, high]' for sensitivity analysis",
        "found no range",
    ],
    "value_outside_range.yaml": [
        "key 'finance.pass_through'",
        "expected the value inside its range [0.3, 0.8]",
        "found 0.9",
    ],
    "bad_lever_order.yaml": [
        "key 'finance.levers.order'",
        "expected a list of each lever once (procurement, prevention, package_reductions, "
        "eligibility, staff_cuts)",
        "found ['procurement', 'prevention', 'prevention'",
    ],
    "cycle_a.yaml": [
        "key 'extends'",
        "expected a chain of parents without a cycle",
        f"found the cycle {BROKEN / 'cycle_a.yaml'} -> {BROKEN / 'cycle_b.yaml'} -> "
        f"{BROKEN / 'cycle_a.yaml'}",
    ],
    "cycle_b.yaml": [
        "key 'extends'",
        "expected a chain of parents without a cycle",
        f"found the cycle {BROKEN / 'cycle_b.yaml'} -> {BROKEN / 'cycle_a.yaml'} -> "
        f"{BROKEN / 'cycle_b.yaml'}",
    ],
    "unknown_council.yaml": [
        "key 'run.councils'",
        "expected names or GSS codes of English councils",
        "Did you mean 'Kent'",
    ],
    "unknown_council_override.yaml": [
        "key 'council_overrides.Narnia'",
        "expected the name or GSS code of an English council as the key",
        "found",
    ],
    "bad_date_setting.yaml": [
        "key 'grant.ring_fenced_until",
        "expected a",
        "date",
        "found '2011-13-01'",
    ],
    "bad_run_start_date.yaml": [
        "key 'run'",
        "expected start_date on 1 April",
        "found 2008-05-01",
    ],
    "bad_replications.yaml": [
        "key 'run.replications'",
        "expected a value greater than or equal to 1",
        "found 0",
    ],
    "missing_required_key.yaml": [
        "key 'population'",
        "expected this required key",
        "found nothing",
        "more problem(s)",
    ],
}


def _one_paragraph_error(err: str, path: Path) -> None:
    """The common shape of every bad-input message."""
    assert "Traceback" not in err
    assert "internal error" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    # names the broken file itself, not its parent (provenance of the key)
    assert lines[0].startswith(f"caresim: error: {path}: "), err


def test_catalogue_matches_the_folder() -> None:
    """Every broken file has a case here and a line in the README, and vice versa."""
    files = {p.name for p in BROKEN.glob("*.yaml")}
    assert files == set(CASES)
    readme = (BROKEN / "README.md").read_text(encoding="utf-8")
    missing = [f for f in files if f"`{f}`" not in readme]
    assert not missing, f"not in tests/broken_scenarios/README.md: {missing}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_the_problem(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / name
    rc = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert rc == 2
    assert out == ""
    _one_paragraph_error(err, path)
    for text in CASES[name]:
        assert text in err, f"{text!r} not in {err!r}"
    assert "; found " in err  # the "expected ...; found ..." form


@pytest.mark.parametrize("name", sorted(CASES))
def test_run_writes_nothing(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / name
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    rc = main(["run", str(path), "--out", str(out_dir), "--quiet"])
    _, err = capsys.readouterr()
    assert rc == 2
    _one_paragraph_error(err, path)
    assert CASES[name][0] in err
    assert list(out_dir.rglob("*")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(
    ("name", "token"),
    [("unknown_council.yaml", "Kentt"), ("unknown_council_override.yaml", "Narnia")],
)
def test_unknown_council_message_says_what_was_found(
    name: str, token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(BROKEN / name)]) == 2
    err = capsys.readouterr().err
    found = err.split("; found ", 1)[1]
    assert token in found
    assert "expected" not in found


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("caresim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "caresim"]


@pytest.mark.parametrize(
    ("command", "subcommand"),
    [
        pytest.param(_cli(), "run", id="script-run"),
        pytest.param([sys.executable, "-m", "caresim"], "check", id="module-check"),
    ],
)
def test_exit_status_in_a_real_process(command: list[str], subcommand: str, tmp_path: Path) -> None:
    """The installed entry point really exits 2 (not just returns 2 from main)."""
    path = BROKEN / "unknown_top_key.yaml"
    out_dir = tmp_path / "out"
    args = [subcommand, str(path)] + (["--out", str(out_dir)] if subcommand == "run" else [])
    proc = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    _one_paragraph_error(proc.stderr, path)
    assert "Did you mean 'grant'?" in proc.stderr
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- bad arguments


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere" / "absent.yaml"
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"caresim: error: {path}: ")
    assert "expected an existing scenario file or bundled name; found no such file" in err
    # no close name: lists the bundled scenarios instead
    assert ("Bundled: baseline, deep_austerity, grant_extended, no_grant, pb_acceptance, "
            "prevention_first") in err


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("baselin", "baseline"), ("no-grant", "no_grant"), ("deep_austerty", "deep_austerity")],
)
def test_unknown_bundled_name_suggests_close_names(
    typo: str, suggestion: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", typo, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"caresim: error: {typo}: ")
    assert f"Did you mean {suggestion}" in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_council_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["run", "baseline", "--council", "Kentt", "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "council 'Kentt'" in err
    assert "expected the name or GSS code of one of the 152 English councils" in err
    assert "Did you mean 'Kent'" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("--replications", "0"), ("--replications", "-3"), ("--seed", "-1"), ("--workers", "0")],
)
def test_bad_numbers_on_the_command_line(
    option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["run", "baseline", option, value, "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    assert f"{option}: expected a whole number" in err
    assert f"found {value}" in err
    assert list(tmp_path.iterdir()) == []


def test_non_integer_replications(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["run", "baseline", "--replications", "two", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    assert "--replications" in err and "'two'" in err
    assert list(tmp_path.iterdir()) == []


def test_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a_file"
    target.write_text("keep me", encoding="utf-8")
    rc = main(["run", "baseline", "--council", "Kent", "--out", str(target), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    assert f"--out {target}: expected a folder; found a file" in err
    assert target.read_text(encoding="utf-8") == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]
