"""The run workbook (``workbook.xlsx``): a run's scorecard, ledger, headline series and
parameters in one spreadsheet, for people who work in Excel (DESIGN §1, §7).

Sheets: **Scorecard** (every scope), **Ledger** (mean over replications per council and
financial year, GBP cash), **Headline by year** (financial-year means with 95% intervals of the
headline metrics), **Parameters** (every parameter with value, unit, source and range;
assumptions marked) and **About** (what was run and what each sheet is). The selected scope
(the council of a one-council run, else England) comes first on every sheet. Values are
written as numbers with Excel number formats, so they can be summed and charted.

Every field is filled: where a number cannot be (an interval from one run, a target not
scored, a date never reached) the cell says why in words. Totals, under England's code, are
labelled by the selection run (``3 councils``; England only when all were run).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format

from caresim.analysis.replications import describe
from caresim.councils import ENGLAND_CODE
from caresim.io import atomic_file
from caresim.measures import (
    aggregate_label,
    excel_format,
    get_measure,
    metric_rows,
    metrics_rows,
    yearly_rows,
)
from caresim.measures.targets import NOT_SCORED, TargetReading, met_word, target_readings
from caresim.params.schema import Scenario
from caresim.params.values import ASSUMPTION_PREFIX
from caresim.scenario import ResolvedScenario, flatten_parameters

HEADLINE_METRICS = ("pb_share_adass", "pb_share_ascof", "users_community", "users_residential",
                    "users_served_in_fy", "spend_gbp", "income_gbp", "net_spend_gbp",
                    "grant_received_gbp", "grant_spent_gbp", "cashable_savings_gbp",
                    "unmet_need", "mean_wait_days", "readiness")
"""Metrics on the "Headline by year" sheet, in this order."""

SHEETS = {
    "Scorecard": "Each target for every scope (the reported scope first): the target value, the "
                 "mean over replications, whether that mean meets it, the date the mean "
                 "trajectory first met it, and p_met, the share of runs meeting it, with its 95% "
                 "Wilson interval; 'interval covers' says over what: replications (the "
                 "randomness of events, every parameter fixed) or, in a run with "
                 "--parameter-uncertainty, parameter sets and replications.",
    "Ledger": "The budget ledger (ledger.csv) averaged over replications, per council and "
              "financial year, GBP cash; E92000001 is the sum of the councils run (named "
              "England only when all were run). "
              "Each header gives the line's label and its name in ledger.csv.",
    "Headline by year": "Financial-year means over runs of the headline metrics, with their 95% "
                        "interval: of the mean over replications, or, in a run with "
                        "--parameter-uncertainty, the range over parameter sets and "
                        "replications (stocks and shares at the year end, flows over the year; "
                        "definitions in docs/outputs.md).",
    "Parameters": "Every parameter of the run: dotted path, value, unit, source and "
                  "sensitivity range (for dated values a pair of multipliers). The last column "
                  "says 'assumption' (no published source: highlighted), 'sourced' or 'run "
                  "setting' (the scenario's name, description and run settings).",
    "About": "This sheet: what was run and what each sheet holds.",
}

NO_INTERVAL = "one run, no interval"
"""What an interval cell holds for a value from one run (every field of the workbook is filled)."""
NEVER_MET = "never (the mean did not reach it)"
"""The 'date first met' of a target the mean trajectory never reached."""
SETTING_SOURCE = "run setting of the scenario file (not a measured value)"
"""The source of a scenario's own name, description and run settings."""

MONEY = "#,##0;-#,##0"
PERCENT = "0.0%"
HEADER_FILL = "#DCE6F1"
SCOPE_FILL = "#F2F2F2"
ASSUMPTION_FILL = "#FFF2CC"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_ROW_HEIGHT = 45
"""Height of a wrapped header row (points): three lines of text."""


def _names(councils: list[str]) -> dict[str, str]:
    """Names of every council, and of the aggregate of ``councils`` under England's code
    (England only when every council was run, else the selection)."""
    from caresim.councils import load_councils

    df = load_councils()
    return {**dict(zip(df["code"].astype(str), df["name"].astype(str), strict=True)),
            ENGLAND_CODE: aggregate_label(councils)}


