"""Leaf parameter types: every number carries its unit and its source.

A *quantity* is one number; a *dated* quantity is a step function of time given by values at
dates (each value holds from its date until the next); a *categorical* is a probability
distribution over named categories. A source that starts with ``assumption:`` marks a value with
no published source; such a parameter must give a ``range`` for sensitivity analysis (for dated
values, a range of multipliers applied to every value).
"""

from __future__ import annotations

import copyreg
import datetime as dt
import functools
import math
import re
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from caresim.params.bounds import UNIT_LIMITS

ASSUMPTION_PREFIX = "assumption:"
CALIBRATED_PREFIX = "calibrated:"


def _has_text(v: str) -> str:
    if not v.strip():
        raise ValueError(f"expected text (not only spaces); found {v!r}")
    return v


NonEmpty = Annotated[str, Field(min_length=1), AfterValidator(_has_text)]

NAME_MAX_LENGTH = 100
"""Longest scenario name: it names a folder, and file systems allow 255 bytes a name."""
_NAME = re.compile(rf"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{{0,{NAME_MAX_LENGTH - 1}}}")


def _folder_name(v: str) -> str:
    if not _NAME.fullmatch(v):
        shown = v if len(v) <= 40 else f"{v[:37]}..."
        raise ValueError(
            f"expected a name of 1 to {NAME_MAX_LENGTH} letters, digits, '_', '-' or '.', not "
            f"starting with '.' (it names the run's folder under --out); found {shown!r} "
            f"({len(v)} characters)")
    return v


FolderName = Annotated[str, AfterValidator(_folder_name)]
"""A name that is safe as one folder name: never ``.``, ``..``, hidden, or too long."""


class FrozenDict(dict):
    """A read-only dict: parameters are frozen all the way down, so a hash cannot go stale."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("scenario parameters are frozen; override them in a scenario file")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


def freeze(value: Any) -> Any:
    """Deeply freeze plain data: dicts become FrozenDict, lists become tuples."""
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


class Leaf(BaseModel):
    """Common behaviour of every sourced leaf parameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit_expected: ClassVar[str] = ""
    lower: ClassVar[float | None] = None
    upper: ClassVar[float | None] = None
    lower_open: ClassVar[bool] = False
    what: ClassVar[str] = "a number"
    lower_reason: ClassVar[str] = ""
    upper_reason: ClassVar[str] = ""

    unit: str
    source: NonEmpty
    range: tuple[float, float] | None = None
    distribution: str = "uniform"
    note: str = ""

    @property
    def is_assumption(self) -> bool:
        """True when the value has no published source (its source starts ``assumption:``)."""
        return self.source.strip().lower().startswith(ASSUMPTION_PREFIX)

    @field_validator("unit")
    @classmethod
    def _check_unit(cls, v: str) -> str:
        if cls.unit_expected and v.strip() != cls.unit_expected:
            raise ValueError(f"expected unit '{cls.unit_expected}'; found '{v}'")
        return v.strip()

    @field_validator("range", mode="before")
    @classmethod
    def _check_range_pair(cls, v: Any) -> Any:
        if v is None:
            return v
        if (not isinstance(v, list | tuple) or len(v) != 2
                or any(isinstance(x, bool) or not isinstance(x, int | float) for x in v)):
            raise ValueError(f"expected a range of two numbers [low, high]; found {v!r}")
        if not all(math.isfinite(x) for x in v):
            raise ValueError(f"expected a range of two finite numbers; found {list(v)!r}")
        return v

    @field_validator("distribution")
    @classmethod
    def _check_distribution(cls, v: str) -> str:
        if v not in ("uniform", "loguniform", "triangular"):
            raise ValueError(f"expected one of uniform, loguniform, triangular; found '{v}'")
        return v

    @classmethod
    def bounds_text(cls) -> str:
        """The allowed values as ``[lo, hi]`` (``(lo, hi]`` with an open lower bound)."""
        lo = "-inf" if cls.lower is None else f"{cls.lower:g}"
        hi = "inf" if cls.upper is None else f"{cls.upper:g}"
        return f"{'(' if cls.lower_open else '['}{lo}, {hi}]"

    @classmethod
    def _check_number(cls, x: float) -> float:
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise ValueError(f"expected {cls.what}; found {x!r} ({type(x).__name__})")
        x = float(x) + 0.0  # + 0.0 turns -0.0 into 0.0
        if not math.isfinite(x):
            raise ValueError(f"expected a finite number; found {x}")
        lo, hi = cls.lower, cls.upper
        below = lo is not None and (x < lo or (cls.lower_open and x == lo))
        if below or (hi is not None and x > hi):
            reason = cls.lower_reason if below else cls.upper_reason
            why = f" ({reason})" if reason else ""
            raise ValueError(f"expected {cls.what} in {cls.bounds_text()}{why}; found {x:g}")
        return x

    @model_validator(mode="after")
    def _check_range(self) -> Leaf:
        if self.is_assumption and self.range is None:
            raise ValueError(
                "expected a 'range: [low, high]' for sensitivity analysis, because the source "
                "is an assumption; found no range"
            )
        if self.range is not None:
            lo, hi = self.range
            if not lo <= hi:
                raise ValueError(f"expected range low <= high; found [{lo:g}, {hi:g}]")
            self._check_range_values(lo, hi)
        return self

    def _check_range_values(self, lo: float, hi: float) -> None:
        pass


