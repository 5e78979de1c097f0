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
        "expected a non-negative number in [0, 1e+12]",
        "found -2088",
    ],
    "probability_out_of_range.yaml": [
        "key 'demand.p_resolved_at_contact.value'",
        "expected a probability in [0, 1]",
        "found 1.47",
    ],
    "probabilities_not_summing.yaml": [
        "key 'demand.need_mix_assessed.probabilities'",
        "expected probabilities summing to 1",
        "found a sum of 0.9",
    ],
    "dates_out_of_order.yaml": [
        "key 'grant.tranches_gbp.values'",
        "expected dates in increasing order",
        "found 2009-04-01 after 2010-04-01",
    ],
    "zero_exit_hazard.yaml": [
        "key 'exits.hazard_community_18_64.values'",
        "expected a positive hazard per year",
        "found 0",
    ],
    "share_precision_points.yaml": [
        "key 'run.share_precision'",
        "expected a half-width in units of a share, above 0 and at most 1 (0.01 is one "
        "percentage point)",
        "found 5",
    ],
    "council_replications_words.yaml": [
        "key 'run.council_replications'",
        "expected a whole number from 1 to 10000 or 'auto'",
        "found 'lots'",
    ],
    "min_replications_one.yaml": [
        "key 'run.min_replications'",
        "expected a value greater than or equal to 2",
        "found 1",
    ],
    "min_replications_above_cap.yaml": [
        "key 'run'",
        "expected min_replications no more than max_replications (40)",
        "found 50",
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
    "reserves_floor_above_opening.yaml": [
        "key 'council_overrides.Rutland'",
        "expected reserves_floor_gbp no higher than opening_reserves_gbp",
        "found a floor of 2e+06 above opening reserves of 1e+06",
    ],
    "reserves_floor_share_above_one.yaml": [
        "key 'finance.reserves.floor_share_of_opening.value'",
        "expected a floor no higher than the opening reserves (a share of them) in [0, 1]",
        "found 1.2",
    ],
    "allocation_factor_negative.yaml": [
        "key 'finance.rationing.allocation_factor_min.value'",
        "expected an allocation factor (a package's share of its assessed value) in [0, 1]",
        "found -0.1",
    ],
    "rationing_dates_out_of_order.yaml": [
        "key 'finance.rationing.deflection_max_share.values'",
        "expected dates in increasing order",
        "found 2010-04-01 after 2012-04-01",
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
    "duplicate_key.yaml": [
        "expected YAML with each key once in a mapping",
        "found the key 'grant' twice, at lines 4 and 6",
    ],
    "base_60_seed.yaml": [
        "key 'run.seed'",
        "expected a valid integer",
        "found '1:30' (str)",
    ],
    "recursive_alias.yaml": [
        "expected YAML without recursive aliases",
        "found the alias *loop inside its own anchor at line 5",
    ],
    "extends_not_yaml.yaml": [
        "key 'extends'",
        "expected the path of a scenario file ending .yaml or .yml",
        "found '/etc/passwd'",
    ],
    "zero_community_cost.yaml": [
        "key 'services.cost_community_gbp_per_year.value'",
        'expected a value in (0, inf]',
        'a cost of nothing cannot be scaled',
        'found 0',
    ],
    "negative_zero_cost.yaml": [
        "key 'services.cost_community_gbp_per_year.value'",
        'expected a value in (0, inf]',
        'found 0',
    ],
    "inflation_minus_one.yaml": [
        "key 'finance.inflation_per_year.values'",
        'expected a rate per year above -1 in (-1, 1]',
        'found -1',
    ],
    "cost_1e308.yaml": [
        "key 'services.cost_residential_gbp_per_year.value'",
        'expected a non-negative number in [0, 1e+12] (GBP 1 trillion',
        'found 1e+308',
    ],
    "austerity_1e30.yaml": [
        "key 'finance.austerity_multiplier.value'",
        'expected a non-negative number in [0, 100]',
        'found 1e+30',
    ],
    "austerity_beyond_all.yaml": [
        "key 'finance.austerity_multiplier.value'",
        'expected a multiplier that keeps 1 + pass_through x multiplier x LG change positive',
        'found 30, which with the LG change of -0.102 from 2011-04-01',
    ],
    "users_1e12.yaml": [
        "key 'population.users_community.value'",
        'expected a non-negative number in [0, 1e+07] (a run holds every person in memory',
        'found 1e+12',
    ],
    "users_1e308.yaml": [
        "key 'population.users_residential.value'",
        'expected a non-negative number in [0, 1e+07]',
        'found 1e+308',
    ],
    "contacts_1e308.yaml": [
        "key 'demand.contacts_per_year.value'",
        'expected a non-negative number in [0, 2e+07]',
        'found 1e+308',
    ],
    "growth_1e308.yaml": [
        "key 'demand.growth_per_year.values'",
        'expected a rate per year above -1 in (-1, 1]',
        'found 1e+308',
    ],
    "growth_to_memory.yaml": [
        "key 'demand.growth_per_year.values'",
        'expected at most 20,000,000 contacts a year in the busiest year of the run',
        'grown by demand.growth_per_year',
    ],
    "end_date_2999.yaml": [
        "key 'run.end_date'",
        'expected a date at most 42 years after start_date (2050-03-31',
        'found 2999-03-31',
    ],
    "name_dot_dot.yaml": [
        "key 'name'",
        "expected a name of 1 to 100 letters, digits, '_', '-' or '.', not starting with '.'",
        "found '..'",
    ],
    "name_dot.yaml": [
        "key 'name'",
        "not starting with '.'",
        "found '.'",
    ],
    "name_too_long.yaml": [
        "key 'name'",
        'expected a name of 1 to 100 letters',
        '(300 characters)',
    ],
    "whitespace_source.yaml": [
        "key 'reablement.cost_gbp_per_episode.source'",
        'expected text (not only spaces)',
        "found '   '",
    ],
    "range_bound_true.yaml": [
        "key 'finance.pass_through.range'",
        'expected a range of two numbers [low, high]',
        'found [0.3, True]',
    ],
    "review_every_day.yaml": [
        "key 'reviews.interval_days.value'",
        'expected a value in [28, inf]',
        'found 1',
    ],
    "unknown_target_measure.yaml": [
        "key 'targets.pb_share_march_2010.measure'",
        "expected the name of a measure",
        "found 'pb_share_adas'",
        "Did you mean 'pb_share_adass'",
    ],
    "bad_target_period.yaml": [
        "key 'targets.pb_share_march_2010.period'",
        "a month end like 2011-03-31",
        "found a date that is not the last day of its month",
    ],
    "target_unit_mismatch.yaml": [
        "key 'targets.pb_share_march_2010.unit'",
        "expected the unit of measure 'pb_share_adass' ('fraction')",
        "found 'GBP'",
    ],
    "missing_required_key.yaml": [
        "key 'population'",
        "expected this required key",
        "found nothing",
        "more problem(s)",
    ],
    "old_efficiency_requirement.yaml": [
        "key 'finance.efficiency_requirement_per_year'",
        "expected a known key",
        "found the unknown key 'efficiency_requirement_per_year'",
    ],
    "savings_target_other_measure.yaml": [
        "key 'targets.cumulative_savings_share.measure'",
        "expected 'cumulative_savings_share': finance reads this target as the CSR07 savings "
        "requirement",
        "found 'offer_share'",
    ],
    "savings_target_more_than.yaml": [
        "key 'targets.cumulative_savings_share.comparison'",
        "expected 'at least': finance's CSR07 shortfall is 0 when savings reach the target",
        "found 'more than'",
    ],
    "own_plan_unknown_lever.yaml": [
        "key 'council_overrides.Kent.planned_savings_gbp.years'",
        "expected a lever (procurement, prevention, package_reductions, eligibility, "
        "staff_cuts) under 2011-12",
        "found 'procurment'",
    ],
    "own_plan_year_outside.yaml": [
        "key 'council_overrides.Kent.planned_savings_gbp.years'",
        "expected financial years that start inside the run (2008-04-01 to 2020-03-31)",
        "found '2025-26', starting 2025-04-01",
    ],
    "own_plan_negative.yaml": [
        "key 'council_overrides.Kent.planned_savings_gbp.years'",
        "expected a non-negative number in [0, 1e+12] for procurement in 2011-12",
        "found -8e+06",
    ],
    "own_budget_path_gap.yaml": [
        "key 'council_overrides.Kent.net_budget_gbp.years'",
        "expected consecutive financial years (a budget path with no gap)",
        "found 2011-12 then 2013-14, without 2012-13",
    ],
    "dated_after_start.yaml": [
        "key 'grant.tranches_gbp.values'",
        "expected a value in force on the run's start, 2008-04-01 (a dated value is not "
        "carried back before its first date: add 2008-04-01: <value> for what holds until "
        "2030-04-01)",
        "found a first date of 2030-04-01",
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
        timeout=600,  # a bound against hangs, not a speed test: a loaded machine is slow
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


# --------------------------------------------------------------------------- warnings

# file in broken_scenarios/warnings/ -> lines its check must print (issue 19, point 3)
WARNINGS: dict[str, list[str]] = {
    "partial_year.yaml": [
        "target 'savings_2010-11' not scored: its period 'to 2010-11' runs past the run's end, "
        "2010-06-30: a partial period is not scored.",
        "target 'pb_share_april_2011' not scored: its period '2011-03-31' begins after the "
        "run's end, 2010-06-30.",
    ],
    "start_after_targets.yaml": [
        "target 'savings_2008-09' not scored: its period 'to 2008-09' counts from the run's "
        "start, 2009-04-01, but the target counts from 2008-04-01.",
        "target 'savings_2010-11' not scored",
    ],
    "target_beyond_end.yaml": [
        "target 'pb_share_2013_ambition' not scored: its period '2013-03-31' begins after the "
        "run's end, 2011-03-31.",
    ],
}
SCORED = {"partial_year.yaml": ["pb_share_march_2010", "savings_2008-09", "savings_2009-10"],
          "start_after_targets.yaml": ["pb_share_march_2010", "pb_share_april_2011"],
          "target_beyond_end.yaml": ["pb_share_april_2011", "savings_2010-11"]}
"""Targets each run can score, and does."""


def test_warnings_catalogue_matches_the_folder() -> None:
    files = {p.name for p in (BROKEN / "warnings").glob("*.yaml")}
    assert files == set(WARNINGS) == set(SCORED)
    readme = (BROKEN / "README.md").read_text(encoding="utf-8")
    assert all(f"`warnings/{f}`" in readme for f in files)


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_check_warns_of_targets_it_cannot_score(name: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "warnings" / name
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"ok: {path}")
    for line in WARNINGS[name]:
        assert f"caresim: warning: {path}: {line}" in err, err
    assert all(line.startswith("caresim: warning: ") for line in err.strip().splitlines())
    for target in SCORED[name]:
        assert f"'{target}' not scored" not in err


def test_check_of_the_bundled_scenarios_warns_of_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "baseline", "no_grant", "deep_austerity"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_run_scores_only_what_lies_inside_it(name: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    path = BROKEN / "warnings" / name
    assert main(["run", str(path), "--out", str(tmp_path), "--quiet"]) == 0
    assert "not scored" in capsys.readouterr().err
    (card_path,) = tmp_path.glob("*/*/scorecard.csv")
    card = pd.read_csv(card_path)
    unscored = card[card["n"] == 0]
    assert len(unscored) and unscored["value"].isna().all() and unscored["met"].isna().all()
    assert unscored["verdict"].str.contains(": not scored: ").all()
    for target in SCORED[name]:
        rows = card[card["target"] == target]
        assert len(rows) and (rows["n"] > 0).all() and rows["value"].notna().all()
    for line in WARNINGS[name]:
        target = line.split("'")[1]
        assert (unscored["target"] == target).any(), target
