"""Plots: summary DataFrame in, matplotlib Figure out. Never runs a model or writes files.

Import this module only where plots are made: matplotlib is slow to import (docs/design.md).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from caresim.councils import ENGLAND_CODE
from caresim.measures import axis_scale, metric_rows, money_scale
from caresim.measures.targets import TargetReading
from caresim.measures.units import THOUSAND
from caresim.period import FinancialYear, MonthEnd, parse_period


def _x(periods) -> list[pd.Timestamp]:
    """Where each period of a table is drawn (``plot_date`` of :mod:`caresim.period`)."""
    return [pd.Timestamp(parse_period(str(p)).plot_date) for p in periods]


def _year_end(periods) -> list[pd.Timestamp]:
    """Financial years drawn at their end (a count over the year, beside a stock)."""
    return [pd.Timestamp(parse_period(str(p)).last_day) for p in periods]


def _band(ax, frame: pd.DataFrame, label: str, color: str, scale: float = 1.0) -> None:
    x = _x(frame["period"])
    ax.plot(x, frame["mean"] * scale, color=color, label=label, lw=1.8)
    if frame["ci_low"].notna().any():
        ax.fill_between(x, frame["ci_low"] * scale, frame["ci_high"] * scale, color=color,
                        alpha=0.25, lw=0, label=f"{label}: 95% interval over replications")


def share_targets(targets: tuple[TargetReading, ...], measure: str = "pb_share_adass"
                  ) -> list[TargetReading]:
    """The targets on ``measure`` at a month end (the milestones a PB share figure draws)."""
    return [t for t in targets if t.measure == measure and isinstance(t.period, MonthEnd)]


def pb_share_figure(summary: pd.DataFrame, fy_summary: pd.DataFrame,
                    targets: tuple[TargetReading, ...], scope: str = ENGLAND_CODE,
                    title: str = "") -> plt.Figure:
    """PB share over time (both definitions) against the scenario's targets on it."""
    fig, ax = plt.subplots(figsize=(9, 5))
    _band(ax, metric_rows(summary, "pb_share_adass", scope), "pb_share_adass (on a date)",
          "tab:blue", 100)
    f = metric_rows(fy_summary, "pb_share_ascof", scope, FinancialYear.KIND)
    if len(f):
        ax.plot(_year_end(f["period"]), f["mean"] * 100, "o--", color="tab:green",
                label="pb_share_ascof (over each financial year)")
    for t in share_targets(targets)[:2]:
        date = pd.Timestamp(t.period.plot_date)
        ax.plot([date], [t.threshold * 100], marker="*", ms=14, color="tab:red", ls="none")
        ax.annotate(f"target: {t.threshold:.0%} {t.period.words}", (date, t.threshold * 100),
                    xytext=(8, -4), textcoords="offset points", color="tab:red", fontsize=9)
    ax.set_ylabel("share of eligible community users with a PB or DP (%)")
    ax.set_xlabel("date")
    ax.set_ylim(0, 100)
    ax.set_title(title or "Personal budget share against the Putting People First targets")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def spend_figure(fy_summary: pd.DataFrame, scope: str = ENGLAND_CODE,
                 title: str = "") -> plt.Figure:
    """Gross spend, income and net spend by financial year (GBP bn, cash)."""
    fig, ax = plt.subplots(figsize=(9, 5))
    colors = {"spend_gbp": "tab:blue", "income_gbp": "tab:orange", "net_spend_gbp": "tab:purple"}
    labels = {"spend_gbp": "gross spend", "income_gbp": "income (charges, NHS)",
              "net_spend_gbp": "net spend"}
    for metric, color in colors.items():
        f = metric_rows(fy_summary, metric, scope, FinancialYear.KIND)
        if not len(f):
            continue
        x = _x(f["period"])
        ax.plot(x, f["mean"] / 1e9, "o-", color=color, label=labels[metric])
        if f["ci_low"].notna().any():
            ax.fill_between(x, f["ci_low"] / 1e9, f["ci_high"] / 1e9, color=color, alpha=0.2,
                            lw=0)
    ax.set_ylabel("GBP billion a year (cash)")
    ax.set_xlabel("financial year (plotted at its mid-point)")
    ax.set_title(title or "Adult social care spend by financial year (shaded: 95% interval)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def comparison_figure(differences: pd.DataFrame) -> plt.Figure:
    """Paired differences (B - A) of the share indicators with their 95% intervals, and the
    unpaired interval beside each for scale."""
    d = differences[differences["unit"] == "fraction"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(d), 4) + 1.5))
    y = range(len(d))
    ax.errorbar(d["diff"] * 100, y, xerr=[(d["diff"] - d["diff_ci_low"]) * 100,
                                          (d["diff_ci_high"] - d["diff"]) * 100],
                fmt="o", color="tab:blue", capsize=3, label="paired (common random numbers)")
    ax.errorbar(d["diff"] * 100, [i + 0.25 for i in y],
                xerr=[(d["diff"] - d["unpaired_ci_low"]) * 100,
                      (d["unpaired_ci_high"] - d["diff"]) * 100],
                fmt="none", color="tab:gray", capsize=3, alpha=0.7, label="unpaired, for scale")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(list(y), [f"{b} - {a}: {ind}" for a, b, ind in
                            zip(d["a"], d["b"], d["indicator"], strict=True)], fontsize=8)
    ax.set_xlabel("difference, percentage points (95% interval)")
    ax.set_title("Paired differences between scenarios")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- report figures
