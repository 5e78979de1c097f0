"""Per-task tables on disk, small partial results in memory: a run's parent stays flat.

A task of ``caresim run`` writes its own tables as one file of each of the run's partitioned
Parquet datasets (``timeseries.parquet/``, ``financial_years.parquet/``, ``ledger.parquet/``:
folders of ``part-<task>.parquet``, task = plan order, kept in the finished run), its measures
as ``tasks/measures/part-<task>.parquet`` (joined into one ``measures.parquet`` at the end) and
its rows of the CSVs people open by hand as ``tasks/<task>-<table>.csv`` (joined in plan order
at the end; ``tasks/`` is removed when the run is finished).
It returns a :class:`TaskPartial`: its values in summary-group order (for the folded summary,
:class:`caresim.folding.Moments`), what the scorecard and ``--replications auto`` read (a few
values per council), and the first non-finite value if any. The parent folds partials in plan
order (:class:`RunFold`), so serial, local and Dask runs give the same summary, and it never
holds more than one task's tables.

A task's tables are written in their stored form (``date`` as ``YYYY-MM-DD`` text), and the
partial is computed from that form, so a resumed run recomputes a finished task's partial from
its files exactly as the task did.
"""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from caresim.folding import Moments

DATASETS = {"monthly": "timeseries", "fy": "financial_years", "ledger": "ledger",
            "measures": "measures"}
"""Each task table -> the run's dataset (``<name>.parquet/``) it is one file of. The
``measures`` files stay in ``tasks/measures/`` until they are joined into one
``measures.parquet`` file (in the order of one table over all runs)."""
CSV_TABLES = {"fy": "financial_years", "ledger": "ledger"}
"""Task tables whose rows go to a CSV people open by hand (``<name>.csv``)."""
SUMMARY_KEYS = ["scenario", "council_code", "period", "metric", "unit"]


def part_name(index: int) -> str:
    """The file of task ``index`` in each dataset (zero-padded: path order is plan order)."""
    return f"part-{index:06d}.parquet"


def dataset_dir(folder: Path, table: str) -> Path:
    """The dataset folder of a task table (``monthly``, ``fy``, ``ledger``, ``measures``)."""
    if table == "measures":
        return Path(folder) / "tasks" / "measures"
    return Path(folder) / f"{DATASETS[table]}.parquet"


