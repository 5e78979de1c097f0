"""The HTML report in a real browser: headless Chromium renders it with no console errors,
its first page, figures and tables are in the DOM, and the first viewport is saved as a
screenshot (slow tier): to the path in the environment variable ``CARESIM_SCREENSHOT`` when
set, else into the test's temporary folder, so a person can look at what a reader sees first.

Needs Debian's ``chromium`` (``.ci/install-browser.sh``). Without it the test is skipped,
except under CI (environment variable ``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.functional.test_report import make_runs

CHROMIUM = Path("/usr/bin/chromium")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CONSOLE = re.compile(r":CONSOLE[:(][^\]]*\]\s*(.*)")
"""A console message in Chromium's ``--enable-logging=stderr`` output."""
LOAD_FAILURES = ("Failed to load resource", "Not allowed to load local resource",
                 "net::ERR_")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is not installed and CI is set: run .ci/install-browser.sh "
                        "(apt-get install chromium chromium-driver) before the slow tier.")
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium; see "
                    ".ci/install-browser.sh); the report's browser check needs it.")
    return CHROMIUM


def _run_chromium(browser: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [str(browser), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _console_errors(stderr: str) -> list[str]:
    """Console messages and failed loads: a page with no scripts should log none."""
    found = [m.group(1) for m in CONSOLE.finditer(stderr)]
    found += [ln for ln in stderr.splitlines() if any(t in ln for t in LOAD_FAILURES)]
    return found


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from caresim.app.report import write_report

    a, b = make_runs(tmp_path_factory.mktemp("browser_runs"))
    html_path, _ = write_report(a, against=b)
    return html_path


def test_console_scan_sees_errors(chromium: Path, tmp_path: Path) -> None:
    """The check below is only worth something if this Chromium logs console errors."""
    page = tmp_path / "canary.html"
    page.write_text('<!DOCTYPE html><html><body><script>console.error("canary-error");'
                    "</script></body></html>", encoding="utf-8")
    out = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert any("canary-error" in e for e in _console_errors(out.stderr)), out.stderr[-2000:]


def test_report_renders_without_console_errors(chromium: Path, report_html: Path,
                                               tmp_path: Path) -> None:
    out = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", report_html.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    assert _console_errors(out.stderr) == []
    dom = out.stdout
    figures = re.findall(r'<figure id="fig-([a-z_]+)"><img [^>]*src="data:image/png;base64,',
                         dom)
    assert {"pb_share", "spend", "savings", "compare_pb_share"} <= set(figures)
    assert dom.count("<table>") >= 5
    for text in ("Targets in detail, Rutland", "Budget ledger by financial year, Rutland",
                 "Total gross spend", "Model description: how the model works"):
        assert text in dom, text


def test_first_page_renders_without_console_errors(chromium: Path, report_html: Path,
                                                   tmp_path: Path) -> None:
    """The first page, as the browser built it: the four parts, in order, before the
    contents; and the model page it links to renders cleanly too."""
    out = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", report_html.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    assert _console_errors(out.stderr) == []
    first = re.search(r'<section class="first-page">(.*?)</section>\s*<nav>', out.stdout, re.S)
    assert first, "no first page before the contents"
    parts = ["Scenario <strong>baseline</strong>", "Verdicts on the targets, Rutland",
             "Five headline numbers, Rutland", "Comparison, Rutland: no_grant minus baseline"]
    where = [first.group(1).find(p) for p in parts]
    assert -1 not in where and where == sorted(where), where
    assert first.group(1).count("<table>") == 3
    model = report_html.with_name("model.html")
    out = _run_chromium(chromium, tmp_path / "profile_model", "--dump-dom", model.as_uri())
    assert out.returncode == 0 and _console_errors(out.stderr) == []
    assert "2.2 Base model logic" in out.stdout


VIEWPORT = (1280, 900)
"""The first viewport of a laptop screen: what a reader sees before scrolling."""


def test_first_viewport_screenshot(chromium: Path, report_html: Path, tmp_path: Path) -> None:
    shot = Path(os.environ.get("CARESIM_SCREENSHOT") or tmp_path / "report_first_page.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.unlink(missing_ok=True)
    out = _run_chromium(chromium, tmp_path / "profile", f"--screenshot={shot}",
                        f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", report_html.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    assert _console_errors(out.stderr) == []
    assert shot.stat().st_size > 10_000
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC)
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == VIEWPORT
        rgb = im.convert("RGB")
        colours = rgb.resize((160, 112)).getcolors(maxcolors=100_000)
        # the page's blue title rule (#1f4e79) is drawn near the top: the report, not a
        # blank or error page
        top = rgb.crop((0, 0, VIEWPORT[0], 200)).getcolors(maxcolors=1_000_000) or []
    assert colours is not None and len(colours) > 20  # a rendered page, not a blank one
    assert any(c == (0x1f, 0x4e, 0x79) and n > 200 for n, c in top)