#
# The figures of the run report (``caresim.reporting``): financial years on the x axis as their
# labels, money scaled to the size of the council, targets drawn and named in the legend.

BAND_ALPHA = 0.22
LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
RUN_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple")
LEVER_COLORS = {
    "savings_procurement_gbp": ("procurement", "#4e79a7"),
    "savings_prevention_gbp": ("prevention (reablement)", "#59a14f"),
    "savings_package_reductions_gbp": ("package reductions at review", "#f28e2b"),
    "savings_eligibility_gbp": ("eligibility tightening", "#e15759"),
    "savings_staff_cuts_gbp": ("staff cuts", "#b07aa1"),
}


def _money_axis(max_abs_gbp: float) -> tuple[float, str]:
    """Divisor and axis label that keep money figures readable (at least 5 units of the scale;
    thousands at the smallest)."""
    s = money_scale(max_abs_gbp, headroom=5, smallest=THOUSAND)
    return s.divisor, s.long


def _ci_label(n: int) -> str:
    """Legend text of a 95% confidence band over ``n`` replications."""
    few = ": few, so wide" if n < 5 else ""
    return f"95% confidence interval of the mean ({n} replications{few})"


def _thousands(ax) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda x, _: f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"))


def _fy_rows(fy_summary: pd.DataFrame, scope: str, metric: str) -> pd.DataFrame:
    return metric_rows(fy_summary, metric, scope, FinancialYear.KIND)


def _fy_axis(ax, labels: list[str]) -> None:
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_xlabel("financial year (April to March)")


def pb_share_report_figure(runs: list[tuple[str, pd.DataFrame, pd.DataFrame]],
                           targets: tuple[TargetReading, ...], scope: str = ENGLAND_CODE,
                           title: str = "", show_ascof: bool = True) -> plt.Figure:
    """PB share of one or more runs against the Putting People First milestones.

    Parameters
    ----------
    runs : list of (str, DataFrame, DataFrame)
        For each run: its label, its monthly summary rows and its financial-year summary rows
        (the layout of ``summary.parquet``; shares are fractions).
    targets : tuple of TargetReading
        The scenario's targets; those on ``pb_share_adass`` at a month end are drawn (the last
        one, when there are three, as the ambition).
    scope : str
        GSS code of the council, or ``E92000001`` for England.
    title : str
        Figure title.
    show_ascof : bool
        Also draw ``pb_share_ascof`` (over each financial year) for every run.

    Returns
    -------
    matplotlib.figure.Figure
        y axis in percent of eligible community users; shaded bands are 95% confidence
        intervals of the mean over replications.
    """
    fig, ax = plt.subplots(figsize=(10, 6.4))
    first_x = None
    for i, (label, monthly, fy) in enumerate(runs):
        color = RUN_COLORS[i % len(RUN_COLORS)]
        s = metric_rows(monthly, "pb_share_adass", scope, MonthEnd.KIND)
        x = pd.Series(_x(s["period"]), dtype="datetime64[ns]")
        first_x = x.min() if first_x is None else min(first_x, x.min())
        n = int(s["n"].max()) if len(s) else 0
        ax.plot(x, s["mean"] * 100, color=color, lw=2,
                label=f"{label}: PB share on a date (ADASS), mean")
        if s["ci_low"].notna().any():
            ax.fill_between(x, s["ci_low"].clip(0, 1) * 100, s["ci_high"].clip(0, 1) * 100,
                            color=color,
                            alpha=BAND_ALPHA, lw=0,
                            label=f"{label}: {_ci_label(n)}")
        f = _fy_rows(fy, scope, "pb_share_ascof")
        if show_ascof and len(f):
            xf = _year_end(f["period"])
            ax.plot(xf, f["mean"] * 100, "o", ms=4.5, mfc="white", mec=color, mew=1.3,
                    ls=":", color=color,
                    label=f"{label}: PB share over each financial year (ASCOF 1C), "
                    "plotted at year end")
    start = first_x if first_x is not None else pd.Timestamp(2008, 4, 30)
    shares = share_targets(targets)
    marks = [(pd.Timestamp(t.period.plot_date), t.threshold, t.period.words)
             for t in shares[:2]]
    for k, (date, value, when) in enumerate(marks):
        ax.hlines(value * 100, start, date, colors="tab:red", linestyles="--", lw=1.1)
        ax.plot([date], [value * 100], marker="*", ms=15, color="tab:red", ls="none",
                mec="black", mew=0.5,
                label="Putting People First milestones (target share by the date)" if k == 0
                else None)
        ax.annotate(f"target {value:.0%} {when}", (date, value * 100),
                    xytext=(8, -12), textcoords="offset points", color="tab:red", fontsize=9,
                    fontweight="bold", bbox=LABEL_BOX)
    ambition = shares[2].threshold if len(shares) > 2 else None
    if ambition is not None:
        date = pd.Timestamp(shares[2].period.plot_date)
        ax.plot([date], [ambition * 100], marker="*", ms=13, mfc="white", mec="tab:red",
                ls="none", label=f"ambition {shares[2].period.words}: everyone eligible on a PB")
        ax.annotate(f"ambition {ambition:.0%} {shares[2].period.words}", (date, ambition * 100),
                    xytext=(8, -12), textcoords="offset points", color="tab:red", fontsize=9,
                    bbox=LABEL_BOX)
    ax.set_ylabel("eligible community users with a PB or DP (%)")
    ax.set_xlabel("date (month end)")
    ax.set_ylim(0, 108)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_title(title or "Personal budget share against the targets", fontsize=12)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, fontsize=8.5,
              frameon=False)
    fig.tight_layout()
    return fig


