"""Demography (with process 1): the population by age band grows, apart from any drift.

The number of adults of each age band in every council grows at the dated national rate of
the band (``demography.growth_18_64_per_year``, ``growth_65plus_per_year``), compounded monthly
from April 2008 (index 1 then). Per-council rates by age band are not in the council data, so
every council takes the national rate (an assumption, marked so in the scenario). Contacts of
each age band follow their band's index (:mod:`caresim.model.demand`): the rate of contacts is
``demand.contacts_per_year`` x the council's demand share x the contact growth index
(``demand.growth_per_year``: contacts per head) x ``(1 - s) I_18_64 + s I_65plus`` with ``s`` =
``demand.share_65plus``, and a contact is from a person 65+ with probability
``s I_65plus / ((1 - s) I_18_64 + s I_65plus)``. Placements and exits follow, since everyone in
service came through contact; the flows' steady state (:mod:`caresim.model.flows`) is that of
April 2008, before any growth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from caresim.params.section import DatedRate, Section

if TYPE_CHECKING:
    from caresim.model.state import ModelState

MONTH_FRACTION_OF_YEAR = 1.0 / 12.0


class Demography(Section):
    """Growth of the adult population by age band (national rates, 1/year, dated)."""

    growth_18_64_per_year: DatedRate  # type: ignore[valid-type]
    growth_65plus_per_year: DatedRate  # type: ignore[valid-type]


@dataclass
class DemographyState:
    """Population index by age band and month since April 2008 (1 at the start), as computed:
    ``by_month[m] = (I_18_64, I_65plus)``."""

    by_month: list[tuple[float, float]] = field(default_factory=lambda: [(1.0, 1.0)])


def index(s: ModelState, months_elapsed: int) -> tuple[float, float]:
    """Population index (18-64, 65+) at the start of month ``months_elapsed`` (1 in April
    2008), compounding each band's dated annual growth monthly."""
    cache = s.demography.by_month
    if len(cache) <= months_elapsed:
        starts = s.cal.month_starts()
        young, old = cache[-1]
        g = s.p.demography
        for m in range(len(cache) - 1, months_elapsed):
            young *= (1.0 + g.growth_18_64_per_year.at(starts[m])) ** MONTH_FRACTION_OF_YEAR
            old *= (1.0 + g.growth_65plus_per_year.at(starts[m])) ** MONTH_FRACTION_OF_YEAR
            cache.append((young, old))
    return cache[months_elapsed]


def contact_mix(share_65plus: float, young: float, old: float) -> tuple[float, float]:
    """Contacts relative to April 2008 and the share of them from people 65+, given the
    April 2008 share ``share_65plus`` and the population indices of the two bands."""
    total = (1.0 - share_65plus) * young + share_65plus * old
    return total, share_65plus * old / total
