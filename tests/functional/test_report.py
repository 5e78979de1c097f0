"""The run report and workbook: what they contain, that the HTML is self-contained, and the
errors for a folder that is not a run (DESIGN §1, §7, §9)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from caresim.analysis.replications import describe
from caresim.councils import ENGLAND_CODE
from caresim.errors import RunStoreError
from tests.conftest import scenario_until

RUTLAND = "E06000017"
SHEETS = ("Scorecard", "Ledger", "Headline by year", "Parameters", "About")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_runs(root: Path) -> tuple[Path, Path]:
    """Two tiny run folders (Rutland, 2 replications, to March 2012, run serially): baseline
    and no_grant."""
    from caresim.app.run import run_scenario
    from caresim.runner import ExecutorSpec

    scenarios = root / "scenarios"
    scenarios.mkdir()
    a, b = (run_scenario(str(scenario_until(scenarios, "2012-03-31", name)), root,
                         replications=2, councils=["Rutland"], spec=ExecutorSpec(workers=1))[0]
            for name in ("baseline", "no_grant"))
    return a, b


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_runs(tmp_path_factory.mktemp("report_runs"))


@pytest.fixture(scope="session")
def report(runs: tuple[Path, Path]) -> tuple[Path, Path]:
    """The baseline run's report, compared with no_grant."""
    from caresim.app.report import write_report

    return write_report(runs[0], against=runs[1])


@pytest.fixture(scope="session")
def html(report: tuple[Path, Path]) -> str:
    return report[0].read_text(encoding="utf-8")


def test_report_files_are_in_the_run_folder(runs, report) -> None:
    html_path, md_path = report
    assert html_path == runs[0] / "report.html" and html_path.stat().st_size > 0
    assert md_path == runs[0] / "report.md" and md_path.stat().st_size > 0


def _section(html: str, heading: str) -> str:
    """The HTML from the level-2 heading starting ``heading`` to the next one."""
    start = re.search(rf"<h2 id=\"[^\"]+\">{re.escape(heading)}[^<]*</h2>", html)
    assert start, heading
    return html[start.end():].split("<h2", 1)[0]


def test_html_has_scorecard_and_ledger(html: str) -> None:
    scorecard = _section(html, "1. Targets in detail, Rutland: value, verdict")
    assert "<table>" in scorecard
    for text in ("PB share (ADASS survey definition) at 31 March 2010",
                 "PB share (ADASS survey definition) at 31 March 2011", "p_met",
                 "replications only"):
        assert text in scorecard, text
    ledger = _section(html, "2. Budget ledger by financial year, Rutland: GBP")
    for text in ("Net budget set for the year", "Grant received", "Grant spent",
                 "Total gross spend", "Savings requirement", "Procurement",
                 "Shortfall against the requirement", "Closing position", "2010-11",
                 "2008-09 prices", "finance.inflation_per_year"):
        assert text in ledger, text


def test_html_embeds_its_images(html: str) -> None:
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= 2
    import base64

    for data in images:
        assert base64.b64decode(data).startswith(PNG_MAGIC)


def test_html_is_self_contained(html: str) -> None:
    links = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", html, re.I)
    assert links, "expected images and contents links"
    external = [u for u in links if not (u.startswith("data:") or u.startswith("#"))]
    assert set(external) == {"model.html"}  # the one link out: the model page beside it
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "url(" not in html.lower()
    for anchor in re.findall(r'href="#([^"]+)"', html):
        assert f'id="{anchor}"' in html, anchor


def test_html_sections(html: str) -> None:
    for heading in ("6. Run details: scenario files, seed, hash, versions",
                    "Parameters that differ from the bundled baseline",
                    "3. PB share by month against the 10% and 30% targets, Rutland",
                    "4. Spend and income by financial year, Rutland",
                    "5. Comparison in detail, Rutland: no_grant against baseline",
                    "Differences by financial year, Rutland: no_grant minus baseline",
                    "7. Model description: how the model works, on its own page"):
        assert heading in html, heading
    assert "common random numbers" in html  # same seed and councils
    # the model description is no longer in the report: it has its own page
    for heading in ("2.2 Base model logic", "3.4 Assumptions", "5.2 Random sampling"):
        assert heading not in html, heading