def money_by_year_figure(fy_summary: pd.DataFrame, scope: str = ENGLAND_CODE,
                         deflator: dict[str, float] | None = None, base_year: str = "2008-09",
                         title: str = "") -> plt.Figure:
    """Gross spend, income and net spend by financial year, in cash and in real terms.

    Parameters
    ----------
    fy_summary : DataFrame
        Financial-year rows of ``summary.parquet`` (GBP, cash).
    scope : str
        GSS code of the council, or ``E92000001`` for England.
    deflator : dict of str to float, optional
        Price index by financial year label, 1 in ``base_year``; when given a second panel
        shows the same series divided by it (real terms, ``base_year`` prices).
    base_year : str
        The financial year whose prices the real-terms panel uses.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Money in GBP thousand, million or billion a year (chosen from the data); shaded
        bands are 95% confidence intervals of the mean over replications.
    """
    lines = {"spend_gbp": ("gross spend", "tab:blue"),
             "net_spend_gbp": ("net spend (gross minus income)", "tab:purple"),
             "income_gbp": ("income (client charges and NHS transfers)", "tab:orange")}
    frames = {m: _fy_rows(fy_summary, scope, m) for m in lines}
    labels = sorted(set().union(*[set(f["period"]) for f in frames.values()]))
    top = max([float(f["ci_high"].fillna(f["mean"]).max()) for f in frames.values() if len(f)]
              + [0.0])
    div, unit = _money_axis(top)
    panels = [("cash", None)] + ([(f"real terms, {base_year} prices", deflator)] if deflator
                                 else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(12 if deflator else 9, 5.8), sharey=True,
                             squeeze=False)
    n = 0
    for ax, (name, index) in zip(axes[0], panels, strict=True):
        for metric, (label, color) in lines.items():
            f = frames[metric]
            if not len(f):
                continue
            n = max(n, int(f["n"].max()))
            x = [labels.index(p) for p in f["period"]]
            k = (pd.Series([index[p] for p in f["period"]], index=f.index) if index
                 else pd.Series(1.0, index=f.index))
            ax.plot(x, f["mean"] / k / div, "o-", color=color, label=f"{label}, mean", ms=4)
            if f["ci_low"].notna().any():
                ax.fill_between(x, f["ci_low"] / k / div, f["ci_high"] / k / div, color=color,
                                alpha=BAND_ALPHA, lw=0)
        _fy_axis(ax, labels)
        ax.set_title(name.capitalize(), fontsize=10)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[0][0].set_ylabel(f"{unit} a year")
    _thousands(axes[0][0])
    handles, names = axes[0][0].get_legend_handles_labels()
    handles.append(Patch(color="grey", alpha=BAND_ALPHA))
    names.append(f"shaded: {_ci_label(n)}")
    fig.suptitle(title or "Adult social care spend and income by financial year", fontsize=12)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=8.5, frameon=False)
    return fig