def _scope_order(codes: list[str], scope: str, names: dict[str, str]) -> list[str]:
    rest = sorted((c for c in set(codes) if c not in (scope, ENGLAND_CODE)),
                  key=lambda c: names.get(c, c))
    head = [scope] + ([ENGLAND_CODE] if scope != ENGLAND_CODE and ENGLAND_CODE in codes else [])
    return head + rest


def _unit_format(unit: str) -> str:
    return excel_format(unit)


class _Book:
    """A workbook being written and its cell formats, one per combination of number format,
    fill, bold and header alignment (xlsxwriter formats are whole styles, made once and
    shared)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.made: dict[tuple[str | None, str | None, bool, bool, bool], Format | None] = {}
        self.rows: dict[tuple[tuple[str | None, ...], str | None, bool], list[Format | None]] = {}

    def get(self, number: str | None, fill: str | None = None, bold: bool = False,
            header: bool = False, wrap: bool = False) -> Format | None:
        """The format of a cell (``None`` for a plain one)."""
        key = (number, fill, bold, header, wrap)
        if key not in self.made:
            props: dict[str, Any] = {}
            if number:
                props["num_format"] = number
            if fill:
                props.update(pattern=1, bg_color=fill)
            if bold:
                props["bold"] = True
            if header:
                props["valign"] = "top"
            if wrap:
                props["text_wrap"] = True
            self.made[key] = self.wb.add_format(props) if props else None
        return self.made[key]

    def row(self, numbers: tuple[str | None, ...], fill: str | None,
            bold: bool) -> list[Format | None]:
        """The formats of a row's cells."""
        key = (numbers, fill, bold)
        if key not in self.rows:
            self.rows[key] = [self.get(n, fill, bold) for n in numbers]
        return self.rows[key]


class _Sheet:
    """A sheet with a bold, frozen, filtered header row and set column widths, written a row
    at a time, each cell by its type.

    Text is always stored as text (``write_string``, in a workbook made with xlsxwriter's
    ``strings_to_formulas`` and ``strings_to_urls`` off), never as a formula or a link: a
    string starting with ``=``, such as ``=HYPERLINK(...)`` from a scenario's description,
    stays the text it is."""

    def __init__(self, book: _Book, title: str, header: list[str], widths: list[float],
                 wrap_header: bool = False) -> None:
        self.ws = book.wb.add_worksheet(title)
        self.book = book
        self.n_cols = len(header)
        for j, w in enumerate(widths):
            self.ws.set_column(j, j, w)
        self.ws.freeze_panes(1, 0)
        if wrap_header:
            self.ws.set_row(0, HEADER_ROW_HEIGHT)
        head = book.get(None, HEADER_FILL, True, header=True, wrap=wrap_header)
        for j, h in enumerate(header):
            self.ws.write_string(0, j, h, head)
        self.rows = 1

    def row(self, values: list[Any], numbers: list[str | None] | None = None,
            fill: str | None = None, bold: bool = False) -> None:
        """Append a row: ``numbers`` the number format of each cell (``None``: General)."""
        formats = self.book.row(tuple(numbers) if numbers else (None,) * len(values), fill,
                                bold)
        ws, i = self.ws, self.rows
        for j, v in enumerate(values):
            f = formats[j]
            if isinstance(v, str):
                ws.write_string(i, j, v, f)
            elif v is None or (isinstance(v, float | np.floating) and not math.isfinite(v)):
                ws.write_blank(i, j, None, f)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v, f)
            elif isinstance(v, int | float | np.integer | np.floating):
                ws.write_number(i, j, v, f)
            elif isinstance(v, dt.date):
                ws.write_datetime(i, j, v, f or self.book.get(DATE_FORMAT))
            else:
                ws.write_string(i, j, str(v), f)
        self.rows += 1

    def finish(self) -> None:
        self.ws.autofilter(0, 0, max(self.rows, 2) - 1, self.n_cols - 1)