def test_markdown_refers_to_saved_pngs(runs, report) -> None:
    md = report[1].read_text(encoding="utf-8")
    refs = re.findall(r"!\[[^\]]*\]\((report_files/[^)]+\.png)\)", md)
    assert len(refs) >= 2
    for ref in refs:
        png = runs[0] / ref
        assert png.read_bytes().startswith(PNG_MAGIC), ref
    assert "## 1. Targets in detail, Rutland: value, verdict" in md
    assert "| Total gross spend |" in md
    assert "[the model description](model.md)" in md


def test_report_without_comparison(runs) -> None:
    from caresim.app.report import write_report

    html_path, md_path = write_report(runs[1])
    text = html_path.read_text(encoding="utf-8")
    assert "Comparison" not in text
    assert "no_grant" in text
    assert "grant.tranches_gbp" in text  # differs from the bundled baseline
    assert md_path.exists()


def test_deflator_compounds_the_scenario_inflation() -> None:
    from caresim.reporting import deflator
    from caresim.scenario import load_scenario

    params = load_scenario("baseline").params
    index = deflator(params, ["2008-09", "2009-10", "2010-11"])
    rate = params.finance.inflation_per_year
    import datetime as dt

    assert index["2008-09"] == 1.0
    assert index["2009-10"] == pytest.approx(1 + rate.at(dt.date(2009, 4, 1)))
    assert index["2010-11"] == pytest.approx(index["2009-10"] * (1 + rate.at(dt.date(2010, 4, 1))))


def test_headline_differences_interval() -> None:
    from caresim.reporting import headline_differences

    def summary(mean: float, sd: float) -> pd.DataFrame:
        return pd.DataFrame({"council_code": [ENGLAND_CODE], "period": ["2010-11"],
                             "metric": ["net_spend_gbp"], "unit": ["GBP"], "n": [4],
                             "mean": [mean], "sd": [sd]})

    d = headline_differences(summary(10.0, 2.0), summary(13.0, 2.0), ENGLAND_CODE)
    row = d.iloc[0]
    assert row["diff"] == pytest.approx(3.0)
    assert row["diff_low"] < 3.0 < row["diff_high"]
    assert row["diff_high"] - 3.0 == pytest.approx(3.0 - row["diff_low"])


def test_workbook_has_every_sheet_filled(runs, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from caresim.workbook import write_workbook

    run = runs[0]
    manifest = json.loads((run / "manifest.json").read_text())
    path = tmp_path / "workbook.xlsx"
    write_workbook(path, manifest, pd.read_parquet(run / "summary.parquet"),
                   pd.read_csv(run / "scorecard.csv"), pd.read_csv(run / "ledger.csv"), RUTLAND)
    wb = load_workbook(path)
    assert tuple(wb.sheetnames) == SHEETS
    for ws in wb:
        assert ws.max_row > 1, ws.title
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.bold for c in ws[1] if c.value is not None), ws.title
        assert ws.column_dimensions["A"].width > 8, ws.title
    # the selected scope first; England present too
    assert wb["Scorecard"]["A2"].value == RUTLAND
    assert wb["Ledger"]["A2"].value == RUTLAND
    assert ENGLAND_CODE in {c.value for c in wb["Ledger"]["A"]}
    headline = {c.value for c in wb["Headline by year"]["C"]}
    assert {"pb_share_adass", "net_spend_gbp", "grant_received_gbp", "readiness"} <= headline
    assert wb["Ledger"]["E2"].number_format.startswith("#,##0")
    params = wb["Parameters"]
    assert "assumption" in {c.value for c in params["F"]}
    assert params.max_row > 50


def _report_parser() -> argparse.ArgumentParser:
    from caresim.cli_report import register

    parser = argparse.ArgumentParser(prog="caresim")
    register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_report_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-run"
    args = _report_parser().parse_args(["report", str(missing)])
    with pytest.raises(RunStoreError) as info:
        args.func(args)
    message = str(info.value)
    assert str(missing) in message and "manifest.json" in message


