"""Contact (process 1): requests for support arrive, about half are resolved at first contact.

Contacts from new clients arrive as a Poisson process in each council at rate
``demand.contacts_per_year`` x the council's demand share (``inputs.py``) x the growth index of
contacts per head (``demand.growth_per_year`` compounded monthly from April 2008) x the
population index of the age bands (:mod:`caresim.model.demography`). A share
``p_resolved_at_contact`` is resolved there (information, advice, signposting) and counted in
aggregate; of the rest a share ``p_assessment_after_referral`` goes on to a full assessment and
the others are met without one (equipment, short-term help; counted in aggregate as
``met_without_assessment``). Those to be assessed join the assessment queue at their arrival
times with an age band (65+ with probability ``demand.share_65plus`` in April 2008, moving with
the population of each band) and a need band drawn from
``demand.need_mix_assessed``. People coming back (unmet need that deteriorated, reablement
relapses) join the same queue at their return times."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.model.demography import contact_mix
from caresim.model.parts import Metric
from caresim.model.sorting import group_time_order, searchsorted_right
from caresim.model.state import ModelState
from caresim.params.section import DatedRate, Fraction, NeedMix, Probability, Section
from caresim.params.values import categorical, positive


class Demand(Section):
    """Contacts, resolution at first contact and needs of those assessed (process 1)."""

    contacts_per_year: positive("contacts/year")  # type: ignore[valid-type]
    growth_per_year: DatedRate  # type: ignore[valid-type]
    p_resolved_at_contact: Probability  # type: ignore[valid-type]
    p_assessment_after_referral: Probability  # type: ignore[valid-type]
    share_65plus: Fraction  # type: ignore[valid-type]
    need_mix_assessed: NeedMix  # type: ignore[valid-type]
    share_weights: categorical("population", "assessments_65plus")  # type: ignore[valid-type]

MONTH_FRACTION_OF_YEAR = 1.0 / 12.0


METRICS: tuple[Metric, ...] = (
    Metric("new_requests", "contacts", "flow", "contacts from new clients"),
    Metric("resolved_at_contact", "contacts", "flow", "contacts resolved at first contact"),
    Metric(
        "met_without_assessment",
        "contacts",
        "flow",
        "referred on but met without a full assessment (equipment, short-term help)",
    ),
)
"""Contacts and how they are resolved."""


@dataclass
class DemandState:
    """The demand growth index by month since April 2008 (1 at the start), as computed."""

    growth_by_month: list[float] = field(default_factory=lambda: [1.0])


def growth_index(s: ModelState, months_elapsed: int) -> float:
    """Demand growth index (1 in April 2008), compounding the dated annual growth monthly.

    The running product is kept in ``s.demand.growth_by_month`` (the same multiplications in the
    same order each time, so the same value), extended as months are asked for.
    """
    cache = s.demand.growth_by_month
    if len(cache) <= months_elapsed:
        starts = s.cal.month_starts()
        idx = cache[-1]
        for m in range(len(cache) - 1, months_elapsed):
            idx *= (1.0 + s.p.demand.growth_per_year.at(starts[m])) ** MONTH_FRACTION_OF_YEAR
            cache.append(idx)
    return cache[months_elapsed]


def arrivals(s: ModelState, t0: float, t1: float, growth: float,
             population: tuple[float, float] = (1.0, 1.0)) -> dict[str, np.ndarray]:
    """New assessment requests in ``[t0, t1)`` days, sorted by council then time.

    ``growth`` is the contact growth index; ``population`` the population index of each age
    band (18-64, 65+; :mod:`caresim.model.demography`).

    Returns
    -------
    dict
        Columns ``t`` (days), ``council``, ``age``, ``need``.
    """
    d = s.p.demand
    people, share_65plus = contact_mix(d.share_65plus.value, *population)
    rate = (d.contacts_per_year.value * growth * people * s.inp.demand_share * (t1 - t0)
            / DAYS_PER_YEAR)
    counts = np.array([s.streams.get(c, "demand.contacts").poisson(rate[c]) for c in range(s.n)])
    resolved = np.array([s.streams.get(c, "demand.resolved").binomial(counts[c],
                         d.p_resolved_at_contact.value) for c in range(s.n)])
    onward = counts - resolved
    assessed = np.array([s.streams.get(c, "demand.assessed").binomial(
        onward[c], d.p_assessment_after_referral.value) for c in range(s.n)])
    s.rec.add("new_requests", counts.astype(float))
    s.rec.add("resolved_at_contact", resolved.astype(float))
    s.rec.add("met_without_assessment", (onward - assessed).astype(float))
    k = assessed
    council = np.repeat(np.arange(s.n, dtype=np.int32), k)
    u = s.draw("demand.arrival", council, lambda g, m: g.random((m, 3)))
    t = t0 + u[:, 0] * (t1 - t0)
    age = (u[:, 1] < share_65plus).astype(np.int8)
    need = searchsorted_right(np.cumsum(d.need_mix_assessed.vector()),
                              u[:, 2]).clip(0, 3).astype(np.int8)
    order = group_time_order(council, t)  # np.lexsort((t, council)), faster
    return {"t": t[order], "council": council[order], "age": age[order], "need": need[order]}