class Quantity(Leaf):
    """One number with unit and source, e.g. ``{value: 2088, unit: GBP, source: ...}``."""

    value: float

    @field_validator("value", mode="before")
    @classmethod
    def _check_value(cls, v: Any) -> float:
        return cls._check_number(v)

    def _check_range_values(self, lo: float, hi: float) -> None:
        self._check_number(lo)
        self._check_number(hi)
        if not lo <= self.value <= hi:
            raise ValueError(
                f"expected the value inside its range [{lo:g}, {hi:g}]; found {self.value:g}"
            )


class Dated(Leaf):
    """A step function of time: ``values: {2008-04-01: 84.0e6, 2009-04-01: 194.0e6}``.

    Each value holds from its date (00:00) until the next date. Before the first date the first
    value holds. Dates must be strictly increasing as written. ``range`` is a pair of
    multipliers applied to every value for sensitivity analysis.
    """

    values: dict[dt.date, float]

    @field_validator("values", mode="before")
    @classmethod
    def _check_values(cls, v: Any) -> dict:
        if not isinstance(v, dict) or not v:
            raise ValueError(f"expected a mapping of dates to numbers; found {v!r}")
        out: dict[dt.date, float] = {}
        previous: dt.date | None = None
        for key, x in v.items():
            if isinstance(key, dt.datetime):
                key = key.date()
            if isinstance(key, str):
                try:
                    key = dt.date.fromisoformat(key)
                except ValueError:
                    raise ValueError(
                        f"expected dates like 2010-04-01 as keys; found '{key}'"
                    ) from None
            if not isinstance(key, dt.date):
                raise ValueError(f"expected dates like 2010-04-01 as keys; found {key!r}")
            if previous is not None and key <= previous:
                raise ValueError(
                    f"expected dates in increasing order; found {key} after {previous}"
                )
            previous = key
            out[key] = cls._check_number(x)
        return out

    @field_validator("values", mode="after")
    @classmethod
    def _freeze_values(cls, v: dict) -> dict:
        return FrozenDict(v)

    def _check_range_values(self, lo: float, hi: float) -> None:
        # the range holds multipliers of every value: each product must be a valid value
        for x in self.values.values():
            for m in (lo, hi):
                try:
                    self._check_number(x * m)
                except ValueError:
                    raise ValueError(
                        f"expected range multipliers that keep every value {self.what} in "
                        f"{self.bounds_text()}; found [{lo:g}, {hi:g}], giving {x * m:g} "
                        f"from {x:g}") from None

    def at(self, date: dt.date) -> float:
        """The value in force on ``date``."""
        current = next(iter(self.values.values()))
        for d, x in self.values.items():
            if d <= date:
                current = x
            else:
                break
        return current

    def step_days(self, start: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """Breakpoints as clock days since ``start`` and the value from each breakpoint on.

        Returns
        -------
        days, values : numpy.ndarray
            ``days[0]`` is ``-inf``; the value ``values[i]`` holds on ``[days[i], days[i+1])``.
        """
        dates = list(self.values)
        vals = np.array(list(self.values.values()), dtype=float)
        days = np.array([(d - start).days for d in dates], dtype=float)
        days[0] = -np.inf
        return days, vals


class Categorical(BaseModel):
    """Probabilities over named categories, summing to 1, with a source.

    Example: ``{probabilities: {low: 0.1, moderate: 0.3, ...}, source: ...}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: ClassVar[tuple[str, ...]] = ()

    probabilities: dict[str, float]
    unit: str = "probability"
    source: NonEmpty
    note: str = ""

    @field_validator("probabilities", mode="before")
    @classmethod
    def _check_probs(cls, v: Any) -> dict:
        if not isinstance(v, dict):
            raise ValueError(f"expected a mapping of category to probability; found {v!r}")
        if cls.categories and set(v) != set(cls.categories):
            raise ValueError(
                f"expected exactly the categories {', '.join(cls.categories)}; "
                f"found {', '.join(map(str, v))}"
            )
        for k, p in v.items():
            if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
                raise ValueError(f"expected a probability in [0, 1] for '{k}'; found {p!r}")
        total = float(sum(v.values()))
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"expected probabilities summing to 1; found a sum of {total:g}")
        return {k: float(p) for k, p in v.items()}

    @field_validator("probabilities", mode="after")
    @classmethod
    def _freeze_probs(cls, v: dict) -> dict:
        return FrozenDict(v)

    def vector(self) -> np.ndarray:
        """Probabilities in the order of ``categories``."""
        return np.array([self.probabilities[c] for c in self.categories], dtype=float)


class Setting(BaseModel):
    """A non-numeric choice with its source, e.g. a lever order or a threshold name."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: Any
    source: NonEmpty
    note: str = ""

    @field_validator("value", mode="after")
    @classmethod
    def _freeze_value(cls, v: Any) -> Any:
        return freeze(v)


def one_of(v: Setting | None, choices: tuple[str, ...]) -> Setting | None:
    """``v`` when its value is one of ``choices`` (or ``v`` is absent), else a ValueError
    naming the choices and what was found: the check of every named-choice setting."""
    if v is not None and v.value not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}; found {v.value!r}")
    return v


