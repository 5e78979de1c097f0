"""Scenario loading: extends chains, provenance, copies, leaves, freezing, hashing, diff, CLI."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import textwrap
from pathlib import Path

import pydantic
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from caresim import scenario as sc
from caresim import scenario_files
from caresim.cli import main
from caresim.errors import InputError, ScenarioError
from caresim.params.schema import RunSettings, Scenario
from caresim.scenario import load_scenario

BUNDLED = ["baseline", "deep_austerity", "grant_extended", "no_grant", "pb_acceptance",
           "prevention_first", "prior", "resource_led", "steady"]
BASELINE = sc.bundled_dir() / "baseline.yaml"
ROOT = sc.bundled_dir() / "prior.yaml"  # the root of every bundled chain (no extends)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def child(tmp_path: Path, body: str, name: str = "child.yaml",
          parent: Path | str = BASELINE) -> Path:
    """A scenario file in tmp_path that extends ``parent`` and adds ``body``."""
    return write(tmp_path / name, f"extends: {parent}\n" + textwrap.dedent(body))


@pytest.fixture(scope="module")
def baseline() -> sc.ResolvedScenario:
    return sc.load_scenario("baseline")


# --------------------------------------------------------------------------- extends chains


def test_bundled_child_resolves_its_chain(baseline: sc.ResolvedScenario) -> None:
    s = sc.load_scenario("no_grant")
    assert [Path(f).name for f in s.files] == ["prior.yaml", "baseline.yaml", "no_grant.yaml"]
    assert s.name == "no_grant"
    assert s.params.grant.tranches_gbp.values == {dt.date(2008, 4, 1): 0.0}
    # everything the child does not set comes from the parent
    assert s.params.finance == baseline.params.finance
    assert s.params.grant.ring_fenced_until == baseline.params.grant.ring_fenced_until
    assert s.provenance["grant.tranches_gbp"] == s.files[-1]
    assert s.provenance["grant.spend_per_month"] == s.files[0]
    # calibration overrides a few values in baseline.yaml; the rest come from prior.yaml
    assert s.provenance["finance.client_charges_share_of_gross.value"] == s.files[0]
    assert s.provenance["finance.pass_through.value"] == s.files[1]


def test_three_level_chain_and_provenance(tmp_path: Path) -> None:
    mid = child(tmp_path, """
        name: mid
        finance:
          pass_through: {value: 0.6, unit: fraction, source: "mid file"}
        """, name="mid.yaml")
    leaf = child(tmp_path, """
        name: leaf
        grant:
          spend_per_month: {value: 0.2, unit: fraction, source: "leaf file"}
        """, name="leaf.yaml", parent="mid.yaml")
    s = sc.load_scenario(leaf)
    assert [Path(f).name for f in s.files] == ["prior.yaml", "baseline.yaml", "mid.yaml",
                                                "leaf.yaml"]
    assert s.params.finance.pass_through.value == 0.6
    assert s.params.grant.spend_per_month.value == 0.2
    assert s.provenance["finance.pass_through"] == str(mid)
    assert s.provenance["grant.spend_per_month"] == str(leaf)
    assert Path(s.provenance["grant.tranches_gbp"]).name == "prior.yaml"


def test_error_names_the_child_that_set_the_bad_key(tmp_path: Path) -> None:
    mid = child(tmp_path, """
        finance:
          pass_through: {value: 1.5, unit: fraction, source: "mid file"}
        """, name="mid.yaml")
    leaf = child(tmp_path, "name: leaf\n", name="leaf.yaml", parent="mid.yaml")
    with pytest.raises(ScenarioError) as info:
        sc.load_scenario(leaf)
    # the grandchild is fine; the file that set the bad value is the middle one
    assert info.value.file == str(mid)
    assert info.value.key == "finance.pass_through.value"
    assert "found 1.5" in str(info.value)
    assert str(info.value).startswith(f"{mid}: key 'finance.pass_through.value': expected ")


def test_section_level_error_names_the_child(tmp_path: Path) -> None:
    """A check across a section (not one key) blames the child that set a key in it."""
    path = child(tmp_path, """
        reablement:
          p_no_package_2yr: {value: 0.65, unit: probability, source: "test", range: [0.5, 0.7]}
        """)
    with pytest.raises(ScenarioError) as info:
        sc.load_scenario(path)
    assert info.value.file == str(path)
    assert info.value.key == "reablement"
    assert "found 0.65 > 0.605" in str(info.value)


def test_parent_error_names_the_parent_when_child_is_fine(tmp_path: Path) -> None:
    parent = write(tmp_path / "root.yaml", ROOT.read_text(encoding="utf-8").replace(
        "unit: contacts/year", "unit: contacts/month"))
    leaf = child(tmp_path, "name: leaf\n", parent="root.yaml")
    with pytest.raises(ScenarioError) as info:
        sc.load_scenario(leaf)
    assert info.value.file == str(parent)
    assert info.value.key == "demand.contacts_per_year.unit"


def test_extends_is_relative_to_the_file_not_the_cwd(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub / "root.yaml", ROOT.read_text(encoding="utf-8"))
    leaf = child(sub, "name: leaf\n", parent="root.yaml")
    monkeypatch.chdir(tmp_path)
    assert sc.load_scenario(leaf).files[0] == str(sub / "root.yaml")


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    text = ROOT.read_text(encoding="utf-8").replace("name: prior\n", "")
    path = write(tmp_path / "my_root.yaml", text)
    assert sc.load_scenario(path).name == "my_root"


# --------------------------------------------------------------------------- merging on a copy


def test_loading_a_child_does_not_change_the_parent(baseline: sc.ResolvedScenario,
                                                    tmp_path: Path) -> None:
    before = baseline.params.model_dump()
    path = child(tmp_path, """
        grant:
          tranches_gbp:
            values: {2008-04-01: 1.0}
            unit: GBP/year
            source: "test"
        finance:
          levers:
            staff_cut_max_share: {value: 0.15, unit: fraction, source: "test"}
        """)
    sc.load_scenario(path)
    again = sc.load_scenario("baseline")
    assert baseline.params.model_dump() == before
    assert again.params == baseline.params
    assert again.hash == baseline.hash


def test_merge_does_not_touch_its_inputs() -> None:
    base = {"a": {"b": {"value": 1, "unit": "x", "source": "s"}, "c": {"d": 2}}, "e": [1, 2]}
    override = {"a": {"c": {"d": 3}}, "e": [3]}
    base_copy, override_copy = copy.deepcopy(base), copy.deepcopy(override)
    prov: dict[str, str] = {}
    merged = sc._merge(base, override, "child.yaml", prov)
    assert base == base_copy
    assert override == override_copy
    assert merged == {"a": {"b": {"value": 1, "unit": "x", "source": "s"}, "c": {"d": 3}},
                      "e": [3]}
    merged["a"]["b"]["value"] = 99
    assert base["a"]["b"]["value"] == 1
    assert prov == {"a.c.d": "child.yaml", "e": "child.yaml"}


def test_dated_leaf_in_child_replaces_the_whole_leaf(tmp_path: Path) -> None:
    path = child(tmp_path, """
        grant:
          tranches_gbp:
            values: {2008-04-01: 5.0, 2012-04-01: 1.0}
            unit: GBP/year
            source: "child"
        """)
    s = sc.load_scenario(path)
    # not merged with the parent's four dates
    assert s.params.grant.tranches_gbp.values == {dt.date(2008, 4, 1): 5.0,
                                                  dt.date(2012, 4, 1): 1.0}
    assert s.params.grant.tranches_gbp.source == "child"


def test_leaf_is_never_half_merged(tmp_path: Path) -> None:
    """A child that gives only ``values`` does not inherit the parent's unit and source."""
    path = child(tmp_path, """
        grant:
          tranches_gbp:
            values: {2008-04-01: 5.0}
        """)
    with pytest.raises(ScenarioError) as info:
        sc.load_scenario(path)
    assert info.value.file == str(path)
    assert info.value.key in ("grant.tranches_gbp.unit", "grant.tranches_gbp.source")
    assert info.value.expected == "this required key"


