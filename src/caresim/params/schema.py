"""The scenario schema: every parameter of the model, typed, with its unit.

A scenario file is YAML whose structure mirrors :class:`Scenario`. Each section groups the
parameters of one process family (see ``docs/model.md``). Leaf values are sourced
:mod:`caresim.params.values` types. Unknown keys are errors; the loader in
:mod:`caresim.scenario` turns validation errors into messages naming the file and key.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from caresim.params.values import (
    DateSetting,
    FrozenDict,
    Setting,
    categorical,
    dated,
    positive,
    probability,
    share,
)

NEED_BANDS = ("low", "moderate", "substantial", "critical")
"""FACS need bands, in increasing order of need (index 0 to 3)."""
AGE_BANDS = ("18-64", "65+")
"""Age bands (index 0 and 1)."""
LEVERS = ("procurement", "prevention", "package_reductions", "eligibility", "staff_cuts")
"""Savings levers a council can pull, DESIGN §2 point 8."""
EXIT_CAUSES = ("death", "nhs_or_self_funded", "recovery")

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
DatedRate = dated("1/year", -1.0, None, "a rate per year above -1")
DatedHazard = dated("1/year", 0.0, None, "a non-negative hazard per year")
DatedProbability = dated("probability", 0.0, 1.0, "a probability")


class Section(BaseModel):
    """A group of parameters; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSettings(Section):
    """What is run: dates, seed, replications, councils. Not model parameters."""

    start_date: dt.date = dt.date(2008, 4, 1)
    end_date: dt.date = dt.date(2020, 3, 31)
    seed: int = Field(default=20080401, ge=0)
    replications: int = Field(default=1, ge=1, le=10_000)
    councils: tuple[str, ...] = ()

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


class Population(Section):
    """Starting population on 1 April 2008 (DESIGN §2 process 0)."""

    users_community: positive("people")  # type: ignore[valid-type]
    users_residential: positive("people")  # type: ignore[valid-type]
    share_65plus_community_default: Fraction  # type: ignore[valid-type]
    share_65plus_residential_default: Fraction  # type: ignore[valid-type]
    pb_share_start: Fraction  # type: ignore[valid-type]
    dp_share_of_pb_start: Fraction  # type: ignore[valid-type]
    need_mix_in_service: NeedMix  # type: ignore[valid-type]


class Demand(Section):
    """Contacts, resolution at first contact and needs of those assessed (process 1)."""

    contacts_per_year: positive("contacts/year")  # type: ignore[valid-type]
    growth_per_year: DatedRate  # type: ignore[valid-type]
    p_resolved_at_contact: Probability  # type: ignore[valid-type]
    p_assessment_after_referral: Probability  # type: ignore[valid-type]
    share_65plus: Fraction  # type: ignore[valid-type]
    need_mix_assessed: NeedMix  # type: ignore[valid-type]


class Assessment(Section):
    """Assessment queue and eligibility (process 2)."""

    dur_assessment_days: Days  # type: ignore[valid-type]
    max_wait_days: Days  # type: ignore[valid-type]
    assessments_per_fte_year: positive("assessments/FTE/year")  # type: ignore[valid-type]
    utilisation_start: Fraction  # type: ignore[valid-type]
    cost_gbp_per_fte_year: GBPPerYear  # type: ignore[valid-type]
    threshold_mix_2008: ThresholdMix  # type: ignore[valid-type]
    p_unmet_return: Probability  # type: ignore[valid-type]
    dur_unmet_return_days: Days  # type: ignore[valid-type]


class Reablement(Section):
    """Reablement for people who would start home care (process 3)."""

    cost_gbp_per_episode: GBP  # type: ignore[valid-type]
    dur_episode_days: Days  # type: ignore[valid-type]
    p_no_package_after: Probability  # type: ignore[valid-type]
    p_no_package_2yr: Probability  # type: ignore[valid-type]
    hours_reduction: Fraction  # type: ignore[valid-type]
    budget_share: DatedFraction  # type: ignore[valid-type]
    nhs_funding_gbp_per_year: DatedGBPPerYear  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _two_year(self) -> Reablement:
        if self.p_no_package_2yr.value > self.p_no_package_after.value:
            raise ValueError(
                "expected p_no_package_2yr <= p_no_package_after (nobody can regain "
                f"independence later); found {self.p_no_package_2yr.value:g} > "
                f"{self.p_no_package_after.value:g}"
            )
        return self


class Services(Section):
    """Service start: setting, package cost and support mode (process 4)."""

    p_residential_critical: Probability  # type: ignore[valid-type]
    p_residential_substantial: Probability  # type: ignore[valid-type]
    p_residential_moderate: Probability  # type: ignore[valid-type]
    cost_residential_gbp_per_year: GBPPerYear  # type: ignore[valid-type]
    cost_community_gbp_per_year: GBPPerYear  # type: ignore[valid-type]
    cost_multiplier_18_64: positive("ratio")  # type: ignore[valid-type]
    cost_cv: positive("ratio")  # type: ignore[valid-type]
    cost_multiplier_critical: positive("ratio")  # type: ignore[valid-type]
    cost_multiplier_moderate: positive("ratio")  # type: ignore[valid-type]
    p_accept_pb: Probability  # type: ignore[valid-type]
    p_dp_18_64: Probability  # type: ignore[valid-type]
    p_dp_65plus: Probability  # type: ignore[valid-type]
    offer_scale: positive("ratio")  # type: ignore[valid-type]


