"""The scenario schema: every parameter of the model, typed, with its unit.

A scenario file is YAML whose structure mirrors :class:`Scenario`. Each section groups the
parameters of one process family and is declared by the process module that owns it
(``caresim.model.<process>``); this module only assembles them, with the run settings, the
targets and the council overrides. Leaf values are sourced
:mod:`caresim.params.values` types. Unknown keys are errors; the loader in
:mod:`caresim.scenario` turns validation errors into messages naming the file and key.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from caresim.model.assessment import Assessment
from caresim.model.demand import Demand
from caresim.model.demography import Demography
from caresim.model.exits import Exits
from caresim.model.finance import Finance
from caresim.model.flows import Flows
from caresim.model.grant import Grant
from caresim.model.initial import Population
from caresim.model.own_plan import NetBudgetPath, PlannedSavings
from caresim.model.personal_budgets import PersonalBudgets
from caresim.model.prevention import Reablement
from caresim.model.reviews import Reviews
from caresim.model.services import Services
from caresim.model.transformation import Transformation
from caresim.params.section import GBP, DatedFraction, Fraction, GBPPerYear, Section
from caresim.params.values import FolderName, FrozenDict, Quantity, Setting, one_of, positive
from caresim.params.vocabulary import NEED_BANDS
from caresim.period import PeriodError, parse_period


class RunSettings(Section):
    """What is run: dates, seed, replications, councils. Not model parameters."""

    start_date: dt.date = dt.date(2008, 4, 1)
    end_date: dt.date = dt.date(2020, 3, 31)
    seed: int = Field(default=20080401, ge=0)
    replications: int = Field(default=2, ge=1, le=10_000)
    """All England: the cap of ``caresim run``'s default, which adds replications until the
    headline measures reach ``precision`` and ``share_precision`` and stops here if they have
    not; and the replications of compare, validate, calibrate and of a run under
    ``--parameter-uncertainty`` (a fixed number)."""
    council_replications: int | Literal["auto"] = 20
    """Selected councils: the cap of ``caresim run``'s default, as ``replications`` is for all
    England; ``auto`` caps it at ``max_replications``."""
    min_replications: int = Field(default=3, ge=2, le=10_000)
    """The fewest replications a precision-driven run (the default, or ``--replications auto``)
    makes before it checks the precision, unless its cap is lower: at least two, so every
    default result has an interval."""
    precision: float = Field(default=0.05, gt=0, le=1, allow_inf_nan=False)
    """Relative half-width of the 95% interval that ``auto`` stops at for a level (money,
    people): half-width / |mean| (a fraction)."""
    share_precision: float = Field(default=0.01, gt=0, le=1, allow_inf_nan=False)
    """Half-width of the 95% interval that ``auto`` stops at for a share (e.g. the PB share),
    in units of a share: 0.01 is one percentage point. Absolute, not relative: a small
    council's PB share is near zero, where a relative rule never converges."""
    max_replications: int = Field(default=200, ge=3, le=10_000)
    """The most replications ``--replications auto`` (asked for) runs before it stops and says
    so."""
    councils: tuple[str, ...] = ()

    @field_validator("council_replications", mode="before")
    @classmethod
    def _council_replications(cls, v: object) -> object:
        if v == "auto" or (isinstance(v, int) and not isinstance(v, bool)
                           and 1 <= v <= 10_000):
            return v
        raise ValueError(f"expected a whole number from 1 to 10000 or 'auto'; found {v!r}")

    @field_validator("share_precision", mode="before")
    @classmethod
    def _share_precision(cls, v: object) -> object:
        if isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 1:
            return v
        raise ValueError("expected a half-width in units of a share, above 0 and at most 1 "
                         f"(0.01 is one percentage point); found {v!r}")

    def default_cap(self, all_england: bool) -> tuple[int, str]:
        """The cap of ``caresim run``'s default (precision-driven) replications, and the
        setting it comes from: ``replications`` for all England, ``council_replications``
        (``max_replications`` when that is ``auto``) for selected councils.

        Parameters
        ----------
        all_england : bool
            True for a run of every council.

        Returns
        -------
        tuple of (int, str)
            The cap (replications) and the key it was read from (``run.<key>``).
        """
        if all_england:
            return self.replications, "run.replications"
        if self.council_replications == "auto":
            return self.max_replications, "run.max_replications"
        return int(self.council_replications), "run.council_replications"

    @model_validator(mode="after")
    def _fewest(self) -> RunSettings:
        if self.min_replications > self.max_replications:
            raise ValueError(f"expected min_replications no more than max_replications "
                             f"({self.max_replications}); found {self.min_replications}")
        return self

    @model_validator(mode="after")
    def _dates(self) -> RunSettings:
        if self.start_date.day != 1 or self.start_date.month != 4:
            raise ValueError(f"expected start_date on 1 April; found {self.start_date}")
        if (self.end_date + dt.timedelta(days=1)).day != 1:
            raise ValueError(f"expected end_date on the last day of a month; found {self.end_date}")
        if self.end_date <= self.start_date:
            raise ValueError(
                f"expected end_date after start_date; found {self.end_date} <= {self.start_date}"
            )
        return self
























