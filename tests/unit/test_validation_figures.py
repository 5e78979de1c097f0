"""Published figures keyed by measure: each transcribed figure against its source line, and
every figure of today's validation targets carried over."""

from __future__ import annotations

import csv

import pytest

from caresim.measures import MEASURES
from caresim.measures.errors import MeasureError
from caresim.measures.figures import (
    Figure,
    load_figures,
    periods_agree,
    source_rows,
    source_value,
)
from caresim.period import parse_period

FIGURES = load_figures()


@pytest.mark.parametrize("fig", FIGURES, ids=lambda f: f"{f.measure} {f.period}")
def test_each_figure_is_the_number_its_source_line_gives(fig: Figure) -> None:
    assert periods_agree(fig), (fig.source_file, fig.source_line)
    published = source_value(fig)
    if published is None:  # stated in words: the words are in the line
        quote = fig.derivation.split("'")[1]
        assert any(quote in " ".join(row.values()) for row in source_rows(fig))
    else:
        assert fig.value == pytest.approx(published, rel=1e-12)


@pytest.mark.parametrize("fig", FIGURES, ids=lambda f: f"{f.measure} {f.period}")
def test_each_figure_is_a_measure_at_one_of_its_periods(fig: Figure) -> None:
    m = MEASURES[fig.measure]
    assert parse_period(fig.period).KIND in m.periods and fig.unit == m.unit
    assert (fig.role == "fitted") == (fig.weight > 0)


def test_roles_say_which_figures_are_fitted_checked_or_input() -> None:
    roles = {f.role for f in FIGURES}
    assert roles == {"fitted", "checked", "input"}
    assert {f.measure for f in FIGURES if f.role == "input"} == {"grant_received_gbp"}


def _fig(**changes) -> Figure:
    base = FIGURES[0]
    return Figure(**{**base.__dict__, **changes})


def test_the_derivations_convert_units_as_documented() -> None:
    # GBP bn and m to GBP, percent to a fraction, a range to its midpoint, a sum of lines
    gce = next(f for f in FIGURES if f.measure == "gross_current_expenditure_gbp")
    assert source_value(gce) == pytest.approx(16.1e9)
    assert source_value(_fig(source_file="pb_sds_uptake_share.csv", source_line="6",
                             derivation="approximate (~24)")) == pytest.approx(0.24)
    assert source_value(_fig(source_file="facs_eligibility_thresholds.csv", source_line="9",
                             source_column="share_of_councils_substantial_or_higher_pct",
                             derivation="midpoint of range (82-85)")) == pytest.approx(0.835)
    assert source_value(_fig(source_file="scrg_grant.csv", source_line="3;4;5",
                             source_column="value_gbp_m", derivation="sum of the lines")) == \
        pytest.approx(517e6)


def test_a_wrong_form_or_line_is_a_clear_error() -> None:
    with pytest.raises(MeasureError, match="expected a number for 'as published'"):
        source_value(_fig(source_file="pb_sds_uptake_share.csv", source_line="6"))
    with pytest.raises(MeasureError, match="found no line"):
        source_rows(_fig(source_line="99"))
    assert not periods_agree(_fig(source_line="4"))  # a line of another date


@pytest.mark.parametrize(("change", "words"), [
    ({"measure": "pb_share_adas"}, "line 2, column 'measure'"),
    ({"unit": "percent"}, "line 2, column 'unit': expected pb_share_adass's unit"),
    ({"role": "fitted", "weight": "0"}, "line 2, column 'weight'"),
    ({"period": "to 2009-10"}, "line 2, column 'period'"),
    ({"period": "2009-13"}, "line 2, column 'period': expected a period"),
])
def test_a_bad_row_names_its_line_and_column(tmp_path, monkeypatch, change, words) -> None:
    from caresim.measures import figures

    real = figures._published
    with real(figures.FILE).open("r", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update(change)
    with (tmp_path / figures.FILE).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, figures.COLUMNS)
        w.writeheader()
        w.writerows(rows)
    monkeypatch.setattr(figures, "_published",
                        lambda name: tmp_path / name if name == figures.FILE else real(name))
    with pytest.raises(MeasureError) as info:
        figures.load_figures.__wrapped__()
    assert str(info.value).startswith(f"data/published/{figures.FILE}: ") and words in \
        str(info.value)