def stored(frame: pd.DataFrame) -> pd.DataFrame:
    """A table in the form it is written: dates as ``YYYY-MM-DD`` text."""
    if "date" not in frame.columns:
        return frame
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"]).dt.date.astype(str)
    return out


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _atomic_csv(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _keys_hash(frame: pd.DataFrame, period: str) -> int:
    """A fingerprint of a table's summary keys in row order (tasks must share one layout)."""
    keys = frame[["scenario", "council_code", period, "metric", "unit"]].astype(str)
    return int(pd.util.hash_pandas_object(keys, index=False).to_numpy().sum(dtype=np.uint64))


@dataclass
class TaskPartial:
    """What a stored task returns: small, whatever the number of councils' rows it wrote.

    ``monthly`` and ``fy`` are the task's values in summary-group order (one per group: the
    task's row order, the same in every task, checked by ``*_keys``).
    """

    task_index: int
    monthly: np.ndarray
    fy: np.ndarray
    monthly_keys: int
    fy_keys: int
    targets: dict
    headline: pd.DataFrame
    council_codes: list[str]
    non_finite: tuple | None = None
    seconds: float = 0.0
    parameter_set: int = 0
    write_seconds: float = 0.0


def partial_of(index: int, monthly: pd.DataFrame, fy: pd.DataFrame, ledger: pd.DataFrame,
               params, scope: str, seconds: float = 0.0) -> TaskPartial:
    """A task's partial from its stored tables (see the module's docstring)."""
    from caresim.analysis.headline import PRECISION_HEADLINES, headline_values
    from caresim.finite import NonFiniteOutput, check_finite
    from caresim.measures import RunTables
    from caresim.scorecard import target_inputs

    for frame, period in ((monthly, "date"), (fy, "fy")):
        if frame.duplicated([period if k == "period" else k for k in SUMMARY_KEYS]).any():
            raise ValueError(f"task {index}: expected one row per summary group in its "
                             f"{period} table; found a group twice")
    tables = RunTables(monthly, fy, ledger)
    non_finite = None
    try:
        check_finite(ledger, monthly, fy)
    except NonFiniteOutput as exc:
        non_finite = exc.fields
    pset = int(monthly["parameter_set"].iloc[0]) if len(monthly) else 0
    return TaskPartial(
        index, monthly["value"].to_numpy(dtype=np.float64, copy=True),
        fy["value"].to_numpy(dtype=np.float64, copy=True),
        _keys_hash(monthly, "date"), _keys_hash(fy, "fy"),
        target_inputs(tables, params.targets, params.run),
        headline_values(monthly, fy, ledger, scope, PRECISION_HEADLINES),
        list(tables.council_codes), non_finite, seconds, pset)


MEASURE_GROUP_ROWS = 16_384
"""Rows in a row group of a task's ``measures`` file, before it is cut at the next
(measure, period) block: a working size for joining the tasks' files, not a model parameter."""


def _blocks(table) -> np.ndarray:
    """Start rows of the (measure, period) blocks of a ``measures`` table (pyarrow), and its
    length last."""
    codes = [np.asarray(table.column(c).combine_chunks().indices) for c in ("measure", "period")]
    n = table.num_rows
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
        for c in codes:
            change[1:] |= c[1:] != c[:-1]
    return np.append(np.flatnonzero(change), n)


def _write_measures(frame: pd.DataFrame, path: Path) -> None:
    """A task's ``measures`` rows, in row groups of whole (measure, period) blocks, so the
    run's ``measures.parquet`` is joined a row group at a time (:func:`join_measures`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    starts = _blocks(table)
    tmp = path.with_name(f".{path.name}.partial")
    with pq.ParquetWriter(tmp, table.schema) as writer:
        lo = 0
        for cut in starts[1:]:
            if cut - lo >= MEASURE_GROUP_ROWS or cut == table.num_rows:
                writer.write_table(table.slice(lo, cut - lo), row_group_size=cut - lo)
                lo = cut
    os.replace(tmp, path)


def join_measures(folder: Path, n_tasks: int, target: Path) -> None:
    """Write ``measures.parquet``, every task's measures in the order one table of all runs
    has them (by measure, period, then run, then council), a row group at a time: the tasks'
    files share one layout of (measure, period) blocks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = target.with_name(f".{target.name}.partial")
    if n_tasks == 1:  # one task's file is already the joined table, row groups and all
        shutil.copyfile(dataset_dir(folder, "measures") / part_name(0), tmp)
        os.replace(tmp, target)
        return
    files = [pq.ParquetFile(dataset_dir(folder, "measures") / part_name(i))
             for i in range(n_tasks)]
    writer = None
    try:
        for g in range(files[0].num_row_groups):
            parts = [f.read_row_group(g) for f in files]
            size = parts[0].num_rows
            if any(p.num_rows != size for p in parts):
                raise ValueError(f"measures row group {g}: the tasks' files differ in layout")
            starts = _blocks(parts[0])
            take = np.concatenate([t * size + np.arange(a, b)
                                   for a, b in itertools.pairwise(starts)
                                   for t in range(n_tasks)]) if size else np.array([], int)
            joined = pa.concat_tables(parts).unify_dictionaries().combine_chunks()
            out = joined.take(pa.array(take, type=pa.int64()))
            if writer is None:
                writer = pq.ParquetWriter(tmp, parts[0].schema)
            writer.write_table(out)
        if writer is None:
            writer = pq.ParquetWriter(tmp, files[0].schema_arrow)
        writer.close()
        os.replace(tmp, target)
    finally:
        if writer is not None:
            writer.close()
        Path(tmp).unlink(missing_ok=True)


def write_task(folder: Path, index: int, tables: dict[str, pd.DataFrame], csv_all: bool
               ) -> None:
    """Write a task's stored tables: one file of each dataset, and its CSV rows."""
    for name, frame in tables.items():
        d = dataset_dir(folder, name)
        d.mkdir(parents=True, exist_ok=True)
        if name == "measures":
            _write_measures(frame, d / part_name(index))
        else:
            _atomic_parquet(frame, d / part_name(index))
    tasks = Path(folder) / "tasks"
    tasks.mkdir(exist_ok=True)
    for name in [*CSV_TABLES, *(["monthly"] if csv_all else [])]:
        _atomic_csv(tables[name], tasks / f"{index}-{name}.csv")


def read_task(folder: Path, index: int, tables: tuple[str, ...] = ("monthly", "fy", "ledger")
              ) -> dict[str, pd.DataFrame]:
    """A finished task's stored tables (``tables`` of them), read back from the datasets."""
    return {name: pd.read_parquet(dataset_dir(folder, name) / part_name(index))
            for name in tables}


def join_csv(folder: Path, indices: list[int], table: str, target: Path) -> None:
    """Join the tasks' CSV rows of ``table`` into ``target`` in plan order (one header)."""
    tmp = target.with_name(f".{target.name}.partial")
    with open(tmp, "wb") as out:
        for k, i in enumerate(indices):
            with open(Path(folder) / "tasks" / f"{i}-{table}.csv", "rb") as part:
                header = part.readline()
                if k == 0:
                    out.write(header)
                while chunk := part.read(1 << 20):
                    out.write(chunk)
    os.replace(tmp, target)


@dataclass
class RunFold:
    """The parent's running state: summaries folded task by task, in plan order.

    Holds two :class:`caresim.folding.Moments` (monthly and financial-year groups) and each
    task's small scorecard and headline inputs; never a task's tables.
    """

    next_index: int = 0
    monthly: Moments | None = None
    fy: Moments | None = None
    keys: tuple[int, int] | None = None
    targets: list[dict] = field(default_factory=list)
    headlines: list[pd.DataFrame] = field(default_factory=list)
    write_seconds: float = 0.0
    council_codes: list[str] = field(default_factory=list)
    non_finite: tuple | None = None
    parameter_sets: set[int] = field(default_factory=set)
    paths: dict[str, tuple[pd.DataFrame, Moments]] = field(default_factory=dict)

    def add(self, p: TaskPartial) -> None:
        """Fold the next task's partial (it must be task ``next_index``)."""
        if p.task_index != self.next_index:
            raise ValueError(f"partials fold in plan order: expected task {self.next_index}; "
                             f"found task {p.task_index}")
        if self.monthly is None or self.fy is None or self.keys is None:
            self.monthly, self.fy = Moments(len(p.monthly)), Moments(len(p.fy))
            self.keys = (p.monthly_keys, p.fy_keys)
            self.council_codes = p.council_codes
        if (p.monthly_keys, p.fy_keys) != self.keys:
            raise ValueError(f"task {p.task_index}: its tables' rows are not in the layout of "
                             "the first task's, so their values cannot be folded")
        self.monthly.add(p.monthly)
        self.fy.add(p.fy)
        self.targets.append({name: self._fold_path(name, parts, p.task_index)
                             for name, parts in p.targets.items()})
        self.headlines.append(p.headline)
        self.parameter_sets.add(p.parameter_set)
        self.write_seconds += p.write_seconds
        if self.non_finite is None and p.non_finite is not None:
            self.non_finite = p.non_finite
        self.next_index += 1

    def _fold_path(self, name: str, parts: dict, index: int) -> dict:
        """Fold a target's trajectory over the month ends into its running mean (the
        scorecard's date first met reads only the mean), and keep the rest as it is."""
        path = parts.get("path")
        if path is None:
            return parts
        keys = path[["council_code", "period"]].reset_index(drop=True)
        if name not in self.paths:
            self.paths[name] = (keys, Moments(len(path)))
        first, moments = self.paths[name]
        if not keys.astype(str).equals(first.astype(str)):
            raise ValueError(f"task {index}: target {name}'s trajectory is not in the layout "
                             "of the first task's")
        moments.add(path["value"].to_numpy(dtype=np.float64))
        return {**parts, "path": None}

    def mean_paths(self) -> dict[str, pd.DataFrame]:
        """Each month-end target's mean trajectory over the runs folded (``council_code, date,
        value``)."""
        return {name: keys.assign(date=pd.to_datetime(keys["period"]),
                                  value=moments.mean())[["council_code", "date", "value"]]
                for name, (keys, moments) in self.paths.items()}

    @property
    def count(self) -> int:
        """Tasks folded so far."""
        return self.next_index

    def headline_values(self) -> pd.DataFrame:
        """Every folded task's headline values (``--replications auto``, the precision)."""
        return pd.concat(self.headlines, ignore_index=True)