COMPARISONS = ("at least", "more than")
"""How a value meets a target's threshold: ``at least`` (>=) or ``more than`` (>)."""


class Target(Quantity):
    """A threshold on a measure at a period, e.g. ``{value: 0.30, unit: fraction, measure:
    pb_share_adass, period: 2011-03-31, source: ...}``.

    ``measure`` names a measure (``caresim measures``); the application checks the name and
    that ``unit`` is the measure's. ``period`` is a month end (``2011-03-31``), a financial year
    (``2010-11``), a span of years (``to 2010-11``) or of months (``2010-10-31 to 2011-03-31``).
    """

    measure: str = Field(min_length=1)
    period: str
    comparison: Literal["at least", "more than"] = "at least"

    @field_validator("period", mode="before")
    @classmethod
    def _check_period(cls, v: object) -> str:
        text = v.isoformat() if isinstance(v, dt.date) else str(v)
        try:
            parse_period(text)
        except PeriodError as exc:
            raise ValueError(str(exc)) from None
        return text


class DatedTarget(DatedFraction):  # type: ignore[valid-type, misc]
    """Thresholds on a measure over spans of financial years: each date is the first day of
    the year the span runs to (``2010-04-01: 0.093`` is the share to the end of 2010-11)."""

    measure: str = Field(min_length=1)
    comparison: Literal["at least", "more than"] = "at least"


class Targets(Section):
    """The targets every run is scored against (docs/design.md): each names the measure it reads,
    the period at which it is read and the threshold it must reach."""

    pb_share_march_2010: Target
    pb_share_april_2011: Target
    pb_share_2013_ambition: Target
    offer_share_from_october_2010: Target
    cumulative_savings_share: DatedTarget
    prevention_savings_to_2010_11: Target


class CouncilOverride(Section):
    """One council's own figures, replacing the defaults derived from the council data."""

    users_community: positive("people") | None = None  # type: ignore[valid-type]
    users_residential: positive("people") | None = None  # type: ignore[valid-type]
    pb_share_start: Fraction | None = None  # type: ignore[valid-type]
    facs_threshold: Setting | None = None
    grant_share: Fraction | None = None  # type: ignore[valid-type]
    opening_budget_gbp: GBPPerYear | None = None  # type: ignore[valid-type]
    assessment_fte: positive("FTE") | None = None  # type: ignore[valid-type]
    review_fte: positive("FTE") | None = None  # type: ignore[valid-type]
    readiness_start: Fraction | None = None  # type: ignore[valid-type]
    net_budget_gbp: NetBudgetPath | None = None
    """A dated net budget path (:mod:`caresim.model.own_plan`)."""
    planned_savings_gbp: PlannedSavings | None = None
    """Planned savings by financial year and lever (:mod:`caresim.model.own_plan`)."""
    opening_reserves_gbp: GBP | None = None  # type: ignore[valid-type]
    reserves_floor_gbp: GBP | None = None  # type: ignore[valid-type]

    @field_validator("facs_threshold")
    @classmethod
    def _threshold(cls, v: Setting | None) -> Setting | None:
        return one_of(v, NEED_BANDS)

    @model_validator(mode="after")
    def _floor(self) -> CouncilOverride:
        floor, opening = self.reserves_floor_gbp, self.opening_reserves_gbp
        if floor is not None and opening is None:
            raise ValueError(f"expected opening_reserves_gbp with reserves_floor_gbp (a floor "
                             f"is checked against the council's own reserves); found a floor "
                             f"of {floor.value:g} and no opening reserves")
        if floor is not None and opening is not None and floor.value > opening.value:
            raise ValueError(f"expected reserves_floor_gbp no higher than opening_reserves_gbp; "
                             f"found a floor of {floor.value:g} above opening reserves of "
                             f"{opening.value:g}")
        return self


class Scenario(Section):
    """A fully resolved scenario: its name, run settings and every model parameter."""

    name: FolderName
    description: str = ""
    run: RunSettings = Field(default_factory=RunSettings)
    population: Population
    demand: Demand
    demography: Demography
    assessment: Assessment
    reablement: Reablement
    services: Services
    flows: Flows
    personal_budgets: PersonalBudgets
    reviews: Reviews
    exits: Exits
    transformation: Transformation
    finance: Finance
    grant: Grant
    targets: Targets
    council_overrides: dict[str, CouncilOverride] = Field(default_factory=dict)

    @field_validator("council_overrides", mode="after")
    @classmethod
    def _freeze_overrides(cls, v: dict) -> dict:
        return FrozenDict(v)
