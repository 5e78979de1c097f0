"""What a run can survive, across parameters: the horizon, austerity, and the load a run holds.

Per-unit and per-parameter limits are in :mod:`caresim.params.bounds`. These limits involve
several parameters at once, so they are checked on the validated scenario
(:func:`check_survivable`, which ``caresim check`` and ``caresim run`` both call):

* the horizon: ``run.end_date`` at most :data:`MAX_YEARS` years after ``run.start_date``;
* austerity: ``1 + pass_through x austerity_multiplier x LG change`` stays positive (a council's
  budget cannot fall by more than all of it in a year);
* the people in service at the start, over all 152 councils, at most
  :data:`MAX_PEOPLE` (the unit limit of ``people``);
* the contacts of the busiest year of the run (``contacts_per_year`` x the growth index of
  ``demand.growth_per_year``), at most :data:`MAX_CONTACTS`;
* the parallel assessment and review slots of any council at the start (the model's own
  staffing rule, with assessment slots scaled by the growth of contacts), at most
  :data:`MAX_SLOTS`: each queue holds a time for every slot of every council.

The loads are computed with the model's own functions (:func:`caresim.model.initial.initial_staff`,
:func:`caresim.model.demand.growth_index` and the slot rules), so the limits cannot drift from
what a run does.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np

from caresim.params.bounds import UNIT_LIMITS, check_parameter_limits
from caresim.params.schema import Scenario

MAX_YEARS = 42
"""Longest run in years (2008-2050): a run keeps every month's results in memory and takes
about 8 seconds a year for all England on one core."""
MAX_PEOPLE = UNIT_LIMITS["people"].upper
"""Most people in council-funded care at the start of a run, over all councils."""
MAX_CONTACTS = UNIT_LIMITS["contacts/year"].upper
"""Most contacts a year, nationally, in the busiest year of a run."""
MAX_SLOTS = 100_000
"""Most parallel assessment (or review) slots in one council: about 40 times the largest council's
in 2008; every queue holds a time for each slot of each council."""


class Unsurvivable(ValueError):
    """A scenario a run cannot survive.

    Parameters
    ----------
    key : str
        Dotted key path of the parameter to change.
    expected, found : str
        What a run can take, and what the scenario gives.
    """

    def __init__(self, key: str, expected: str, found: str) -> None:
        self.key, self.expected, self.found = key, expected, found
        super().__init__(f"{key}: expected {expected}; found {found}")


def check_survivable(params: Scenario) -> None:
    """Raise :class:`Unsurvivable` for the first limit the scenario breaks.

    Parameters
    ----------
    params : Scenario
        Validated parameters.
    """
    hit = check_parameter_limits(params.model_dump(mode="json"))
    if hit:
        raise Unsurvivable(*hit)
    _check_horizon(params)
    _check_austerity(params)
    _check_loads(params)


def _check_horizon(params: Scenario) -> None:
    run = params.run
    try:
        latest = run.start_date.replace(year=run.start_date.year + MAX_YEARS) \
            - dt.timedelta(days=1)
    except ValueError:  # beyond year 9999
        latest = dt.date.max
    if run.end_date > latest:
        raise Unsurvivable("run.end_date", f"a date at most {MAX_YEARS} years after start_date "
                           f"({latest}; a run holds every month in memory and takes about 8 "
                           "seconds a year for all England)", str(run.end_date))


def _check_austerity(params: Scenario) -> None:
    f = params.finance
    start = f.austerity_from.value
    if start is None:
        return
    dates = list(f.lg_funding_real_change_per_year.values)
    m = f.austerity_multiplier.value
    for i, (date, lg) in enumerate(f.lg_funding_real_change_per_year.values.items()):
        later = dates[i + 1] if i + 1 < len(dates) else None
        if lg < 0 and (later is None or later > start):
            factor = 1 + f.pass_through.value * lg * m
            if not factor > 0:
                raise Unsurvivable(
                    "finance.austerity_multiplier.value",
                    "a multiplier that keeps 1 + pass_through x multiplier x LG change positive "
                    "(a budget cannot fall by more than all of it in a year)",
                    f"{m:g}, which with the LG change of {lg:g} from {date} and pass_through "
                    f"{f.pass_through.value:g} gives {factor:g}")


def _check_loads(params: Scenario) -> None:
    import caresim.model.model  # noqa: F401 - loads the process modules in their own order
    from caresim.calendar import Calendar
    from caresim.councils import load_councils, resolve_council
    from caresim.errors import CouncilError
    from caresim.model import assessment, demand, initial, reviews
    from caresim.model.inputs import derive_inputs

    codes = load_councils()["code"].tolist()
    overrides = {}
    for key, value in params.council_overrides.items():
        try:
            overrides[resolve_council(key)] = value
        except CouncilError:  # reported with its file by caresim.api.resolve_councils
            continue
    inputs = derive_inputs(params.model_copy(update={"council_overrides": overrides}), codes)
    people = float(inputs.users_community.sum() + inputs.users_residential.sum())
    if not people <= MAX_PEOPLE:
        raise Unsurvivable("population.users_community.value",
                           f"at most {MAX_PEOPLE:,.0f} people in service at the start over all "
                           f"councils ({UNIT_LIMITS['people'].reason})",
                           f"{people:,.0f} (community and residential, with council_overrides)")

    calendar = Calendar(params.run.start_date, params.run.end_date)
    growth = SimpleNamespace(p=params, cal=calendar, demand=demand.DemandState())
    months = len(calendar.month_ends())
    with np.errstate(all="ignore"):
        peak_growth = max(demand.growth_index(growth, m) for m in range(months))
        contacts = params.demand.contacts_per_year.value * peak_growth
    if not contacts <= MAX_CONTACTS:
        by_growth = params.demand.contacts_per_year.value <= MAX_CONTACTS
        raise Unsurvivable("demand.growth_per_year.values" if by_growth
                           else "demand.contacts_per_year.value",
                           f"at most {MAX_CONTACTS:,.0f} contacts a year in the busiest year of "
                           f"the run ({UNIT_LIMITS['contacts/year'].reason})",
                           f"{contacts:,.0f} ({params.demand.contacts_per_year.value:,.0f} a year "
                           f"grown by demand.growth_per_year)")

    with np.errstate(all="ignore"):
        start_inputs, steady = initial.steady_start(params, inputs, params.run.start_date)
        state = SimpleNamespace(p=params, inp=start_inputs, threshold=inputs.threshold,
                                flows=steady)
        a_fte, r_fte, _ = initial.initial_staff(state)
    for section, fte, servers, scale in (("assessment", a_fte, assessment.servers_for,
                                          peak_growth),
                                         ("reviews", r_fte, reviews.review_servers, 1.0)):
        bad = np.flatnonzero(~np.isfinite(fte) | (fte > 1e12))
        slots = np.zeros(len(fte)) if len(bad) else servers(state, fte) * scale
        worst = int(bad[0]) if len(bad) else int(np.argmax(slots))
        if len(bad) or slots[worst] > MAX_SLOTS:
            found = ("staff numbers that do not stay finite" if len(bad)
                     else f"{slots[worst]:,.0f} slots")
            raise Unsurvivable(
                section, f"at most {MAX_SLOTS:,} parallel {section} slots in any council (each "
                "queue holds a time for every slot of every council)",
                f"{found} in {inputs.names[worst]} from this section's staffing, duration and "
                "utilisation" + (" and the growth of contacts" if scale != 1.0 else ""))
