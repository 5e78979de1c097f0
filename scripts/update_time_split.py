"""Ship a time-split calibration's predictions as src/caresim/data/time_split.csv (and .md).

The only writer of those two files; never edit them by hand. From the folder a calibration
fitted to 2010-11 wrote (``caresim calibrate prior --fit-until 2010-11`` writes
``outputs/calibration/<id>/``), it copies ``predictions.csv`` (each 2011-12 fitted figure: the
published value, the model's prediction and its scaled residual) with a ``source`` column, and
writes the provenance (calibration id, the exact command, date, councils in the sample,
objective) as YAML front matter of ``time_split.md``, read from the folder's ``report.md`` and
``calibrated.yaml``. ``caresim validate`` then reports the predictions beside the validated
run's own errors (:mod:`caresim.analysis.time_split`). Usage::

    python scripts/update_time_split.py --from outputs/calibration/<id> [--data DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "caresim" / "data"

REPORT = re.compile(
    r"Command: `(?P<command>[^`]+)`\. Objective (?P<objective>\S+) after "
    r"(?P<evaluations>\d+) evaluations on (?P<councils>\d+) councils \(every (?P<every>\d+)th\), "
    r"(?P<replications>\d+) replication\(s\), .*?published figures fitted up to "
    r"(?P<fit_until>\d{4}-\d{2})\.", re.S)
"""The provenance sentence of a calibration's ``report.md`` (``app.calibrate``)."""
HEADER = re.compile(r"^# \(calibration (?P<id>[^)]+)\)", re.M)
"""The calibration id in the header of its ``calibrated.yaml``."""
ID_TIME = re.compile(r"^(?P<stamp>\d{8}T\d{6})Z")
"""The UTC start time that opens a calibration id (``io.run_id``)."""


class Refused(Exception):
    """The calibration folder cannot be shipped; the message says why."""


def _read(path: Path) -> str:
    if not path.is_file():
        raise Refused(f"{path}: expected a file of the calibration folder; found none "
                      "(is --from the folder `caresim calibrate` wrote, "
                      "outputs/calibration/<id>?).")
    return path.read_text(encoding="utf-8")


