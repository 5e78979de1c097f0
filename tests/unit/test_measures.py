"""Each kind of measure on small hand-built tables, with answers worked out by hand; scope
labels; the registry and its errors."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from caresim.councils import ENGLAND_CODE, load_councils
from caresim.errors import InputError, ScenarioError
from caresim.measures import (
    MEASURES,
    MeasureError,
    MissingStateError,
    RunTables,
    aggregate_label,
    check_measure_names,
    get_measure,
    measure_values,
    measures_table,
    scope_label,
)
from caresim.measures.tables import COLUMNS

A, B, C = "E06000017", "E06000001", "E06000005"  # Rutland, Hartlepool, Darlington
E = ENGLAND_CODE


def long_table(values: dict, period_col: str) -> pd.DataFrame:
    """A table as ``results`` writes it from ``{(replication, period, metric): {council: v}}``:
    the aggregate row is the sum over councils; ratios come from their parts' sums."""
    rows = []
    for (rep, period, metric), by_council in values.items():
        col = COLUMNS[metric]
        for code, v in [*by_council.items(), (E, sum(by_council.values()))]:
            if col.kind == "ratio":
                num = values[(rep, period, col.numerator)]
                den = values[(rep, period, col.denominator)]
                n = sum(num.values()) if code == E else num[code]
                d = sum(den.values()) if code == E else den[code]
                v = n / d if d > 0 else math.nan
            rows.append({"scenario": "s", "parameter_set": 0, "replication": rep,
                         "council_code": code, period_col: period, "metric": metric,
                         "value": float(v), "unit": col.unit, "kind": col.kind})
    frame = pd.DataFrame(rows)
    if period_col == "date":
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def values_of(frame: pd.DataFrame) -> dict:
    """``{(replication, council, period): value}`` of :func:`measure_values` output."""
    return {(r.replication, r.council_code, r.period): r.value for r in frame.itertuples()}


# ---------------------------------------------------------------- a metric, read as it is

def test_a_metric_is_read_at_a_month_end_and_a_year_for_each_scope() -> None:
    ts = long_table({(0, "2010-03-31", "users_community"): {A: 100, B: 300}}, "date")
    fy = long_table({(0, "2009-10", "users_community"): {A: 101, B: 299}}, "fy")
    t = RunTables(ts, fy)
    assert values_of(measure_values("users_community", t, "2010-03-31")) == \
        {(0, E, "2010-03-31"): 400.0}
    assert values_of(measure_values("users_community", t, "2009-10", scope=A)) == \
        {(0, A, "2009-10"): 101.0}
    assert values_of(measure_values("users_community", t, ["2010-03-31"], scope="councils")) \
        == {(0, A, "2010-03-31"): 100.0, (0, B, "2010-03-31"): 300.0}
    # every period held, when none is named
    got = measure_values("users_community", t, scope="all")
    assert set(got["period"]) == {"2010-03-31", "2009-10"} and len(got) == 6
    # a period the tables do not hold gives no rows
    assert measure_values("users_community", t, "2012-03-31").empty


# ------------------------------------------------- a ratio, recomputed from sums, never averaged

def test_a_ratio_at_the_aggregate_is_the_ratio_of_sums() -> None:
    fy = long_table({(0, "2009-10", "pb_holders"): {A: 20, B: 90},
                     (0, "2009-10", "users_community"): {A: 100, B: 300}}, "fy")
    got = values_of(measure_values("pb_share_ascof_salt", RunTables(financial_years=fy),
                                   "2009-10", scope="all"))
    # A 20/100, B 90/300; the aggregate 110/400 = 0.275, not the mean of the two (0.25)
    assert got == {(0, A, "2009-10"): 0.2, (0, B, "2009-10"): 0.3, (0, E, "2009-10"): 0.275}


def test_a_ratio_over_a_window_of_months_is_recomputed_from_its_summed_parts() -> None:
    months = ("2010-10-31", "2010-11-30", "2010-12-31")
    offers = {A: (1, 2, 3), B: (0, 0, 9)}
    opportunities = {A: (10, 10, 10), B: (0, 0, 30)}
    values = {}
    for i, m in enumerate(months):
        values[(0, m, "pb_offers")] = {c: offers[c][i] for c in (A, B)}
        values[(0, m, "pb_offer_opportunities")] = {c: opportunities[c][i] for c in (A, B)}
        values[(0, m, "offer_share")] = {A: 0, B: 0}  # computed from the parts by long_table
    t = RunTables(long_table(values, "date"))
    window = "2010-10-31 to 2010-12-31"
    got = values_of(measure_values("offer_share", t, window, scope="all"))
    # A 6/30, B 9/30, aggregate 15/60 (the mean of the monthly aggregate ratios, 1/10, 2/10 and
    # 12/40, would be 0.2)
    assert got == {(0, A, window): 0.2, (0, B, window): 0.3, (0, E, window): 0.25}
    # a month with no opportunities has no share (0/0), not zero
    oct_b = measure_values("offer_share", t, "2010-10-31", scope=B)["value"]
    assert len(oct_b) == 1 and math.isnan(oct_b.iloc[0])


