"""Model against the published record: each target's model value per replication, its mean
with a 95% interval, and the error, side by side with the published value, its definition,
source and status (see :mod:`caresim.analysis.published`).

Also the spread between councils: each council's PB/DP holders on 31 March 2010 against its
PSS EX1 count of direct payments and personal budgets (A4.20) on that date.
"""

from __future__ import annotations

from collections.abc import Callable
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
from caresim.period import parse_period


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


def validation_table(tables: RunTables) -> pd.DataFrame:
    """One row per published figure (:func:`caresim.measures.figures.load_figures`): its
    measure, role, published value, the model mean with a 95% interval, and the errors."""
    rows = []
    for f in load_figures():
        values = figure_values(f, tables).to_numpy(dtype=float)
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


def council_spread(tables: RunTables) -> tuple[pd.DataFrame, dict[str, float]]:
    """Each council's PB/DP holders on 31 March 2010 against PSS EX1 A4.20, and summary
    statistics (Spearman rank correlation, median and quartiles of model / published)."""
    m = measure_values("pb_holders", tables, SPREAD_DATE, "councils")
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


def reablement_check(tables: RunTables) -> pd.DataFrame:
    """Year-one cost per reablement episode against the package cost it avoids, by year.

    Returns
    -------
    pandas.DataFrame
        One row per year of :data:`REABLEMENT_YEARS`: episodes (mean over replications, England),
        spend per episode and avoided cost per episode in the twelve months from its start (GBP),
        their ratio with a 95% interval, and whether it is within
        :data:`REABLEMENT_TOLERANCE` of :data:`REABLEMENT_OFFSET`.
    """
    def per_year(name: str) -> pd.DataFrame:
        v = measure_values(name, tables, list(REABLEMENT_YEARS), "england")
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