def provenance(folder: Path) -> dict:
    """The provenance of the calibration in ``folder``: the keys of
    :data:`caresim.analysis.time_split.PROVENANCE_KEYS` and ``sample`` (council names)."""
    from caresim.analysis.calibration import LAST_PERIOD, calibration_sample
    from caresim.councils import load_councils, select_councils
    from caresim.period import FinancialYear, parse_period

    report = _read(folder / "report.md")
    m = REPORT.search(report)
    if m is None:
        raise Refused(f"{folder / 'report.md'}: expected the sentence 'Command: `...`. Objective "
                      "... after N evaluations on N councils (every Nth), N replication(s), ...; "
                      "published figures fitted up to YYYY-YY.'; found no such sentence.")
    header = HEADER.search(_read(folder / "calibrated.yaml"))
    if header is None or header["id"] != folder.name:
        raise Refused(f"{folder / 'calibrated.yaml'}: expected the header line '# (calibration "
                      f"{folder.name})'; found "
                      f"{'none' if header is None else repr(header['id'])}.")
    stamp = ID_TIME.match(folder.name)
    if stamp is None:
        raise Refused(f"{folder}: expected a calibration folder named <UTC time>Z-<hash>; found "
                      f"'{folder.name}'.")
    last = parse_period(LAST_PERIOD)
    year_before = str(FinancialYear(last.start_year - 1))
    if m["fit_until"] != year_before:
        raise Refused(f"{folder / 'report.md'}: expected a calibration fitted up to "
                      f"{year_before} (--fit-until {year_before}), which predicts {LAST_PERIOD}, "
                      f"the last fitted year; found one fitted up to {m['fit_until']}.")
    every, councils = int(m["every"]), int(m["councils"])
    every_council = select_councils([])
    codes = calibration_sample(every_council, every)
    if len(codes) != councils:
        raise Refused(f"{folder / 'report.md'}: expected every {every}th of the "
                      f"{len(every_council)} councils "
                      f"({len(codes)}); found {councils} councils.")
    names = load_councils().set_index("code")["name"]
    when = dt.datetime.strptime(stamp["stamp"], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    return {"calibration": folder.name, "date": when.strftime("%Y-%m-%d %H:%M UTC"),
            "command": m["command"], "fit_until": m["fit_until"], "predicts": LAST_PERIOD,
            "objective": float(m["objective"]), "evaluations": int(m["evaluations"]),
            "councils": councils, "every": every, "replications": int(m["replications"]),
            "sample": [str(names[c]) for c in codes]}


def predictions(folder: Path, meta: dict) -> pd.DataFrame:
    """The folder's ``predictions.csv`` with the ``source`` column, checked."""
    from caresim.analysis.calibration import target_year
    from caresim.analysis.time_split import COLUMNS, SOURCE_COLUMN
    from caresim.measures.figures import load_figures

    path = folder / "predictions.csv"
    _read(path)
    frame = pd.read_csv(path)
    if list(frame.columns) != list(COLUMNS) or frame.empty:
        raise Refused(f"{path}: expected the columns {', '.join(COLUMNS)} and at least one row; "
                      f"found {', '.join(map(str, frame.columns))} and {len(frame)} row(s).")
    figures = {(f.series, f.period): f for f in load_figures()}
    for line, (_, r) in enumerate(frame.iterrows(), start=2):
        f = figures.get((r["series"], r["period"]))
        if f is None or not (meta["fit_until"] < target_year(f) <= meta["predicts"]):
            raise Refused(f"{path} line {line}: expected a published figure after "
                          f"{meta['fit_until']} up to {meta['predicts']}; found "
                          f"'{r['series']}' at {r['period']}.")
    return frame.assign(**{SOURCE_COLUMN: f"caresim calibration {meta['calibration']} "
                                          f"(predictions.csv), fitted to {meta['fit_until']}"})


def description(meta: dict) -> str:
    """``time_split.md``: the provenance as YAML front matter, then what the file is."""
    from caresim.analysis.calibration import COUNT_SCALE, SHARE_SCALE

    front = {k: v for k, v in meta.items() if k != "sample"}
    return ("---\n" + yaml.safe_dump(front, sort_keys=False, width=100) + "---\n\n"
            "<!-- generated by scripts/update_time_split.py; do not edit by hand -->\n\n"
            "# time_split.csv: what caresim predicts but was not fitted to\n\n"
            f"Calibration `{meta['calibration']}` ({meta['date']}) fitted the calibrated "
            f"assumptions to the published figures up to {meta['fit_until']} only, then ran on to "
            f"{meta['predicts']}. Each row is a fitted figure of {meta['predicts']}: its published "
            "value (`published`), the calibration's prediction of it (`model`, counts and money "
            "scaled from the sample to England), its weight, the scaled residual (model - "
            f"published) / goal ({SHARE_SCALE * 100:g} percentage points for shares, "
            f"{COUNT_SCALE * 100:g}% of the published value for levels: within 1 meets the "
            "goal), `within_goal`, and `source`. `caresim validate` "
            "shows them beside the validated run's own errors (out of sample beside in-sample).\n\n"
            f"Command: `{meta['command']}`. Objective {meta['objective']:.4g} after "
            f"{meta['evaluations']} evaluations, {meta['replications']} replication(s), common "
            "random numbers.\n\n"
            f"Councils in the sample ({meta['councils']}, every {meta['every']}th in the data's "
            f"region and type order): {', '.join(meta['sample'])}.\n")


def update(folder: Path, data: Path) -> pd.DataFrame:
    """Write ``data/time_split.csv`` and ``data/time_split.md`` from the calibration
    ``folder``; returns the predictions written."""
    from caresim.analysis.time_split import DATA_FILE, PROVENANCE_FILE

    meta = provenance(folder)
    frame = predictions(folder, meta)
    if not data.is_dir():
        raise Refused(f"--data {data}: expected a folder; found none.")
    frame.to_csv(data / DATA_FILE, index=False, lineterminator="\n")
    (data / PROVENANCE_FILE).write_text(description(meta), encoding="utf-8")
    return frame


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="folder", type=Path, required=True,
                    help="the calibration folder, outputs/calibration/<id>")
    ap.add_argument("--data", type=Path, default=DATA,
                    help="where to write time_split.csv and .md (default: the package's data/)")
    args = ap.parse_args(argv)
    try:
        frame = update(args.folder.resolve(), args.data)
    except Refused as exc:
        print(f"update_time_split: error: {exc}", file=sys.stderr)
        return 2
    within = int(frame["within_goal"].sum())
    print(f"wrote {args.data / 'time_split.csv'} ({within} of {len(frame)} predictions within "
          "the goals) and time_split.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
