"""The time-split check (issue 17, point 4): how well caresim predicts what it was not fitted to.

A calibration fitted to the published figures up to 2010-11 only (``caresim calibrate prior
--fit-until 2010-11``) is run on to 2011-12; its values of the 2011-12 fitted figures are
predictions, out of sample. ``scripts/update_time_split.py`` ships them from that calibration's
``predictions.csv`` as ``data/time_split.csv``, with their provenance (calibration id, command,
date, councils, objective) in the front matter of ``data/time_split.md``. This module reads
them and sets them beside a validated run's own values of the same figures, each scaled as the
calibration scales its residuals (:func:`caresim.analysis.calibration.residuals`: 3 percentage
points for shares, 5% of the published value for levels, so 1 is the edge of the fit goal).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from caresim.analysis.calibration import (
    COUNT_SCALE,
    SHARE_SCALE,
    residuals,
    weighted_mean_square,
)
from caresim.errors import InputError
from caresim.measures import format_value
from caresim.measures.figures import load_figures

DATA_FILE = "time_split.csv"
"""The shipped predictions, in ``caresim/data/``."""
PROVENANCE_FILE = "time_split.md"
"""Their provenance: YAML front matter, then a description."""
COLUMNS = ("series", "period", "unit", "published", "model", "weight", "scaled_residual",
           "within_goal")
"""The columns of a calibration's ``predictions.csv`` (``calibration._table``), in order."""
SOURCE_COLUMN = "source"
"""The extra column of the shipped file: which calibration each prediction comes from."""
PROVENANCE_KEYS = ("calibration", "date", "command", "fit_until", "predicts", "objective",
                   "evaluations", "councils", "every", "replications")
"""The keys the provenance front matter must hold."""
NOT_SHIPPED = ("No time-split calibration shipped: caresim has no out-of-sample measure of how "
               "well it predicts yet (`scripts/update_time_split.py --from "
               "outputs/calibration/<id>` ships one from `caresim calibrate prior "
               "--fit-until 2010-11`).")
"""What the report says when ``data/time_split.csv`` is absent."""


@dataclass(frozen=True)
class TimeSplit:
    """Shipped time-split predictions.

    ``predictions`` has :data:`COLUMNS` plus :data:`SOURCE_COLUMN`; ``provenance`` the keys
    of :data:`PROVENANCE_KEYS` (and any others the file holds).
    """

    predictions: pd.DataFrame
    provenance: dict


@dataclass(frozen=True)
class TimeSplitCheck:
    """The time split beside a validated run: :func:`time_split_table` and its provenance."""

    table: pd.DataFrame
    provenance: dict


def shipped_folder() -> Traversable:
    """Where the shipped time split lives: the package's ``data/`` folder."""
    return resources.files("caresim") / "data"


def read_front_matter(text: str, name: str) -> dict:
    """The YAML between the leading ``---`` lines of a Markdown file.

    Raises
    ------
    InputError
        When the front matter is missing, is not a mapping, or lacks a key of
        :data:`PROVENANCE_KEYS`.
    """
    parts = text.split("---\n", 2)
    try:
        meta = yaml.safe_load(parts[1]) if len(parts) == 3 and parts[0] == "" else None
    except yaml.YAMLError:
        meta = None
    missing = [k for k in PROVENANCE_KEYS if not isinstance(meta, dict) or k not in meta]
    if missing:
        raise InputError(
            f"{name}: expected YAML front matter between '---' lines with the keys "
            f"{', '.join(PROVENANCE_KEYS)}; found "
            f"{'none' if meta is None else 'no ' + ', '.join(missing)}. "
            "Regenerate it with scripts/update_time_split.py.")
    return meta


