"""Measures: one definition of every number caresim reports, between the tables and readers.

A :class:`Measure` has a name, a label, a unit, the periods it is given at, an expression over
the tables (a metric, a ratio, a sum or difference, a cumulative sum, councils within a band)
and a scope rule. :func:`measure_values` gives its values per run; :func:`format_value` shows
any value from its unit; :func:`measures_table` builds a run's ``measures`` table. The official
statistics the model is compared with are measures under their own names
(:mod:`caresim.measures.official`), and each published figure is a row keyed by a measure
(:mod:`caresim.measures.figures`). ``caresim measures`` lists them all.
"""

from caresim.measures.catalogue import MEASURES, check_measure_names, find_measures, get_measure
from caresim.measures.errors import MeasureError, MissingStateError
from caresim.measures.formatting import (
    NOT_AVAILABLE,
    axis_scale,
    common_scale,
    excel_format,
    format_against,
    format_difference,
    format_value,
)
from caresim.measures.measure import Measure
from caresim.measures.readings import Reading, reading_values
from caresim.measures.scope import aggregate_label, scope_label
from caresim.measures.tables import (
    RunTables,
    metric_rows,
    metrics_rows,
    monthly_rows,
    period_kinds,
    yearly_rows,
)
from caresim.measures.units import get_unit, money_scale
from caresim.measures.values import measure_values, measures_table

__all__ = [
    "MEASURES",
    "NOT_AVAILABLE",
    "Measure",
    "MeasureError",
    "MissingStateError",
    "Reading",
    "RunTables",
    "aggregate_label",
    "axis_scale",
    "check_measure_names",
    "common_scale",
    "excel_format",
    "find_measures",
    "format_against",
    "format_difference",
    "format_value",
    "get_measure",
    "get_unit",
    "measure_values",
    "measures_table",
    "metric_rows",
    "metrics_rows",
    "money_scale",
    "monthly_rows",
    "period_kinds",
    "reading_values",
    "scope_label",
    "yearly_rows",
]
