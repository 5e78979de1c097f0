"""Derive the flows that keep the published stocks on a date stationary (issue 14).

The counts of people in service by age band and setting are published on one date only
(``population.users_community``, ``users_residential`` and the 65+ shares). With every other
flow at its sourced value, this script finds the exit hazards of community users (18-64, 65+)
and of care-home residents 65+, and the ratio of care-home placement of people 18-64 to that of
people 65+ (``flows.residential_ratio_18_64``), such that the flows' steady state
(:mod:`caresim.model.flows`, all 152 councils, parameters of 1 April 2008) has those stocks.
The hazard of care-home residents 18-64 stays the assumption it is (long stays of younger
adults with learning disabilities), so the four stocks fix four unknowns.

Usage: ``python scripts/derive_flows.py [scenario]`` (default ``baseline``); prints the values to
write into ``prior.yaml`` and a check of the derived residential 65+ hazard against published
lengths of stay. The iteration is deterministic: ``x <- x * (model / target)`` for a hazard,
``x <- x * target / model`` for the ratio, until every stock is within 1e-9 relative.
"""

from __future__ import annotations

import sys

import numpy as np

from caresim.councils import load_councils
from caresim.model.initial import steady_start
from caresim.model.inputs import derive_inputs
from caresim.model.population import COMMUNITY, RESIDENTIAL
from caresim.scenario import load_scenario

HAZARDS = {(0, COMMUNITY): "exits.hazard_community_18_64",
           (1, COMMUNITY): "exits.hazard_community_65plus",
           (1, RESIDENTIAL): "exits.hazard_residential_65plus"}
RATIO = "flows.residential_ratio_18_64"


def targets(p) -> np.ndarray:
    """Published stocks ``[age band, setting]`` on a date."""
    pp = p.population
    out = np.empty((2, 2))
    for setting, total, share65 in (
            (COMMUNITY, pp.users_community.value, pp.share_65plus_community_default.value),
            (RESIDENTIAL, pp.users_residential.value, pp.share_65plus_residential_default.value)):
        out[1, setting] = total * share65
        out[0, setting] = total * (1 - share65)
    return out


def stocks(sc) -> np.ndarray:
    """National steady-state stocks ``[age band, setting]`` of a scenario."""
    p = sc.params
    codes = load_councils()["code"].tolist()
    _, steady = steady_start(p, derive_inputs(p, codes), p.run.start_date)
    return steady.in_service.sum(axis=(0, 3))


def derive(name: str, steps: int = 200) -> dict[str, float]:
    """The derived values (hazards per year, ratio)."""
    sc = load_scenario(name)
    goal = targets(sc.params)
    start = sc.params.run.start_date
    values = {path: _get(sc, path).at(start) for path in HAZARDS.values()}
    values[RATIO] = sc.params.flows.residential_ratio_18_64.value
    for _ in range(steps):
        now = stocks(sc)
        rel = now / goal
        if np.all(np.abs(rel - 1) < 1e-9):
            break
        for (age, setting), path in HAZARDS.items():
            values[path] *= rel[age, setting]
        values[RATIO] /= rel[0, RESIDENTIAL]
        sc = sc.replace({**{f"{p}.values": {start.isoformat(): v} for p, v in values.items()
                            if p != RATIO}, f"{RATIO}.value": values[RATIO]},
                        source="derive_flows")
    return values


def _get(sc, path: str):
    node = sc.params
    for key in path.split("."):
        node = getattr(node, key)
    return node


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "baseline"
    values = derive(name)
    for path, v in values.items():
        print(f"{path}: {v:.6g}")
    h = values["exits.hazard_residential_65plus"]
    print(f"mean stay implied for residents 65+: {1 / h:.2f} years (published: Bupa 2008-10 "
          f"mean 801 days = 2.19 years; PSSRU 1995-96 30 months = 2.5 years)")


if __name__ == "__main__":
    main()
