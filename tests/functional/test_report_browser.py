"""The HTML report in a real browser: headless Chromium renders it with no console errors,
its figures and tables are in the DOM, and a screenshot is taken (slow tier).

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
    for text in ("Target scorecard: Rutland", "Budget ledger by financial year: Rutland",
                 "Total gross spend", "Model description (STRESS-DES)"):
        assert text in dom, text


def test_report_screenshot(chromium: Path, report_html: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    out = _run_chromium(chromium, tmp_path / "profile", f"--screenshot={shot}",
                        "--window-size=1280,2400", report_html.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC)
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1280, 2400)
        colours = im.convert("RGB").resize((160, 300)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # a rendered page, not a blank one
