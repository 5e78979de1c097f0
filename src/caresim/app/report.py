"""``caresim report``: write a run's report (HTML and Markdown) into its run folder.

The report's content is built by :mod:`caresim.reporting` from the run's own tables and
rendered by :mod:`caresim.report_render`; the files are written here, through
:mod:`caresim.io`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from caresim.io import write_text
from caresim.report_render import FILES_DIR, Figure, render_html, render_markdown
from caresim.reporting import REPORT_HTML, REPORT_MD, build_report, load_run


def write_report(run_dir: Path, against: Path | None = None) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` (with ``report_files/``) into a run folder.

    Parameters
    ----------
    run_dir : pathlib.Path
        A run folder written by ``caresim run``.
    against : pathlib.Path, optional
        A second run folder to compare with (B - A, this run being A).

    Returns
    -------
    tuple of pathlib.Path
        The HTML and the Markdown report.

    Raises
    ------
    caresim.errors.RunStoreError
        When a folder is not a readable run folder, or ``against`` does not cover the
        council this run reports.
    """
    run = load_run(Path(run_dir))
    other = load_run(Path(against)) if against is not None else None
    blocks = build_report(run, other)
    files = run.path / FILES_DIR
    if files.exists():
        shutil.rmtree(files)
    files.mkdir()
    for b in blocks:
        if isinstance(b, Figure):
            (files / f"{b.name}.png").write_bytes(b.png)
    html_path, md_path = run.path / REPORT_HTML, run.path / REPORT_MD
    write_text(html_path, render_html(blocks))
    write_text(md_path, render_markdown(blocks))
    return html_path, md_path