# ----------------------------------------------------------------- a difference and a total

def test_differences_and_totals_of_metrics() -> None:
    fy = long_table({(0, "2009-10", "spend_gbp"): {A: 1000, B: 3000},
                     (0, "2009-10", "income_charges_gbp"): {A: 100, B: 250},
                     (0, "2009-10", "income_nhs_gbp"): {A: 0, B: 50},
                     (0, "2009-10", "users_community"): {A: 100, B: 300},
                     (0, "2009-10", "users_residential"): {A: 40, B: 60}}, "fy")
    t = RunTables(financial_years=fy)
    assert values_of(measure_values("net_current_expenditure_gbp", t, "2009-10", "all")) == \
        {(0, A, "2009-10"): 900.0, (0, B, "2009-10"): 2750.0, (0, E, "2009-10"): 3650.0}
    assert values_of(measure_values("gross_current_expenditure_gbp", t, "2009-10", "all")) == \
        {(0, A, "2009-10"): 1000.0, (0, B, "2009-10"): 2950.0, (0, E, "2009-10"): 3950.0}
    assert values_of(measure_values("long_term_support_at_year_end_salt", t, "2009-10",
                                    "all")) == \
        {(0, A, "2009-10"): 140.0, (0, B, "2009-10"): 360.0, (0, E, "2009-10"): 500.0}


# ------------------------------------------------------------------ a cumulative sum over a span

def _ledger() -> pd.DataFrame:
    rows = []
    lines = {A: {"savings_total_gbp": (10, 20, 30), "baseline_budget_gbp": (1000,) * 3,
                 "ring_fenced_opening_gbp": (7, 8, 9), "ring_fenced_closing_gbp": (8, 9, 0)},
             B: {"savings_total_gbp": (5, 5, 5), "baseline_budget_gbp": (500,) * 3,
                 "ring_fenced_opening_gbp": (1, 1, 1), "ring_fenced_closing_gbp": (1, 1, 0)}}
    for i, fy in enumerate(("2008-09", "2009-10", "2010-11")):
        for code in (A, B, E):
            parts = [lines[code]] if code != E else [lines[A], lines[B]]
            row = {k: float(sum(p[k][i] for p in parts)) for k in lines[A]}
            rows.append({"scenario": "s", "parameter_set": 0, "replication": 0, "fy": fy,
                         "council_code": code, **row})
    return pd.DataFrame(rows)


def test_cumulative_sums_over_spans_from_the_first_year_or_a_named_one() -> None:
    t = RunTables(ledger=_ledger())
    got = values_of(measure_values("cumulative_savings_gbp", t,
                                   ["to 2009-10", "to 2010-11", "2009-10 to 2010-11"], "all"))
    assert got == {(0, A, "to 2009-10"): 30.0, (0, B, "to 2009-10"): 10.0,
                   (0, E, "to 2009-10"): 40.0, (0, A, "to 2010-11"): 60.0,
                   (0, B, "to 2010-11"): 15.0, (0, E, "to 2010-11"): 75.0,
                   (0, A, "2009-10 to 2010-11"): 50.0, (0, B, "2009-10 to 2010-11"): 10.0,
                   (0, E, "2009-10 to 2010-11"): 60.0}
    # the CSR07 share: cumulative savings over the year's baseline; the aggregate 75/1500
    share = values_of(measure_values("cumulative_savings_share", t, "to 2010-11", "all"))
    assert share == {(0, A, "to 2010-11"): 0.06, (0, B, "to 2010-11"): 0.03,
                     (0, E, "to 2010-11"): 0.05}
    # by default, every span 'to <year>' the ledger holds
    assert list(measure_values("cumulative_savings_gbp", t)["period"]) == \
        ["to 2008-09", "to 2009-10", "to 2010-11"]