def _in_scope_order(frame: pd.DataFrame, column: str, scope: str, names: dict[str, str],
                    within: list[str] | None = None) -> pd.DataFrame:
    """``frame``'s rows by scope (:func:`_scope_order` of its ``column``), each scope's rows
    in their order in ``frame`` or sorted by ``within``; one sort, not one filter per scope."""
    codes = frame[column].astype(str)
    order = {c: i for i, c in enumerate(_scope_order(list(codes.unique()), scope, names))}
    keyed = frame.assign(**{_ORDER: codes.map(order).to_numpy()})
    return keyed.sort_values([_ORDER, *(within or [])], kind="stable").drop(columns=_ORDER)


_ORDER = "_scope_order"
"""A sort key column, dropped after sorting."""


def _or_each(values: pd.Series, text: str) -> list[Any]:
    """:func:`_or` of each value."""
    return [_or(v, text) for v in values.tolist()]


def _scorecard_sheet(book: _Book, card: pd.DataFrame, scope: str,
                     names: dict[str, str], targets: tuple[TargetReading, ...]) -> None:
    header = ["scope code", "scope", "target", "verdict", "target value", "value (mean)",
              "met", "date first met", "p_met", "p_met 95% low", "p_met 95% high",
              "replications", "gap to target", "interval covers"]
    sheet = _Sheet(book, "Scorecard", header,
                   [12, 22, 30, 70, 12, 14, 8, 14, 8, 13, 14, 12, 14, 15])
    card = _in_scope_order(card.assign(scope=card["scope"].astype(str)), "scope", scope, names)
    units = {t.name: t.unit for t in targets}
    for r in card.to_dict("records"):
        code = r["scope"]
        f = excel_format(units[str(r["target"])])
        n = int(r["n"])
        first = r["date_first_met"] if isinstance(r["date_first_met"], str) else ""
        if not first:
            first = NOT_SCORED if n == 0 else NEVER_MET
        low, high = (_or(r["p_met_low"], NO_INTERVAL if n else NOT_SCORED),
                     _or(r["p_met_high"], NO_INTERVAL if n else NOT_SCORED))
        sheet.row([code, names.get(code, code), r["target"], r["verdict"],
                   float(r["threshold"]), _or(r["value"], NOT_SCORED),
                   met_word(r["met"], r["n"]), first,
                   _or(r["p_met"], NOT_SCORED), low, high,
                   n, _or(r["gap"], NOT_SCORED), r["covers"]],
                  [None, None, None, None, f, f, None, None, "0.00", "0.00", "0.00", "0",
                   f, None], SCOPE_FILL if code == scope else None)
    sheet.finish()


def _or(value: Any, text: str) -> Any:
    """``value`` as a float, or ``text`` for a missing one (NaN, None or empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return text
    v = float(value)
    return text if pd.isna(v) else v


def _ledger_sheet(book: _Book, ledger: pd.DataFrame, scope: str,
                  names: dict[str, str]) -> None:
    from caresim.recording import LEDGER

    labels = {line.name: line.label for line in LEDGER}
    lines = [c for c in ledger.columns if c.endswith("_gbp")]
    led = ledger.assign(council_code=ledger["council_code"].astype(str),
                        fy=ledger["fy"].astype(str))
    means = led.groupby(["council_code", "fy"], sort=True)[lines].mean()
    n = led.groupby(["council_code", "fy"], sort=True)["replication"].nunique() \
        if "replication" in led else pd.Series(1, index=means.index)
    header = ["council code", "council", "financial year", "replications",
              *[f"{labels.get(c, c)} (GBP)\n{c}" for c in lines]]
    sheet = _Sheet(book, "Ledger", header, [12, 22, 10, 8, *[18] * len(lines)],
                   wrap_header=True)
    formats = [None, None, None, "0", *[MONEY] * len(lines)]
    rows = _in_scope_order(means.assign(**{_N: n.reindex(means.index)}).reset_index(),
                           "council_code", scope, names)
    for code, fy, k, values in zip(rows["council_code"].tolist(), rows["fy"].tolist(),
                                   rows[_N].astype(int).tolist(),
                                   rows[lines].to_numpy(dtype=float).tolist(), strict=True):
        sheet.row([code, names.get(code, code), fy, k, *values], formats,
                  SCOPE_FILL if code == scope else None)
    sheet.finish()


_N = "_replications"
"""A column of the ledger's means: the replications of each row."""