def test_categorical_leaf_replaced_whole(tmp_path: Path) -> None:
    path = child(tmp_path, """
        exits:
          cause_mix_community:
            probabilities: {death: 0.5, nhs_or_self_funded: 0.3, recovery: 0.2}
            source: "child"
        """)
    mix = sc.load_scenario(path).params.exits.cause_mix_community
    assert mix.probabilities == {"death": 0.5, "nhs_or_self_funded": 0.3, "recovery": 0.2}
    assert mix.source == "child"


# --------------------------------------------------------------------------- frozen and hashed


def test_frozen(baseline: sc.ResolvedScenario) -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        baseline.params.name = "changed"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        baseline.params.finance.pass_through = None  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        baseline.params.finance.pass_through.value = 0.7  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        baseline.params.run.seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        baseline.params = baseline.params  # type: ignore[misc]
    assert baseline.params.finance.pass_through.value == sc.load_scenario(
        "baseline").params.finance.pass_through.value
    assert baseline.params.name == "baseline"


def test_frozen_all_the_way_down(tmp_path: Path) -> None:
    s = sc.load_scenario("baseline")
    h = s.hash
    with pytest.raises((TypeError, pydantic.ValidationError)):
        s.params.grant.tranches_gbp.values[dt.date(2008, 4, 1)] = 1.0e12
    assert s.hash == h


