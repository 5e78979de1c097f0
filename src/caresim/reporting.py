"""The run report: a run folder in, ``report.html`` and ``report.md`` out (DESIGN §1, §3, §7).

The report reads the run's own tables (``manifest.json``, ``summary.parquet``,
``scorecard.csv``, ``ledger.csv``, and the per-replication ``timeseries.parquet`` and
``financial_years.parquet`` for the headline numbers) and never recomputes a summary. It covers
the council when the run was of one council, else the councils run together (England when all
were run).

Its **first page** says, in plain labels (the measures' own words and units, never internal
names): what was run, in one sentence; each target's verdict (the scorecard's ``verdict``) with
the chance of meeting it and its interval when there is more than one run; five headline
numbers (:data:`caresim.measures.readings.REPORT_FIRST_PAGE`) with their 95% intervals; and,
with a second run, their differences, paired by replication when the runs share common random
numbers. Then: the targets in detail; the budget ledger by financial year, in cash and in real
terms (2008-09 prices, deflated by the scenario's own ``finance.inflation_per_year``); the PB
share, spend and savings figures; the comparison by financial year; and the run's details
(seeds, hashes, files, environment, the parameters that differ from the bundled baseline). Each
heading and caption says what it shows.

The model description under the STRESS-DES headings, taken from the code's own docstrings
(:mod:`caresim.docgen`), is a page of its own (``model.html``, ``model.md``) that the report
links to. ``report.html`` is self-contained apart from that link: figures are embedded as base64
PNG data URIs, the style sheet is inline, and there are no scripts. ``report.md`` refers to the
same PNGs saved beside it in ``report_files/``.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import io
import json
import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from scipy import stats

from caresim.analysis.compare import paired_differences
from caresim.analysis.headline import measure_scope
from caresim.analysis.replications import describe
from caresim.councils import ENGLAND_CODE
from caresim.errors import RunStoreError
from caresim.measures import (
    RunTables,
    format_against,
    format_difference,
    format_value,
    get_measure,
    get_unit,
    measure_values,
    metric_rows,
    monthly_rows,
    scope_label,
    yearly_rows,
)
from caresim.measures.readings import REPORT_FIRST_PAGE, Reading, reading_label
from caresim.measures.targets import TargetReading, met_word, target_readings
from caresim.measures.units import MILLION, THOUSAND
from caresim.params.schema import Scenario
from caresim.params.values import ASSUMPTION_PREFIX
from caresim.period import FinancialYear, MonthEnd
from caresim.recording import LEDGER
from caresim.report_render import (
    Block,
    Doc,
    Figure,
    Heading,
    Link,
    PageEnd,
    Para,
    Table,
)
from caresim.results import summarise
from caresim.scenario import ResolvedScenario, diff, flatten_parameters, load_scenario
from caresim.scorecard import p_met_interval

REPORT_HTML = "report.html"
REPORT_MD = "report.md"
MODEL_PAGE = "model"
"""The stem of the model description's own page, written beside the report."""
MODEL_HTML = f"{MODEL_PAGE}.html"
MODEL_MD = f"{MODEL_PAGE}.md"
RUN_FILES = ("manifest.json", "summary.parquet", "scorecard.csv", "ledger.csv",
             "timeseries.parquet", "financial_years.parquet")
"""What a run folder must hold for a report to be written."""
ALL_COUNCILS = 152
"""Councils with adult social services responsibilities: a run of all of them is England."""
SCALE_OF = {1e6: MILLION, 1e3: THOUSAND}
"""The money scales of the report's ledger tables, by divisor."""
BASE_FY = "2008-09"
"""Real terms are shown in the prices of this financial year."""



def _ledger_view() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for line in LEDGER:
        if line.shown:
            groups.setdefault(line.group, []).append((line.name, line.label))
    return tuple((group, tuple(items)) for group, items in groups.items())


def _real_view() -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows: dict[str, list[str]] = {}
    for line in LEDGER:
        if line.summary:
            rows.setdefault(line.summary, []).append(line.name)
    return tuple((label, tuple(names)) for label, names in rows.items())


LEDGER_VIEW = _ledger_view()
"""Ledger lines shown in the report, grouped, in order, with their labels (from the lines'
owners, :data:`caresim.recording.LEDGER`)."""
TOTAL_LINES = tuple(line.name for line in LEDGER if line.total)
REAL_VIEW = _real_view()
"""Rows of the real-terms summary: label and the ledger lines summed into it."""

COMPARE_METRICS = ("pb_share_adass", "pb_share_ascof", "users_community", "unmet_need",
                   "mean_wait_days", "readiness", "spend_gbp", "net_spend_gbp",
                   "grant_received_gbp", "cashable_savings_gbp")
COMPARE_FYS = ("2009-10", "2010-11", "2012-13", "2014-15")


# --------------------------------------------------------------------------- the run folder


