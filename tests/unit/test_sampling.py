"""Parameter sampling: which assumptions vary, draws inside ranges, distributions, applying."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from caresim.analysis.sampling import (
    ParamSpec,
    apply_values,
    assumption_parameters,
    draw,
    select,
    to_values,
)
from caresim.errors import InputError
from caresim.params.schema import Scenario
from caresim.scenario import ResolvedScenario, load_scenario


@pytest.fixture(scope="module")
def scenario() -> ResolvedScenario:
    return load_scenario("prior")  # every assumption uncalibrated


@pytest.fixture(scope="module")
def params(scenario: ResolvedScenario) -> Scenario:
    return scenario.params


@pytest.fixture(scope="module")
def specs(params: Scenario) -> list[ParamSpec]:
    return assumption_parameters(params)


def test_every_assumption_with_a_range_and_nothing_else(scenario, specs):
    paths = {s.path for s in specs}
    assert "services.p_accept_pb" in paths
    assert "exits.hazard_residential_18_64" in paths  # dated
    assert "exits.hazard_community_65plus" not in paths  # derived (stationarity)
    assert "population.users_community" not in paths  # published source
    assert "demand.need_mix_assessed" not in paths  # categorical
    assert "reviews.offer_all_from" not in paths  # setting
    assert not any(p.startswith("run.") for p in paths)
    for s in specs:
        node = scenario.get(s.path)
        assert node.source.startswith("assumption:")
        assert (s.low, s.high) == tuple(node.range)
        assert s.dated == hasattr(node, "values")
        assert s.value == (1.0 if s.dated else node.value)


def test_dated_parameters_are_multipliers(specs):
    dated = [s for s in specs if s.dated]
    assert dated, "the baseline has dated assumptions"
    for s in dated:
        assert s.low <= 1.0 <= s.high
        assert s.scale.startswith("multiplier")


@pytest.mark.parametrize("method", ["sobol", "lhs"])
def test_draws_inside_ranges_and_reproducible(params, specs, method):
    x = draw(params, specs, 50, method, seed=7)
    assert x.shape == (50, len(specs))
    lo = np.array([s.low for s in specs])
    hi = np.array([s.high for s in specs])
    assert np.all(x >= lo) and np.all(x <= hi)
    assert np.array_equal(x, draw(params, specs, 50, method, seed=7))
    assert not np.array_equal(x, draw(params, specs, 50, method, seed=8))


def test_draw_defaults_to_every_assumption(params, specs):
    assert draw(params, None, 4, seed=1).shape == (4, len(specs))


def test_bad_draw_method(params, specs):
    with pytest.raises(InputError, match="sobol, lhs"):
        draw(params, specs, 4, "grid")


def _ks(spec: ParamSpec, cdf) -> float:
    u = (np.arange(4000) + 0.5) / 4000
    return stats.kstest(spec.ppf(np.random.default_rng(0).permutation(u)), cdf).statistic


def test_distributions():
    uni = ParamSpec("a", 2.0, 6.0, 3.0, "uniform")
    assert _ks(uni, stats.uniform(2.0, 4.0).cdf) < 0.01
    logu = ParamSpec("b", 1.0, 100.0, 10.0, "loguniform")
    assert _ks(logu, stats.loguniform(1.0, 100.0).cdf) < 0.01
    assert logu.ppf(np.array([0.5]))[0] == pytest.approx(10.0)
    tri = ParamSpec("c", 0.0, 10.0, 2.0, "triangular")
    assert _ks(tri, stats.triang(0.2, loc=0.0, scale=10.0).cdf) < 0.01
    # the mode is the current value: the density peaks there
    x = tri.ppf(np.linspace(0, 1, 20001))
    hist, edges = np.histogram(x, bins=20, range=(0, 10))
    assert edges[np.argmax(hist)] == pytest.approx(2.0)


def test_unit_extremes_map_to_range_ends(specs):
    x = to_values(specs, np.array([[0.0] * len(specs), [1.0] * len(specs)]))
    assert np.allclose(x[0], [s.low for s in specs])
    assert np.allclose(x[1], [s.high for s in specs])


def test_loguniform_needs_positive_range(scenario):
    changed = scenario.replace({"transformation.decay_per_year.distribution": "loguniform"},
                               source="test")  # range from 0
    with pytest.raises(InputError, match="loguniform"):
        assumption_parameters(changed.params)


def test_apply_values_scalar_and_dated(scenario, params):
    resolved = apply_values(scenario, {"services.p_accept_pb": 0.8,
                                       "exits.hazard_community_65plus": 1.2})
    assert isinstance(resolved, ResolvedScenario)
    assert resolved.provenance["services.p_accept_pb.value"] == "sensitivity sample"
    out = resolved.params
    assert out.services.p_accept_pb.value == 0.8
    assert out.services.p_accept_pb.source.startswith("sensitivity sample: 0.8")
    lo, hi = out.services.p_accept_pb.range
    assert lo <= 0.8 <= hi
    before = params.exits.hazard_community_65plus
    after = out.exits.hazard_community_65plus
    for d, v in before.values.items():
        assert after.values[d] == pytest.approx(1.2 * v)
    assert after.source.startswith("sensitivity sample: multiplier 1.2")
    # the multiplier range is now relative to the new values: the same absolute span
    assert after.range[0] * 1.2 == pytest.approx(before.range[0])
    assert after.range[1] * 1.2 == pytest.approx(before.range[1])
    # the original is untouched
    assert params.services.p_accept_pb.value == 0.6


def test_apply_every_draw_gives_valid_parameters(scenario, params, specs):
    x = draw(params, specs, 8, "lhs", seed=3)
    for row in x:
        out = apply_values(scenario, dict(zip([s.path for s in specs], row, strict=True)))
        Scenario.model_validate(out.to_dict())  # round-trips as a scenario


def test_apply_values_clips_rounding_into_range(scenario):
    out = apply_values(scenario, {"services.p_accept_pb": 0.85 + 1e-12})
    assert out.params.services.p_accept_pb.value == 0.85


def test_apply_values_unknown_path(scenario):
    with pytest.raises(KeyError, match="not a parameter"):
        apply_values(scenario, {"services.nope": 1.0})


def test_select_by_path_or_unique_suffix(specs):
    chosen = select(specs, ["p_accept_pb", "transformation.speed_per_year"])
    assert [s.path for s in chosen] == ["services.p_accept_pb", "transformation.speed_per_year"]
    assert select(specs, None) == specs


def test_select_unknown_name_lists_valid_names(specs):
    with pytest.raises(InputError) as err:
        select(specs, ["p_accept_pbb"])
    msg = str(err.value)
    assert "Did you mean services.p_accept_pb" in msg
    assert "Valid names:" in msg and "finance.pass_through" in msg
    with pytest.raises(InputError, match="matches 2 of them"):
        select(specs, ["utilisation_start"])  # assessment. and reviews.
