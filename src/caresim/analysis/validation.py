"""Model against the published record: each target's model value per replication, its mean
with a 95% interval, and the error, side by side with the published value, its definition,
source and status (see :mod:`caresim.analysis.published`).

Also the spread between councils: each council's PB/DP holders on 31 March 2010 against its
PSS EX1 count of direct payments and personal budgets (A4.20) on that date.

Every reader takes a run's tables or the values validate gathered run by run: each run's tables
are reduced to the values of the :class:`Query` list validate reads (:func:`query_values`), and
the runs' values concatenated (:func:`gather_values`) are those one reading of every run's
tables gives, so the readers' statistics are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from caresim.analysis.published import council_dp_counts
from caresim.analysis.replications import mean_half_width
from caresim.analysis.time_split import TimeSplitCheck, time_split_markdown
from caresim.measures import (
    Reading,
    RunTables,
    format_difference,
    format_value,
    get_measure,
    measure_values,
    reading_values,
)
from caresim.measures.figures import Figure, load_figures
from caresim.measures.values import AGGREGATE, default_periods, in_period_order
from caresim.period import FinancialYear, MonthEnd, parse_period


@dataclass(frozen=True)
class Query:
    """Values of one measure a reader of this module reads from a run.

    Attributes
    ----------
    measure : str
        The measure (a name of :data:`caresim.measures.catalogue.MEASURES`).
    periods : tuple of str
        The periods, in the order the reader wants them; empty with ``kind``.
    kind : str, optional
        Instead of ``periods``: every period of this kind (``MonthEnd.KIND`` or
        ``FinancialYear.KIND``) the tables hold, in time order.
    scope : str
        As :func:`caresim.measures.measure_values` takes it.
    """

    measure: str
    periods: tuple[str, ...] = ()
    kind: str | None = None
    scope: str = AGGREGATE


Values = Mapping[Query, pd.DataFrame]
"""Each query's values (:func:`caresim.measures.measure_values`' columns) over some runs."""


def query_values(queries: Sequence[Query], tables: RunTables) -> dict[Query, pd.DataFrame]:
    """The values of each query in the tables given (one run's, or several runs').

    Parameters
    ----------
    queries : sequence of Query
        What to read (a query repeated is read once).
    tables : RunTables
        The tables.

    Returns
    -------
    dict
        Query -> ``scenario, parameter_set, replication, council_code, period, value`` (the
        value in the measure's unit), as :func:`caresim.measures.measure_values` gives them.
    """
    out = {}
    for q in dict.fromkeys(queries):
        periods = (list(q.periods) if q.kind is None else
                   default_periods(get_measure(q.measure), tables, [q.kind]))
        out[q] = measure_values(q.measure, tables, periods, q.scope)
    return out


def gather_values(runs: Sequence[Values]) -> dict[Query, pd.DataFrame]:
    """The values of each query over runs read one by one (:func:`query_values`), in run
    order: those :func:`query_values` gives of every run's tables at once.

    Parameters
    ----------
    runs : sequence of mapping
        Each run's values, in plan order (every run read for the same queries).

    Returns
    -------
    dict
        Query -> the runs' values concatenated and ordered by period, then run.
    """
    out = {}
    for q in runs[0]:
        frames = [r[q] for r in runs]
        full = [f for f in frames if len(f)]
        if not full:
            out[q] = frames[0]
            continue
        values = pd.concat(full, ignore_index=True)
        periods = (list(q.periods) if q.kind is None else
                   sorted({parse_period(p) for p in values["period"].unique()}))
        out[q] = in_period_order(values, periods)
    return out


def _values(source: RunTables | Values, queries: Sequence[Query]) -> Values:
    """The queries' values: read from tables, or already gathered."""
    return query_values(queries, source) if isinstance(source, RunTables) else source


def compared_measure(figure: Figure) -> str:
    """The measure the model is compared on: the figure's own, or, where the model lacks the
    state that definition needs, the nearest one it names (the row says so)."""
    m = get_measure(figure.measure)
    return m.name if m.expression is not None else m.nearest.split()[0]


def figure_values(figure: Figure, tables: RunTables) -> pd.Series:
    """The model's value of ``figure``'s measure at its period in each replication, for the
    aggregate of the councils run (England when all are run)."""
    reading = Reading(figure.series, compared_measure(figure), parse_period(figure.period))
    v = reading_values(reading, tables, "england")
    return v.set_index("replication")["value"]


def figure_query(figure: Figure) -> Query:
    """What the validation table reads of a figure: the value of its compared measure at its
    period, for the aggregate of the councils run (:func:`figure_values`)."""
    return Query(compared_measure(figure), (figure.period,))


def validation_table(tables: RunTables | Values) -> pd.DataFrame:
    """One row per published figure (:func:`caresim.measures.figures.load_figures`): its
    measure, role, published value, the model mean with a 95% interval, and the errors.

    ``tables`` is the runs' tables, or the values of :func:`validation_queries` gathered over
    them (:func:`gather_values`); the table is the same.
    """
    figures = load_figures()
    gathered = _values(tables, [figure_query(f) for f in figures])
    rows = []
    for f in figures:
        values = gathered[figure_query(f)]["value"].to_numpy(dtype=float)
        n = len(values)
        mean = float(np.mean(values)) if n else float("nan")
        half = mean_half_width(values)
        error = mean - f.value
        compared = compared_measure(f)
        rows.append({
            "series": f.series, "measure": f.measure, "period": f.period, "role": f.role,
            "published": f.value, "unit": f.unit, "definition": f.definition,
            "source_file": f.source_file, "source_line": f.source_line, "status": f.status,
            "weight": f.weight, "alignment": f.alignment, "model_measure": compared,
            "model_note": "" if compared == f.measure else
            f"nearest measure: {get_measure(f.measure).nearest}",
            "n": n, "model_mean": mean, "model_ci_low": mean - half,
            "model_ci_high": mean + half, "error": error,
            "error_relative": error / f.value if f.value else float("nan"),
        })
    return pd.DataFrame(rows)


SPREAD_DATE = "2010-03-31"
"""The date of the council spread: PSS EX1 A4.20 counts DPs and PBs on 31 March 2010."""


SPREAD_QUERY = Query("pb_holders", (SPREAD_DATE,), scope="councils")
"""What the council spread reads: each council's PB and DP holders on :data:`SPREAD_DATE`."""


def council_spread(tables: RunTables | Values) -> tuple[pd.DataFrame, dict[str, float]]:
    """Each council's PB/DP holders on 31 March 2010 against PSS EX1 A4.20, and summary
    statistics (Spearman rank correlation, median and quartiles of model / published).

    ``tables`` is the runs' tables, or the values of :data:`SPREAD_QUERY` gathered over them
    (:func:`gather_values`).
    """
    m = _values(tables, [SPREAD_QUERY])[SPREAD_QUERY]
    model = m.groupby("council_code", observed=True)["value"].mean()
    published = council_dp_counts()
    both = pd.DataFrame({"model_pb_holders": model, "published_dp_and_pb": published}).dropna()
    both = both[both["published_dp_and_pb"] > 0]
    both["ratio"] = both["model_pb_holders"] / both["published_dp_and_pb"]
    if len(both) < 3:
        return both.reset_index(names="council_code"), {}
    rho = stats.spearmanr(both["model_pb_holders"], both["published_dp_and_pb"]).statistic
    q = both["ratio"].quantile([0.25, 0.5, 0.75])
    return both.reset_index(names="council_code"), {
        "councils": float(len(both)), "spearman_rho": float(rho),
        "ratio_q25": float(q[0.25]), "ratio_median": float(q[0.5]), "ratio_q75": float(q[0.75])}


REABLEMENT_YEARS = ("2008-09", "2009-10", "2010-11", "2011-12")
"""The years of the reablement check (the record to 2011/12)."""
REABLEMENT_OFFSET = 1.0
"""Year-one package cost avoided per GBP spent on reablement that Glendinning et al. 2010 found:
social care costs about 60% lower over the following 12 months, the saving almost entirely
offset by the cost of the episode within the year (``data/published/reablement_parameters.csv``
line 5), so about 1."""
REABLEMENT_TOLERANCE = 0.2
"""How far from :data:`REABLEMENT_OFFSET` the model may be for the check to hold (assumption:
'almost entirely offset' read as within 20%)."""


REABLEMENT_QUERIES = tuple(Query(name, REABLEMENT_YEARS) for name in (
    "reablement_episodes", "spend_prevention_gbp", "reablement_year_one_avoided_gbp",
    "reablement_year_one_ratio"))
"""What the reablement check reads: episodes, spend on them and the package cost they avoid
(GBP), and the ratio of the two, England, each year of :data:`REABLEMENT_YEARS`."""


def reablement_check(tables: RunTables | Values) -> pd.DataFrame:
    """Year-one cost per reablement episode against the package cost it avoids, by year.

    ``tables`` is the runs' tables, or the values of :data:`REABLEMENT_QUERIES` gathered over
    them (:func:`gather_values`).

    Returns
    -------
    pandas.DataFrame
        One row per year of :data:`REABLEMENT_YEARS`: episodes (mean over replications, England),
        spend per episode and avoided cost per episode in the twelve months from its start (GBP),
        their ratio with a 95% interval, and whether it is within
        :data:`REABLEMENT_TOLERANCE` of :data:`REABLEMENT_OFFSET`.
    """
    gathered = _values(tables, REABLEMENT_QUERIES)

    def per_year(name: str) -> pd.DataFrame:
        v = gathered[Query(name, REABLEMENT_YEARS)]
        return v.groupby("period", observed=True)["value"]

    episodes = per_year("reablement_episodes")
    spend = per_year("spend_prevention_gbp").mean()
    avoided = per_year("reablement_year_one_avoided_gbp").mean()
    ratio = per_year("reablement_year_one_ratio")
    rows = []
    for year in REABLEMENT_YEARS:
        if year not in spend.index:
            continue
        values = ratio.get_group(year).to_numpy(dtype=float)
        mean = float(np.mean(values))
        half = mean_half_width(values)
        count = float(episodes.mean()[year])
        rows.append({"year": year, "episodes": count,
                     "spend_per_episode_gbp": spend[year] / count if count else float("nan"),
                     "avoided_per_episode_gbp": avoided[year] / count if count else float("nan"),
                     "ratio": mean, "ratio_ci_low": mean - half, "ratio_ci_high": mean + half,
                     "holds": abs(mean - REABLEMENT_OFFSET) <= REABLEMENT_TOLERANCE})
    return pd.DataFrame(rows)


def path_query(measure: str, period: str) -> Query | None:
    """What a series' plot reads: the measure at every period of the kind of the figure's
    period (month ends or financial years) the tables hold, for the aggregate of the councils
    run; ``None`` for a span, or a kind the measure is not given at."""
    kind = parse_period(period).KIND
    if kind not in (MonthEnd.KIND, FinancialYear.KIND) or \
            kind not in get_measure(measure).periods:
        return None
    return Query(measure, kind=kind)


def validation_queries() -> tuple[Query, ...]:
    """Everything validate reads of a run: each figure's value (:func:`figure_query`), the
    council spread (:data:`SPREAD_QUERY`), the reablement check (:data:`REABLEMENT_QUERIES`)
    and the path each series' plot shows (:func:`path_query` of the series' first figure)."""
    figures = load_figures()
    first: dict[str, Figure] = {}
    for f in figures:
        first.setdefault(f.series, f)
    paths = [path_query(compared_measure(f), f.period) for f in first.values()]
    return tuple(dict.fromkeys([*(figure_query(f) for f in figures), SPREAD_QUERY,
                                *REABLEMENT_QUERIES, *(q for q in paths if q is not None)]))


def reablement_markdown(check: pd.DataFrame) -> list[str]:
    """The reablement check as Markdown lines."""
    lines = ["", "## Reablement: year-one cost against the cost it avoids", "",
             "Each year's episodes (including those of people who would not have had a package "
             "anyway, `reablement.share_episodes_not_eligible`), the spend per episode, and the "
             "package cost each avoids in the twelve months from its start (net of the "
             "comparison group's no-package share, `reablement.p_no_package_comparison`), "
             "against Glendinning et al. 2010: costs about 60% lower over 12 months, the saving "
             "almost entirely offset by the episode's cost in year one, so about "
             f"{REABLEMENT_OFFSET:g} GBP avoided per GBP spent. The check holds within "
             f"{REABLEMENT_TOLERANCE:g} (an assumption). In-sample: "
             "`share_episodes_not_eligible` was set by hand to this figure, so agreement says "
             "only that the setting worked. No published count of reablement episodes to "
             "2011/12 was found, so episode volumes are shown, not checked.", "",
             "| year | episodes | spend per episode | year-one avoided cost per episode | "
             "avoided per GBP spent (95% interval) | check |", "|---|---|---|---|---|---|"]
    for _, r in check.iterrows():
        ci = _interval(r["ratio_ci_low"], r["ratio_ci_high"], lambda v: f"{v:.2f}")
        lines.append(f"| {r['year']} | {_fmt(r['episodes'], 'episodes')} | "
                     f"£{r['spend_per_episode_gbp']:,.0f} | "
                     f"£{r['avoided_per_episode_gbp']:,.0f} | {r['ratio']:.2f}{ci} | "
                     f"{'holds' if r['holds'] else 'fails'} |")
    return lines


def _interval(low: float, high: float, fmt: Callable[[float], str]) -> str:
    """`` (low to high)`` for a table cell, or nothing when there is no interval."""
    return f" ({fmt(low)} to {fmt(high)})" if np.isfinite(low) else ""


def _fmt(value: float, unit: str) -> str:
    return "" if not np.isfinite(value) else format_value(value, unit)


def validation_markdown(table: pd.DataFrame, spread: dict[str, float], meta: dict,
                        reablement: pd.DataFrame | None = None,
                        time_split: TimeSplitCheck | None = None) -> str:
    """The validation report as Markdown (the source of docs/validation.md), with the
    reablement check (:func:`reablement_check`) when given, and the time-split check
    (:mod:`caresim.analysis.time_split`), or the plain statement that none is shipped when
    ``time_split`` is ``None``."""
    lines = ["<!-- generated by caresim validate; do not edit by hand -->", "",
             "# Validation: caresim against the published record", "",
             f"Scenario `{meta['scenario']}` (hash `{meta['hash']}`), {meta['replications']} "
             f"replication(s) of all {meta['councils']} councils, master seed "
             f"{meta['seed']}, caresim {meta['version']}. Command: `{meta['command']}`.", "",
             *([f"**Only {meta['councils']} councils were run: counts and money cover those "
                "councils only; compare shares.**", ""] if meta["councils"] < 152 else []),
             "Model values are means over replications with a 95% interval (randomness only). "
             "Error = model - published. Each figure has a role: **fitted** figures are the "
             "calibration targets, so the model's agreement with them is in-sample and says "
             "only that the fit worked, not that the model predicts; **checked** figures are "
             "published and never fitted (out of sample: the test of the model); **input** "
             "figures are reproduced by construction (the model is given them). Where the "
             "model lacks the state an official definition needs, the row compares the "
             "nearest measure and says so.", "",
             "| series | measure | period | role | published | model (95% interval) | error | "
             "status | alignment |", "|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        ci = _interval(r["model_ci_low"], r["model_ci_high"], partial(_fmt, unit=r["unit"]))
        if r["unit"] == "fraction":
            err = format_difference(r["error"], r["unit"])
        else:
            err = format_value(r["error_relative"], "fraction", signed=True)
        measure = (f"`{r['measure']}`" if r["model_measure"] == r["measure"] else
                   f"`{r['measure']}` (model: nearest, `{r['model_measure']}`)")
        lines.append(f"| {r['series']} | {measure} | {r['period']} | {r['role']} | "
                     f"{_fmt(r['published'], r['unit'])} | "
                     f"{_fmt(r['model_mean'], r['unit'])}{ci} | {err} | {r['status']} | "
                     f"{r['alignment']} |")
    lines += time_split_markdown(time_split, partial=meta["councils"] < 152)
    lines += ["", "## Spread between councils", ""]
    if spread:
        lines.append(
            f"PB and DP holders per council on 31 March 2010 against PSS EX1 A4.20 (direct "
            f"payments and personal budgets) for {int(spread['councils'])} councils: Spearman "
            f"rank correlation {spread['spearman_rho']:.2f}; model / published ratio median "
            f"{spread['ratio_median']:.2f} (quartiles {spread['ratio_q25']:.2f} to "
            f"{spread['ratio_q75']:.2f}).")
    if reablement is not None and len(reablement):
        lines += reablement_markdown(reablement)
    lines += ["", "## Definitions and sources", "",
              "| series | definition | source file |", "|---|---|---|"]
    seen = set()
    for _, r in table.iterrows():
        key = (r["series"], r["definition"])
        if key in seen:
            continue
        seen.add(key)
        lines.append(f"| {r['series']} | {r['definition']} | `{r['source_file']}` |")
    lines.append("")
    return "\n".join(lines)
