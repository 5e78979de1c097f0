"""The measures layer on a real small run: every measure evaluates (or says which model state
it lacks), the readings give what today's readers compute, and the ``measures`` table."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from caresim.councils import ENGLAND_CODE
from caresim.measures import (
    MEASURES,
    MissingStateError,
    RunTables,
    measure_values,
    measures_table,
)
from caresim.measures.figures import load_figures
from caresim.results import fy_table, ledger_table, monthly_table
from tests.conftest import SMALL_COUNCILS, run

REPLICATIONS = (0, 1)


@functools.cache
def _frames(params_json: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from caresim.params.schema import Scenario

    params = Scenario.model_validate_json(params_json)
    results = [run(params, SMALL_COUNCILS, r) for r in REPLICATIONS]
    return (pd.concat([monthly_table(x, "baseline", r) for r, x in
                       zip(REPLICATIONS, results, strict=True)], ignore_index=True),
            pd.concat([fy_table(x, "baseline", r) for r, x in
                       zip(REPLICATIONS, results, strict=True)], ignore_index=True),
            pd.concat([ledger_table(x, "baseline", r) for r, x in
                       zip(REPLICATIONS, results, strict=True)], ignore_index=True))


@pytest.fixture(scope="module")
def frames(baseline_params):
    return _frames(baseline_params.model_dump_json())


@pytest.fixture(scope="module")
def tables(frames) -> RunTables:
    return RunTables(*frames)


def _by_run(frame: pd.DataFrame) -> pd.Series:
    return frame.set_index(["replication", "council_code"])["value"].sort_index()


@pytest.mark.parametrize("name", list(MEASURES))
def test_every_measure_evaluates_or_names_the_state_it_lacks(name, tables) -> None:
    m = MEASURES[name]
    if m.missing:
        with pytest.raises(MissingStateError, match=name):
            measure_values(name, tables)
        return
    scope = "england" if m.scope == "england" else "all"
    v = measure_values(name, tables, scope=scope)
    assert len(v) > 0
    per_period = 7 if scope == "all" else 1  # six councils and the aggregate
    assert len(v) == v["period"].nunique() * per_period * len(REPLICATIONS)
    finite = np.isfinite(v["value"].to_numpy())
    assert finite.any(), name
    # a council may have no denominator in a month (no PB holders on Scilly); the aggregate has
    aggregate = finite[(v["council_code"] == ENGLAND_CODE).to_numpy()]
    if m.unit == "fraction" and name != "offer_share":
        assert aggregate.all(), name


def test_headline_values_are_the_tables_own_values(frames) -> None:
    from caresim.analysis.headline import headline_values

    ts, fy, led = frames
    got = headline_values(ts, fy, led, "E06000017")
    share = got[got["indicator"] == "pb_share_adass 2011-04-01"]["value"].to_numpy()
    want = ts[(ts["metric"] == "pb_share_adass") & (ts["council_code"] == "E06000017")
              & (pd.to_datetime(ts["date"]) == pd.Timestamp(2011, 3, 31))]
    np.testing.assert_array_equal(share, want.sort_values("replication")["value"].to_numpy())
    savings = got[got["indicator"] == "cumulative cashable savings to 2010-11"]
    rows = led[(led["council_code"] == "E06000017") & (led["fy"] <= "2010-11")]
    np.testing.assert_allclose(savings["value"].to_numpy(), rows.groupby("replication")[
        "savings_total_gbp"].sum().to_numpy(), rtol=1e-12)
    assert set(got["unit"]) == {"fraction", "index", "GBP", "people"}


def test_validation_has_a_row_per_figure_with_its_role(tables) -> None:
    from caresim.analysis.validation import validation_table
    from caresim.measures.figures import ROLES

    table = validation_table(tables)
    figures = load_figures()
    assert len(table) == len(figures)
    assert set(table["role"]) <= set(ROLES) and (table["n"] == len(REPLICATIONS)).all()
    assert ((table["role"] == "fitted") == (table["weight"] > 0)).all()
    for (_, row), fig in zip(table.iterrows(), figures, strict=True):
        m = MEASURES[fig.measure]
        if m.missing:  # compared on the nearest measure, and the row says so
            assert row["model_measure"] == m.nearest.split()[0] != fig.measure
            assert row["model_note"].startswith("nearest measure:")
        else:
            assert row["model_measure"] == fig.measure and row["model_note"] == ""
            want = measure_values(fig.measure, tables, fig.period)["value"].mean()
            assert row["model_mean"] == pytest.approx(want, rel=1e-12, nan_ok=True)


def test_the_measures_table_of_a_run(tables, frames) -> None:
    table = measures_table(tables)
    assert list(table.columns) == ["scenario", "parameter_set", "replication", "scope",
                                   "period", "measure", "value", "unit"]
    scopes = set(table["scope"].astype(str))
    assert "6 councils" in scopes and "England" not in scopes and ENGLAND_CODE not in scopes
    assert len(scopes) == 7
    assert "first_assessments_new_clients" not in set(table["measure"].astype(str))
    assert "dp_users_in_year_rap" in set(table["measure"].astype(str))
    assert set(table["measure"].astype(str)) == \
        {n for n, m in MEASURES.items() if not m.missing}
    # a plain metric is the table's own value
    ts = frames[0]
    want = ts[(ts["metric"] == "users_community") & (ts["council_code"] == "E06000017")]
    got = table[(table["measure"] == "users_community") & (table["scope"] == "E06000017")
                & (table["period"].str.len() == 10)]
    np.testing.assert_array_equal(np.sort(got["value"].to_numpy()),
                                  np.sort(want["value"].to_numpy()))
    units = table.drop_duplicates("measure").set_index("measure")["unit"].astype(str)
    assert all(units[n] == MEASURES[n].unit for n in units.index)


def test_tables_read_back_from_files_give_the_same_measures(tables, frames, tmp_path) -> None:
    ts, fy, led = frames
    ts.assign(date=pd.to_datetime(ts["date"]).dt.date.astype(str)).to_parquet(
        tmp_path / "timeseries.parquet", index=False)
    fy.to_parquet(tmp_path / "financial_years.parquet", index=False)
    led.to_csv(tmp_path / "ledger.csv", index=False)
    back = RunTables(pd.read_parquet(tmp_path / "timeseries.parquet"),
                     pd.read_parquet(tmp_path / "financial_years.parquet"),
                     pd.read_csv(tmp_path / "ledger.csv"))
    names = ["pb_share_adass", "offer_share", "cumulative_savings_share",
             "councils_pb_share_adass_below_10pct", "net_current_expenditure_gbp"]
    a, b = measures_table(tables, names), measures_table(back, names)
    pd.testing.assert_frame_equal(a, b, check_categorical=False, rtol=1e-12)


def test_the_reablement_check_is_the_years_avoided_cost_over_its_spend(tables) -> None:
    """``caresim validate``'s reablement check (issue 16): per year, spend and avoided cost per
    episode and their ratio are the tables' own sums, and the verdict follows the tolerance."""
    from caresim.analysis.validation import (
        REABLEMENT_OFFSET,
        REABLEMENT_TOLERANCE,
        REABLEMENT_YEARS,
        reablement_check,
        reablement_markdown,
    )

    check = reablement_check(tables)
    assert list(check["year"]) == list(REABLEMENT_YEARS)
    for _, r in check.iterrows():
        def total(name: str, year: str = r["year"]) -> pd.Series:
            v = measure_values(name, tables, year, "england")
            return v.set_index("replication")["value"]

        ratio = total("reablement_year_one_avoided_gbp") / total("spend_prevention_gbp")
        assert r["ratio"] == pytest.approx(ratio.mean(), rel=1e-9)
        episodes = total("reablement_episodes").mean()
        assert r["episodes"] == pytest.approx(episodes)
        assert r["spend_per_episode_gbp"] == pytest.approx(
            total("spend_prevention_gbp").mean() / episodes)
        assert r["holds"] == (abs(r["ratio"] - REABLEMENT_OFFSET) <= REABLEMENT_TOLERANCE)
    text = "\n".join(reablement_markdown(check))
    assert text.count("\n| 20") == len(REABLEMENT_YEARS)
