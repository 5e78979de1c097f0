"""A trial calibration (the full one is in docs/validation.md): it runs, never worsens the
objective it started from, writes a valid scenario, and the same seed gives the same fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from caresim.analysis import calibration as cal
from caresim.app.calibrate import calibrate
from caresim.runner import ExecutorSpec
from caresim.scenario import load_scenario

# two trial calibrations (about 30 model runs): the longest part of the default tier by far
# (20 min of 45 measured on a loaded 2-core machine), so they run in the slow pass
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal")
    return [calibrate("prior", out / str(i), seed=7, replications=1, every=50,
                      max_evaluations=6, spec=ExecutorSpec(workers=1)) for i in range(2)]


def test_trial_calibration_writes_a_valid_scenario(trial, tmp_path) -> None:
    first = trial[0]
    assert (first.folder / "calibrated.yaml").exists()
    assert (first.folder / "identification.csv").exists()
    path = tmp_path / "calibrated.yaml"
    text = first.scenario_text.replace("extends: prior.yaml",
                                       f"extends: {load_scenario('prior').files[-1]}")
    path.write_text(text)
    s = load_scenario(path)
    for leaf in cal.PARAMETERS:
        node = s.get(leaf)
        assert node.source.startswith("calibrated: "), leaf
        assert "objective" in node.source


def test_objective_no_worse_than_the_start(trial) -> None:
    fit = trial[0].fit
    start = fit.history[0][1]
    assert fit.objective <= start
    assert len(fit.identification) == len(cal.PARAMETERS)
    assert np.isfinite(fit.identification["sensitivity"]).all()


def test_same_seed_same_parameters(trial) -> None:
    np.testing.assert_array_equal(trial[0].fit.x, trial[1].fit.x)
    assert trial[0].fit.objective == trial[1].fit.objective


def test_components_cover_every_fitted_target(trial) -> None:
    comps = trial[0].fit.components
    assert len(comps) == len(cal.fitted_targets())
    assert set(Path(t.source_file).suffix for t in cal.fitted_targets()) == {".csv"}
