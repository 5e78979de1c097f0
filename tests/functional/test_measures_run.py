"""The measures layer on a real small run: every measure evaluates (or says which model state
it lacks), the readings give what today's readers compute, and the ``measures`` table."""

from __future__ import annotations

import functools
from pathlib import Path

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
    reading_values,
)
from caresim.measures.figures import load_figures
from caresim.measures.readings import HEADLINES, TARGET_READINGS, savings_readings
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


def test_headline_readings_equal_todays_headline_values(frames, tables) -> None:
    from caresim.analysis.headline import HEADLINES as TODAY
    from caresim.analysis.headline import headline_values

    assert [r.name for r in HEADLINES] == [i.name for i in TODAY]
    assert [r.unit for r in HEADLINES] == [i.unit for i in TODAY]
    for scope in (ENGLAND_CODE, "E06000017"):
        today = headline_values(*frames, scope)
        for r in HEADLINES:
            want = today[today["indicator"] == r.name].set_index("replication")["value"]
            got = reading_values(r, tables, "england" if scope == ENGLAND_CODE else scope)
            got = got.set_index("replication")["value"]
            if r.measure.startswith("cumulative"):
                pd.testing.assert_series_equal(got, want, check_names=False, rtol=1e-12)
            else:  # read straight from the table: identical
                pd.testing.assert_series_equal(got, want, check_names=False, rtol=0, atol=0)


def test_target_readings_equal_todays_scorecard_values(frames, tables, baseline_params) -> None:
    from caresim.scorecard import scorecard

    card = scorecard(*frames, baseline_params.targets)
    readings = (*TARGET_READINGS, *savings_readings(baseline_params.targets))
    assert {r.name for r in readings} == set(card["target"])
    for r in readings:
        got = reading_values(r, tables, scope="all")
        mean = got.groupby("council_code")["value"].mean()
        want = card[card["target"] == r.name].set_index("scope")["value"]
        pd.testing.assert_series_equal(mean.sort_index(), want.sort_index(), check_names=False,
                                       rtol=1e-12)


CHANGED = {
    "gross_current_expenditure_gbp": "PSS-EX1 GCE takes NHS income off: gross spend minus NHS "
                                     "transfers, where today's row compares gross spend",
}
"""Figures whose measure deliberately differs from today's validation quantity."""


def test_figures_give_todays_validation_values_where_the_definition_is_unchanged(
        frames, tables) -> None:
    from caresim.analysis.published import TARGETS
    from caresim.analysis.validation import target_values

    monthly, fy, _ = frames
    for target, fig in zip(TARGETS, load_figures(), strict=True):
        want = target_values(target, monthly, fy).sort_index().to_numpy(dtype=float)
        m = MEASURES[fig.measure]
        if m.missing:  # the nearest measure is what today's row compares
            assert m.nearest.split()[0] == target.model
            continue
        got = reading_values_for(fig, tables)
        if fig.measure in CHANGED:
            nhs = measure_values("income_nhs_gbp", tables, fig.period)["value"].to_numpy()
            np.testing.assert_allclose(got, want - nhs, rtol=1e-12)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=fig.measure)


def reading_values_for(fig, tables: RunTables) -> np.ndarray:
    v = measure_values(fig.measure, tables, fig.period)
    return v.sort_values("replication")["value"].to_numpy()


def test_the_measures_table_of_a_run(tables, frames) -> None:
    table = measures_table(tables)
    assert list(table.columns) == ["scenario", "parameter_set", "replication", "scope",
                                   "period", "measure", "value", "unit"]
    scopes = set(table["scope"].astype(str))
    assert "6 councils" in scopes and "England" not in scopes and ENGLAND_CODE not in scopes
    assert len(scopes) == 7
    assert not {"dp_users_in_year_rap", "first_assessments_new_clients"} & \
        set(table["measure"].astype(str))
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


REFERENCE = Path("/work/ref/main/small/baseline")


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no reference run folder on this machine")
def test_the_reference_run_folder_tables() -> None:
    folder = sorted(p for p in REFERENCE.iterdir() if (p / "manifest.json").is_file())[-1]
    t = RunTables(pd.read_parquet(folder / "timeseries.parquet"),
                  pd.read_parquet(folder / "financial_years.parquet"),
                  pd.read_csv(folder / "ledger.csv"))
    table = measures_table(t)
    assert set(table["measure"].astype(str)) == \
        {n for n, m in MEASURES.items() if not m.missing}
    assert "6 councils" in set(table["scope"].astype(str))
    card = pd.read_csv(folder / "scorecard.csv")
    for r in TARGET_READINGS[:2]:
        got = reading_values(r, t, "all").groupby("council_code")["value"].mean()
        want = card[card["target"] == r.name].set_index("scope")["value"]
        pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False,
                                       rtol=1e-12)