def test_hash_is_stable_across_loads() -> None:
    hashes = {sc.load_scenario("baseline").hash for _ in range(3)}
    assert len(hashes) == 1
    (h,) = hashes
    assert len(h) == 16
    int(h, 16)  # hexadecimal
    # the same holds for a child, and its hash is not its parent's
    s = sc.load_scenario("no_grant")
    assert s.hash == sc.load_scenario("no_grant").hash
    assert s.hash != h


@pytest.mark.parametrize("body", [
    "finance:\n  pass_through: {value: 0.51, unit: fraction, source: 'assumption: x', "
    "range: [0.3, 0.8]}\n",
    "grant:\n  tranches_gbp:\n    values: {2008-04-01: 84.0e6, 2009-04-01: 194.0e6, "
    "2010-04-01: 239.0e6, 2011-04-01: 1.0}\n    unit: GBP/year\n    source: 'DH outturn, Health "
    "Committee HC 269 (2010) written evidence Table 36 (scrg_grant.csv)'\n",
    "exits:\n  cause_mix_residential:\n    probabilities: {death: 0.84, nhs_or_self_funded: 0.15, "
    "recovery: 0.01}\n    source: 'assumption: causes of leaving council-supported care-home "
    "places'\n",
    "finance:\n  levers:\n    eligibility_max_threshold: {value: critical, source: x}\n",
    "run:\n  seed: 1\n",
    "run:\n  councils: [Kent]\n",
], ids=["quantity", "dated", "categorical", "setting", "seed", "councils"])
def test_hash_changes_when_any_value_changes(body: str, tmp_path: Path,
                                             baseline: sc.ResolvedScenario) -> None:
    path = child(tmp_path, "name: baseline\n" + body)
    s = sc.load_scenario(path)
    assert s.params != baseline.params
    assert s.hash != baseline.hash


def test_same_values_same_hash(tmp_path: Path, baseline: sc.ResolvedScenario) -> None:
    """A child that sets nothing new (same name) resolves to the same parameters and hash."""
    path = child(tmp_path, "name: baseline\nrun:\n  seed: 20080401\n")
    s = sc.load_scenario(path)
    assert s.params == baseline.params
    assert s.hash == baseline.hash


def test_with_run_revalidates(baseline: sc.ResolvedScenario) -> None:
    s = baseline.with_run(seed=7, replications=3)
    assert (s.params.run.seed, s.params.run.replications) == (7, 3)
    assert s.hash != baseline.hash
    assert baseline.params.run.seed == 20080401  # the original is untouched
    assert baseline.with_run(seed=None).hash == baseline.hash
    # a bad run setting given as an option is the option's fault, not the scenario file's
    with pytest.raises(InputError) as info:
        baseline.with_run(replications=0)
    assert not isinstance(info.value, ScenarioError)
    assert str(info.value).startswith("--replications: expected a value greater than or equal "
                                      "to 1; found 0")


# --------------------------------------------------------------------------- get / replace


def test_get_reads_leaves_sections_settings_and_overrides(baseline: sc.ResolvedScenario) -> None:
    assert baseline.get("grant.tranches_gbp") is baseline.params.grant.tranches_gbp
    assert baseline.get("grant") is baseline.params.grant
    assert baseline.get("run.seed") == 20080401
    assert baseline.get("finance.levers.order").value[0] == "procurement"
    with pytest.raises(KeyError, match=r"grant\.nope: not a parameter"):
        baseline.get("grant.nope")


def test_replace_changes_a_copy_validates_once_and_records_the_source(
        baseline: sc.ResolvedScenario) -> None:
    out = baseline.replace({"services.p_accept_pb.value": 0.7,
                            "grant.tranches_gbp.values": {"2008-04-01": 1.0e6},
                            "run.seed": 9}, source="a reform")
    assert out.params.services.p_accept_pb.value == 0.7
    assert dict(out.params.grant.tranches_gbp.values) == {dt.date(2008, 4, 1): 1.0e6}
    assert out.params.run.seed == 9
    assert out.provenance["services.p_accept_pb.value"] == "a reform"
    assert out.provenance["grant.tranches_gbp.values.2008-04-01"] == "a reform"
    assert out.provenance["services.p_accept_pb.source"] == \
        baseline.provenance["services.p_accept_pb.source"]  # untouched parts keep their file
    assert out.files == baseline.files and out.hash != baseline.hash
    assert baseline.params.services.p_accept_pb.value != 0.7  # the original is untouched
    whole = baseline.replace({"grant": out.params.grant}, source="b")
    assert whole.params.grant == out.params.grant


