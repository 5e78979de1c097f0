"""Sourced leaf values: quantities, dated step functions and categorical distributions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pydantic
import pytest

from caresim.params.values import (
    Dated,
    Quantity,
    categorical,
    dated,
    positive,
    probability,
    quantity,
)

D = dt.date
DatedGBP = dated("GBP/year", 0.0, None, "a non-negative number")
Prob = probability()
Mix = categorical("low", "high")


def series(values: dict, **extra) -> Dated:
    return DatedGBP.model_validate({"values": values, "unit": "GBP/year", "source": "test",
                                    **extra})


@pytest.fixture
def tranches() -> Dated:
    return series({D(2008, 4, 1): 84.0, D(2009, 4, 1): 194.0, D(2011, 4, 1): 0.0})


# --------------------------------------------------------------------------- Dated.at


@pytest.mark.parametrize(("date", "expected"), [
    (D(2000, 1, 1), 84.0),    # before the first date the first value holds
    (D(2008, 3, 31), 84.0),
    (D(2008, 4, 1), 84.0),
    (D(2009, 3, 31), 84.0),   # the day before a step: still the old value
    (D(2009, 4, 1), 194.0),   # from its date on: the new value
    (D(2010, 6, 15), 194.0),  # between steps: the last value set
    (D(2011, 3, 31), 194.0),
    (D(2011, 4, 1), 0.0),
    (D(2050, 1, 1), 0.0),     # after the last date the last value holds
])
def test_at_is_a_step_function(tranches: Dated, date: dt.date, expected: float) -> None:
    assert tranches.at(date) == expected


def test_single_value_holds_everywhere() -> None:
    s = series({D(2010, 4, 1): 5.0})
    assert s.at(D(1990, 1, 1)) == s.at(D(2010, 4, 1)) == s.at(D(2099, 1, 1)) == 5.0


# --------------------------------------------------------------------------- Dated.step_days


def test_step_days(tranches: Dated) -> None:
    days, values = tranches.step_days(D(2008, 4, 1))
    assert days[0] == -np.inf
    np.testing.assert_array_equal(days[1:], [365.0, 365.0 * 3])  # no 29 Feb in 2008-11
    np.testing.assert_array_equal(values, [84.0, 194.0, 0.0])
    assert days.dtype == float and values.dtype == float


def test_step_days_agrees_with_at(tranches: Dated) -> None:
    start = D(2008, 4, 1)
    days, values = tranches.step_days(start)
    for offset in range(-30, 1500, 7):
        i = np.searchsorted(days, offset, side="right") - 1
        assert values[i] == tranches.at(start + dt.timedelta(days=offset))


def test_step_days_with_a_later_start(tranches: Dated) -> None:
    days, values = tranches.step_days(D(2009, 4, 1))
    np.testing.assert_array_equal(days, [-np.inf, 0.0, 365.0 * 2])
    np.testing.assert_array_equal(values, [84.0, 194.0, 0.0])


def test_step_days_first_date_after_start() -> None:
    days, values = series({D(2010, 4, 1): 1.0, D(2011, 4, 1): 2.0}).step_days(D(2008, 4, 1))
    # the first value holds from the start of time, as in ``at``
    np.testing.assert_array_equal(days, [-np.inf, (D(2011, 4, 1) - D(2008, 4, 1)).days])
    np.testing.assert_array_equal(values, [1.0, 2.0])


# --------------------------------------------------------------------------- Dated validation


def test_dated_keys_from_strings_and_datetimes() -> None:
    s = series({"2008-04-01": 1, dt.datetime(2009, 4, 1, 12, 0): 2.5})
    assert s.values == {D(2008, 4, 1): 1.0, D(2009, 4, 1): 2.5}
    assert all(type(k) is dt.date for k in s.values)
    assert all(isinstance(v, float) for v in s.values.values())


@pytest.mark.parametrize(("values", "match"), [
    ({}, "a mapping of dates to numbers"),
    ([1, 2], "a mapping of dates to numbers"),
    ({D(2009, 4, 1): 1.0, D(2008, 4, 1): 2.0}, "dates in increasing order; found 2008-04-01 "
                                                "after 2009-04-01"),
    ({D(2009, 4, 1): 1.0, "2009-04-01": 2.0}, "increasing order"),
    ({"April 2009": 1.0}, "dates like 2010-04-01 as keys; found 'April 2009'"),
    ({2009: 1.0}, "dates like 2010-04-01 as keys; found 2009"),
    ({D(2009, 4, 1): -1.0}, r"a non-negative number in \[0, 1e\+12\]; found -1"),
    ({D(2009, 4, 1): "x"}, "a non-negative number; found 'x' \\(str\\)"),
    ({D(2009, 4, 1): True}, "found True"),
    ({D(2009, 4, 1): float("nan")}, "a finite number"),
])
def test_dated_rejects(values: object, match: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=match):
        series(values)  # type: ignore[arg-type]


def test_dated_unit_must_match() -> None:
    with pytest.raises(pydantic.ValidationError, match="expected unit 'GBP/year'; found 'GBP'"):
        DatedGBP.model_validate({"values": {D(2008, 4, 1): 1.0}, "unit": "GBP", "source": "x"})


def test_dated_range_is_multipliers() -> None:
    """For dated values the range is a pair of multipliers, not bounds on the values."""
    s = series({D(2008, 4, 1): 1.0e6}, source="assumption: x", range=[0.5, 1.5])
    assert s.range == (0.5, 1.5)
    assert s.is_assumption
    with pytest.raises(pydantic.ValidationError, match="range low <= high"):
        series({D(2008, 4, 1): 1.0}, range=[1.5, 0.5])


def test_dated_is_frozen(tranches: Dated) -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        tranches.unit = "GBP"  # type: ignore[misc]


# --------------------------------------------------------------------------- Quantity


def test_quantity_bounds() -> None:
    q = Prob.model_validate({"value": 1, "unit": "probability", "source": "s"})
    assert q.value == 1.0 and isinstance(q.value, float)
    for bad, match in [(1.01, r"a probability in \[0, 1\]; found 1.01"),
                       (-0.01, r"a probability in \[0, 1\]; found -0.01"),
                       ("0.5", "a probability; found '0.5' \\(str\\)"),
                       (True, "found True"),
                       (float("inf"), "a finite number")]:
        with pytest.raises(pydantic.ValidationError, match=match):
            Prob.model_validate({"value": bad, "unit": "probability", "source": "s"})


def test_assumption_needs_a_range_containing_the_value() -> None:
    cost = positive("GBP")
    ok = cost.model_validate({"value": 5, "unit": "GBP", "source": "Assumption: x",
                              "range": [1, 10]})
    assert ok.is_assumption  # the prefix is case-insensitive
    with pytest.raises(pydantic.ValidationError, match="found no range"):
        cost.model_validate({"value": 5, "unit": "GBP", "source": "assumption: x"})
    with pytest.raises(pydantic.ValidationError, match=r"inside its range \[6, 10\]; found 5"):
        cost.model_validate({"value": 5, "unit": "GBP", "source": "s", "range": [6, 10]})
    with pytest.raises(pydantic.ValidationError, match=r"in \[0, 1e\+12\]; found -1"):
        cost.model_validate({"value": 5, "unit": "GBP", "source": "s", "range": [-1, 10]})
    published = cost.model_validate({"value": 5, "unit": "GBP", "source": "ONS"})
    assert not published.is_assumption and published.range is None


def test_leaf_requires_a_source_and_rejects_unknown_keys() -> None:
    with pytest.raises(pydantic.ValidationError, match="source"):
        Prob.model_validate({"value": 0.5, "unit": "probability"})
    with pytest.raises(pydantic.ValidationError, match="at least 1 character"):
        Prob.model_validate({"value": 0.5, "unit": "probability", "source": ""})
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        Prob.model_validate({"value": 0.5, "unit": "probability", "source": "s", "vlaue": 1})
    with pytest.raises(pydantic.ValidationError, match="uniform, loguniform, triangular"):
        Prob.model_validate({"value": 0.5, "unit": "probability", "source": "s",
                             "distribution": "normal"})


def test_factories_are_cached_and_typed() -> None:
    assert quantity("GBP", 0.0, None, "a non-negative number") is positive("GBP")
    assert dated("GBP/year", 0.0, None, "a non-negative number") is DatedGBP
    assert issubclass(Prob, Quantity) and issubclass(DatedGBP, Dated)
    assert Prob.unit_expected == "probability" and (Prob.lower, Prob.upper) == (0.0, 1.0)


# --------------------------------------------------------------------------- Categorical


def test_categorical_vector_follows_category_order() -> None:
    c = Mix.model_validate({"probabilities": {"high": 0.7, "low": 0.3}, "source": "s"})
    np.testing.assert_allclose(c.vector(), [0.3, 0.7])
    assert c.unit == "probability"


@pytest.mark.parametrize(("probs", "match"), [
    ({"low": 0.3, "high": 0.6}, "summing to 1; found a sum of 0.9"),
    ({"low": 0.3}, "exactly the categories low, high; found low"),
    ({"low": 0.3, "high": 0.7, "mid": 0.0}, "exactly the categories"),
    ({"low": -0.1, "high": 1.1}, r"a probability in \[0, 1\] for 'low'; found -0.1"),
    ({"low": "a", "high": 1}, "for 'low'; found 'a'"),
    ([0.3, 0.7], "a mapping of category to probability"),
])
def test_categorical_rejects(probs: object, match: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=match):
        Mix.model_validate({"probabilities": probs, "source": "s"})