class DateSetting(BaseModel):
    """A date with its source (e.g. when a policy starts), or null for never."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: dt.date | None
    source: NonEmpty
    note: str = ""


def _made_by(cls: type, factory: Any, *args: Any) -> Any:
    """Remember how a leaf type was made, so that it pickles as that call (see
    :func:`_reduce_type`): parameters then travel to worker processes as validated objects."""
    type.__setattr__(cls, "__made_by__", (factory, args))
    return cls


def _reduce_type(cls: type) -> Any:
    """Pickle a leaf type made by a factory as the factory call; any other pydantic model class
    by its name, as pickle does by default."""
    return cls.__dict__.get("__made_by__") or cls.__qualname__


copyreg.pickle(type(BaseModel), _reduce_type)


def _bounds(unit: str, lower: float | None, upper: float | None
            ) -> dict[str, float | str | None]:
    """``lower``, ``upper`` narrowed to the unit's survivable limit
    (:data:`caresim.params.bounds.UNIT_LIMITS`), with the limit's reason for each bound it
    sets."""
    out: dict[str, float | str | None] = {"lower": lower, "upper": upper, "lower_reason": "",
                                          "upper_reason": ""}
    limit = UNIT_LIMITS.get(unit)
    if limit is not None and limit.upper is not None and (upper is None or limit.upper < upper):
        out.update(upper=limit.upper, upper_reason=limit.reason)
    if limit is not None and limit.lower is not None and (lower is None or limit.lower > lower):
        out.update(lower=limit.lower, lower_reason=limit.reason)
    return out


def _what(what: str, bounds: dict[str, float | str | None]) -> str:
    """``what`` without "non-negative" once a limit raises the lower bound above 0."""
    lower = bounds["lower"]
    raised = isinstance(lower, float | int) and lower > 0
    return "a number" if raised and what == "a non-negative number" else what


def _bounded(base: type, factory: Any, unit: str, lower: float | None, upper: float | None,
             what: str, lower_open: bool) -> Any:
    """The subtype of ``base`` made by ``factory(unit, lower, upper, what, lower_open)``."""
    bounds = _bounds(unit, lower, upper)
    return _made_by(type(f"{base.__name__}[{unit}]", (base,),
                         {"unit_expected": unit, "what": _what(what, bounds),
                          "lower_open": lower_open, **bounds, "__module__": __name__}),
                    factory, unit, lower, upper, what, lower_open)


@functools.cache
def quantity(unit: str, lower: float | None = None, upper: float | None = None,
             what: str = "a number", lower_open: bool = False) -> type[Quantity]:
    """A :class:`Quantity` subtype that requires ``unit`` and a value in ``[lower, upper]``
    (``(lower, upper]`` when ``lower_open``), narrowed to the unit's survivable limit."""
    return _bounded(Quantity, quantity, unit, lower, upper, what, lower_open)


@functools.cache
def dated(unit: str, lower: float | None = None, upper: float | None = None,
          what: str = "a number", lower_open: bool = False) -> type[Dated]:
    """A :class:`Dated` subtype that requires ``unit`` and values in ``[lower, upper]``
    (``(lower, upper]`` when ``lower_open``), narrowed to the unit's survivable limit."""
    return _bounded(Dated, dated, unit, lower, upper, what, lower_open)


@functools.cache
def categorical(*categories: str) -> type[Categorical]:
    """A :class:`Categorical` subtype over exactly ``categories``."""
    return _made_by(type(f"Categorical[{','.join(categories)}]", (Categorical,),
                         {"categories": tuple(categories), "__module__": __name__}),
                    categorical, *categories)


def probability() -> type[Quantity]:
    """A quantity with unit ``probability`` in [0, 1]."""
    return quantity("probability", 0.0, 1.0, "a probability")


def share() -> type[Quantity]:
    """A quantity with unit ``fraction`` in [0, 1]."""
    return quantity("fraction", 0.0, 1.0, "a fraction")


def positive(unit: str) -> type[Quantity]:
    """A non-negative quantity in ``unit``."""
    return quantity(unit, 0.0, None, "a non-negative number")