def test_over_a_span_stocks_are_taken_at_its_end_and_openings_at_its_start() -> None:
    t = RunTables(ledger=_ledger())
    span = "2009-10 to 2010-11"
    assert measure_values("ring_fenced_opening_gbp", t, span, A)["value"].tolist() == [8.0]
    assert measure_values("ring_fenced_opening_gbp", t, "to 2010-11", A)["value"].tolist() == \
        [7.0]
    assert measure_values("ring_fenced_closing_gbp", t, "to 2009-10", A)["value"].tolist() == \
        [9.0]


def test_people_counted_in_each_year_are_never_summed_over_years() -> None:
    fy = long_table({(0, "2009-10", "users_served_in_fy"): {A: 10},
                     (0, "2010-11", "users_served_in_fy"): {A: 12}}, "fy")
    t = RunTables(financial_years=fy)
    with pytest.raises(MeasureError, match="counted once a year"):
        measure_values("clients_served_rap", t, "to 2010-11")
    with pytest.raises(MeasureError, match="financial year only"):
        measure_values("clients_served_rap", RunTables(
            long_table({(0, "2010-03-31", "users_community"): {A: 1}}, "date"), fy),
            "2010-03-31")


# --------------------------------------------------------------------- councils within a band

def _shares() -> RunTables:
    holders = {0: {A: 5, B: 30, C: 9}, 1: {A: 8, B: 20, C: 30}}
    users = {A: 100, B: 300, C: 100}
    values = {}
    for rep in (0, 1):
        values[(rep, "2010-03-31", "pb_holders")] = holders[rep]
        values[(rep, "2010-03-31", "users_community")] = users
        values[(rep, "2010-03-31", "pb_share_adass")] = {A: 0, B: 0, C: 0}
    return RunTables(long_table(values, "date"))


def test_councils_below_a_threshold_are_counted_per_replication() -> None:
    got = values_of(measure_values("councils_pb_share_adass_below_10pct", _shares(),
                                   "2010-03-31"))
    # rep 0: A 0.05, B 0.10 (not below), C 0.09 -> 2; rep 1: A 0.08, B 0.067, C 0.30 -> 2
    assert got == {(0, E, "2010-03-31"): 2.0, (1, E, "2010-03-31"): 2.0}


def test_the_share_of_councils_below_the_aggregate_is_per_replication() -> None:
    got = values_of(measure_values("share_councils_pb_share_adass_below_england", _shares(),
                                   "2010-03-31"))
    # rep 0: aggregate 44/500 = 0.088, only A (0.05) below; rep 1: 58/500 = 0.116, A and B
    assert got == pytest.approx({(0, E, "2010-03-31"): 1 / 3, (1, E, "2010-03-31"): 2 / 3})


def test_a_band_measure_has_the_aggregate_scope_only() -> None:
    with pytest.raises(MeasureError, match="expected the aggregate"):
        measure_values("councils_pb_share_adass_below_10pct", _shares(), "2010-03-31", A)


# ------------------------------------------------------------------------------------- scope

def test_an_aggregate_is_england_only_when_every_council_is_run() -> None:
    every = load_councils()["code"].tolist()
    assert aggregate_label(every) == "England"
    assert aggregate_label([*every, E]) == "England"
    assert aggregate_label([A]) == "Rutland"
    assert aggregate_label([A, B, C]) == "3 councils"
    assert aggregate_label(every[:-1]) == "151 councils"
    assert scope_label(E, [A]) == "Rutland" and scope_label(B, [A, B]) == "Hartlepool"
    with pytest.raises(ValueError):
        aggregate_label([E])


def test_the_measures_table_labels_a_selection_never_as_england() -> None:
    table = measures_table(_shares())
    assert list(table.columns) == ["scenario", "parameter_set", "replication", "scope",
                                   "period", "measure", "value", "unit"]
    assert set(table["scope"].astype(str)) == {A, B, C, "3 councils"}
    band = table[table["measure"] == "councils_pb_share_adass_below_10pct"]
    assert band["scope"].astype(str).tolist() == ["3 councils", "3 councils"]
    assert band["value"].tolist() == [2.0, 2.0] and set(band["unit"]) == {"councils"}
    share = table[(table["measure"] == "pb_share_adass") & (table["scope"] == "3 councils")]
    assert share.sort_values("replication")["value"].tolist() == [44 / 500, 58 / 500]
    # measures the tables cannot give (no financial years, no ledger) are left out
    assert "cumulative_savings_gbp" not in set(table["measure"])
    one = measures_table(RunTables(long_table(
        {(0, "2010-03-31", "users_community"): {A: 5}}, "date")))
    assert set(one["scope"].astype(str)) == {A, "Rutland"}