def test_replace_rejects_what_the_schema_rejects_naming_the_source(
        baseline: sc.ResolvedScenario) -> None:
    with pytest.raises(ScenarioError) as info:
        baseline.replace({"services.p_accept_pb.value": 1.5}, source="the test's reform")
    assert info.value.file == "the test's reform"
    assert info.value.key == "services.p_accept_pb.value"
    with pytest.raises(KeyError, match="not a parameter"):
        baseline.replace({"services.no_such_key": 1.0}, source="x")
    with pytest.raises(KeyError, match="not a parameter"):
        baseline.replace({"nope.value": 1.0}, source="x")


@pytest.mark.parametrize("name", BUNDLED)
def test_json_round_trip(name: str) -> None:
    params = sc.load_scenario(name).params
    again = Scenario.model_validate(params.model_dump(mode="json"))
    assert again == params
    assert again.model_dump(mode="json") == params.model_dump(mode="json")


# --------------------------------------------------------------------------- YAML 1.2 floats


@pytest.mark.parametrize(("text", "expected"), [
    ("1.0e6", 1.0e6), ("1e6", 1.0e6), ("2.5E+3", 2500.0), ("-4.2e-2", -0.042),
    ("+1.5", 1.5), (".5", 0.5), ("239.0e6", 239.0e6), ("1_000.5", 1000.5),
])
def test_yaml_12_floats_are_numbers(text: str, expected: float) -> None:
    value = yaml.load(f"x: {text}\n", Loader=scenario_files.Loader)["x"]
    assert isinstance(value, float)
    assert value == pytest.approx(expected)


def test_yaml_loader_keeps_other_scalars() -> None:
    data = yaml.load("a: 2008-04-01\nb: 12\nc: abc\nd: 1.0e6x\ne: '1.0e6'\n",
                     Loader=scenario_files.Loader)
    assert data == {"a": dt.date(2008, 4, 1), "b": 12, "c": "abc", "d": "1.0e6x", "e": "1.0e6"}
    assert isinstance(data["b"], int)


def test_yaml_impossible_date_is_left_as_text() -> None:
    data = yaml.load("a: 2011-13-01\n", Loader=scenario_files.Loader)
    assert data == {"a": "2011-13-01"}


def test_yaml_12_float_in_a_scenario(tmp_path: Path, baseline: sc.ResolvedScenario) -> None:
    assert baseline.params.population.users_community.value == 1.0e6
    path = child(tmp_path, """
        population:
          users_community: {value: 1.5e6, unit: people, source: "test"}
        """)
    assert sc.load_scenario(path).params.population.users_community.value == 1.5e6


# --------------------------------------------------------------------------- diff


def test_diff_lists_exactly_the_changed_parameters() -> None:
    a, b = sc.load_scenario("baseline"), sc.load_scenario("no_grant")
    rows = sc.diff(a, b)
    assert [r["parameter"] for r in rows] == ["description", "grant.tranches_gbp", "name"]
    row = rows[1]
    assert row["value_a"] == {"2008-04-01": 84.0e6, "2009-04-01": 194.0e6,
                              "2010-04-01": 239.0e6, "2011-04-01": 0.0}
    assert row["value_b"] == {"2008-04-01": 0.0}
    assert row["source_a"].startswith("DH outturn, Health Committee HC 269")
    assert row["source_b"].startswith("scenario: no Social Care Reform Grant")
    assert row["unit"] == "GBP/year"
    assert rows[2]["value_a"] == "baseline" and rows[2]["value_b"] == "no_grant"


def test_diff_of_a_scenario_with_itself_is_empty(baseline: sc.ResolvedScenario) -> None:
    assert sc.diff(baseline, baseline) == []


def test_diff_includes_run_settings(baseline: sc.ResolvedScenario) -> None:
    rows = sc.diff(baseline, baseline.with_run(seed=5))
    assert [(r["parameter"], r["value_a"], r["value_b"]) for r in rows] == [
        ("run.seed", 20080401, 5)]