@dataclass(frozen=True)
class RunFolder:
    """The tables of one run folder, as written by ``caresim run``.

    Attributes
    ----------
    path : pathlib.Path
        The run folder.
    manifest : dict
        ``manifest.json``.
    summary : pandas.DataFrame
        ``summary.parquet`` (``council_code`` as text).
    scorecard : pandas.DataFrame
        ``scorecard.csv``.
    ledger : pandas.DataFrame
        ``ledger.csv`` (GBP, cash; one row per replication, council and financial year).
    """

    path: Path
    manifest: dict[str, Any]
    summary: pd.DataFrame = field(repr=False)
    scorecard: pd.DataFrame = field(repr=False)
    ledger: pd.DataFrame = field(repr=False)
    _lazy: dict[tuple[str, ...], RunTables] = field(default_factory=dict, repr=False,
                                                    compare=False)

    @property
    def scenario(self) -> ResolvedScenario:
        """The run's resolved parameters, wrapped so :func:`caresim.scenario.diff` takes them."""
        params = Scenario.model_validate(self.manifest["parameters"])
        return ResolvedScenario.of(params, tuple(self.manifest.get("scenario_files", ())))

    @property
    def scope(self) -> str:
        """The council's GSS code when one council was run, else ``E92000001`` (England)."""
        councils = self.manifest.get("councils") or []
        return str(councils[0]) if len(councils) == 1 else ENGLAND_CODE

    @property
    def monthly(self) -> pd.DataFrame:
        """Summary rows of month ends (``period`` like ``2011-03-31``)."""
        return monthly_rows(self.summary)

    @property
    def fy(self) -> pd.DataFrame:
        """Summary rows of financial years (``period`` like ``2010-11``)."""
        return yearly_rows(self.summary)

    @property
    def councils(self) -> list[str]:
        """GSS codes of the councils run."""
        return [str(c) for c in self.manifest.get("councils") or []]

    @property
    def targets(self) -> tuple[TargetReading, ...]:
        """The scenario's targets, as readings of their measures."""
        return target_readings(self.scenario.params.targets)

    @functools.cached_property
    def tables(self) -> RunTables:
        """The run's per-replication tables, for the measures layer (read when first asked)."""
        try:
            return RunTables(pd.read_parquet(self.path / "timeseries.parquet"),
                             pd.read_parquet(self.path / "financial_years.parquet"),
                             self.ledger)
        except (OSError, ValueError) as exc:
            raise RunStoreError(f"{self.path}: expected readable timeseries.parquet and "
                                "financial_years.parquet (written by `caresim run`); found a "
                                f"file that cannot be read ({type(exc).__name__}: {exc})."
                                ) from None

    def tables_for(self, measures: tuple[str, ...]) -> RunTables:
        """The run's per-replication tables holding only the metrics ``measures`` read: the
        Parquet datasets are scanned with a filter on ``metric`` (pyarrow.dataset), so a
        report of an England run of many replications never loads every metric."""
        import pyarrow.dataset as ds

        from caresim.measures import get_measure

        needed = sorted({c for name in measures
                         for c in (get_measure(name).expression.columns()
                                   if get_measure(name).expression is not None else ())})
        key = tuple(needed)
        if key not in self._lazy:
            try:
                frames = [ds.dataset(self.path / name, format="parquet").to_table(
                    filter=ds.field("metric").isin(needed)).to_pandas()
                    for name in ("timeseries.parquet", "financial_years.parquet")]
            except (OSError, ValueError) as exc:
                raise RunStoreError(f"{self.path}: expected readable timeseries.parquet and "
                                    "financial_years.parquet (written by `caresim run`); "
                                    "found a file that cannot be read "
                                    f"({type(exc).__name__}: {exc}).") from None
            self._lazy[key] = RunTables(frames[0], frames[1], self.ledger)
        return self._lazy[key]

    @property
    def n_runs(self) -> int:
        """Runs behind each mean of the reported scope (replications, times parameter sets
        under ``--parameter-uncertainty``), from the summary."""
        rows = self.summary[self.summary["council_code"] == self.scope]
        return int(rows["n"].max()) if len(rows) else 0

    @property
    def uncertain(self) -> bool:
        """Whether the run drew parameter sets (``--parameter-uncertainty``)."""
        return bool(self.manifest.get("parameter_uncertainty"))


def load_run(path: Path) -> RunFolder:
    """Read a run folder.

    Parameters
    ----------
    path : pathlib.Path
        A folder written by ``caresim run``.

    Raises
    ------
    caresim.errors.RunStoreError
        When ``path`` is missing, is not a folder, or lacks a readable ``manifest.json``,
        ``summary.parquet``, ``scorecard.csv`` or ``ledger.csv``.
    """
    path = Path(path)
    expected = "a run folder written by `caresim run`, containing " + ", ".join(RUN_FILES)
    if not path.exists():
        raise RunStoreError(f"{path}: expected {expected}; found no such folder.")
    if not path.is_dir():
        raise RunStoreError(f"{path}: expected {expected}; found a file.")
    # the per-run tables are Parquet datasets (folders of per-task files) or single files
    missing = [f for f in RUN_FILES if not (path / f).exists()]
    if missing:
        raise RunStoreError(f"{path}: expected {expected}; found no {', '.join(missing)}.")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        summary = pd.read_parquet(path / "summary.parquet")
        card = pd.read_csv(path / "scorecard.csv", dtype={"scope": str, "date_first_met": str},
                           keep_default_na=False,
                           na_values={c: [""] for c in ("value", "met", "p_met", "p_met_low",
                                                        "p_met_high", "gap")})
        card["met"] = card["met"].map({"True": True, "False": False, True: True,
                                       False: False}).astype("boolean")
        ledger = pd.read_csv(path / "ledger.csv", dtype={"council_code": str, "fy": str})
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"{path}: expected {expected}; found a file that cannot be read "
                            f"({type(exc).__name__}: {exc}).") from None
    if not isinstance(manifest, dict) or "parameters" not in manifest:
        raise RunStoreError(f"{path}/manifest.json: expected a run manifest with the resolved "
                            "'parameters'; found none.")
    summary = summary.assign(council_code=summary["council_code"].astype(str),
                             metric=summary["metric"].astype(str),
                             unit=summary["unit"].astype(str),
                             period=summary["period"].astype(str))
    run = RunFolder(path, manifest, summary, card, ledger)
    try:
        run.scenario  # noqa: B018 - validate the parameters now, with a clear message
    except ValidationError as exc:
        raise RunStoreError(f"{path}/manifest.json: expected parameters this version of caresim "
                            f"can read; found {exc.error_count()} invalid value(s) (was the run "
                            "made by another version?).") from None
    return run


def scope_name(code: str, councils: list[str] | None = None) -> str:
    """The council's name for a GSS code; for England's code, the aggregate of ``councils``
    (England only when every council was run, else ``"3 councils"``)."""
    return scope_label(code, councils or [code])


def deflator(params: Scenario, fys: list[str], base: str = BASE_FY) -> dict[str, float]:
    """Price index by financial year from ``finance.inflation_per_year``, 1 in ``base``.

    The model uprates budgets and prices at the start of each financial year by the rate in
    force on 1 April (``caresim.model.finance``); the index compounds the same rates.

    Parameters
    ----------
    params : Scenario
        The run's parameters.
    fys : list of str
        Financial-year labels such as ``2010-11``.
    base : str
        The financial year whose prices real terms are in.

    Returns
    -------
    dict of str to float
        Index (dimensionless) by financial year.
    """
    rate = params.finance.inflation_per_year
    b = int(base[:4])
    out = {}
    for label in fys:
        y = int(label[:4])
        index = 1.0
        for year in range(b + 1, y + 1):
            index *= 1.0 + rate.at(dt.date(year, 4, 1))
        for year in range(y + 1, b + 1):
            index /= 1.0 + rate.at(dt.date(year, 4, 1))
        out[label] = index
    return out