def test_cli_report_folder_that_is_not_a_run(tmp_path: Path) -> None:
    args = _report_parser().parse_args(["report", str(tmp_path)])
    with pytest.raises(RunStoreError, match=r"without manifest\.json"):
        args.func(args)


def test_cli_report_writes_and_prints(own_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _report_parser().parse_args(["report", str(own_run)])
    assert args.func(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {own_run / 'report.html'}", f"wrote {own_run / 'report.md'}",
                   f"wrote {own_run / 'model.html'} and {own_run / 'model.md'} (the model "
                   "description)"]


def test_report_with_a_baseline_folder_in_the_working_folder(runs, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    """After ``caresim run baseline --out .`` the working folder holds ``baseline/``, and
    ``caresim report`` of any run failed with "baseline: ... Is a directory" (issue 20, item 6):
    the report compares with the bundled baseline, which the folder must not hide."""
    import shutil

    from caresim.cli import main

    run = Path(shutil.copytree(runs[1], tmp_path / "copy_of_run"))
    for name in ("report.html", "report.md", "model.html", "model.md"):
        (run / name).unlink(missing_ok=True)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline" / "20260101T000000Z-2c22cba8").mkdir(parents=True)
    assert main(["report", str(run)]) == 0, capsys.readouterr().err
    assert "grant.tranches_gbp" in (run / "report.md").read_text(encoding="utf-8")


def test_cli_report_help_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _report_parser().parse_args(["report", "--help"])
    out = capsys.readouterr().out
    for text in ("RUN_DIR", "--against", "report.html", "report.md", "manifest.json"):
        assert text in out, text


def test_main_exit_status_2_for_a_missing_run(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from caresim.cli import build_parser, main

    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    if "report" not in choices:
        pytest.skip("caresim.cli does not register `report` yet (cli_report.register)")
    missing = tmp_path / "no-such-run"
    assert main(["report", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "manifest.json" in err and "Traceback" not in err


def test_workbook_says_what_its_intervals_cover() -> None:
    # under --parameter-uncertainty the intervals cover parameter sets too, not replications only
    from caresim.workbook import SHEETS, _intervals

    assert "parameter sets and replications" in _intervals({"parameter_uncertainty": {"n": 3}})
    assert "replications only" in _intervals({"parameter_uncertainty": None})
    assert "replications only" not in SHEETS["Scorecard"]


# --------------------------------------------------------------------------- hostile strings


FORMULA = '=HYPERLINK("http://example.invalid/steal","click")'
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _hostile_copy(run: Path, tmp_path: Path) -> Path:
    """A copy of a run folder whose scenario description and one source are hostile text."""
    import shutil

    copy = tmp_path / run.name
    shutil.copytree(run, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    params = manifest["parameters"]
    params["description"] = f"{FORMULA} {SCRIPT}"
    params["services"]["cost_cv"]["source"] = f"{IMG} `{SCRIPT}` ``{SCRIPT}` \\`{SCRIPT}`"
    params["services"]["cost_cv"]["value"] = 0.9  # so it is listed as differing from baseline
    params["services"]["cost_cv"].pop("range", None)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_workbook_stores_text_never_formulas(runs, tmp_path: Path) -> None:
    """A description or source starting with '=' was stored as a live formula
    (=HYPERLINK(...) on two sheets)."""
    import zipfile

    from openpyxl import load_workbook

    from caresim.workbook import write_workbook

    run = _hostile_copy(runs[0], tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["parameters"]["services"]["cost_cv"]["source"] = "=1+1"
    path = tmp_path / "workbook.xlsx"
    write_workbook(path, manifest, pd.read_parquet(run / "summary.parquet"),
                   pd.read_csv(run / "scorecard.csv"), pd.read_csv(run / "ledger.csv"), RUTLAND)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert "<f>" not in z.read(name).decode("utf-8"), name
    wb = load_workbook(path)
    texts = {c.value: c.data_type for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")}
    assert "=1+1" in texts
    assert f"{FORMULA} {SCRIPT}" in texts
    assert set(texts.values()) == {"s"}


def test_markdown_report_has_no_raw_html_from_scenario_strings(runs, tmp_path: Path) -> None:
    from caresim.app.report import write_report

    run = _hostile_copy(runs[0], tmp_path)
    html_path, md_path = write_report(run)
    md = md_path.read_text(encoding="utf-8")
    assert "&lt;script>alert(1)&lt;/script>" in md
    assert "&lt;img src=x" in md
    # every '<' left in the Markdown is inside a code span (single backticks, not escaped),
    # where CommonMark shows it as text
    for line in md.splitlines():
        outside = re.sub(r"(?<![`\\])`[^`\n]+`(?!`)", "", line)
        assert "<script" not in outside and "<img" not in outside, line
    html = html_path.read_text(encoding="utf-8")
    assert SCRIPT not in html and IMG not in html


# ------------------------------------------------------------ issue 19, point 7 (no redesign)


@pytest.fixture
def own_run(runs, tmp_path: Path) -> Path:
    """A copy of the no_grant run without a report, for a test that writes one."""
    import shutil

    run = Path(shutil.copytree(runs[1], tmp_path / "run"))
    for name in ("report.html", "report.md", "model.html", "model.md"):
        (run / name).unlink(missing_ok=True)
    return run


def test_report_against_itself_is_an_error(own_run: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from caresim.cli import main

    assert main(["report", str(own_run), "--against", str(own_run / ".")]) == 2
    err = capsys.readouterr().err
    assert "expected a different run folder from RUN_DIR; found the same folder" in err
    assert not (own_run / "report.html").exists()


def test_a_report_is_never_silently_overwritten(own_run: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from caresim.cli import main

    assert main(["report", str(own_run)]) == 0
    first = (own_run / "report.html").read_bytes()
    (own_run / "report.md").write_text("my notes", encoding="utf-8")
    capsys.readouterr()
    assert main(["report", str(own_run)]) == 2
    err = capsys.readouterr().err
    assert "already written. Pass --overwrite to replace it" in err
    assert (own_run / "report.html").read_bytes() == first
    assert (own_run / "report.md").read_text(encoding="utf-8") == "my notes"
    assert main(["report", str(own_run), "--overwrite"]) == 0
    assert (own_run / "report.md").read_text(encoding="utf-8") != "my notes"


def test_workbook_fills_run_finished(runs) -> None:
    import json

    from openpyxl import load_workbook

    for run in runs:
        about = load_workbook(run / "workbook.xlsx", read_only=True)["About"]
        fields = {r[0]: r[1] for r in about.iter_rows(values_only=True) if r and r[0]}
        finished = json.loads((run / "manifest.json").read_text())["finished_utc"]
        assert fields["Run finished (UTC)"] == finished
        assert all(fields[k] not in (None, "") for k in ("Run started (UTC)",
                                                           "Run finished (UTC)", "Scenario"))


# ------------------------------------------- issue 19, point 7: the first page, the model page


def first_page(html: str) -> str:
    """The first page of the HTML report: the section before the contents."""
    found = re.search(r'<section class="first-page">(.*?)</section>', html, re.S)
    assert found, "no first page"
    return found.group(1)


def _text(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def internal_names(run: Path) -> set[str]:
    """Every internal name a reader should not meet on the first page: measures, metrics,
    ledger lines, targets and readings."""
    from caresim.measures import MEASURES
    from caresim.measures.readings import REPORT_FIRST_PAGE

    card = pd.read_csv(run / "scorecard.csv")
    names = {n for n in MEASURES if "_" in n} | set(card["target"].astype(str))
    return names | {r.name for r in REPORT_FIRST_PAGE if "_" in r.name}


@pytest.fixture(scope="session")
def one_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One replication of two councils (Rutland and Hartlepool) to March 2012, reported."""
    from caresim.app.report import write_report
    from caresim.app.run import run_scenario
    from caresim.runner import ExecutorSpec

    root = tmp_path_factory.mktemp("one_run")
    (root / "scenarios").mkdir()
    run = run_scenario(str(scenario_until(root / "scenarios", "2012-03-31")), root,
                       replications=1, councils=["Rutland", "Hartlepool"],
                       spec=ExecutorSpec(workers=1))[0]
    write_report(run)
    return run


def test_first_page_holds_its_four_parts_in_order(runs, html: str) -> None:
    page = first_page(html)
    parts = ["Scenario <strong>baseline</strong> (",
             "Verdicts on the targets, Rutland: the mean of 2 replications against each target",
             "Five headline numbers, Rutland: mean and 95% interval over 2 replications",
             "Comparison, Rutland: no_grant minus baseline, paired differences over 2 "
             "replications"]
    where = [page.find(p) for p in parts]
    assert -1 not in where, dict(zip(parts, where, strict=True))
    assert where == sorted(where)
    # before anything else: the contents, the details and the run's seeds come after it
    assert html.index('<section class="first-page">') < html.index("<nav>") \
        < html.index("Run details")
    text = _text(page)
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    assert ("run for Rutland from 1 April 2008 to 31 March 2012; replications: "
            f"{describe(manifest)};") in text
    assert describe(manifest).startswith("2 (the 95% intervals")
    for lower in (manifest["scenario_hash"], str(manifest["master_seed"]), "Master seed",
                  "git commit", str(runs[0])):
        assert lower not in text, lower
        assert lower in html, lower  # in the run details instead


def test_first_page_verdicts_are_the_scorecards(runs, html: str) -> None:
    text = _text(first_page(html))
    card = pd.read_csv(runs[0] / "scorecard.csv", dtype={"scope": str})
    card = card[card["scope"] == RUTLAND]
    assert len(card) >= 4
    for r in card.itertuples():
        verdict = r.verdict[:1].upper() + r.verdict[1:]
        assert verdict in text, verdict
        chance = ("not scored" if r.n == 0 else
                  f"{r.p_met:.2f} ({r.p_met_low:.2f} to {r.p_met_high:.2f})")
        row = re.search(rf"{re.escape(verdict)}\s*\|?\s*{re.escape(chance)}", text)
        assert row, (r.target, chance)
    assert (card["n"] == 0).any() and (card["n"] > 0).any()  # both kinds of row are checked


def test_first_page_numbers_are_measures_with_intervals(runs, html: str) -> None:
    from caresim.measures import format_value
    from caresim.measures.readings import REPORT_FIRST_PAGE, reading_label
    from caresim.reporting import headline_numbers, load_run

    page = first_page(html)
    numbers = headline_numbers(load_run(runs[0]))
    assert list(numbers["label"]) == [reading_label(r) for r in REPORT_FIRST_PAGE]
    assert len(numbers) == 5 and (numbers["n"] == 2).all()
    for r in numbers.itertuples():
        assert r.ci_low <= r.mean <= r.ci_high, r.label
        row = re.search(rf"<td[^>]*>{re.escape(r.label)}</td>(.*?)</tr>", page)
        assert row, r.label
        assert format_value(r.mean, r.unit) in row.group(1)
        low, high = ((max(r.ci_low, 0.0), min(r.ci_high, 1.0)) if r.unit == "fraction"
                     else (r.ci_low, r.ci_high))  # a share's interval is cut to 0% to 100%
        assert f"{format_value(low, r.unit)} to {format_value(high, r.unit)}" in row.group(1)
    # the PB share on the first page is the scorecard's value of the 30% target
    card = pd.read_csv(runs[0] / "scorecard.csv", dtype={"scope": str})
    value = card[(card["scope"] == RUTLAND)
                 & (card["target"] == "pb_share_april_2011")]["value"].iloc[0]
    assert numbers["mean"].iloc[0] == pytest.approx(value, rel=1e-9)


def test_first_page_uses_no_internal_names(runs, html: str, report) -> None:
    page = _text(first_page(html))
    md = report[1].read_text(encoding="utf-8").split("\n---\n", 1)[0]
    for name in internal_names(runs[0]):
        assert not re.search(rf"\b{re.escape(name)}\b", page, re.I), name
        assert not re.search(rf"\b{re.escape(name)}\b", md, re.I), name


def test_markdown_first_page_matches(report) -> None:
    md = report[1].read_text(encoding="utf-8")
    head, rest = md.split("\n---\n", 1)
    parts = ["Scenario **baseline** (", "## Verdicts on the targets, Rutland",
             "## Five headline numbers, Rutland", "## Comparison, Rutland: no_grant minus"]
    where = [head.find(p) for p in parts]
    assert -1 not in where and where == sorted(where), where
    assert "Run details" not in head and "Run details" in rest


def test_comparison_is_paired_when_the_runs_share_random_numbers(runs, tmp_path: Path) -> None:
    import shutil

    from caresim.reporting import headline_numbers, load_run, reading_differences

    a, b = load_run(runs[0]), load_run(runs[1])
    d = reading_differences(a, b)
    na, nb = headline_numbers(a), headline_numbers(b)
    assert list(d["label"]) == list(na["label"]) and d["paired"].all()
    assert d["diff"].to_numpy() == pytest.approx((nb["mean"] - na["mean"]).to_numpy())
    assert ((d["diff_ci_low"] <= d["diff"]) & (d["diff"] <= d["diff_ci_high"])).all()
    # another seed: no common random numbers, so the interval is Welch's, not the paired one
    other = Path(shutil.copytree(runs[1], tmp_path / "other_seed"))
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["master_seed"] += 1
    (other / "manifest.json").write_text(json.dumps(manifest))
    u = reading_differences(a, load_run(other))
    assert not u["paired"].any()
    assert u["diff"].to_numpy() == pytest.approx(d["diff"].to_numpy())
    from caresim.analysis.compare import paired_differences  # noqa: F401 - the same rule
    pb = 0  # the PB share differs between the scenarios, so its two intervals differ
    assert (u["diff_ci_high"] - u["diff_ci_low"]).iloc[pb] != pytest.approx(
        (d["diff_ci_high"] - d["diff_ci_low"]).iloc[pb])


def test_model_description_has_its_own_linked_page(runs, report, html: str) -> None:
    model_html = runs[0] / "model.html"
    model_md = runs[0] / "model.md"
    assert model_html.is_file() and model_md.is_file()
    assert 'href="model.html"' in html
    page = model_html.read_text(encoding="utf-8")
    assert 'href="report.html"' in page
    for heading in ("1. Objectives", "2.2 Base model logic", "3.4 Assumptions",
                    "5.2 Random sampling", "6. Code access"):
        assert heading in page, heading
    # the model description is the code's own docstrings, not typed text
    from caresim.docgen import doc as _doc

    assert _doc("caresim.streams").splitlines()[0] in page
    md = model_md.read_text(encoding="utf-8")
    assert "[the report](report.md)" in md and "## 2. Logic" in md
    assert "<script" not in page.lower()


def test_captions_and_headings_say_what_they_show(runs, html: str) -> None:
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert len(captions) == 4  # savings, PB share, spend, comparison
    for caption in captions:
        assert "Rutland" in caption, caption
        assert "2 replications" in caption, caption
    pb = re.search(r'<figure id="fig-pb_share">.*?<figcaption>(.*?)</figcaption>', html, re.S)
    assert pb and pb.group(1).startswith(
        "PB share by month against the 10% and 30% targets, Rutland, mean and 95% interval "
        "over 2 replications")
    names = internal_names(runs[0])
    headings = [_text(h) for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, re.S)]
    assert len(headings) >= 10
    for h in headings:
        for name in names:
            assert not re.search(rf"\b{re.escape(name)}\b", h, re.I), (name, h)


def test_one_run_is_labelled_one_run_on_the_first_page(one_run: Path) -> None:
    html = (one_run / "report.html").read_text(encoding="utf-8")
    page = _text(first_page(html))
    assert "2 councils run together: one run against each target" in page
    assert "Five headline numbers, 2 councils run together: one run, no interval" in page
    assert "run for 2 councils (Rutland, Hartlepool)" in page \
        or "run for 2 councils (Hartlepool, Rutland)" in page
    assert "chance of meeting it" not in page  # no pseudo-probability from one run
    numbers = re.search(r"Five headline numbers.*?</table>", first_page(html), re.S).group(0)
    assert "<th" in numbers and "95% interval" not in numbers  # no interval column
    results = page[page.index("Verdicts on the targets"):]
    assert not re.search(r"\d to -?£?\d", results)  # no interval of any number
    assert re.search(r"\d to -?£?\d", page)  # (the check sees one: the dates run)
    for caption in re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S):
        assert "one run" in caption and "95%" not in caption, caption


def test_a_model_page_alone_is_not_overwritten(own_run: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from caresim.cli import main

    (own_run / "model.md").write_text("my notes on the model", encoding="utf-8")
    assert main(["report", str(own_run)]) == 2
    assert "model.md already written" in capsys.readouterr().err
    assert not (own_run / "report.html").exists()
    assert (own_run / "model.md").read_text(encoding="utf-8") == "my notes on the model"


@pytest.mark.parametrize("which", ["two replications", "one run"])
def test_workbook_fills_every_field(runs, one_run: Path, which: str) -> None:
    from openpyxl import load_workbook

    run = runs[0] if which == "two replications" else one_run
    wb = load_workbook(run / "workbook.xlsx", read_only=True)
    for ws in wb:
        rows = list(ws.iter_rows(values_only=True))
        assert len(rows) > 1, ws.title
        width = len(rows[0])
        for i, row in enumerate(rows):
            assert len(row) == width, (ws.title, i)
            blank = [j for j, v in enumerate(row) if v is None or str(v).strip() == ""]
            assert blank == [], (ws.title, i, [rows[0][j] for j in blank])
    if which == "one run":
        headline = wb["Headline by year"]
        lows = {r[8] for r in headline.iter_rows(min_row=2, values_only=True)}
        assert lows == {"one run, no interval"}


def test_workbook_labels_totals_by_the_selection(one_run: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(one_run / "workbook.xlsx", read_only=True)
    for title in ("Scorecard", "Ledger", "Headline by year"):
        labels = {r[1] for r in wb[title].iter_rows(min_row=2, values_only=True)
                  if r[0] == ENGLAND_CODE}
        assert labels == {"2 councils"}, title
        every = {v for row in wb[title].iter_rows(min_row=2, values_only=True) for v in row
                 if isinstance(v, str)}
        assert "England" not in every, title
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True)}
    assert about["Totals (code E92000001) are of"].startswith("2 councils: the sum of the "
                                                               "councils run")


def test_a_shares_interval_is_cut_to_what_a_share_can_be() -> None:
    from caresim.reporting import CUT_NOTE, _interval

    assert _interval(-1.082, 2.004, "fraction") == "0.0% to 100.0%"
    assert _interval(-1.37, 0.958, "fraction", signed=True) == "-100.0 pp to +95.8 pp"
    assert _interval(0.239, 0.45, "fraction") == "23.9% to 45.0%"  # inside: unchanged
    assert _interval(-5.0, 7.0, "people") == "-5 to 7"  # only shares are bounded
    assert "0% and 100%" in CUT_NOTE


def test_first_page_says_when_an_interval_was_cut(runs, html: str) -> None:
    from caresim.reporting import CUT_NOTE, headline_numbers, load_run

    numbers = headline_numbers(load_run(runs[0]))
    shares = numbers[numbers["unit"] == "fraction"]
    cut = ((shares["ci_low"] < 0) | (shares["ci_high"] > 1)).any()
    import html as html_lib

    assert (html_lib.escape(CUT_NOTE, quote=True) in first_page(html)
            or CUT_NOTE.replace("'", "&#x27;") in first_page(html)) == bool(cut)
    for low in re.findall(r"(-?\d+\.\d)% to", first_page(html)):
        assert float(low) >= 0.0
