"""The measures as Markdown, for ``docs/outputs.md`` (see :func:`caresim.docgen.outputs_md`)."""

from __future__ import annotations

from caresim.measures.catalogue import MEASURES

GROUPS = (("official", "Official statistics"), ("metric", "Metrics"),
          ("ledger", "Ledger lines"), ("derived", "Derived measures"))
"""Sections, in order, with their headings."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def measures_markdown() -> str:
    """One table per group: measure, unit, periods, tables and definition."""
    out = []
    for group, heading in GROUPS:
        out += [f"### {heading}", "", "| measure | unit | periods | tables | definition |",
                "|---|---|---|---|---|"]
        for m in MEASURES.values():
            if m.group != group:
                continue
            tables = ", ".join(f"`{t}`" for t in m.tables) or "not computed"
            out.append(f"| `{m.name}` | {m.unit} | {', '.join(m.periods)} | {tables} | "
                       f"{_cell(m.definition)} |")
        out.append("")
    return "\n".join(out)
