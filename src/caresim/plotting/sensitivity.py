"""Figures of a sensitivity analysis: a tornado (one-at-a-time), Morris screening, Sobol'
indices. DataFrame in, Figure out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from caresim.analysis.sensitivity import Output

TOP = 15
"""Parameters shown in each plot (the most influential)."""


def _scaled(o: Output) -> tuple[float, str]:
    """Display scale and unit label of an output."""
    return {"fraction": (100.0, "percentage points"), "GBP": (1e-6, "GBP m"),
            "people": (1.0, "people")}.get(o.unit, (1.0, o.unit))


def _subtitle(manifest: dict, where: str) -> str:
    reps = manifest["replications"]
    return (f"{where}, scenario {manifest['scenario']}; {manifest['design_points']} design "
            f"points x {reps} replication(s), seed {manifest['master_seed']}")


def tornado_figure(rows: pd.DataFrame, o: Output, where: str, manifest: dict) -> Figure:
    """One-at-a-time tornado: output at each parameter's low and high minus the base."""
    import matplotlib.pyplot as plt

    scale, label = _scaled(o)
    top = rows.sort_values("swing", ascending=False).head(TOP).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(top) + 1.8))
    ypos = np.arange(len(top))
    h = 0.4  # side by side, so a low and a high effect on the same side both show
    ax.barh(ypos + h / 2, top["effect_low"] * scale, h, color="#4878d0",
            label="parameter at its low")
    ax.barh(ypos - h / 2, top["effect_high"] * scale, h, color="#ee854a",
            label="parameter at its high")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ypos, top["parameter"], fontsize=8)
    base = rows["base_output"].iloc[0]
    shown = f"{100 * base:.1f}%" if o.unit == "fraction" else f"{base * scale:,.4g} {label}"
    ax.set_xlabel(f"change from the output with every parameter at its value ({shown}), "
                  f"{label}")
    ax.set_title(f"One-at-a-time sensitivity: {o.description}\n{_subtitle(manifest, where)}",
                 fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(axis="x", alpha=0.3)
    return fig


def morris_figure(rows: pd.DataFrame, o: Output, where: str, manifest: dict) -> Figure:
    """Morris screening: ``mu*`` against ``sigma``, with the bootstrap interval on ``mu*``."""
    import matplotlib.pyplot as plt

    scale, label = _scaled(o)
    fig, ax = plt.subplots(figsize=(8.5, 6))
    x, s, c = rows["mu_star"] * scale, rows["sigma"] * scale, rows["mu_star_conf"] * scale
    ax.errorbar(x, s, xerr=c, fmt="o", ms=4, color="#4878d0", ecolor="#9ab3e0", elinewidth=1,
                capsize=2)
    xmax = max(float((x + c).max()), 1e-12) * 1.08
    ymax = max(float(s.max()), 1e-12) * 1.12
    reach = max(xmax, ymax)
    for ratio, style in ((1.0, "--"), (0.5, ":")):
        ax.plot([0, reach], [0, ratio * reach], style, color="grey", lw=0.8,
                label=f"σ = {ratio:g} μ*")
    for _, r in rows.sort_values("mu_star", ascending=False).head(8).iterrows():
        px, py = r["mu_star"] * scale, r["sigma"] * scale
        right = px > 0.6 * xmax
        ax.annotate(r["parameter"], (px, py), fontsize=7, xytext=(-4 if right else 4, 4),
                    textcoords="offset points", ha="right" if right else "left")
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, ymax)
    ax.set_xlabel(f"μ*: mean |elementary effect| over the parameter's range, {label}")
    ax.set_ylabel(f"σ: standard deviation of the elementary effects, {label}")
    ax.set_title(f"Morris screening: {o.description}\n{_subtitle(manifest, where)}; "
                 f"{manifest['samples']} trajectories", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def sobol_figure(rows: pd.DataFrame, o: Output, where: str, manifest: dict) -> Figure:
    """Sobol' first-order and total indices with their 95% bootstrap intervals."""
    import matplotlib.pyplot as plt

    top = rows.sort_values("ST", ascending=False).head(TOP).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(top) + 1.8))
    ypos = np.arange(len(top))
    h = 0.38
    ax.barh(ypos + h / 2, top["ST"], h, xerr=top["ST_conf"], color="#ee854a",
            label="total index ST", capsize=2, error_kw={"elinewidth": 1})
    ax.barh(ypos - h / 2, top["S1"], h, xerr=top["S1_conf"], color="#4878d0",
            label="first-order index S1", capsize=2, error_kw={"elinewidth": 1})
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ypos, top["parameter"], fontsize=8)
    ax.set_xlabel("share of the output's variance (95% bootstrap intervals)")
    ax.set_title(f"Sobol' indices: {o.description}\n{_subtitle(manifest, where)}; "
                 f"N = {manifest['samples']}", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(axis="x", alpha=0.3)
    return fig


FIGURES = {"oat": tornado_figure, "morris": morris_figure, "sobol": sobol_figure}