def load_time_split(folder: Path | Traversable | None = None) -> TimeSplit | None:
    """The shipped time-split predictions, or ``None`` when none are shipped.

    Parameters
    ----------
    folder : path, optional
        The folder holding :data:`DATA_FILE` and :data:`PROVENANCE_FILE`; the package's
        ``data/`` by default.

    Raises
    ------
    InputError
        When the CSV is there but its columns are not :data:`COLUMNS` plus ``source``, it has
        no rows, or its provenance file is missing or incomplete.
    """
    folder = shipped_folder() if folder is None else folder
    data, meta = folder / DATA_FILE, folder / PROVENANCE_FILE
    if not data.is_file():
        return None
    with data.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh)
    expected = [*COLUMNS, SOURCE_COLUMN]
    if list(frame.columns) != expected or frame.empty:
        raise InputError(
            f"{data}: expected the columns {', '.join(expected)} and at least one row; found "
            f"{', '.join(map(str, frame.columns))} and {len(frame)} row(s). Regenerate it with "
            "scripts/update_time_split.py.")
    if not meta.is_file():
        raise InputError(f"{meta}: expected the provenance of {data} beside it; found no file. "
                         "Regenerate both with scripts/update_time_split.py.")
    return TimeSplit(frame, read_front_matter(meta.read_text(encoding="utf-8"), str(meta)))


def rms(scaled: pd.Series, weight: pd.Series) -> float:
    """Weighted root mean square of scaled errors over the finite ones: the square root of the
    calibration's objective over those figures (dimensionless; 1 = on average at the goal's
    edge). NaN when none is finite."""
    ok = np.isfinite(scaled.to_numpy(dtype=float))
    if not ok.any():
        return float("nan")
    r, w = scaled.to_numpy(dtype=float)[ok], weight.to_numpy(dtype=float)[ok]
    return float(np.sqrt(weighted_mean_square(r, w)))


def time_split_table(predictions: pd.DataFrame, validation: pd.DataFrame,
                     england: bool = True) -> pd.DataFrame:
    """Each predicted figure: published value, the split fit's prediction and scaled error, and
    the validated run's own value and scaled error.

    Parameters
    ----------
    predictions : pandas.DataFrame
        :data:`COLUMNS` (a calibration's ``predictions.csv``); values in the figure's unit
        (a fraction, people, assessments or GBP).
    validation : pandas.DataFrame
        :func:`caresim.analysis.validation.validation_table` of the run: ``series``,
        ``period`` and ``model_mean`` are used.
    england : bool
        Whether the run covered all England. When it did not, its counts and money are not
        England's: their scaled errors are left out (NaN, with a note); shares are kept.

    Returns
    -------
    pandas.DataFrame
        One row per prediction, in its order: ``series, period, unit, weight, published,
        split_model, split_scaled_error, split_within_goal, run_model, run_scaled_error,
        run_within_goal, note``. The run's scaled error is
        :func:`caresim.analysis.calibration.residuals` against the published figure of today's
        ``validation_figures.csv``; NaN where the run has no value for the figure, or the
        figure is no longer published there (``note`` says which, and says when the published
        value has changed since the split calibration).
    """
    figures = {(f.series, f.period): f for f in load_figures()}
    run = validation.set_index(["series", "period"])["model_mean"]
    rows = []
    for _, p in predictions.iterrows():
        key = (p["series"], p["period"])
        figure = figures.get(key)
        value = float(run.get(key, float("nan")))
        note, scaled = "", float("nan")
        if figure is None:
            note = "no longer a published figure in validation_figures.csv"
        elif not np.isfinite(value):
            note = "the run gave no value"
        elif not england and figure.unit != "fraction":
            note = "the run covers some councils only: not England's level"
        else:
            scaled = float(residuals(pd.Series({key: value}), [figure])[0])
            if not np.isclose(figure.value, p["published"], rtol=1e-9, atol=0):
                note = (f"published value revised since the split calibration "
                        f"(was {format_value(p['published'], p['unit'])})")
        rows.append({
            "series": p["series"], "period": p["period"], "unit": p["unit"],
            "weight": float(p["weight"]),
            "published": float(figure.value if figure is not None else p["published"]),
            "split_model": float(p["model"]),
            "split_scaled_error": float(p["scaled_residual"]),
            "split_within_goal": bool(abs(p["scaled_residual"]) <= 1),
            "run_model": value, "run_scaled_error": scaled,
            "run_within_goal": bool(abs(scaled) <= 1),
            "note": note,
        })
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, side: str) -> tuple[int, int, float]:
    """``(within, of, rms)`` for ``side`` ``split`` or ``run``: how many figures are within the
    goal, of how many with a value, and the weighted RMS scaled error (:func:`rms`)."""
    scaled = table[f"{side}_scaled_error"]
    ok = np.isfinite(scaled.to_numpy(dtype=float))
    return (int(table.loc[ok, f"{side}_within_goal"].sum()), int(ok.sum()),
            rms(scaled, table["weight"]))