def ledger_means(ledger: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Mean over replications of each ledger line, by financial year, for one scope (GBP)."""
    led = ledger[ledger["council_code"].astype(str) == scope]
    lines = [c for c in led.columns if c.endswith("_gbp")]
    return led.groupby("fy", sort=True)[lines].mean().reset_index()


def headline_differences(a: pd.DataFrame, b: pd.DataFrame, scope: str,
                         metrics: tuple[str, ...] = COMPARE_METRICS,
                         periods: tuple[str, ...] = COMPARE_FYS) -> pd.DataFrame:
    """B - A of the mean of each metric, with a 95% Welch interval from the two summaries.

    The interval treats the runs as independent samples (``sd`` and ``n`` of each summary
    row); with common random numbers a paired interval from the replication tables would
    usually be narrower.

    Parameters
    ----------
    a, b : pandas.DataFrame
        Financial-year summary rows of the two runs.
    scope : str
        GSS code, or ``E92000001``.
    metrics, periods : tuple of str
        Metrics and financial years to compare; the last financial year of run A is added.

    Returns
    -------
    pandas.DataFrame
        ``metric, unit, period, mean_a, mean_b, diff, diff_low, diff_high`` in the metric's
        unit.
    """
    keys = ["metric", "period"]
    cols = [*keys, "unit", "n", "mean", "sd"]

    def rows(summary: pd.DataFrame) -> pd.DataFrame:
        parts = [metric_rows(summary, name, scope)[cols] for name in metrics]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)

    sa, sb = rows(a), rows(b)
    last = sorted(yearly_rows(a)["period"].unique())[-1:] if len(a) else []
    wanted = list(dict.fromkeys([*periods, *last]))
    m = sa.merge(sb, on=keys, suffixes=("_a", "_b"))
    m = m[m["period"].isin(wanted)].copy()
    va, vb = m["sd_a"] ** 2 / m["n_a"], m["sd_b"] ** 2 / m["n_b"]
    se = np.sqrt(va + vb)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (va + vb) ** 2 / (va ** 2 / (m["n_a"] - 1) + vb ** 2 / (m["n_b"] - 1))
    df = df.where(df > 0, np.nan).fillna(1.0)
    half = stats.t.ppf(0.975, df) * se
    m["diff"] = m["mean_b"] - m["mean_a"]
    ok = (m["n_a"] > 1) & (m["n_b"] > 1)
    m["diff_low"] = (m["diff"] - half).where(ok)
    m["diff_high"] = (m["diff"] + half).where(ok)
    m["metric"] = pd.Categorical(m["metric"], categories=list(metrics), ordered=True)
    m = m.sort_values(["metric", "period"])
    m["metric"] = m["metric"].astype(str)
    return m.rename(columns={"unit_a": "unit"})[["metric", "unit", "period", "mean_a", "mean_b",
                                                 "diff", "diff_low", "diff_high"]]


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return buf.getvalue()


# --------------------------------------------------------------------------- formatting


def _money(value: float, div: float) -> str:
    """Money at the scale of a table whose header names it, accounts style (``(1.2)``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format_value(value, "GBP", scale=SCALE_OF[div], symbol=False, negative="parentheses")


def _pct(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format_value(value, "fraction", digits=digits)


def _by_unit(value: float, unit: str, signed: bool = False) -> str:
    """A value (or with ``signed`` a difference) formatted from its unit; empty for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    scale = "m" if get_unit(unit).kind == "money" else None
    if signed:
        return format_difference(value, unit, scale=scale)
    return format_value(value, unit, scale=scale)


def _value(value: Any) -> str:
    """A parameter value, compactly (dated values as ``date: value`` pairs)."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 or value == 0 else f"{value:,.0f}"
    return "" if value is None else str(value)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def target_label(reading: TargetReading) -> str:
    """A plain-English label of a scorecard target: its measure's words and its period."""
    return _cap(f"{get_measure(reading.measure).title} {reading.period.words}")


# --------------------------------------------------------------------------- the first page


def over_runs(n: int, uncertain: bool = False) -> str:
    """What a value's interval is, in words: ``mean and 95% interval over 5 replications``;
    ``one run, no interval`` for one run."""
    if n <= 1:
        return "one run, no interval"
    if uncertain:
        return f"mean and 95% range over {n} runs (parameter sets x replications)"
    return f"mean and 95% interval over {n} replications"


def councils_label(codes: list[str]) -> str:
    """The councils run, in plain words: ``England (152 councils)``, the council's name, or
    ``3 councils (Leeds, Kent, Devon)``."""
    if not codes:
        return "no councils"
    label = scope_label(ENGLAND_CODE, codes)
    if len(codes) == 1:
        return label
    if len(codes) == ALL_COUNCILS:
        return f"{label} ({len(codes)} councils)"
    names = [scope_label(c, codes) for c in codes[:6]]
    more = f" and {len(codes) - 6} more" if len(codes) > 6 else ""
    return f"{label} ({', '.join(names)}{more})"


def _date_words(text: str) -> str:
    try:
        d = dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return str(text)
    return f"{d.day} {d:%B %Y}"


def _finished_words(text: Any) -> str:
    try:
        t = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return "not recorded"
    return f"{t.day} {t:%B %Y} {t:%H:%M} UTC"


def what_was_run(run: RunFolder) -> str:
    """One sentence: the scenario and its description, the councils, the replications
    (:func:`caresim.analysis.replications.describe`), the dates simulated and when it ran."""
    m = run.manifest
    params = run.scenario.params
    description = str(params.description).strip().rstrip(".")
    return (f"Scenario **{m.get('scenario', params.name)}** ({description}), run for "
            f"{councils_label(run.councils)} from {_date_words(params.run.start_date)} to "
            f"{_date_words(params.run.end_date)}; replications: {describe(m)}; finished "
            f"{_finished_words(m.get('finished_utc'))}.")


def _reading_table(run: RunFolder, readings: tuple[Reading, ...]) -> pd.DataFrame:
    """``reading, scenario, parameter_set, replication, council_code, period, value`` of each
    reading for the reported scope (no rows for a period the run does not hold)."""
    parts = []
    for r in readings:
        v = measure_values(r.measure, run.tables_for(tuple(x.measure for x in readings)),
                           r.period, measure_scope(run.scope))
        parts.append(v.assign(reading=r.name, unit=r.unit))
    return pd.concat(parts, ignore_index=True)


def headline_numbers(run: RunFolder, readings: tuple[Reading, ...] = REPORT_FIRST_PAGE
                     ) -> pd.DataFrame:
    """The first page's numbers: each reading's mean over runs with its 95% interval.

    Parameters
    ----------
    run : RunFolder
        The run.
    readings : tuple of Reading
        What to read (a measure at a period each).

    Returns
    -------
    pandas.DataFrame
        ``reading, label, unit, n, mean, ci_low, ci_high`` in the measure's unit, one row per
        reading in order; ``n`` 0 and NaN values for a period the run does not hold; the
        interval as :func:`caresim.results.summarise` gives it (NaN for one run).
    """
    values = _reading_table(run, readings)
    table = values.rename(columns={"reading": "metric"})
    summary = summarise(table, "period") if len(table) else pd.DataFrame(
        columns=["metric", "n", "mean", "ci_low", "ci_high"])
    by = summary.set_index("metric")
    rows = []
    for r in readings:
        got = by.loc[r.name] if r.name in by.index else None
        rows.append({"reading": r.name, "label": reading_label(r), "unit": r.unit,
                     "n": 0 if got is None else int(got["n"]),
                     **{k: float("nan") if got is None else float(got[k])
                        for k in ("mean", "ci_low", "ci_high")}})
    return pd.DataFrame(rows)


def paired(a: RunFolder, b: RunFolder) -> bool:
    """Whether two runs share common random numbers: the same master seed, councils,
    replications and parameter sets, so replication r of each drew the same numbers."""
    ma, mb = a.manifest, b.manifest
    return (ma.get("master_seed") == mb.get("master_seed")
            and sorted(ma.get("councils") or []) == sorted(mb.get("councils") or [])
            and ma.get("replications") == mb.get("replications")
            and ma.get("parameter_uncertainty") == mb.get("parameter_uncertainty"))


def reading_differences(a: RunFolder, b: RunFolder,
                        readings: tuple[Reading, ...] = REPORT_FIRST_PAGE) -> pd.DataFrame:
    """B - A of each reading with its 95% interval: paired by replication when the runs share
    common random numbers (:func:`paired`), else Welch's unpaired interval.

    Returns
    -------
    pandas.DataFrame
        ``reading, label, unit, n, mean_a, mean_b, diff, diff_ci_low, diff_ci_high, paired``,
        one row per reading the two runs both hold, in order (intervals NaN with one run).
    """
    def per_run(run: RunFolder) -> pd.DataFrame:
        v = _reading_table(run, readings)
        unit = v["parameter_set"].astype(np.int64) * 1_000_000 + v["replication"].astype(int)
        return pd.DataFrame({"replication": unit, "indicator": v["reading"],
                             "unit": v["unit"], "value": v["value"].astype(float)})

    d = paired_differences(per_run(a), per_run(b))
    cols = ["reading", "label", "unit", "n", "mean_a", "mean_b", "diff", "diff_ci_low",
            "diff_ci_high", "paired"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    is_paired = paired(a, b)
    if not is_paired:
        d["diff_ci_low"], d["diff_ci_high"] = d["unpaired_ci_low"], d["unpaired_ci_high"]
    labels = {r.name: reading_label(r) for r in readings}
    order = {r.name: i for i, r in enumerate(readings)}
    d = d.assign(reading=d["indicator"], label=d["indicator"].map(labels), paired=is_paired)
    return d.sort_values("reading", key=lambda s: s.map(order))[cols].reset_index(drop=True)


CUT_NOTE = ("A share's interval is cut at 0% and 100% (a difference of shares at -100 and "
            "+100 points): with few replications the t interval reaches past what a share can be.")
"""Said under a first-page table whose interval of a share was cut to the possible range."""


def _bounds(low: float, high: float, unit: str, signed: bool = False) -> tuple[float, float]:
    """An interval cut to what the unit can be: 0 to 1 for a share, -1 to 1 for a difference
    of shares; any other unit unchanged."""
    if get_unit(unit).kind != "fraction" or math.isnan(low) or math.isnan(high):
        return low, high
    return max(low, -1.0 if signed else 0.0), min(high, 1.0)


def _interval(low: float, high: float, unit: str, signed: bool = False) -> str:
    if low is None or math.isnan(low) or math.isnan(high):
        return "one run, no interval"
    low, high = _bounds(low, high, unit, signed)
    if signed:
        return f"{format_difference(low, unit)} to {format_difference(high, unit)}"
    return f"{format_value(low, unit)} to {format_value(high, unit)}"


def _first_page(run: RunFolder, name: str, against: RunFolder | None) -> list[Block]:
    card = run.scorecard[run.scorecard["scope"].astype(str) == run.scope]
    readings = {r.name: r for r in run.targets}
    n = run.n_runs
    several = n > 1
    rows, styles = [], []
    for _, r in card.iterrows():
        reading = readings.get(str(r["target"]))
        verdict = str(r["verdict"]) if "verdict" in card and isinstance(r["verdict"], str) \
            else (f"{target_label(reading)}: {met_word(r['met'], r['n'])}" if reading else "")
        row = [_cap(verdict)]
        if several:
            row.append(met_word(r["met"], 0) if int(r["n"]) == 0 else
                       f"{r['p_met']:.2f} ({p_met_interval(r).strip('[]').replace(', ', ' to ')})")
        rows.append(row)
        word = met_word(r["met"], r["n"])
        styles.append("met" if word == "met" else "notmet" if word == "NOT met" else "")
    runs_word = "runs" if run.uncertain else "replications"
    header = ["verdict: the value against the target" if n <= 1 else
              "verdict: the mean's value against the target"]
    if several:
        header.append(f"chance of meeting it: share of the {n} {runs_word} (95% interval)")
    numbers = headline_numbers(run)
    nrows = [[r.label, format_value(r.mean, r.unit) if r.n else "not in this run",
              _interval(r.ci_low, r.ci_high, r.unit) if r.n else "-"][:3 if several else 2]
             for r in numbers.itertuples()]
    out: list[Block] = [
        Heading(1, f"caresim report: scenario {run.manifest.get('scenario')}, {name}"),
        Para(what_was_run(run)),
        Heading(2, f"Verdicts on the targets, {name}: "
                   + (f"the mean of {n} {runs_word} against each target" if several else
                      "one run against each target")),
        Table(header, rows, [False] * len(header), styles),
        Heading(2, f"Five headline numbers, {name}: {over_runs(n, run.uncertain)}"),
        Table(["measure", "mean", "95% interval"] if several else ["measure", "value"], nrows,
              [False, True, True][:3 if several else 2]),
    ]
    if any(_bounds(r.ci_low, r.ci_high, r.unit) != (r.ci_low, r.ci_high)
           for r in numbers.itertuples() if r.n > 1):
        out.append(Para(CUT_NOTE))
    if against is not None:
        out += _first_page_comparison(run, against, name)
    out += [Link("Below: the targets in detail, the budget ledger, the figures, and the run's "
                 "seeds, files and versions. How the model works is on its own page:", MODEL_PAGE,
                 "the model description", "."),
            PageEnd()]
    return out


def _labels(a: RunFolder, b: RunFolder) -> tuple[str, str]:
    la, lb = str(a.manifest.get("scenario", "A")), str(b.manifest.get("scenario", "B"))
    if la == lb:
        la, lb = f"{la} (A)", f"{lb} (B)"
    return la, lb


def _first_page_comparison(a: RunFolder, b: RunFolder, name: str) -> list[Block]:
    la, lb = _labels(a, b)
    d = reading_differences(a, b)
    n = int(d["n"].max()) if len(d) else 0
    is_paired = bool(d["paired"].all()) if len(d) else paired(a, b)
    how = ("paired by replication (the runs share their random numbers)" if is_paired else
           "unpaired (the runs differ in seed, councils or replications)")
    width = 5 if n > 1 else 4  # one run each: no interval column
    rows = [[r.label, format_value(r.mean_a, r.unit), format_value(r.mean_b, r.unit),
             format_difference(r.diff, r.unit),
             _interval(r.diff_ci_low, r.diff_ci_high, r.unit, signed=True)][:width]
            for r in d.itertuples()]
    what = (f"paired differences over {n} replications" if is_paired and n > 1 else
            "one run each, no interval" if n <= 1 else
            f"differences of the means over {n} replications")
    header = ["measure", la, lb, f"{lb} minus {la}", "95% interval of the difference"]
    out: list[Block] = [Heading(2, f"Comparison, {name}: {lb} minus {la}, {what}"),
                        Table(header[:width], rows, [False, True, True, True, True][:width])]
    if n > 1:
        cut = any(_bounds(r.diff_ci_low, r.diff_ci_high, r.unit, signed=True)
                  != (r.diff_ci_low, r.diff_ci_high) for r in d.itertuples())
        out.append(Para(f"The intervals are {how}." + (f" {CUT_NOTE}" if cut else "")))
    return out


# --------------------------------------------------------------------------- sections


def _run_details(run: RunFolder, name: str, number: int) -> list[Block]:
    m = run.manifest
    env = m.get("environment", {})
    rs = run.scenario
    councils = m.get("councils") or []
    shown = ", ".join(scope_name(c, councils) for c in councils[:12]) + (
        f" and {len(councils) - 12} more" if len(councils) > 12 else "")
    rows = [["Scenario", f"`{m.get('scenario', '')}`: {rs.params.description}"],
            ["Scenario files (extends chain, root first)",
             "<br>".join(f"`{f}`" for f in m.get("scenario_files", []))],
            ["Scenario hash (SHA-256 of the resolved parameters)", f"`{m.get('scenario_hash')}`"],
            ["Master seed", str(m.get("master_seed"))],
            ["Replications", describe(m)],
            ["Councils run", f"{len(councils)}: {shown}"],
            ["Reported for", name],
            ["caresim version", f"{m.get('caresim_version')} (git commit "
                                f"`{env.get('git_commit') or 'unknown'}`)"],
            ["Run started (UTC)", str(m.get("started_utc", ""))],
            ["Run finished (UTC)", str(m.get("finished_utc", ""))],
            ["Command", "`" + " ".join(m.get("command", [])) + "`"],
            ["Run folder", f"`{run.path}`"],
            ["Report written (UTC)", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")]]
    out: list[Block] = [
        Heading(2, f"{number}. Run details: scenario files, seed, hash, versions and the "
                   "parameters that differ from the baseline"),
        Para("The report is written by `caresim report` from the run's own tables (nothing is "
             "recomputed). All money is GBP; shares are of eligible people; intervals are 95%."),
        Table(["item", "value"], rows)]
    baseline = load_scenario("baseline")
    rows = diff(baseline, rs)
    out.append(Heading(3, "Parameters that differ from the bundled baseline, with this run's "
                          "values and sources"))
    model_rows = [r for r in rows if not r["parameter"].startswith(("run.", "name", "description"))]
    run_rows = [r for r in rows if r["parameter"].startswith("run.")]
    if not model_rows:
        out.append(Para("None: every model parameter has the bundled baseline's value."))
    else:
        out.append(Para(f"{len(model_rows)} model parameter(s) differ from "
                        "`load_scenario('baseline')` (values in the parameter's unit)."))
        out.append(Table(["parameter", "unit", "baseline", "this run", "source (this run)"],
                         [[f"`{r['parameter']}`", r["unit"], _value(r["value_a"]),
                           _value(r["value_b"]), str(r["source_b"])] for r in model_rows]))
    if run_rows:
        out.append(Para("Run settings that differ from the baseline file: " + "; ".join(
            f"`{r['parameter']}` {_value(r['value_a'])} -> {_value(r['value_b'])}"
            for r in run_rows) + "."))
    return out


def _milestones(run: RunFolder) -> str:
    """The PB share milestones of the run's targets in words: ``the 10% and 30% targets``."""
    shares = [t for t in run.targets
              if t.measure == "pb_share_adass" and isinstance(t.period, MonthEnd)
              and t.threshold < 1]
    if not shares:
        return "the targets"
    words = [format_value(t.threshold, "fraction", digits=0) for t in shares]
    return ("the " + (" and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1
                      else words[0]) + (" targets" if len(words) > 1 else " target"))


def _scorecard(run: RunFolder, name: str) -> list[Block]:
    card = run.scorecard[run.scorecard["scope"].astype(str) == run.scope]
    ascof = metric_rows(run.fy, "pb_share_ascof", run.scope)
    ascof = dict(zip(ascof["period"], ascof["mean"], strict=True))
    readings = {r.name: r for r in run.targets}
    rows, styles = [], []
    for _, r in card.iterrows():
        reading = readings[r["target"]]
        unit = get_measure(reading.measure).unit
        value, threshold = format_against(r["value"], r["threshold"], unit)
        more = "> " if reading.comparison == "more than" else ">= "
        beside = float("nan")
        if reading.measure == "pb_share_adass" and isinstance(reading.period, MonthEnd):
            # ASCOF 1C over the financial year ending on or just before the date
            beside = ascof.get(str(FinancialYear.containing(reading.period.date)), beside)
        date_first = r["date_first_met"] if isinstance(r["date_first_met"], str) else ""
        rows.append([target_label(reading), more + threshold, value,
                     met_word(r["met"], r["n"]), date_first or "-",
                     f"{r['p_met']:.2f}" if r["n"] > 0 else "-", p_met_interval(r),
                     _pct(beside) if not math.isnan(beside) else ""])
        styles.append("met" if met_word(r["met"], r["n"]) == "met" else "notmet")
    n = int(card["n"].max()) if len(card) else 0
    covers = ", ".join(sorted(set(card["covers"].astype(str)))) or "replications"
    if n == 1:
        scope_text = ("This is **one run** (a single replication): each verdict is that run's, "
                      "**p_met** is 0 or 1 and has no interval. A run with `--replications auto` "
                      "gives the share of runs meeting each target with its interval.")
    elif "parameters" in covers:
        scope_text = (f"**p_met** is the share of the {n} runs (parameter sets x replications) "
                      "that met the target. It covers parameters and randomness: each "
                      "parameter set is a draw of every assumption from its range, run with "
                      "the same replications. Its 95% Wilson interval counts parameter sets, "
                      "not runs, since the replications of one set share its draw. It does "
                      "not cover uncertainty in the model's structure.")
    else:
        scope_text = (f"**p_met** is the share of the {n} replications that met the target, "
                      "with a 95% Wilson interval. The interval covers replications only: the "
                      "randomness of events with every parameter fixed at its value. It does "
                      "not cover uncertainty in the parameters themselves (see the assumptions "
                      "on the model description page; `caresim run --parameter-uncertainty N` "
                      "does) or in the model's structure.")
    return [
        Heading(2, f"1. Targets in detail, {name}: value, verdict, date first met and chance "
                   "of meeting each"),
        Para("PB shares are scored on the ADASS survey definition (people with a PB or direct "
             "payment / eligible people with ongoing community support, on the date); the "
             "ASCOF 1C definition (NI 130, over the financial year ending on or just before the "
             "date) is shown beside it. **value** is the mean over replications and **met** "
             "says whether that mean meets the target; **date first met** is the first month "
             "end the mean trajectory reached the target."),
        Table(["target", "target value", "value (mean)", "met", "date first met",
               "p_met", "p_met 95% interval", "ASCOF 1C beside it"], rows,
              [False, True, True, False, False, True, True, True], styles),
        Para(scope_text),
    ]


def _ledger(run: RunFolder, name: str) -> list[Block]:
    led = ledger_means(run.ledger, run.scope)
    fys = list(led["fy"])
    lines = led.set_index("fy")
    big = float(lines[[c for c in lines.columns if c.startswith("spend_total")]].abs().max().max())
    div, unit = (1e6, "GBP million") if big >= 1e8 else (1e3, "GBP thousand")
    n = int(run.manifest.get("replications", 0))
    base = float(lines["baseline_budget_gbp"].iloc[0]) if "baseline_budget_gbp" in lines else 0.0
    rows, styles = [], []
    for group, items in LEDGER_VIEW:
        rows.append([f"**{group}**", *[""] * len(fys)])
        styles.append("group")
        for col, label in items:
            if col not in lines:
                continue
            rows.append([label, *[_money(float(lines.loc[f, col]), div) for f in fys]])
            styles.append("total" if col in TOTAL_LINES else "")
    index = deflator(run.scenario.params, fys)
    real = pd.DataFrame({label: functools.reduce(operator.add, (lines[c] for c in cols))
                         for label, cols in REAL_VIEW}).div(pd.Series(index), axis=0)
    rrows = [["Price index (2008-09 = 1.000)", *[f"{index[f]:.3f}" for f in fys]]]
    rstyles = ["group"]
    for label, cols in REAL_VIEW:
        rrows.append([label, *[_money(float(real.loc[f, label]), div) for f in fys]])
        rstyles.append("total" if set(cols) & set(TOTAL_LINES) else "")
    infl = run.scenario.params.finance.inflation_per_year
    figs = _savings_figure(led, name, n)
    return [
        Heading(2, f"2. Budget ledger by financial year, {name}: {unit} cash, "
                   f"{'one run' if n <= 1 else f'mean over {n} replications'}"),
        Para(f"{unit}, cash (nominal), mean over {n} replications; negative amounts in "
             f"brackets. Net budget of 2007-08 (the base of the CSR07 savings targets): GBP "
             f"{_money(base, div)} {unit.removeprefix('GBP ')}. The closing position is the net "
             "budget plus income and grant received, less gross spend and less the change in "
             "unspent ring-fenced grant."),
        Table(["line", *fys], rows, [False, *[True] * len(fys)], styles, wide=True),
        Heading(3, f"The ledger's totals in real terms, {name}: {unit} at 2008-09 prices"),
        Para(f"{unit} at 2008-09 prices: each year's cash amount divided by a price index "
             "compounded from this scenario's `finance.inflation_per_year`, the rates the model "
             "uses to uprate budgets and prices each April (source: "
             f"{infl.source}). Real terms here mean that deflator, not a published price "
             "index."),
        Table(["line", *fys], rrows, [False, *[True] * len(fys)], rstyles, wide=True),
        *_unmet_need(run, name),
        figs,
    ]


UNMET_ROWS = (
    ("unmet_need_recorded", "Recorded unmet need: assessed not eligible, or gave up waiting "
     "(returns see these)"),
    ("unmet_need_latent", "Latent unmet need: deflected, refused under the covert cut-off, "
     "or withdrawn at review (no return shows why)"),
    ("eligibility_published", "Published FACS threshold (band: 0 low .. 3 critical)"),
    ("eligibility_effective", "Effective eligibility cut-off (band)"),
)
"""The rows of the report's unmet-need table (issue 15): measure and label."""


def _unmet_need(run: RunFolder, name: str) -> list[Block]:
    """Unmet need of both kinds by financial year, and published against effective
    eligibility, with which kind a return would see."""
    rows = []
    fys: list[str] = []
    for measure, label in UNMET_ROWS:
        f = metric_rows(run.fy, measure, run.scope, FinancialYear.KIND)
        if not len(f):
            return []
        fys = [str(p) for p in f["period"]]
        digits = 2 if measure.startswith("eligibility") else 0
        rows.append([label, *[f"{v:,.{digits}f}" for v in f["mean"]]])
    return [
        Heading(3, f"Unmet need, recorded and latent, {name}: people in the year"),
        Para("When reserves above their floor cannot absorb a forecast overspend, the council "
             "rations within the year; what rationing cannot close within its caps is met from "
             "the council's general fund (the ledger's \"Met from the general fund\"), so "
             "reserves never close below their floor. A return (RAP, ASC-CAR) sees *recorded* "
             "unmet need: people assessed as not eligible under the published threshold, and "
             "people who gave up waiting. It does not see *latent* unmet need: people "
             "deflected at the front door appear as contacts resolved at first contact, people "
             "refused under "
             "the covert cut-off as ordinary ineligible assessments, and people withdrawn at "
             "review as ordinary ends of service. The effective cut-off is the published band "
             "plus the covert share of a band, at the year's end (mean over councils)."),
        Table(["measure", *fys], rows, [False, *[True] * len(fys)], wide=True),
    ]


def _savings_figure(led: pd.DataFrame, name: str, n: int) -> Figure:
    from caresim import plotting

    mean = "one run" if n <= 1 else f"mean over {n} replications"
    fig = plotting.savings_figure(led, title=f"{_cap(name)}: cashable savings by lever against the "
                                             f"requirement (cash, {mean})")
    return Figure("savings", _png(fig),
                  f"Cashable savings by lever each financial year (stacked bars) against the "
                  f"savings requirement (black line), {name}, cash, {mean}. Savings are what "
                  "each lever actually changed, never set equal to the requirement; a gap "
                  "between bar and line is a shortfall.")


def _plots(run: RunFolder, name: str) -> list[Block]:
    from caresim import plotting

    targets = run.targets
    pb = plotting.pb_share_report_figure(
        [(run.manifest.get("scenario", "run"), run.monthly, run.fy)], targets, run.scope,
        title=f"{_cap(name)}: personal budget share against the Putting People First targets")
    fys = sorted(run.fy["period"].unique())
    money = plotting.money_by_year_figure(
        run.fy, run.scope, deflator(run.scenario.params, fys), BASE_FY,
        title=f"{_cap(name)}: adult social care spend and income by financial year")
    n = run.n_runs
    over = over_runs(n, run.uncertain)
    band = ("" if n <= 1 else " (line: the mean; band: its 95% interval)")
    targets_words = _milestones(run)
    return [
        Heading(2, f"3. PB share by month against {targets_words}, {name}"),
        Figure("pb_share", _png(pb),
               f"PB share by month against {targets_words}, {name}, {over}{band}: the share of "
               "eligible people with ongoing community support who hold a personal budget or "
               "direct payment (ADASS survey definition), and over each financial year (ASCOF "
               "1C definition, circles). Red stars: the milestones of 10% by 31 March 2010 and "
               "30% by 1 April 2011; hollow star: the 2013 ambition."),
        Heading(2, f"4. Spend and income by financial year, {name}: cash and 2008-09 prices"),
        Figure("spend", _png(money),
               f"Gross spend, income (client charges and NHS transfers) and net spend by "
               f"financial year, {name}, {over}{band}: in cash (left) and at 2008-09 prices "
               "deflated by the scenario's inflation rates (right)."),
    ]


def _comparison(a: RunFolder, b: RunFolder, name: str) -> list[Block]:
    from caresim import plotting

    ma, mb = a.manifest, b.manifest
    la, lb = _labels(a, b)
    crn = (ma.get("master_seed") == mb.get("master_seed")
           and sorted(ma.get("councils") or []) == sorted(mb.get("councils") or []))
    if crn:
        how = ("Both runs used master seed " f"{ma.get('master_seed')} and the same councils, so "
               "they share common random numbers (each random decision drew from the same "
               "stream in both). The intervals shown are nevertheless computed from the two "
               "summaries as if the runs were independent (Welch t interval), so they are "
               "conservative; `caresim compare` runs the scenarios together and reports the "
               "paired intervals, usually much narrower.")
    else:
        how = ("The runs differ in seed or councils, so they are **unpaired**: the intervals are "
               "Welch t intervals from the two summaries, treating the runs as independent.")
    d = headline_differences(a.fy, b.fy, a.scope)
    rows = [[_cap(get_measure(r.metric).title), r.period, _by_unit(r.mean_a, r.unit),
             _by_unit(r.mean_b, r.unit),
             _by_unit(r.diff, r.unit, signed=True),
             (f"[{_by_unit(r.diff_low, r.unit, signed=True)}, "
              f"{_by_unit(r.diff_high, r.unit, signed=True)}]"
              if not math.isnan(r.diff_low) else "one run, no interval")]
            for r in d.itertuples()]
    targets = a.targets
    fig = plotting.pb_share_report_figure([(la, a.monthly, a.fy), (lb, b.monthly, b.fy)],
                                          targets, a.scope, show_ascof=False,
                                          title=f"{_cap(name)}: PB share, {la} against {lb}")
    return [
        Heading(2, f"5. Comparison in detail, {name}: {lb} against {la} by financial year"),
        Table(["", "A (this run)", "B (compared with)"], [
            ["scenario", f"`{ma.get('scenario')}`", f"`{mb.get('scenario')}`"],
            ["description", a.scenario.params.description, b.scenario.params.description],
            ["scenario hash", f"`{ma.get('scenario_hash')}`", f"`{mb.get('scenario_hash')}`"],
            ["master seed", str(ma.get("master_seed")), str(mb.get("master_seed"))],
            ["replications", str(ma.get("replications")), str(mb.get("replications"))],
            ["run folder", f"`{a.path}`", f"`{b.path}`"]]),
        Para(how),
        Heading(3, f"Differences by financial year, {name}: {lb} minus {la}, as if "
                   "unpaired (Welch interval)"),
        Para(f"Means over replications for {name}, by financial year (stocks and shares at the "
             "year end, flows over the year); money in GBP million cash, shares in percent and "
             "differences in percentage points; 95% interval of the difference."),
        Table(["measure", "financial year", f"A: {la}", f"B: {lb}", "B - A",
               "95% interval of B - A"], rows, [False, False, True, True, True, True]),
        Figure("compare_pb_share", _png(fig),
               f"PB share by month, {la} against {lb}, {name}, against "
               f"{_milestones(a)}: each run's {over_runs(min(a.n_runs, b.n_runs))} (lines: "
               "means; bands: 95% intervals of each mean over its replications)."),
    ]


def _timings(timings: dict[str, Any]) -> str:
    parts = []
    for key, value in timings.items():
        if isinstance(value, list):
            done = [float(v) for v in value if isinstance(v, int | float)]
            parts.append(f"{key}: {len(done)} timed, {sum(done):,.1f} s in all")
        elif isinstance(value, int | float):
            parts.append(f"{key} {value:,.1f} s")
    return ", ".join(parts) or "not recorded"


def _md_table(text: str) -> Table:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip().startswith("|")]
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", ln.strip("|"))] for ln in lines]
    return Table(cells[0], [c for c in cells[2:]])


def _model_description(run: RunFolder) -> list[Block]:
    """The STRESS-DES headings, one level below the page's title."""
    from caresim import docgen

    doc = docgen.doc
    scenario = run.scenario
    params = scenario.params
    m = run.manifest
    env = m.get("environment", {})
    algorithms = ("caresim.model.queueing", "caresim.model.hazards")
    flat = flatten_parameters(params)
    assumptions = [(k, v) for k, v in flat.items()
                   if str(v["source"]).strip().lower().startswith(ASSUMPTION_PREFIX)]
    resources = [[f"`{k}`", _value(v["value"]), v["unit"]] for k, v in flat.items()
                 if re.search(r"(^|[._])fte([._]|$)|utilisation|budget_share|places", k)]
    out: list[Block] = [
        Para("Under the STRESS-DES reporting headings (Monks et al. 2019). The text under each "
             "heading is the docstring of the code that implements it (the same source as "
             "`docs/model.md`), and the tables come from this run's parameters and manifest, "
             "so the description cannot drift from the code that produced the report's "
             "numbers."),
        Heading(3, "1. Objectives"),
        Heading(4, "1.1 Purpose of the model"), Doc(doc("caresim")),
        Heading(4, "1.2 Model outputs"), Doc(doc("caresim.recording")),
        Doc(doc("caresim.results")), Doc(doc("caresim.scorecard")),
        Heading(4, "1.3 Experimentation aims"),
        Para(f"This run: scenario `{params.name}`: {params.description} Its differences from "
             "the bundled baseline are listed in the report's run details."),
        Heading(3, "2. Logic"),
        Heading(4, "2.1 Base model overview"), Doc(doc("caresim.model.model")),
        Heading(4, "2.2 Base model logic"),
    ]
    for title, module in docgen.PROCESS_MODULES:
        if module in algorithms:
            continue
        out += [Heading(5, f"{title.strip()} (`{module}`)"), Doc(doc(module))]
    out += [Heading(4, "2.3 Scenario logic"),
            Para(f"Scenarios change parameters, not code: `{params.name}` is the model of 2.2 "
                 "with the parameter values of section 3.3 (differences from the baseline in "
                 "the report's run details).")]
    out.append(Heading(4, "2.4 Algorithms"))
    for module in algorithms:
        out += [Heading(5, f"`{module}`"), Doc(doc(module))]
    out += [Heading(4, "2.5 Components"),
            Heading(5, "2.5.1 Entities (service users, `caresim.model.population`)"),
            Table(["column", "type", "meaning"],
                  [[f"`{a}`", b, c] for a, b, c in docgen.population_columns()]),
            Heading(5, "2.5.2 Activities"),
            Para("; ".join(f"{t.strip()} (`{mod}`)" for t, mod in docgen.PROCESS_MODULES) + "."),
            Heading(5, "2.5.3 Resources"),
            Table(["parameter", "value", "unit"], resources),
            Heading(5, "2.5.4 Queues"), Doc(doc("caresim.model.queueing").split("\n\n")[0]),
            Heading(5, "2.5.5 Entry and exit points"),
            Doc(doc("caresim.model.demand").split("\n\n")[0]),
            Doc(doc("caresim.model.exits").split("\n\n")[0]),
            Heading(3, "3. Data"),
            Heading(4, "3.1 Data sources"),
            Doc(docgen.data_md().split("## Rules")[0].split("# Data", 1)[-1].strip()),
            Heading(4, "3.2 Pre-processing"), Doc(doc("caresim.model.inputs")),
            Heading(4, "3.3 Input parameters"),
            Para("Every parameter of this run with its value, unit, source and sensitivity "
                 "range (for dated values the range is a pair of multipliers)."),
            _md_table(docgen.parameter_table(params)),
            Heading(4, "3.4 Assumptions"),
            Para(f"{len(assumptions)} of {len(flat)} parameters have no published source "
                 "(`source: assumption: ...`); each has a range for sensitivity analysis."),
            Table(["parameter", "value", "unit", "range", "source"],
                  [[f"`{k}`", _value(v["value"]), v["unit"],
                    _value(getattr(scenario.get(k), "range", None)),
                    str(v["source"])] for k, v in assumptions]),
            Heading(3, "4. Experimentation"),
            Heading(4, "4.1 Initialisation"), Doc(doc("caresim.model.initial")),
            Heading(4, "4.2 Run length"),
            Para(f"From {params.run.start_date} to {params.run.end_date} "
                 f"({len(run.fy['period'].unique())} financial years), "
                 f"{m.get('replications')} replication(s)."),
            Heading(4, "4.3 Estimation approach"),
            Doc(inspect.cleandoc(summarise.__doc__ or "")),
            Doc(doc("caresim.scorecard").split("\n\n")[-1]),
            Heading(3, "5. Implementation"),
            Heading(4, "5.1 Software"),
            Para(f"Python {env.get('python', '?')}; " + ", ".join(
                f"{k} {v}" for k, v in (env.get("packages") or {}).items()) + "."),
            Heading(4, "5.2 Random sampling"), Doc(doc("caresim.streams")),
            Heading(4, "5.3 Model execution"), Doc(doc("caresim.runner")),
            Heading(4, "5.4 System specification"),
            Para(f"Platform {env.get('platform', '?')}; executor: "
                 f"{m.get('executor', m.get('workers', 'not recorded'))}; timings: "
                 + _timings(m.get("timings_seconds") or {}) + "."),
            Heading(3, "6. Code access"),
            Para(f"caresim {m.get('caresim_version')}, git commit "
                 f"`{env.get('git_commit') or 'unknown'}`; the run is reproduced bit for bit by "
                 f"running the scenario files above with master seed {m.get('master_seed')}, "
                 f"{m.get('replications')} replication(s) and the same councils.")]
    return out


def _name(run: RunFolder) -> str:
    name = scope_name(run.scope, run.councils)
    if run.scope == ENGLAND_CODE and len(run.councils) < ALL_COUNCILS:
        name = f"{name} run together"
    return name


def build_report(run: RunFolder, against: RunFolder | None = None) -> list[Block]:
    """Every block of the report, in order: the first page (what was run, the verdicts, five
    headline numbers and, with ``against``, the comparison), then the targets in detail, the
    ledger, the figures, the comparison in detail and the run details.

    Raises
    ------
    caresim.errors.RunStoreError
        When ``against`` does not cover the council reported.
    """
    name = _name(run)
    if against is not None and run.scope not in set(against.summary["council_code"]):
        raise RunStoreError(f"--against {against.path}: expected a run that includes "
                            f"{name} ({run.scope}); found councils "
                            f"{', '.join(against.manifest.get('councils') or [])}.")
    blocks: list[Block] = _first_page(run, name, against)
    blocks += _scorecard(run, name)
    blocks += _ledger(run, name)
    blocks += _plots(run, name)
    number = 5
    if against is not None:
        blocks += _comparison(run, against, name)
        number += 1
    blocks += _run_details(run, name, number)
    blocks += [Heading(2, f"{number + 1}. Model description: how the model works, on its own "
                          "page"),
               Link("The model description under the STRESS-DES headings, taken from the "
                    "code's own docstrings with this run's parameters, is on its own page:",
                    MODEL_PAGE, "the model description", ".")]
    return blocks


def build_model_page(run: RunFolder) -> list[Block]:
    """The model description's own page: the STRESS-DES headings for this run, with a link
    back to the report."""
    out: list[Block] = [
        Heading(1, f"How the model works: caresim's description under the STRESS-DES "
                   f"headings, for scenario {run.manifest.get('scenario')}, {_name(run)}"),
        Link("The results of this run are in", REPORT_HTML.removesuffix(".html"), "the report",
             ".")]
    for b in _model_description(run):
        out.append(Heading(b.level - 1, b.text) if isinstance(b, Heading) else b)
    return out
