"""``caresim report``: write a run's report (HTML and Markdown) into its run folder.

The report's content is built by :mod:`caresim.reporting` from the run's own tables and
rendered by :mod:`caresim.report_render`; the files are written here, through
:mod:`caresim.io`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from caresim.errors import RunStoreError
from caresim.io import atomic_folder, check_output_file, check_output_root, write_text
from caresim.report_render import FILES_DIR, Figure, render_html, render_markdown
from caresim.reporting import (
    MODEL_HTML,
    MODEL_MD,
    REPORT_HTML,
    REPORT_MD,
    build_model_page,
    build_report,
    load_run,
)

__all__ = ["MODEL_HTML", "MODEL_MD", "REPORT_HTML", "REPORT_MD", "REPORT_PAGES", "write_report"]

REPORT_PAGES = (REPORT_HTML, REPORT_MD, MODEL_HTML, MODEL_MD)
"""The files ``caresim report`` writes into a run folder (beside the figures folder)."""


def write_report(run_dir: Path, against: Path | None = None) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` (with ``report_files/``) into a run folder, and
    the model description's own page beside them (``model.html``, ``model.md``), which the
    report links to.

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
    run_dir = Path(run_dir)
    check_output_root(run_dir, "RUN_DIR")
    html_path, md_path, files = run_dir / REPORT_HTML, run_dir / REPORT_MD, run_dir / FILES_DIR
    for name in REPORT_PAGES:
        check_output_file(run_dir / name, "report")
    if files.exists() and not files.is_dir():
        raise RunStoreError(f"report {files}: expected a folder for the report's figures; "
                            "found a file.")
    run = load_run(run_dir)
    other = load_run(Path(against)) if against is not None else None
    blocks = build_report(run, other)
    html, markdown = render_html(blocks), render_markdown(blocks)
    model = build_model_page(run)
    model_html, model_md = render_html(model), render_markdown(model)
    # the figures go into a fresh folder first, so a failure leaves any earlier report whole
    new_files = files.with_name(files.name + ".new")
    shutil.rmtree(new_files, ignore_errors=True)
    with atomic_folder(new_files) as tmp:
        for b in blocks:
            if isinstance(b, Figure):
                (tmp / f"{b.name}.png").write_bytes(b.png)
    shutil.rmtree(files, ignore_errors=True)
    os.replace(new_files, files)
    # the model page first: a report never links to a page that is not there
    write_text(run_dir / MODEL_HTML, model_html)
    write_text(run_dir / MODEL_MD, model_md)
    write_text(html_path, html)
    write_text(md_path, markdown)
    return html_path, md_path
