"""Sensitivity analysis: the analysis against a known answer, and a small model run end to end.

The Ishigami function (a = 7, b = 0.1; inputs uniform on [-pi, pi]) has analytic Sobol'
indices (Ishigami and Homma 1990; Saltelli et al. 2008, Global Sensitivity Analysis: The
Primer, section 4.7): S1 = 0.314, 0.442, 0 and ST = 0.558, 0.442, 0.244. The test runs it
through the same design and analysis functions the model runs use.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from caresim.analysis.sampling import ParamSpec
from caresim.analysis.sensitivity import (
    OUTPUTS,
    RUN_UNTIL,
    RUN_UNTIL_WITHOUT_GRANT,
    analyse,
    design,
    evaluate_function,
)
from caresim.app.sensitivity import ending, run_sensitivity, task_outputs
from caresim.errors import InputError
from caresim.runner import plan, run_task
from caresim.scenario import load_scenario

S1 = np.array([0.314, 0.442, 0.0])
ST = np.array([0.558, 0.442, 0.244])


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function of the columns of ``x``."""
    return (np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2
            + b * x[:, 2] ** 4 * np.sin(x[:, 0]))


ISHIGAMI = [ParamSpec(f"x{i}", -np.pi, np.pi, 0.0) for i in (1, 2, 3)]


def test_sobol_reproduces_ishigami_indices():
    d = design(ISHIGAMI, "sobol", 2048, seed=2)
    assert d.values.shape == (2048 * 5, 3)
    table = analyse(d, evaluate_function(d, ishigami), ["ishigami"])
    assert np.allclose(table["S1"], S1, atol=0.03)
    assert np.allclose(table["ST"], ST, atol=0.03)
    # the bootstrap intervals cover the analytic values
    assert np.all((table["S1_low"] <= S1) & (S1 <= table["S1_high"]))
    assert np.all((table["ST_low"] <= ST) & (ST <= table["ST_high"]))
    assert list(table.sort_values("rank")["parameter"]) == ["x1", "x2", "x3"]


def test_morris_ranks_ishigami_inputs():
    d = design(ISHIGAMI, "morris", 50, seed=2)
    table = analyse(d, evaluate_function(d, ishigami))
    assert np.all(np.isfinite(table[["mu_star", "sigma", "mu_star_conf"]].to_numpy()))
    # x3 acts only through its interaction with x1: non-linear, so sigma is large
    x3 = table.set_index("parameter").loc["x3"]
    assert x3["sigma"] > 0.5 * x3["mu_star"]


def test_oat_effects_of_a_linear_function():
    specs = [ParamSpec("a", 0.0, 2.0, 1.0), ParamSpec("b", -1.0, 2.0, 0.0)]
    d = design(specs, "oat")
    table = analyse(d, evaluate_function(d, lambda x: 2 * x[:, 0] - x[:, 1]))
    row = table.set_index("parameter")
    assert row.loc["a", "effect_low"] == pytest.approx(-2.0)
    assert row.loc["a", "effect_high"] == pytest.approx(2.0)
    assert row.loc["b", "effect_low"] == pytest.approx(1.0)
    assert row.loc["b", "effect_high"] == pytest.approx(-2.0)
    assert row.loc["a", "swing"] == pytest.approx(4.0)
    assert (row.loc["a", "rank"], row.loc["b", "rank"]) == (1, 2)


def test_same_seed_same_design_and_indices():
    a, b = design(ISHIGAMI, "sobol", 256, seed=5), design(ISHIGAMI, "sobol", 256, seed=5)
    assert np.array_equal(a.unit, b.unit)
    ta = analyse(a, evaluate_function(a, ishigami))
    tb = analyse(b, evaluate_function(b, ishigami))
    pd.testing.assert_frame_equal(ta, tb)
    c = design(ISHIGAMI, "sobol", 256, seed=6)
    assert not np.array_equal(a.unit, c.unit)


@pytest.mark.parametrize(("method", "n", "match"), [
    ("fast", None, "oat, morris, sobol"),
    ("sobol", 100, "power of 2"),
    ("oat", 4, "expected none"),
    ("morris", 1, ">= 2"),
])
def test_bad_design_inputs(method, n, match):
    with pytest.raises(InputError, match=match):
        design(ISHIGAMI, method, n)


# --------------------------------------------------------------------------- the model

PARAMS = [
    "services.p_accept_pb", "transformation.speed_per_year",
    "finance.nhs_transfers_gbp_per_year",
]


@pytest.fixture(scope="module")
def morris_run(tmp_path_factory) -> tuple:
    out = tmp_path_factory.mktemp("sens")
    kw = dict(parameters=PARAMS, n=2, replications=1, councils=["Rutland"], seed=11)
    first = run_sensitivity("baseline", "morris", out=out, **kw)
    second = run_sensitivity("baseline", "morris", **kw)
    return first, second


