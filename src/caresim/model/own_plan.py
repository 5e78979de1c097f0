"""A finance director's own plan for one council (part of process 8, finance): a dated net budget
path and planned savings by lever and year, given under ``council_overrides.<council>``.

**Budget path** (``net_budget_gbp``): ``{unit: GBP/year, source: ..., years: {"2011-12":
3.1e8, ...}}``, consecutive financial years; in each year it gives, the council's net budget
set on 1 April is the path's, in place of the modelled budget, and the modelled budget of a
later year grows from it by the budget rule (:mod:`caresim.model.finance`).

**Planned savings** (``planned_savings_gbp``): ``{unit: GBP, source: ..., years: {"2011-12":
{procurement: 4.0e6, staff_cuts: 1.5e6}, ...}}``. In a year with a plan, each lever is planned
at the council's own figure, up to what the lever can deliver that year (its cap; see
:mod:`caresim.model.levers`), and a lever the plan does not name is not used: the plan replaces
the model's allocation for that council and year. The ledger shows each lever's planned line
(``planned_<lever>_gbp``) beside what it delivered (``savings_<lever>_gbp``), and
``plan_beyond_caps_gbp``, the part of the plan beyond the levers' caps.

Bad input (an unknown lever, a negative or huge sum, a budget path with a gap, a year outside
the run) is refused when the scenario is loaded, naming the key.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator

from caresim.calendar import fy_start
from caresim.params.section import GBP, GBPPerYear
from caresim.params.values import NonEmpty, freeze
from caresim.params.vocabulary import LEVERS

if TYPE_CHECKING:
    from caresim.params.schema import Scenario

_FY = re.compile(r"(\d{4})-(\d{2})")


def _year(label: object) -> str:
    """A financial year label like ``2011-12`` (the second year following the first)."""
    text = str(label)
    m = _FY.fullmatch(text)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"expected financial years like 2011-12 as keys; found '{text}'")
    return text


def _money(kind: type, x: object, where: str) -> float:
    """``x`` checked as money of ``kind`` (non-negative, below the survivable limit), the
    message saying ``where`` it was found."""
    try:
        return kind._check_number(x)
    except ValueError as exc:
        expected, _, found = str(exc).partition("; found ")
        raise ValueError(f"{expected} for {where}; found {found}") from None


def _next(label: str) -> str:
    start = int(label[:4]) + 1
    return f"{start}-{(start + 1) % 100:02d}"


class _OwnFigures(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: NonEmpty
    unit: str

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        expected = cls.model_fields["unit"].default
        if v != expected:
            raise ValueError(f"expected unit '{expected}'; found '{v}'")
        return v


class NetBudgetPath(_OwnFigures):
    """A council's own net budget (GBP/year) for consecutive financial years."""

    unit: str = "GBP/year"
    years: dict[str, float]

    @field_validator("years", mode="before")
    @classmethod
    def _years(cls, v: object) -> dict[str, float]:
        if not isinstance(v, dict) or not v:
            raise ValueError(f"expected a mapping of financial years to budgets; found {v!r}")
        out = {_year(k): _money(GBPPerYear, x, f"the budget of {_year(k)}")
               for k, x in v.items()}
        labels = sorted(out)
        for a, b in itertools.pairwise(labels):
            if b != _next(a):
                raise ValueError(f"expected consecutive financial years (a budget path with no "
                                 f"gap); found {a} then {b}, without {_next(a)}")
        return freeze(dict(sorted(out.items())))


class PlannedSavings(_OwnFigures):
    """A council's own planned cashable savings (GBP) by financial year and lever."""

    unit: str = "GBP"
    years: dict[str, dict[str, float]]

    @field_validator("years", mode="before")
    @classmethod
    def _years(cls, v: object) -> dict[str, dict[str, float]]:
        if not isinstance(v, dict) or not v:
            raise ValueError("expected a mapping of financial years to savings by lever; "
                             f"found {v!r}")
        out: dict[str, dict[str, float]] = {}
        for k, levers in v.items():
            year = _year(k)
            if not isinstance(levers, dict) or not levers:
                raise ValueError(f"expected for {year} a mapping of levers ({', '.join(LEVERS)})"
                                 f" to GBP; found {levers!r}")
            for lever in levers:
                if lever not in LEVERS:
                    raise ValueError(f"expected a lever ({', '.join(LEVERS)}) under {year}; "
                                     f"found '{lever}'")
            out[year] = {lever: _money(GBP, x, f"{lever} in {year}")
                         for lever, x in levers.items()}
        return freeze(dict(sorted(out.items())))


def horizon_problem(params: Scenario) -> tuple[str, str, str] | None:
    """The first year of a council's own plan outside the run, as ``(key, expected, found)``;
    None when every year starts inside the run (from ``run.start_date`` to ``run.end_date``)."""
    start, end = params.run.start_date, params.run.end_date
    for council, o in params.council_overrides.items():
        for name in ("net_budget_gbp", "planned_savings_gbp"):
            figures = getattr(o, name)
            if figures is None:
                continue
            for year in figures.years:
                if not start <= fy_start(year) <= end:
                    return (f"council_overrides.{council}.{name}.years",
                            f"financial years that start inside the run ({start} to {end})",
                            f"'{year}', starting {fy_start(year)}")
    return None


def budget_paths(params: Scenario, codes: list[str]) -> dict[str, np.ndarray]:
    """Each financial year's own budgets over ``codes`` (GBP/year; NaN for a council without
    one that year), for the years any council gives."""
    out: dict[str, np.ndarray] = {}
    for i, code in enumerate(codes):
        o = params.council_overrides.get(code)
        if o is None or o.net_budget_gbp is None:
            continue
        for year, x in o.net_budget_gbp.years.items():
            out.setdefault(year, np.full(len(codes), np.nan))[i] = x
    return out


def planned_savings(params: Scenario, codes: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """Each financial year's own planned savings by lever over ``codes`` (GBP; NaN for every
    lever of a council without a plan that year, 0 for a lever its plan does not name)."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for i, code in enumerate(codes):
        o = params.council_overrides.get(code)
        if o is None or o.planned_savings_gbp is None:
            continue
        for year, levers in o.planned_savings_gbp.years.items():
            plan = out.setdefault(year, {lv: np.full(len(codes), np.nan) for lv in LEVERS})
            for lever in LEVERS:
                plan[lever][i] = levers.get(lever, 0.0)
    return out


def own_budget(path: dict[str, np.ndarray], year: str, modelled: np.ndarray) -> np.ndarray:
    """The budget set for ``year``: a council's own where its path gives one, else the
    modelled."""
    own = path.get(year)
    return modelled if own is None else np.where(np.isnan(own), modelled, own)

