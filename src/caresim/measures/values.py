"""A measure's values per run, for a scope and periods, and the ``measures`` table of a run.

:func:`measure_values` is the one function that turns the tidy tables into a measure's values.
:func:`measures_table` gives every computable measure at its periods for every council and the
aggregate: ``scenario, parameter_set, replication, scope, period, measure, value, unit``, with
``scope`` a council's GSS code or the aggregate's label (see :mod:`caresim.measures.scope`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from caresim.councils import ENGLAND_CODE
from caresim.measures.catalogue import MEASURES, get_measure
from caresim.measures.errors import MeasureError, MissingStateError
from caresim.measures.expressions import Metric
from caresim.measures.measure import Measure
from caresim.measures.scope import aggregate_label
from caresim.measures.tables import COLUMNS, KEYS, RunTables
from caresim.period import FinancialYear, MonthEnd, MonthSpan, Period, YearSpan, as_period

VALUE_COLUMNS = ("scenario", "parameter_set", "replication", "council_code", "period", "value")
"""Columns of :func:`measure_values`."""

TABLE_COLUMNS = ("scenario", "parameter_set", "replication", "scope", "period", "measure",
                 "value", "unit")
"""Columns of :func:`measures_table` (``measures.parquet``)."""

AGGREGATE = "england"
"""The scope argument naming the aggregate of the councils run (England when all are run)."""


def default_periods(measure: Measure, tables: RunTables,
                    kinds: Sequence[str] | None = None) -> list[Period]:
    """Every period of the measure's kinds (or of ``kinds``) the tables hold: each month end,
    each financial year, each span ``to <year>`` from the first year; spans of months only
    when asked."""
    out: list[Period] = []
    for kind in measure.periods if kinds is None else kinds:
        if kind == MonthEnd.KIND:
            out += tables.month_ends
        elif kind == FinancialYear.KIND:
            out += tables.years
        elif kind == YearSpan.KIND:
            out += [YearSpan(y) for y in tables.years]
    return out


def _select_scope(values: pd.Series, measure: Measure, scope: str,
                  tables: RunTables) -> pd.Series:
    codes = values.index.get_level_values("council_code")
    if scope == "all":
        return values
    if scope == AGGREGATE:
        if measure.scope == "councils":
            raise MeasureError(f"measure '{measure.name}': expected a council as its scope; "
                               "found the aggregate.")
        return values[codes == ENGLAND_CODE]
    if measure.scope == "england":
        raise MeasureError(f"measure '{measure.name}': expected the aggregate ('{AGGREGATE}') "
                           f"as its scope (it compares councils); found '{scope}'.")
    if scope == "councils":
        return values[codes != ENGLAND_CODE]
    if scope not in tables.council_codes:
        raise MeasureError(f"scope '{scope}': expected '{AGGREGATE}', 'councils', 'all' or the "
                           f"GSS code of a council run ({', '.join(tables.council_codes)}); "
                           "found none of these.")
    return values[codes == scope]


def measure_values(measure: str | Measure, tables: RunTables,
                   periods: Sequence[Period | str] | Period | str | None = None,
                   scope: str = AGGREGATE) -> pd.DataFrame:
    """A measure's value in each run (parameter set and replication), scope and period.

    Parameters
    ----------
    measure : str or Measure
        The measure (a name from :data:`caresim.measures.catalogue.MEASURES`).
    tables : RunTables
        The run's tables.
    periods : period, text, or a sequence of them, optional
        Where to evaluate it; every period of its kinds the tables hold when omitted. Periods
        the tables do not hold give no rows.
    scope : str
        ``england`` (the aggregate of the councils run), ``councils`` (each council), ``all``
        (both), or one council's GSS code.

    Returns
    -------
    pandas.DataFrame
        ``scenario, parameter_set, replication, council_code, period, value``: the aggregate
        under England's code; ``period`` as the tables write it; ``value`` in the measure's
        unit.

    Raises
    ------
    MissingStateError
        When the measure needs state the model does not keep.
    MeasureError
        For an unknown measure, a period it cannot be given at, or a scope it does not have.
    """
    m = get_measure(measure)
    if m.expression is None:
        raise MissingStateError(m.name, m.missing, m.nearest)
    if periods is None:
        wanted = default_periods(m, tables)
    elif isinstance(periods, str | MonthEnd | FinancialYear | YearSpan | MonthSpan):
        wanted = [as_period(periods)]
    else:
        wanted = [as_period(p) for p in periods]
    values = _select_scope(m.expression.evaluate(tables, wanted), m, scope, tables)
    return in_period_order(values.rename("value").reset_index(), wanted)


def in_period_order(frame: pd.DataFrame, periods: Sequence[Period]) -> pd.DataFrame:
    """Values of a measure (:data:`VALUE_COLUMNS`, the value in the measure's unit) in the
    order :func:`measure_values` gives them: by period in the order of ``periods``, then run;
    rows of one period and run (councils) keep their order.

    So values gathered run by run, concatenated in run order, are ordered as one
    :func:`measure_values` over all the runs orders them.
    """
    order = {str(p): i for i, p in enumerate(periods)}
    frame = frame.assign(_order=frame["period"].map(order))
    frame = frame.sort_values(["_order", "scenario", "parameter_set", "replication"],
                              kind="stable")
    return frame[list(VALUE_COLUMNS)].reset_index(drop=True)


def _kinds_available(m: Measure, tables: RunTables) -> list[str]:
    """The measure's period kinds at which the tables given hold every column it reads."""
    if m.expression is None:
        return []
    return [kind for kind in m.periods
            if all(tables.has(COLUMNS[c], kind in (MonthEnd.KIND, MonthSpan.KIND))
                   for c in m.expression.columns())]


def _series(m: Measure, kinds: list[str], tables: RunTables) -> list[pd.Series]:
    """The measure's values at every period of ``kinds`` the tables hold."""
    assert m.expression is not None
    if isinstance(m.expression, Metric) and m.expression.name == m.name:
        # a plain metric is its whole column (the fast path: no copy, no lookups)
        column = COLUMNS[m.name]
        return [tables.frame_for(column, monthly)[m.name]
                for monthly in (True, False)
                if (MonthEnd.KIND if monthly else FinancialYear.KIND) in kinds]
    v = m.expression.evaluate(tables, default_periods(m, tables, kinds))
    if m.scope == "england":
        v = v[v.index.get_level_values("council_code") == ENGLAND_CODE]
    return [v]


def _assemble(parts: list[tuple[int, pd.Series]], names: list[str], units: list[str],
              label: str) -> pd.DataFrame:
    """One frame from series indexed by :data:`KEYS`, building categoricals from the index
    codes (no text is converted row by row)."""
    categories: dict[str, dict] = {k: {} for k in KEYS}
    codes: dict[str, list[np.ndarray]] = {k: [] for k in KEYS}
    measure, values = [], []
    for which, s in parts:
        index = s.index
        for i, key in enumerate(KEYS):
            seen = categories[key]
            mapping = np.array([seen.setdefault(v, len(seen)) for v in index.levels[i]],
                               dtype=np.int64)
            codes[key].append(mapping[index.codes[i]])
        values.append(s.to_numpy(dtype=float))
        measure.append(np.full(len(s), which, dtype=np.int64))
    out = {}
    for key in KEYS:
        cats = list(categories[key])
        c = np.concatenate(codes[key])
        if key in ("parameter_set", "replication"):
            out[key] = np.asarray(cats, dtype=np.int64)[c]
        else:
            if key == "council_code":
                key, cats = "scope", [label if x == ENGLAND_CODE else x for x in cats]
            used = np.flatnonzero(np.bincount(c, minlength=len(cats)))
            remap = np.full(len(cats), -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            out[key] = pd.Categorical.from_codes(remap[c], [cats[i] for i in used])
    m = np.concatenate(measure)
    out["measure"] = pd.Categorical.from_codes(m, names)
    out["value"] = np.concatenate(values)
    unit_names = list(dict.fromkeys(units))
    unit_of = np.array([unit_names.index(u) for u in units], dtype=np.int64)
    out["unit"] = pd.Categorical.from_codes(unit_of[m], unit_names)
    return pd.DataFrame(out)[list(TABLE_COLUMNS)]


def measures_table(tables: RunTables, measures: Iterable[str] | None = None) -> pd.DataFrame:
    """Every measure at its periods for each council and the aggregate (``measures.parquet``).

    Measures whose definition needs state the model lacks are left out (they have no value),
    and so are the periods at which the tables given lack a column a measure reads; measures
    of the aggregate only (councils within a band) have aggregate rows only.

    Parameters
    ----------
    tables : RunTables
        The run's tables.
    measures : iterable of str, optional
        Which measures; all of :data:`caresim.measures.catalogue.MEASURES` when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`TABLE_COLUMNS` (text columns categorical), by measure in registry order, then
        period; ``scope`` is a council's GSS code, or for the aggregate ``England`` when every
        council was run, else the selection (a council's name, or ``"3 councils"``).
    """
    chosen = [get_measure(n) for n in (MEASURES if measures is None else measures)]
    kinds = {m.name: _kinds_available(m, tables) for m in chosen}
    chosen = [m for m in chosen if kinds[m.name]]
    if not chosen:
        return pd.DataFrame(columns=list(TABLE_COLUMNS))
    parts = [(i, s) for i, m in enumerate(chosen) for s in _series(m, kinds[m.name], tables)]
    return _assemble(parts, [m.name for m in chosen], [m.unit for m in chosen],
                     aggregate_label(tables.council_codes))