def test_model_morris_completes_with_finite_indices(morris_run):
    result, _ = morris_run
    assert result.scope == "E06000017"
    assert result.n_points == 2 * (len(PARAMS) + 1)
    assert result.n_tasks == 2 * result.n_points  # with and without the grant
    idx = result.indices
    assert set(idx["output"]) == {o.name for o in OUTPUTS}
    assert len(idx) == len(OUTPUTS) * len(PARAMS)
    assert np.all(np.isfinite(idx[["mu", "mu_star", "mu_star_conf", "sigma"]].to_numpy()))
    # the PB take-up probability moves the April 2011 PB share; NHS transfers to social care
    # cannot (they start in 2011-12, and a multiplier of zero is zero)
    pb = idx[idx["output"] == OUTPUTS[0].name].set_index("parameter")
    assert pb.loc["services.p_accept_pb", "mu_star"] > 0.05
    assert pb.loc["finance.nhs_transfers_gbp_per_year", "mu_star"] == 0
    ev = result.evaluations
    assert len(ev) == result.n_points
    assert ev[OUTPUTS[0].name].between(0, 1).all()


def test_model_run_writes_its_folder(morris_run):
    result, _ = morris_run
    folder = result.folder
    assert folder is not None and folder.parent.name == "sensitivity"
    assert not folder.with_name(folder.name + ".partial").exists()
    for name in ("indices.csv", "parameters.csv", "evaluations.csv", "manifest.json"):
        assert (folder / name).is_file()
    assert len(list((folder / "plots").glob("morris_*.png"))) == len(OUTPUTS)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["method"] == "morris" and manifest["master_seed"] == 11
    assert manifest["varied"] == PARAMS
    resolved = load_scenario("baseline").params.services.p_accept_pb.value
    assert manifest["parameters"]["services"]["p_accept_pb"]["value"] == resolved
    pd.testing.assert_frame_equal(pd.read_csv(folder / "indices.csv", keep_default_na=False),
                                  result.indices.reset_index(drop=True), check_dtype=False,
                                  atol=1e-9)


def test_model_same_seed_same_indices(morris_run):
    first, second = morris_run
    pd.testing.assert_frame_equal(first.indices, second.indices)
    pd.testing.assert_frame_equal(first.evaluations, second.evaluations)


def test_unknown_parameter_is_bad_input(tmp_path: Path):
    with pytest.raises(InputError, match="Valid names:"):
        run_sensitivity("baseline", "oat", ["no_such_thing"], councils=["Rutland"],
                        out=tmp_path)
    assert not (tmp_path / "sensitivity").exists()


def test_bad_method_is_bad_input():
    with pytest.raises(InputError, match="oat, morris, sobol"):
        run_sensitivity("baseline", "anova", councils=["Rutland"])


@pytest.mark.parametrize("until", [RUN_UNTIL, RUN_UNTIL_WITHOUT_GRANT])
def test_runs_stopped_at_the_last_output_give_the_same_history(until):
    # the sensitivity runs stop after their last output: that is only sound if nothing up to a
    # date depends on where the run ends (no look-ahead in lever planning, grant or ledger)
    from caresim.app.common import resolve_councils

    scenario, codes = resolve_councils(load_scenario("baseline").with_run(seed=3), ["Rutland"])
    full, short = (run_task(0, plan("baseline", p.params, codes, 1)[0])
                   for p in (scenario, ending(scenario, until)))
    assert short.monthly["date"].max() < full.monthly["date"].max()
    for name in ("monthly", "fy", "ledger"):
        a, b = getattr(full, name), getattr(short, name)
        a = a[a[_DATE[name]].isin(b[_DATE[name]].unique())].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b.reset_index(drop=True), check_categorical=False)
    scope = codes[0]
    got, want = task_outputs(short, scope), task_outputs(full, scope)
    reached = {o.name for o in OUTPUTS if o.until <= until} - {OUTPUTS[1].name}
    assert set(got) == reached
    assert got == {name: want[name] for name in reached}


_DATE = {"monthly": "date", "fy": "fy", "ledger": "fy"}


@pytest.mark.slow
def test_sensitivity_doc_script_end_to_end(tmp_path: Path):
    # the script that writes docs/sensitivity.md, on one small council: its three runs, then
    # the document rebuilt from the kept folders alone gives the same text
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    script = root / "scripts" / "generate_sensitivity_docs.py"
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    for extra in (["--quick", "--keep", str(tmp_path / "runs")],
                  ["--from", str(tmp_path / "runs")]):
        doc = first if extra[0] == "--quick" else second
        done = subprocess.run([sys.executable, str(script), *extra, "--out-doc", str(doc)],
                              capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    text = first.read_text()
    assert second.read_text() == text
    assert "--council Rutland" in text and "--parameter-uncertainty 16" in text
    brief = [line for line in text.split("## In brief")[1].split("##")[0].splitlines()
             if line.startswith("- For ")]
    assert len(brief) == 2 and all(line.count("`") == 6 for line in brief)  # three each
    for section in ("## Which assumptions matter most", "## How sure: the scorecard under "
                    "parameter uncertainty", "p_met, randomness only"):
        assert section in text
    assert "pb_share_april_2011" in text.split("## How sure")[1]
