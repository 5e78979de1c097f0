"""Property (issue 20): whatever ``caresim check`` accepts, ``caresim run`` survives.

Hypothesis draws overrides of a few parameters of the baseline, each within its schema bounds
(endpoints included, tiny and huge values likely), writes them as a scenario file and loads it
as ``check`` does. When the scenario is accepted, one replication of one small council
(Rutland, two financial years, so that every start-of-year step runs with the drawn values)
must complete with every recorded value and every ledger line finite, and pass the
finite-outputs check that guards a run folder. Rejection is fine: that is exit status 2.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from caresim.errors import InputError
from caresim.params.schema import Scenario
from caresim.params.values import Categorical, Dated, Leaf
from caresim.scenario import bundled_dir, load_scenario

RUTLAND = "E06000017"
END = "2010-03-31"
"""Two financial years: the second applies inflation, growth and the levers."""


def _leaf_type(annotation: Any) -> type | None:
    for t in (annotation, *get_args(annotation)):
        if isinstance(t, type) and issubclass(t, Leaf | Categorical):
            return t
    return None


def _leaves(model: type[BaseModel], prefix: str = "") -> dict[str, type]:
    """Dotted path -> leaf class of every numeric or categorical parameter."""
    out: dict[str, type] = {}
    for name, field in model.model_fields.items():
        leaf = _leaf_type(field.annotation)
        if leaf is not None:
            out[f"{prefix}{name}"] = leaf
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out |= _leaves(field.annotation, f"{prefix}{name}.")
    return out


LEAVES = {path: t for path, t in _leaves(Scenario).items()
          if not path.startswith("targets.")}  # targets are scored, never simulated
OVERRIDES = {f"council_overrides.Rutland.{name}": t
             for name, t in _leaves(Scenario.model_fields["council_overrides"].annotation
                                    .__args__[1]).items()}


def _number(leaf: type) -> st.SearchStrategy[float]:
    """Values within the leaf's schema bounds, endpoints and extremes likely."""
    lo = -1e12 if leaf.lower is None else leaf.lower
    hi = 1e12 if leaf.upper is None else leaf.upper
    special = [x for x in (lo, hi, 0.0, 1.0, lo + 1e-9, hi * 0.999, 1e-300, 1e-6)
               if lo <= x <= hi and not (leaf.lower_open and x == lo)]
    inner = st.floats(lo, hi, exclude_min=leaf.lower_open, allow_nan=False,
                      allow_infinity=False)
    return st.one_of(st.sampled_from(special), inner)


def _mix(leaf: type) -> st.SearchStrategy[dict[str, float]]:
    weights = st.lists(st.sampled_from([0.0, 1e-9, 0.5, 1.0, 3.0]), min_size=len(leaf.categories),
                       max_size=len(leaf.categories)).filter(lambda w: sum(w) > 0)
    return weights.map(lambda w: dict(zip(leaf.categories, [x / sum(w) for x in w],
                                          strict=True)))


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    """A few parameter paths and their new value, value series or probabilities."""
    paths = draw(st.lists(st.sampled_from(sorted(LEAVES) + sorted(OVERRIDES)), min_size=1,
                          max_size=4, unique=True))
    out: dict[str, Any] = {}
    for path in paths:
        leaf = LEAVES.get(path) or OVERRIDES[path]
        if issubclass(leaf, Categorical):
            out[path] = {"probabilities": draw(_mix(leaf))}
        elif issubclass(leaf, Dated):
            out[path] = {"values": {dt.date(2008, 4, 1): draw(_number(leaf)),
                                    dt.date(2009, 4, 1): draw(_number(leaf))}}
        else:
            out[path] = {"value": draw(_number(leaf))}
        out[path] |= {"unit": "probability" if issubclass(leaf, Categorical)
                      else leaf.unit_expected, "source": "test: drawn by hypothesis"}
    return out


def _scenario_text(changes: dict[str, Any], seed: int) -> str:
    data: dict[str, Any] = {"extends": str(bundled_dir() / "baseline.yaml"), "name": "drawn",
                            "run": {"end_date": dt.date.fromisoformat(END), "seed": seed}}
    for path, leaf in changes.items():
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = leaf
    return yaml.safe_dump(data, sort_keys=False)


def _accepted(text: str) -> Scenario | None:
    """The parameters if ``check`` accepts the scenario, else None (exit status 2)."""
    from caresim.app.common import resolve_councils

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drawn.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            scenario, _ = resolve_councils(load_scenario(path), [RUTLAND])
        except InputError:
            return None
    return scenario.params


@pytest.mark.slow  # 30 runs of one council: about 60 s alone, minutes on a loaded machine
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(changes=overrides(), seed=st.integers(0, 2**63 - 1))
def test_check_acceptance_implies_a_finite_run(changes: dict[str, Any], seed: int) -> None:
    from caresim.finite import check_finite
    from caresim.model.model import run_replication
    from caresim.results import fy_table, ledger_table, monthly_table

    params = _accepted(_scenario_text(changes, seed))
    event("refused by check (exit 2)" if params is None else "accepted by check, then run")
    if params is None:
        return
    res = run_replication(params, [RUTLAND], 0)
    assert np.isfinite(res.monthly).all(), [
        name for name, j in _recorded().items() if not np.isfinite(res.monthly[:, :, j]).all()]
    for row in res.ledger:
        for line, values in row.items():
            if line != "fy":
                assert all(math.isfinite(v) for v in values), (row["fy"], line, values)
    check_finite(ledger_table(res, "drawn", 0), monthly_table(res, "drawn", 0),
                 fy_table(res, "drawn", 0))


def _recorded() -> dict[str, int]:
    from caresim.recording import INDEX

    return dict(INDEX)
