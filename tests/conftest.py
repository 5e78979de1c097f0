"""Shared fixtures: small cached model runs for the functional and validation tiers."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from caresim.councils import select_councils
from caresim.model.model import ReplicationResult, run_replication
from caresim.params.schema import Scenario
from caresim.scenario import bundled_dir, load_scenario

SMALL_COUNCILS = ("Rutland", "Hartlepool", "Isles of Scilly", "Darlington", "Torbay", "Halton")
"""Small councils: fast runs that still exercise every process."""


def params_with(scenario: str, **changes) -> Scenario:
    """A bundled scenario's parameters with dotted-path changes applied to a copy
    (:meth:`caresim.scenario.ResolvedScenario.replace`).

    Setting a leaf's ``value``/``values`` also marks its source as a test override and drops
    its sensitivity range, as a scenario that overrides a parameter would.
    """
    base = load_scenario(scenario)
    edits = dict(changes)
    for path in changes:
        leaf, _, last = path.rpartition(".")
        if last in ("value", "values"):
            edits[f"{leaf}.source"] = f"test override of {path}"
            if hasattr(base.get(leaf), "range"):
                edits[f"{leaf}.range"] = None
    return base.replace(edits, source="test").params


def scenario_until(folder: Path, end_date: str, extends: str = "baseline",
                   name: str | None = None, **run: object) -> Path:
    """A scenario file ``folder/<name>.yaml``: the bundled scenario ``extends`` (named ``name``,
    by default the same name) run only to ``end_date``, for tests whose claim does not concern
    the years after it, with any other run settings given (e.g. ``councils=["Rutland"]``).
    The model is causal (``test_sensitivity`` checks that nothing before a date depends on
    where the run ends), so its history to ``end_date`` is the full run's."""
    name = name or extends
    path = Path(folder) / f"{name}.yaml"
    settings = "".join(f", {k}: [{', '.join(map(str, v))}]" if isinstance(v, list | tuple)
                       else f", {k}: {v}" for k, v in run.items())
    path.write_text(f"extends: {bundled_dir() / (extends + '.yaml')}\nname: {name}\n"
                    f"run: {{end_date: {end_date}{settings}}}\n", encoding="utf-8")
    return path


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


def fail_task(monkeypatch: pytest.MonkeyPatch, failing: int = 1) -> Callable:
    """Make task ``failing`` of a run raise "injected failure in task N"; return the real
    ``runner.run_task`` so a test can put it back (for a resume)."""
    import caresim.runner as runner

    real = runner.run_task

    def flaky(index, task):
        if index == failing:
            raise RuntimeError(f"injected failure in task {failing}")
        return real(index, task)

    monkeypatch.setattr(runner, "run_task", flaky)
    return real


NO_RATIONING = {
    "finance.rationing.deflection_max_share.values": {dt.date(2008, 4, 1): 0.0},
    "finance.rationing.covert_max_band_share.value": 0.0,
    "finance.rationing.reassessment_max_share_of_reviews.value": 0.0,
    "finance.rationing.allocation_factor_min.value": 1.0,
}
"""Rationing off (as in ``steady``), for analytic and oracle checks that assume the published
threshold and every request assessed. The per-person reference (tests/validation/test_oracle.py)
has no in-year rationing (issue 15), so both models run without it; its arithmetic is checked
by hand in ``tests/functional/test_budgets.py``. With it on, the twelve-year comparison finds
the engine's waits of 2018-20 shorter than the reference's (z = -4.4), as it should: deflection
cuts the requests for assessment."""


class HeldResults:
    """A spy on :func:`caresim.runner.run_task` (serial runs) that counts, as each task's
    result is made, how many of the results made before it are still held anywhere (weak
    references, after a garbage collection): a study that reduces each result as it comes holds
    at most the last one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from caresim import runner

        self.made: list[weakref.ref] = []
        self.most: list[int] = []  # per result made: the results held, this one included
        run_task = runner.run_task

        def spy(index: int, task: runner.Task) -> runner.TaskResult:
            result = run_task(index, task)
            gc.collect()
            self.most.append(self.held() + 1)
            self.made.append(weakref.ref(result))
            return result

        monkeypatch.setattr(runner, "run_task", spy)

    def held(self) -> int:
        """How many of the results made are still held somewhere."""
        gc.collect()
        return sum(ref() is not None for ref in self.made)


def keep_results(monkeypatch: pytest.MonkeyPatch) -> list:
    """A spy on :func:`caresim.runner.run_task` (serial runs) that keeps every task's result,
    in the order made, in the list it returns: the whole tables, to check a reduction
    against."""
    from caresim import runner

    kept: list[runner.TaskResult] = []
    run_task = runner.run_task

    def keep(index: int, task: runner.Task) -> runner.TaskResult:
        kept.append(run_task(index, task))
        return kept[-1]

    monkeypatch.setattr(runner, "run_task", keep)
    return kept

