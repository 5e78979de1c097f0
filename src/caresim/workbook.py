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
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from caresim.analysis.replications import describe
from caresim.councils import ENGLAND_CODE
from caresim.io import atomic_file
from caresim.measures import (
    aggregate_label,
    excel_format,
    get_measure,
    metric_rows,
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
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
SCOPE_FILL = PatternFill("solid", fgColor="F2F2F2")
ASSUMPTION_FILL = PatternFill("solid", fgColor="FFF2CC")


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


def _cell(ws: Any, value: Any) -> WriteOnlyCell:
    """A cell holding ``value``; text is always stored as text, never as a formula (openpyxl
    would store a string starting with ``=`` as a live formula, such as ``=HYPERLINK(...)``
    from a scenario's description)."""
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and c.data_type == "f":
        c.data_type = "s"
    return c


class _Sheet:
    """A write-only sheet with a bold, frozen, filtered header row and set column widths."""

    def __init__(self, wb: Workbook, title: str, header: list[str], widths: list[float],
                 wrap_header: bool = False) -> None:
        self.ws = wb.create_sheet(title)
        self.n_cols = len(header)
        for j, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(j)].width = w
        self.ws.freeze_panes = "A2"
        cells = []
        for h in header:
            c = _cell(self.ws, h)
            c.font = HEADER_FONT
            c.fill = HEADER_FILL
            c.alignment = Alignment(wrap_text=wrap_header, vertical="top")
            cells.append(c)
        if wrap_header:
            self.ws.row_dimensions[1].height = 45
        self.ws.append(cells)
        self.rows = 1

    def row(self, values: list[Any], formats: list[str | None] | None = None,
            fill: PatternFill | None = None, bold: bool = False) -> None:
        cells = []
        for j, v in enumerate(values):
            if isinstance(v, float) and pd.isna(v):
                v = None
            c = _cell(self.ws, v)
            if formats and formats[j]:
                c.number_format = formats[j]
            if fill is not None:
                c.fill = fill
            if bold:
                c.font = HEADER_FONT
            cells.append(c)
        self.ws.append(cells)
        self.rows += 1

    def finish(self) -> None:
        last = get_column_letter(self.n_cols)
        self.ws.auto_filter.ref = f"A1:{last}{max(self.rows, 2)}"


def _scorecard_sheet(wb: Workbook, card: pd.DataFrame, scope: str,
                     names: dict[str, str], targets: tuple[TargetReading, ...]) -> None:
    header = ["scope code", "scope", "target", "verdict", "target value", "value (mean)",
              "met", "date first met", "p_met", "p_met 95% low", "p_met 95% high",
              "replications", "gap to target", "interval covers"]
    sheet = _Sheet(wb, "Scorecard", header,
                   [12, 22, 30, 70, 12, 14, 8, 14, 8, 13, 14, 12, 14, 15])
    card = card.assign(scope=card["scope"].astype(str))
    units = {t.name: t.unit for t in targets}
    for code in _scope_order(list(card["scope"].unique()), scope, names):
        for _, r in card[card["scope"] == code].iterrows():
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


def _ledger_sheet(wb: Workbook, ledger: pd.DataFrame, scope: str,
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
    sheet = _Sheet(wb, "Ledger", header, [12, 22, 10, 8, *[18] * len(lines)],
                   wrap_header=True)
    formats = [None, None, None, "0", *[MONEY] * len(lines)]
    codes = list(means.index.get_level_values(0).unique())
    for code in _scope_order(codes, scope, names):
        block = means.loc[code]
        for fy, r in block.iterrows():
            sheet.row([code, names.get(code, code), fy, int(n.loc[(code, fy)]),
                       *[float(r[c]) for c in lines]], formats,
                      SCOPE_FILL if code == scope else None)
    sheet.finish()


def _headline_sheet(wb: Workbook, summary: pd.DataFrame, scope: str,
                    names: dict[str, str]) -> None:
    yearly = yearly_rows(summary.assign(period=summary["period"].astype(str)))
    s = pd.concat([metric_rows(yearly, name) for name in HEADLINE_METRICS], ignore_index=True)
    s["council_code"] = s["council_code"].astype(str)
    s["metric"] = pd.Categorical(s["metric"].astype(str), categories=HEADLINE_METRICS,
                                 ordered=True)
    s["period"] = s["period"].astype(str)
    s["unit"] = s["unit"].astype(str)
    header = ["scope code", "scope", "metric", "definition", "unit", "financial year",
              "replications", "mean", "95% low", "95% high"]
    sheet = _Sheet(wb, "Headline by year", header, [12, 22, 24, 50, 10, 10, 8, 16, 16, 16])
    for code in _scope_order(list(s["council_code"].unique()), scope, names):
        block = s[s["council_code"] == code].sort_values(["metric", "period"])
        for r in block.itertuples():
            metric = str(r.metric)
            f = _unit_format(r.unit)
            definition = get_measure(metric).label
            sheet.row([code, names.get(code, code), metric, definition, r.unit, r.period,
                       int(r.n), float(r.mean), _or(r.ci_low, NO_INTERVAL),
                       _or(r.ci_high, NO_INTERVAL)],
                      [None, None, None, None, None, None, "0", f, f, f],
                      SCOPE_FILL if code == scope else None)
    sheet.finish()


def _cell_value(value: Any) -> Any:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(_cell_value(v)) for v in value)
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    return value


def _parameters_sheet(wb: Workbook, params: Scenario) -> None:
    scenario = ResolvedScenario.of(params)
    header = ["parameter", "value", "unit", "source", "range", "assumption"]
    sheet = _Sheet(wb, "Parameters", header, [44, 40, 16, 90, 22, 12])
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


def _about_sheet(wb: Workbook, manifest: dict[str, Any], params: Scenario, scope: str,
                 names: dict[str, str]) -> None:
    env = manifest.get("environment") or {}
    councils = [str(c) for c in manifest.get("councils") or []]
    sheet = _Sheet(wb, "About", ["item", "value"], [34, 120])
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
        ``summary.parquet``: monthly and financial-year summaries over replications.
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
    wb = Workbook(write_only=True)
    _scorecard_sheet(wb, scorecard, scope, names, target_readings(params.targets))
    _ledger_sheet(wb, ledger, scope, names)
    _headline_sheet(wb, summary, scope, names)
    _parameters_sheet(wb, params)
    _about_sheet(wb, manifest, params, scope, names)
    with atomic_file(Path(path)) as tmp:
        wb.save(tmp)