def test_diff_deep_austerity_and_prevention_first() -> None:
    base = sc.load_scenario("baseline")
    rows = sc.diff(base, sc.load_scenario("deep_austerity"))
    assert {r["parameter"] for r in rows} == {"description", "name",
                                               "finance.austerity_multiplier"}
    rows = sc.diff(base, sc.load_scenario("prevention_first"))
    assert {r["parameter"] for r in rows} == {"description", "name",
                                               "reablement.budget_share",
                                               "reablement.nhs_funding_gbp_per_year"}


# --------------------------------------------------------------------------- finding files


def test_find_scenario_by_name_and_path() -> None:
    assert sc.find_scenario("baseline") == BASELINE
    assert sc.find_scenario("baseline.yaml") == BASELINE
    assert sc.find_scenario(str(BASELINE)) == BASELINE
    assert [p.stem for p in sc.bundled_scenarios()] == BUNDLED


# --------------------------------------------------------------------------- command line


def test_cli_scenarios_lists_all_bundled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == BUNDLED
    # each line carries the question the scenario answers, not an empty description
    assert all(len(line.split()) > 3 for line in lines)
    assert "what happened?" in lines[0]


def test_cli_diff_shows_both_values_and_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "baseline", "no_grant"]) == 0
    out = capsys.readouterr().out
    assert "grant.tranches_gbp [GBP/year]" in out
    assert "DH outturn, Health Committee HC 269 (2010) written evidence Table 36" in out
    assert "scenario: no Social Care Reform Grant" in out
    assert "  baseline: {'2008-04-01': 84000000.0" in out
    assert "  no_grant: {'2008-04-01': 0.0}" in out
    assert "finance" not in out


def test_cli_diff_no_differences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "baseline", "baseline"]) == 0
    assert capsys.readouterr().out.strip() == "no differences between baseline and baseline"


@pytest.mark.parametrize("name", BUNDLED)
def test_cli_check_accepts_bundled(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", name]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: {name} (scenario '{name}', hash {sc.load_scenario(name).hash}")


# ----------------------------------------------------------------- extends by bundled name


@pytest.mark.parametrize("parent", ["baseline", "baseline.yaml"])
def test_extends_finds_a_bundled_scenario_from_any_folder(parent: str, tmp_path: Path) -> None:
    """Issue 19, point 4: a scenario beside the user's own work extends the bundled one."""
    child = tmp_path / "mine.yaml"
    child.write_text(f"extends: {parent}\nname: mine\n", encoding="utf-8")
    s = load_scenario(child)
    assert [Path(f).name for f in s.files] == ["prior.yaml", "baseline.yaml", "mine.yaml"]
    same = load_scenario("baseline").params.model_dump(exclude={"name"})
    assert s.params.model_dump(exclude={"name"}) == same


def test_a_file_beside_the_scenario_comes_before_the_bundled_one(tmp_path: Path) -> None:
    (tmp_path / "baseline.yaml").write_text("extends: no_grant\nname: local\n",
                                            encoding="utf-8")
    child = tmp_path / "mine.yaml"
    child.write_text("extends: baseline.yaml\nname: mine\n", encoding="utf-8")
    files = load_scenario(child).files
    assert Path(files[-2]) == tmp_path / "baseline.yaml"
    assert Path(files[-3]).name == "no_grant.yaml"


def test_extends_an_unknown_name_says_what_it_accepts(tmp_path: Path) -> None:
    child = tmp_path / "mine.yaml"
    child.write_text("extends: baseline_v2\nname: mine\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="or a bundled scenario's name"):
        load_scenario(child)


@given(england=st.integers(1, 10_000), councils=st.one_of(st.integers(1, 10_000),
                                                        st.just("auto")),
       most=st.integers(3, 10_000))
def test_the_default_cap_is_read_from_the_scopes_setting(england: int, councils: int | str,
                                                        most: int) -> None:
    """caresim run's default replications stop at run.replications for all England, at
    run.council_replications for selected councils (run.max_replications when that is auto),
    and say which setting it was."""
    run = RunSettings(replications=england, council_replications=councils,
                      max_replications=most)
    assert run.default_cap(True) == (england, "run.replications")
    assert run.default_cap(False) == ((most, "run.max_replications") if councils == "auto"
                                      else (councils, "run.council_replications"))


def test_a_scenario_that_extends_nothing_has_the_bundled_run_defaults() -> None:
    """The schema's defaults of the replication settings are prior.yaml's, so a scenario that
    extends nothing runs the same default as the bundled ones."""
    bundled = load_scenario("prior").params.run
    keys = ("replications", "council_replications", "min_replications", "precision",
            "share_precision", "max_replications")
    assert {k: getattr(RunSettings(), k) for k in keys} == {k: getattr(bundled, k) for k in keys}