def savings_figure(ledger_means: pd.DataFrame, title: str = "") -> plt.Figure:
    """Cashable savings by lever against the savings requirement, by financial year (cash).

    Parameters
    ----------
    ledger_means : DataFrame
        One row per financial year (column ``fy``) with the ledger lines ``savings_*_gbp``
        and ``savings_requirement_gbp`` (GBP, cash; means over replications).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Stacked bars: each lever's savings (a lever that cost money is drawn below zero);
        black line: the requirement.
    """
    led = ledger_means.sort_values("fy").reset_index(drop=True)
    labels = list(led["fy"])
    top = max(float(led[[c for c in LEVER_COLORS if c in led]].clip(lower=0).sum(axis=1).max()),
              float(led["savings_requirement_gbp"].max()), 1.0)
    div, unit = _money_axis(top)
    fig, ax = plt.subplots(figsize=(10, 6))
    x = list(range(len(labels)))
    up = pd.Series(0.0, index=led.index)
    down = pd.Series(0.0, index=led.index)
    for col, (label, color) in LEVER_COLORS.items():
        if col not in led:
            continue
        v = led[col] / div
        pos, neg = v.clip(lower=0), v.clip(upper=0)
        ax.bar(x, pos, bottom=up, color=color, label=label, width=0.7)
        if (neg < 0).any():
            ax.bar(x, neg, bottom=down, color=color, width=0.7, hatch="//", edgecolor="white")
        up += pos
        down += neg
    ax.plot(x, led["savings_requirement_gbp"] / div, "k_-", ms=18, mew=2.5, lw=1.2,
            label="savings requirement")
    ax.axhline(0, color="black", lw=0.8)
    _fy_axis(ax, labels)
    ax.set_ylabel(f"{unit} in the year (cash)")
    _thousands(ax)
    ax.set_title(title or "Cashable savings by lever against the requirement", fontsize=12)
    ax.grid(axis="y", alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    if (down < 0).any():
        handles.append(Patch(facecolor="lightgrey", hatch="//",
                                                edgecolor="white"))
        names.append("below zero: a lever that cost more than it saved")
    ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3,
              fontsize=8.5, frameon=False)
    fig.tight_layout()
    return fig


def _period_x(period: str) -> pd.Timestamp:
    """Where a period is drawn (see ``plot_date`` of :mod:`caresim.period`)."""
    return pd.Timestamp(parse_period(str(period)).plot_date)


def validation_figure(series: str, rows: pd.DataFrame, path: pd.DataFrame | None) -> plt.Figure:
    """One published series against the model: published points, model means with 95%
    intervals at the same periods, and the model's whole path where it is a single metric."""
    unit = rows["unit"].iloc[0]
    scale, label = axis_scale(unit, rows["published"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    if path is not None and len(path):
        x = [_period_x(p) for p in path["period"]]
        ax.plot(x, path["mean"] * scale, color="tab:blue", lw=1.2, alpha=0.8,
                label="model (mean over replications)")
        if path["ci_low"].notna().any():
            ax.fill_between(x, path["ci_low"] * scale, path["ci_high"] * scale, color="tab:blue",
                            alpha=0.2, lw=0, label="model 95% interval")
    px = [_period_x(p) for p in rows["period"]]
    fitted = rows["weight"] > 0
    ax.errorbar([x for x, f in zip(px, fitted, strict=True) if f],
                rows.loc[fitted, "model_mean"] * scale,
                yerr=[(rows.loc[fitted, "model_mean"] - rows.loc[fitted, "model_ci_low"])
                      .fillna(0) * scale,
                      (rows.loc[fitted, "model_ci_high"] - rows.loc[fitted, "model_mean"])
                      .fillna(0) * scale],
                fmt="s", color="tab:blue", ms=5, capsize=3, label="model at the published period")
    ax.plot([x for x, f in zip(px, fitted, strict=True) if f], rows.loc[fitted, "published"]
            * scale, "o", color="tab:red", ms=7, label="published (fitted)")
    if (~fitted).any():
        ax.plot([x for x, f in zip(px, fitted, strict=True) if not f],
                rows.loc[~fitted, "published"] * scale, "o", mfc="none", color="tab:red", ms=7,
                label="published (shown, weight 0)")
    ax.set_title(f"{series}: model against the published record")
    ax.set_ylabel(label)
    ax.set_xlabel("date (financial years at their mid-point)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