# ---------------------------------------------------------------------------- the registry

def test_missing_state_is_a_clear_error_naming_the_nearest_measure() -> None:
    t = _shares()
    for name, nearest in (("first_assessments_new_clients", "assessments"),):
        with pytest.raises(MissingStateError) as info:
            measure_values(name, t)
        assert isinstance(info.value, InputError)
        assert f"measure '{name}'" in str(info.value) and nearest in str(info.value)
        assert "does not keep" in str(info.value)


def test_dp_users_in_the_year_is_the_models_count_over_the_year() -> None:
    """RAP P2f's DP users in the year is computed (issue 16) from the count of people holding
    a direct payment at any time in the year, not from the year-end stock."""
    t = RunTables(financial_years=long_table({(0, "2010-11", "dp_users_in_fy"): {A: 7, B: 40},
                                                  (0, "2010-11", "users_dp"): {A: 5, B: 30}},
                                                 "fy"))
    v = measure_values("dp_users_in_year_rap", t, "2010-11", "all").set_index("council_code")
    assert v.loc[A, "value"] == 7 and v.loc[B, "value"] == 40 and v.loc[E, "value"] == 47
    assert not MEASURES["dp_users_in_year_rap"].missing


def test_unknown_names_get_the_nearest_suggestion() -> None:
    with pytest.raises(MeasureError, match="Did you mean 'pb_share_adass'"):
        get_measure("pb_share_adas")
    check_measure_names(["pb_share_adass", "cumulative_savings_share"], "s.yaml", "targets")
    with pytest.raises(ScenarioError) as info:
        check_measure_names(["pb_share_adass", "net_spend_gpb"], "s.yaml", "targets.measures")
    message = str(info.value)
    assert message.startswith("s.yaml: key 'targets.measures': expected the name of a measure")
    assert "found 'net_spend_gpb'" in message and "Did you mean 'net_spend_gbp'" in message


def test_a_scope_not_run_is_an_error() -> None:
    with pytest.raises(MeasureError, match="GSS code of a council run"):
        measure_values("users_community", _shares(), "2010-03-31", "E10000016")


def test_every_metric_and_ledger_line_is_a_measure_under_its_own_name() -> None:
    from caresim.recording import LEDGER, METRICS
    from caresim.results import HIDDEN

    for m in METRICS:
        if m.name in HIDDEN:
            assert m.name not in MEASURES
            continue
        assert MEASURES[m.name].unit == m.unit, m.name
    LEDGER_LINES = [line.name for line in LEDGER]
    for line in LEDGER_LINES:
        # money lines are GBP; the people rationed (issue 15) are people, like their metrics
        unit = "GBP" if line.endswith("_gbp") else "people"
        assert line in MEASURES and MEASURES[line].unit == unit, line
    ledger_only = [c.name for c in COLUMNS.values() if c.table == "ledger"]
    assert set(ledger_only) == set(LEDGER_LINES) - {m.name for m in METRICS}


OFFICIAL = ("clients_served_rap", "long_term_support_in_year_salt",
            "long_term_support_at_year_end_salt", "pb_share_ascof_rap", "pb_share_ascof_salt",
            "dp_share_ascof_salt", "pb_share_adass", "sds_users_in_year_rap",
            "dp_users_in_year_rap", "requests_new_clients", "first_assessments_new_clients",
            "gross_current_expenditure_gbp", "net_current_expenditure_gbp",
            "spend_share_residential_nursing_pssex1", "spend_share_community_pssex1",
            "spend_share_assessment_care_management_pssex1")


@pytest.mark.parametrize("name", OFFICIAL)
def test_each_official_definition_says_what_it_counts_and_how_the_model_differs(name) -> None:
    m = MEASURES[name]
    assert m.group == "official" and len(m.official) > 60
    if m.expression is None:
        assert m.missing and m.nearest and m.nearest.split()[0] in MEASURES
    else:
        assert m.differs and not m.missing


def test_every_measure_is_described_with_a_unit_and_tables() -> None:
    for m in MEASURES.values():
        assert m.label and m.definition.endswith(".")
        assert m.tables or m.expression is None, m.name


def test_the_markdown_lists_every_measure_once_in_its_group() -> None:
    from caresim.measures.docs import measures_markdown

    text = measures_markdown()
    for name in MEASURES:
        assert text.count(f"| `{name}` |") == 1, name
    official = text.split("### Metrics")[0]
    assert "| `clients_served_rap` |" in official and "| `users_dp` |" not in official
