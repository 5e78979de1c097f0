"""Shared fixtures: small cached model runs for the functional and validation tiers."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from caresim.councils import select_councils
from caresim.model.model import ReplicationResult, run_replication
from caresim.params.schema import Scenario
from caresim.scenario import load_scenario

SMALL_COUNCILS = ("Rutland", "Hartlepool", "Isles of Scilly", "Darlington", "Torbay", "Halton")
"""Small councils: fast runs that still exercise every process."""


def params_with(scenario: str, **changes) -> Scenario:
    """A bundled scenario's parameters with dotted-path changes applied to a copy.

    Setting a leaf's ``value``/``values`` also marks its source as a test override and drops
    its sensitivity range, as a scenario that overrides a parameter would.
    """
    data = load_scenario(scenario).params.model_dump(mode="json")
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node[key]
        node[last] = value
        if last in ("value", "values"):
            node["source"] = f"test override of {path}"
            node.pop("range", None)
    return Scenario.model_validate(data)


@functools.cache
def _run(data_json: str, councils: tuple[str, ...], replication: int) -> ReplicationResult:
    params = Scenario.model_validate(json.loads(data_json))
    return run_replication(params, select_councils(list(councils)), replication)


def run(params: Scenario, councils: tuple[str, ...] = SMALL_COUNCILS,
        replication: int = 0) -> ReplicationResult:
    """Run (once per session for the same inputs) one replication."""
    return _run(json.dumps(params.model_dump(mode="json"), sort_keys=True), councils,
                replication)


@pytest.fixture(scope="session")
def baseline_params() -> Scenario:
    return load_scenario("baseline").params


def national(res: ReplicationResult, name: str) -> np.ndarray:
    """Monthly national series of a recorded metric."""
    from caresim.recording import INDEX

    return res.monthly[:, :, INDEX[name]].sum(axis=1)
