"""The building blocks of a parameter section: the base class and the typed leaves by unit.

Each process module declares its own section (a :class:`Section` subclass) from these types;
:mod:`caresim.params.schema` assembles the scenario from the sections.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from caresim.params.values import categorical, dated, positive, probability, share
from caresim.params.vocabulary import EXIT_CAUSES, NEED_BANDS

Probability = probability()
Fraction = share()
NeedMix = categorical(*NEED_BANDS)
ThresholdMix = categorical(*NEED_BANDS)
ExitCauseMix = categorical(*EXIT_CAUSES)
GBP = positive("GBP")
GBPPerYear = positive("GBP/year")
Days = positive("days")
PerYear = positive("1/year")
DatedGBPPerYear = dated("GBP/year", 0.0, None, "a non-negative number")
DatedFraction = dated("fraction", 0.0, 1.0, "a fraction")
DatedRate = dated("1/year", -1.0, 1.0, "a rate per year above -1", lower_open=True)
DatedHazard = dated("1/year", 0.0, None, "a positive hazard per year (with none, people never "
                    "leave and the flows have no steady state to start from)", lower_open=True)


class Section(BaseModel):
    """A group of parameters; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)