def summary_line(check: TimeSplitCheck | None) -> str:
    """One line for the console: the split fit's out-of-sample score beside the run's."""
    if check is None:
        return "time split: no time-split calibration shipped (no out-of-sample measure yet)"
    w, n, r = summary(check.table, "split")
    rw, rn, rr = summary(check.table, "run")
    return (f"time split (fitted to {check.provenance['fit_until']}, predicting "
            f"{check.provenance['predicts']}, out of sample): {w} of {n} within the goals, "
            f"RMS scaled error {r:.2f}; this run (in-sample for the shipped baseline): "
            f"{rw} of {rn}, RMS {rr:.2f}")


def _scaled(value: float, within: bool) -> str:
    return "" if not np.isfinite(value) else f"{value:+.2f}{'' if within else ' (miss)'}"


def _fmt(value: float, unit: str) -> str:
    return "" if not np.isfinite(value) else format_value(value, unit)


def _year(label: str) -> str:
    """``2010-11`` as ``2010/11``."""
    return str(label).replace("-", "/")


def time_split_markdown(check: TimeSplitCheck | None, partial: bool) -> list[str]:
    """The section "How well caresim predicts" as Markdown lines; when ``check`` is ``None``,
    the plain statement that no time split is shipped. ``partial``: the validated run covered
    only some councils."""
    title = "## How well caresim predicts"
    if check is None:
        return ["", f"{title}: fitted to 2010/11, predicting 2011/12", "", NOT_SHIPPED]
    p = check.provenance
    lines = ["", f"{title}: fitted to {_year(p['fit_until'])}, predicting "
             f"{_year(p['predicts'])}", ""]
    w, n, r = summary(check.table, "split")
    rw, rn, rr = summary(check.table, "run")
    fit, predicts = _year(p["fit_until"]), _year(p["predicts"])
    lines += [
        "This is the honest measure of how well caresim predicts. Calibration "
        f"`{p['calibration']}` fitted the calibrated assumptions to the published figures up "
        f"to {fit} only and ran on: its values for {predicts} below are predictions of "
        "figures it never saw, out of sample. The validated run's values beside them are "
        "in-sample when it is the shipped baseline, which was fitted to the whole record to "
        "2011/12: agreement there says only that the fit worked. Published figures after "
        "2011/12 are never fitted; they are checks only (role `checked` above).", "",
        "Scaled error = (model - published) / goal, the calibration's own scaling: the goal is "
        f"{SHARE_SCALE * 100:g} percentage points for shares and {COUNT_SCALE * 100:g}% of "
        "the published value for levels, so a scaled error within ±1 meets the goal. RMS is "
        "the root mean square scaled error (weighted as in the calibration's objective).", "",
        f"**Predicted, out of sample: {w} of {n} figures within the goals, RMS scaled error "
        f"{r:.2f}. This run's own values: {rw} of {rn}, RMS {rr:.2f}.**", "",
        f"The split fit: `{p['command']}` ({p['date']}), {p['evaluations']} evaluations on "
        f"{p['councils']} councils (every {p['every']}th council; counts and money scaled up "
        f"to England), {p['replications']} replication(s), objective "
        f"{float(p['objective']):.4g} on the figures to {fit}; shipped as "
        "`data/time_split.csv` by `scripts/update_time_split.py`.", ""]
    if partial:
        lines += ["The validated run covers some councils only: its counts and money are "
                  "not England's, so its scaled errors are shown for shares only.", ""]
    lines += ["| series | period | published | split fit's prediction | scaled error | "
              "this run | scaled error | note |", "|---|---|---|---|---|---|---|---|"]
    for _, t in check.table.iterrows():
        lines.append(
            f"| {t['series']} | {t['period']} | {_fmt(t['published'], t['unit'])} | "
            f"{_fmt(t['split_model'], t['unit'])} | "
            f"{_scaled(t['split_scaled_error'], t['split_within_goal'])} | "
            f"{_fmt(t['run_model'], t['unit'])} | "
            f"{_scaled(t['run_scaled_error'], t['run_within_goal'])} | {t['note']} |")
    return lines
