"""Survivable ranges: the values a run can take, once per unit and, where needed, per parameter.

A number a scenario may hold must be one a run can survive: no overflow to infinity, no
division by zero, no quantity that outgrows memory. The schema's own bounds say what a value
*means* (a probability is in [0, 1]); the limits here say what a run can *compute*, each with
its reason, which error messages quote.

* :data:`UNIT_LIMITS` applies to every parameter in that unit: the factories of
  :mod:`caresim.params.values` narrow their bounds to it.
* :data:`PARAMETER_LIMITS` applies to one parameter (by dotted path) whose value the model
  divides by or multiplies into its load; :func:`check_parameter_limits` checks them, values
  and sensitivity ranges alike.

Limits that involve several parameters at once (people, contacts and queue slots a run holds,
the horizon, austerity against the funding path) are in :mod:`caresim.survivable`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limit:
    """A survivable range ``[lower, upper]`` (``(lower, upper]`` when ``lower_open``).

    Attributes
    ----------
    lower, upper : float or None
        The bounds, in the parameter's unit; None for none.
    reason : str
        Why a run cannot go beyond them (quoted in error messages).
    lower_open : bool
        True when ``lower`` itself is excluded (a positive number).
    """

    lower: float | None
    upper: float | None
    reason: str
    lower_open: bool = False

    def text(self) -> str:
        """The range as ``[lo, hi]`` or ``(lo, hi]``."""
        lo = "-inf" if self.lower is None else f"{self.lower:g}"
        hi = "inf" if self.upper is None else f"{self.upper:g}"
        return f"{'(' if self.lower_open else '['}{lo}, {hi}]"

    def admits(self, x: float) -> bool:
        """True when ``x`` is inside the range."""
        if self.lower is not None and (x < self.lower or (self.lower_open and x == self.lower)):
            return False
        return self.upper is None or x <= self.upper


MONEY = Limit(None, 1e12, "GBP 1 trillion is over 50 times England's yearly adult social care "
              "spend, and money is exact to the penny in double precision only below about "
              "GBP 1e13")
UNIT_LIMITS: dict[str, Limit] = {
    "GBP": MONEY,
    "GBP/year": MONEY,
    "people": Limit(None, 1e7, "a run holds every person in memory; 10 million is 8 times the "
                    "1.25 million people in council-funded care in England in 2008"),
    "contacts/year": Limit(None, 2e7, "a run holds every request in memory; 20 million a year "
                           "is 10 times England's 2 million contacts of 2008-09"),
    "days": Limit(None, 36525.0, "100 years is longer than any run"),
    "1/year": Limit(None, 365.25, "a rate of once a day is faster than the model's monthly "
                    "steps can resolve"),
    "ratio": Limit(None, 100.0, "a hundredfold ratio already puts costs and budgets far "
                   "outside anything observed"),
    "log-ratio": Limit(None, 5.0, "a spread of 5 on the log scale already spans a factor of "
                       "e^10 either side of the mean"),
    "FTE": Limit(None, 1e5, "100,000 staff is more than any council's whole workforce"),
    "assessments/FTE/year": Limit(1.0, 1e4, "staff numbers are demand divided by this, and "
                                  "10,000 a year is 40 each working day"),
    "reviews/FTE/year": Limit(1.0, 1e4, "staff numbers are demand divided by this, and "
                              "10,000 a year is 40 each working day"),
}
"""Limits by unit; units not listed (fractions, probabilities) have their schema bounds only."""

_COST = "a cost of nothing cannot be scaled: costs change by ratios of costs at review"
PARAMETER_LIMITS: dict[str, Limit] = {
    "services.cost_residential_gbp_per_year": Limit(0.0, None, _COST, lower_open=True),
    "services.cost_community_gbp_per_year": Limit(0.0, None, _COST, lower_open=True),
    "services.cost_multiplier_18_64": Limit(0.0, None, _COST, lower_open=True),
    "services.cost_multiplier_critical": Limit(0.0, None, _COST, lower_open=True),
    "services.cost_multiplier_moderate": Limit(0.0, None, _COST, lower_open=True),
    "reablement.cost_gbp_per_episode": Limit(
        0.0, None, "places are the reablement budget divided by this cost", lower_open=True),
    "reablement.budget_share": Limit(
        None, 0.5, "reablement and core transformation together must leave part of the budget "
        "for care (the opening budget is divided by what they leave)"),
    "transformation.core_share_of_budget": Limit(
        None, 0.5, "reablement and core transformation together must leave part of the budget "
        "for care (the opening budget is divided by what they leave)"),
    "transformation.lag_days": Limit(1.0, None, "the spend signal decays over this time, and a "
                                     "lag shorter than a day divides by almost nothing"),
    "transformation.maintenance_gbp_per_user_year": Limit(
        0.0, None, "readiness decays by the shortfall of spend relative to this", lower_open=True),
    "assessment.utilisation_start": Limit(
        0.1, None, "staff are demand divided by utilisation, and below 10% a council employs "
        "more than ten times the staff its demand needs"),
    "reviews.utilisation_start": Limit(
        0.1, None, "staff are demand divided by utilisation, and below 10% a council employs "
        "more than ten times the staff its demand needs"),
    "reviews.interval_days": Limit(28.0, None, "reviews more often than every four weeks "
                                   "multiply a run's review events beyond what it can process"),
    **{f"exits.hazard_{group}": Limit(
        0.01, None, "the starting state is the flows' steady state, whose stocks are inflows "
        "divided by exit hazards: below 0.01 a year (a mean stay over 100 years, longer than "
        "any life in care) that division is near zero or singular")
       for group in ("community_18_64", "community_65plus", "residential_18_64",
                     "residential_65plus")},
}
"""Limits of single parameters, by dotted path (a dated parameter: each of its values)."""


def values_of(node: Any) -> list[float]:
    """The numbers of a leaf as dumped to JSON: ``value``, or each of ``values``."""
    if not isinstance(node, dict):
        return []
    if "values" in node and isinstance(node["values"], dict):
        return [float(v) for v in node["values"].values()]
    if isinstance(node.get("value"), int | float) and not isinstance(node.get("value"), bool):
        return [float(node["value"])]
    return []


def check_parameter_limits(data: dict[str, Any]) -> tuple[str, str, str] | None:
    """The first parameter outside its :data:`PARAMETER_LIMITS`, or None.

    Parameters
    ----------
    data : dict
        The scenario as JSON-compatible data (``Scenario.model_dump(mode="json")``).

    Returns
    -------
    tuple of str, or None
        ``(key, expected, found)`` for the first value or sensitivity-range end (for a dated
        parameter, the range is of multipliers of every value) outside its limit.
    """
    for path, limit in PARAMETER_LIMITS.items():
        node: Any = data
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        xs = values_of(node)
        expected = f"a value in {limit.text()} ({limit.reason})"
        key = f"{path}.values" if isinstance(node, dict) and "values" in node else f"{path}.value"
        for x in xs:
            if not limit.admits(x):
                return key, expected, f"{x:g}"
        rng = node.get("range") if isinstance(node, dict) else None
        if rng:
            ends = ([x * m for x in xs for m in rng] if "values" in node else list(rng))
            for x in ends:
                if not (math.isfinite(x) and limit.admits(x)):
                    return f"{path}.range", expected, f"a range reaching {x:g}"
    return None