class Reviews(Section):
    """Reviews of people in service (process 5)."""

    interval_days: Days  # type: ignore[valid-type]
    reviews_per_fte_year: positive("reviews/FTE/year")  # type: ignore[valid-type]
    dur_review_days: Days  # type: ignore[valid-type]
    utilisation_start: Fraction  # type: ignore[valid-type]
    cost_gbp_per_fte_year: GBPPerYear  # type: ignore[valid-type]
    p_need_rise: Probability  # type: ignore[valid-type]
    p_move_residential_when_critical: Probability  # type: ignore[valid-type]
    offer_all_from: DateSetting
    readiness_ready: Fraction  # type: ignore[valid-type]


class Exits(Section):
    """Exits by age band and setting (process 6): hazards per year, dated."""

    hazard_community_18_64: DatedHazard  # type: ignore[valid-type]
    hazard_community_65plus: DatedHazard  # type: ignore[valid-type]
    hazard_residential_18_64: DatedHazard  # type: ignore[valid-type]
    hazard_residential_65plus: DatedHazard  # type: ignore[valid-type]
    cause_mix_community: ExitCauseMix  # type: ignore[valid-type]
    cause_mix_residential: ExitCauseMix  # type: ignore[valid-type]


class Transformation(Section):
    """Transformation readiness R in [0, 1] (process 7)."""

    readiness_start_mean: Fraction  # type: ignore[valid-type]
    readiness_evidence_weight: Fraction  # type: ignore[valid-type]
    speed_per_year: PerYear  # type: ignore[valid-type]
    speed_heterogeneity_sd: positive("log-ratio")  # type: ignore[valid-type]
    spend_half_effect_gbp_per_user_year: GBPPerYear  # type: ignore[valid-type]
    lag_days: Days  # type: ignore[valid-type]
    decay_per_year: PerYear  # type: ignore[valid-type]
    core_share_of_budget: DatedFraction  # type: ignore[valid-type]
    maintenance_gbp_per_user_year: GBPPerYear  # type: ignore[valid-type]


class Levers(Section):
    """How far each savings lever can go in one financial year."""

    order: Setting
    procurement_max_share: Fraction  # type: ignore[valid-type]
    package_cut_share_of_reviews: Fraction  # type: ignore[valid-type]
    package_cut_size: Fraction  # type: ignore[valid-type]
    eligibility_max_threshold: Setting
    staff_cut_max_share: Fraction  # type: ignore[valid-type]

    @field_validator("order")
    @classmethod
    def _order(cls, v: Setting) -> Setting:
        order = v.value
        if (not isinstance(order, list | tuple) or sorted(order) != sorted(LEVERS)
                or len(set(order)) != len(order)):
            raise ValueError(
                f"expected a list of each lever once ({', '.join(LEVERS)}); "
                f"found {list(order) if isinstance(order, tuple) else order!r}"
            )
        return v

    @field_validator("eligibility_max_threshold")
    @classmethod
    def _threshold(cls, v: Setting) -> Setting:
        if v.value not in NEED_BANDS:
            raise ValueError(f"expected one of {', '.join(NEED_BANDS)}; found {v.value!r}")
        return v


class Finance(Section):
    """Budgets, income, savings requirements and the funding path (processes 8 and 10)."""

    inflation_per_year: DatedRate  # type: ignore[valid-type]
    demography_allowance_per_year: DatedRate  # type: ignore[valid-type]
    efficiency_requirement_per_year: DatedFraction  # type: ignore[valid-type]
    lg_funding_real_change_per_year: DatedRate  # type: ignore[valid-type]
    pass_through: Fraction  # type: ignore[valid-type]
    austerity_multiplier: positive("ratio")  # type: ignore[valid-type]
    austerity_from: DateSetting
    nhs_transfers_gbp_per_year: DatedGBPPerYear  # type: ignore[valid-type]
    client_charges_share_of_gross: Fraction  # type: ignore[valid-type]
    levers: Levers


class Grant(Section):
    """The Social Care Reform Grant (process 9)."""

    tranches_gbp: DatedGBPPerYear  # type: ignore[valid-type]
    ring_fenced_until: DateSetting
    allocation_rule: Setting
    spend_per_month: Fraction  # type: ignore[valid-type]
    diverted_share_when_not_ring_fenced: Fraction  # type: ignore[valid-type]

    @field_validator("allocation_rule")
    @classmethod
    def _rule(cls, v: Setting) -> Setting:
        if v.value not in ("needs_proxy", "population"):
            raise ValueError(f"expected 'needs_proxy' or 'population'; found {v.value!r}")
        return v


class Targets(Section):
    """The targets every run is scored against (DESIGN §3)."""

    pb_share_march_2010: Fraction  # type: ignore[valid-type]
    pb_share_april_2011: Fraction  # type: ignore[valid-type]
    offer_share_from_october_2010: Fraction  # type: ignore[valid-type]
    pb_share_2013_ambition: Fraction  # type: ignore[valid-type]
    cumulative_savings_share: DatedFraction  # type: ignore[valid-type]


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

    @field_validator("facs_threshold")
    @classmethod
    def _threshold(cls, v: Setting | None) -> Setting | None:
        if v is not None and v.value not in ("low", "moderate", "substantial", "critical"):
            raise ValueError(
                f"expected one of low, moderate, substantial, critical; found {v.value!r}"
            )
        return v


class Scenario(Section):
    """A fully resolved scenario: its name, run settings and every model parameter."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    run: RunSettings = Field(default_factory=RunSettings)
    population: Population
    demand: Demand
    assessment: Assessment
    reablement: Reablement
    services: Services
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
