"""Model against the published record: each target's model value per replication, its mean
with a 95% interval, and the error, side by side with the published value, its definition,
source and status (see :mod:`caresim.analysis.published`).

Also the spread between councils: each council's PB/DP holders on 31 March 2010 against its
PSS EX1 count of direct payments and personal budgets (A4.20) on that date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from caresim.analysis.published import TARGETS, Target, council_dp_counts
from caresim.councils import ENGLAND_CODE


def _metric(frame: pd.DataFrame, name: str, key: str, period: str) -> pd.Series:
    t = frame[(frame["metric"] == name) & (frame[key] == period)]
    return t.set_index(["replication", "council_code"])["value"]


def _expression(frame: pd.DataFrame, expr: str, key: str, period: str) -> pd.Series:
    for op in ("-", "/"):
        if op in expr:
            a, b = expr.split(op)
            x, y = _metric(frame, a, key, period), _metric(frame, b, key, period)
            return x - y if op == "-" else x / y
    return _metric(frame, expr, key, period)


def target_values(target: Target, monthly: pd.DataFrame, fy: pd.DataFrame) -> pd.Series:
    """The model's value of ``target`` in each replication (England)."""
    if target.table == "monthly":
        m = monthly.assign(period=pd.to_datetime(monthly["date"]).dt.strftime("%Y-%m-%d"))
        s = _expression(m, target.model, "period", target.period)
        return s.xs(ENGLAND_CODE, level="council_code")
    if target.table == "fy":
        s = _expression(fy, target.model, "fy", target.period)
        return s.xs(ENGLAND_CODE, level="council_code")
    if target.table.startswith("fy_sum:"):
        _, first, last = target.table.split(":")
        t = fy[(fy["metric"] == target.model) & (fy["council_code"] == ENGLAND_CODE)
               & (fy["fy"] >= first) & (fy["fy"] <= last)]
        return t.groupby("replication")["value"].sum()
    m = monthly[(monthly["metric"] == target.model)
                & (pd.to_datetime(monthly["date"]) == pd.Timestamp(target.period))]
    councils = m[m["council_code"] != ENGLAND_CODE]
    if target.table == "councils_below":
        return (councils["value"] < target.threshold).groupby(councils["replication"]).sum()
    national = m[m["council_code"] == ENGLAND_CODE].set_index("replication")["value"]
    below = councils["value"].to_numpy() < national.loc[councils["replication"]].to_numpy()
    return pd.Series(below, index=councils["replication"].to_numpy()).groupby(level=0).mean()


def validation_table(monthly: pd.DataFrame, fy: pd.DataFrame) -> pd.DataFrame:
    """One row per published target: published value, model mean, 95% interval, errors."""
    rows = []
    for t in TARGETS:
        values = target_values(t, monthly, fy).to_numpy(dtype=float)
        n = len(values)
        mean = float(np.mean(values)) if n else float("nan")
        half = (float(stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / np.sqrt(n))
                if n > 1 else float("nan"))
        error = mean - t.value
        rows.append({
            "series": t.series, "period": t.period, "published": t.value, "unit": t.unit,
            "definition": t.definition, "source_file": t.source_file, "status": t.status,
            "weight": t.weight, "alignment": t.alignment, "model_metric": t.model, "n": n,
            "model_mean": mean, "model_ci_low": mean - half, "model_ci_high": mean + half,
            "error": error,
            "error_relative": error / t.value if t.value else float("nan"),
        })
    return pd.DataFrame(rows)


def council_spread(monthly: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Each council's PB/DP holders on 31 March 2010 against PSS EX1 A4.20, and summary
    statistics (Spearman rank correlation, median and quartiles of model / published)."""
    m = monthly[(monthly["metric"] == "pb_holders") & (monthly["council_code"] != ENGLAND_CODE)
                & (pd.to_datetime(monthly["date"]) == pd.Timestamp(2010, 3, 31))]
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


def _fmt(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return ""
    if unit == "fraction":
        return f"{100 * value:.1f}%"
    if unit == "GBP":
        return f"£{value / 1e9:.2f}bn" if abs(value) >= 1e8 else f"£{value / 1e6:.1f}m"
    return f"{value:,.0f}"


def validation_markdown(table: pd.DataFrame, spread: dict[str, float], meta: dict) -> str:
    """The validation report as Markdown (the source of docs/validation.md)."""
    lines = ["<!-- generated by caresim validate; do not edit by hand -->", "",
             "# Validation: caresim against the published record", "",
             f"Scenario `{meta['scenario']}` (hash `{meta['hash']}`), {meta['replications']} "
             f"replication(s) of all {meta['councils']} councils, master seed "
             f"{meta['seed']}, caresim {meta['version']}. Command: `{meta['command']}`.", "",
             *([f"**Only {meta['councils']} councils were run: counts and money cover those "
                "councils only; compare shares.**", ""] if meta["councils"] < 152 else []),
             "Model values are means over replications with a 95% interval (randomness only). "
             "Weight 0 marks figures shown but never fitted (forecasts, uncertain definitions, "
             "inputs). Error = model - published.", "",
             "| series | period | published | model (95% interval) | error | status | weight | "
             "alignment |", "|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        ci = (f" ({_fmt(r['model_ci_low'], r['unit'])} to {_fmt(r['model_ci_high'], r['unit'])})"
              if np.isfinite(r["model_ci_low"]) else "")
        if r["unit"] == "fraction":
            err = f"{100 * r['error']:+.1f} pp"
        else:
            err = f"{100 * r['error_relative']:+.1f}%"
        lines.append(f"| {r['series']} | {r['period']} | {_fmt(r['published'], r['unit'])} | "
                     f"{_fmt(r['model_mean'], r['unit'])}{ci} | {err} | {r['status']} | "
                     f"{r['weight']:g} | {r['alignment']} |")
    lines += ["", "## Spread between councils", ""]
    if spread:
        lines.append(
            f"PB and DP holders per council on 31 March 2010 against PSS EX1 A4.20 (direct "
            f"payments and personal budgets) for {int(spread['councils'])} councils: Spearman "
            f"rank correlation {spread['spearman_rho']:.2f}; model / published ratio median "
            f"{spread['ratio_median']:.2f} (quartiles {spread['ratio_q25']:.2f} to "
            f"{spread['ratio_q75']:.2f}).")
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