def headline_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's rows the "Headline by year" sheet shows: the financial-year rows of
    :data:`HEADLINE_METRICS`, every scope (a few percent of an England summary's rows).
    Applied to its own result it returns the same rows, so a caller may select them first."""
    # the headline metrics' rows first, then their years
    summary = metrics_rows(summary, HEADLINE_METRICS)
    return yearly_rows(summary.assign(period=summary["period"].astype(str)))


def _headline_sheet(book: _Book, summary: pd.DataFrame, scope: str,
                    names: dict[str, str]) -> None:
    yearly = headline_rows(summary)
    s = pd.concat([metric_rows(yearly, name) for name in HEADLINE_METRICS], ignore_index=True)
    s["council_code"] = s["council_code"].astype(str)
    s["metric"] = pd.Categorical(s["metric"].astype(str), categories=HEADLINE_METRICS,
                                 ordered=True)
    s["period"] = s["period"].astype(str)
    s["unit"] = s["unit"].astype(str)
    header = ["scope code", "scope", "metric", "definition", "unit", "financial year",
              "replications", "mean", "95% low", "95% high"]
    sheet = _Sheet(book, "Headline by year", header, [12, 22, 24, 50, 10, 10, 8, 16, 16, 16])
    s = _in_scope_order(s, "council_code", scope, names, ["metric", "period"])
    definitions = {m: get_measure(m).label for m in HEADLINE_METRICS}
    formats = {u: [None, None, None, None, None, None, "0", f, f, f]
               for u in s["unit"].unique() for f in [_unit_format(u)]}
    for code, metric, unit, period, n, mean, low, high in zip(
            s["council_code"].tolist(), s["metric"].astype(str).tolist(), s["unit"].tolist(),
            s["period"].tolist(), s["n"].astype(int).tolist(),
            s["mean"].astype(float).tolist(), _or_each(s["ci_low"], NO_INTERVAL),
            _or_each(s["ci_high"], NO_INTERVAL), strict=True):
        sheet.row([code, names.get(code, code), metric, definitions[metric], unit, period, n,
                   mean, low, high], formats[unit], SCOPE_FILL if code == scope else None)
    sheet.finish()


def _cell_value(value: Any) -> Any:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(_cell_value(v)) for v in value)
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    return value


def _parameters_sheet(book: _Book, params: Scenario) -> None:
    scenario = ResolvedScenario.of(params)
    header = ["parameter", "value", "unit", "source", "range", "assumption"]
    sheet = _Sheet(book, "Parameters", header, [44, 40, 16, 90, 22, 12])
    for path, leaf in flatten_parameters(params).items():
        rng = getattr(scenario.get(path), "range", None)
        source = str(leaf["source"] or "").strip()
        assumption = source.lower().startswith(ASSUMPTION_PREFIX)
        value = _cell_value(leaf["value"])
        if value in ("", None):
            value = ("every council (152)" if path == "run.councils"
                     else "not set (the default applies)")
        sheet.row([path, value, leaf["unit"] or _no_unit(value), source or SETTING_SOURCE,
                   "none (not varied)" if rng is None else f"[{rng[0]:g}, {rng[1]:g}]",
                   "assumption" if assumption else "sourced" if source else "run setting"],
                  [None, "General" if isinstance(value, int | float) else None, None, None,
                   None, None], ASSUMPTION_FILL if assumption else None)
    sheet.finish()


def _no_unit(value: Any) -> str:
    """What stands in the unit column of a parameter without a unit."""
    if isinstance(value, int | float):
        return "none (a number)"
    try:
        dt.date.fromisoformat(value if isinstance(value, str) and "-" in value else "")
    except ValueError:
        return "none (text)"
    return "date"


def _about_sheet(book: _Book, manifest: dict[str, Any], params: Scenario, scope: str,
                 names: dict[str, str]) -> None:
    env = manifest.get("environment") or {}
    councils = [str(c) for c in manifest.get("councils") or []]
    sheet = _Sheet(book, "About", ["item", "value"], [34, 120])
    rows: list[tuple[str, Any]] = [
        ("Scenario", manifest.get("scenario")),
        ("Description", params.description),
        ("Scenario files (extends chain, root first)",
         "; ".join(manifest.get("scenario_files") or [])),
        ("Scenario hash", manifest.get("scenario_hash")),
        ("Master seed", manifest.get("master_seed")),
        ("Replications", describe(manifest)),
        ("Councils run", f"{len(councils)}: " + ", ".join(names.get(c, c)
                                                          for c in councils[:20])
         + (f" and {len(councils) - 20} more" if len(councils) > 20 else "")),
        ("Totals (code E92000001) are of", f"{names[ENGLAND_CODE]}: the sum of the councils "
         "run" + ("" if names[ENGLAND_CODE] == "England" else
                  " (England's code, not England's total)")),
        ("Shown first on every sheet", f"{names.get(scope, scope)} ({scope})"),
        ("caresim version", manifest.get("caresim_version")),
        ("git commit", env.get("git_commit") or "unknown"),
        ("Run started (UTC)", manifest.get("started_utc")),
        ("Run finished (UTC)", manifest.get("finished_utc")),
        ("Workbook written (UTC)", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("Money", "GBP, cash (nominal) prices"),
        ("Intervals", _intervals(manifest)),
    ]
    for key, value in rows:
        sheet.row([key, "not recorded" if value in (None, "") else value])
    sheet.row(["Sheet", "What it holds"], bold=True)
    for name, text in SHEETS.items():
        sheet.row([name, text])


def _intervals(manifest: dict[str, Any]) -> str:
    """What the run's intervals cover, from its manifest."""
    if manifest.get("parameter_uncertainty"):
        return ("95%; over parameter sets and replications: each parameter set a draw of every "
                "assumption from its range, run with the same replications (parameters and "
                "randomness), not over the model's structure")
    return ("95%; over replications only (the randomness of events with the parameters fixed), "
            "not over parameter uncertainty")


def write_workbook(path: Path, manifest: dict[str, Any], summary: pd.DataFrame,
                   scorecard: pd.DataFrame, ledger: pd.DataFrame, scope: str) -> None:
    """Write the run workbook.

    Parameters
    ----------
    path : pathlib.Path
        The ``.xlsx`` file to write (replaced if it exists).
    manifest : dict
        The run manifest (``manifest.json``), with ``parameters``, ``scenario``,
        ``scenario_files``, ``scenario_hash``, ``master_seed``, ``replications`` and
        ``councils``.
    summary : pandas.DataFrame
        ``summary.parquet``: monthly and financial-year summaries over replications, or only
        its :func:`headline_rows` (all the workbook reads).
    scorecard : pandas.DataFrame
        ``scorecard.csv``.
    ledger : pandas.DataFrame
        ``ledger.csv`` (GBP cash, one row per replication, council and financial year).
    scope : str
        GSS code shown first on every sheet: the council of a one-council run, else
        ``E92000001`` (England).
    """
    names = _names([str(c) for c in manifest.get("councils") or []])
    params = Scenario.model_validate(manifest["parameters"])
    with atomic_file(Path(path)) as tmp:
        # shared strings (not constant_memory): the repeated labels are stored once, which is
        # faster and smaller; the cells held until closing (about 75 MiB for England) stay
        # below the peak the parent reached writing the run's files
        wb = Workbook(str(tmp), {"constant_memory": False, "strings_to_formulas": False,
                                 "strings_to_urls": False, "strings_to_numbers": False})
        try:
            book = _Book(wb)
            _scorecard_sheet(book, scorecard, scope, names, target_readings(params.targets))
            _ledger_sheet(book, ledger, scope, names)
            _headline_sheet(book, summary, scope, names)
            _parameters_sheet(book, params)
            _about_sheet(book, manifest, params, scope, names)
        finally:
            wb.close()
