"""Plots: summary DataFrame in, matplotlib Figure out. Never runs a model or writes files.

Import this module only where plots are made: matplotlib is slow to import (ENGINE.md).
"""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from caresim.streams import NATIONAL  # noqa: E402


def _band(ax, frame: pd.DataFrame, label: str, color: str, scale: float = 1.0) -> None:
    x = pd.to_datetime(frame["period"])
    ax.plot(x, frame["mean"] * scale, color=color, label=label, lw=1.8)
    if frame["ci_low"].notna().any():
        ax.fill_between(x, frame["ci_low"] * scale, frame["ci_high"] * scale, color=color,
                        alpha=0.25, lw=0, label=f"{label}: 95% interval over replications")


def pb_share_figure(summary: pd.DataFrame, fy_summary: pd.DataFrame, targets: dict[str, float],
                    scope: str = NATIONAL, title: str = "") -> plt.Figure:
    """PB share over time (both definitions) against the 2010 and 2011 targets."""
    fig, ax = plt.subplots(figsize=(9, 5))
    s = summary[(summary["council_code"] == scope) & (summary["metric"] == "pb_share_adass")]
    _band(ax, s, "pb_share_adass (on a date)", "tab:blue", 100)
    f = fy_summary[(fy_summary["council_code"] == scope) & (fy_summary["metric"] == "pb_share_ascof")]
    if len(f):
        x = [pd.Timestamp(int(p[:4]) + 1, 3, 31) for p in f["period"]]
        ax.plot(x, f["mean"] * 100, "o--", color="tab:green",
                label="pb_share_ascof (over each financial year)")
    for date, value, name in ((dt.date(2010, 3, 31), targets["pb_share_march_2010"], "10% by March 2010"),
                              (dt.date(2011, 4, 1), targets["pb_share_april_2011"], "30% by April 2011")):
        ax.plot([pd.Timestamp(date)], [value * 100], marker="*", ms=14, color="tab:red", ls="none")
        ax.annotate(f"target: {name}", (pd.Timestamp(date), value * 100), xytext=(8, -4),
                    textcoords="offset points", color="tab:red", fontsize=9)
    ax.set_ylabel("share of eligible community users with a PB or DP (%)")
    ax.set_xlabel("date")
    ax.set_ylim(0, 100)
    ax.set_title(title or "Personal budget share against the Putting People First targets")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def spend_figure(fy_summary: pd.DataFrame, scope: str = NATIONAL, title: str = "") -> plt.Figure:
    """Gross spend, income and net spend by financial year (GBP bn, cash)."""
    fig, ax = plt.subplots(figsize=(9, 5))
    colors = {"spend_gbp": "tab:blue", "income_gbp": "tab:orange", "net_spend_gbp": "tab:purple"}
    labels = {"spend_gbp": "gross spend", "income_gbp": "income (charges, NHS)",
              "net_spend_gbp": "net spend"}
    for metric, color in colors.items():
        f = fy_summary[(fy_summary["council_code"] == scope) & (fy_summary["metric"] == metric)]
        if not len(f):
            continue
        x = [pd.Timestamp(int(p[:4]), 10, 1) for p in f["period"]]
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
