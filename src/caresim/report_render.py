"""The run report's building blocks and their renderers: blocks in, HTML or Markdown out.

:mod:`caresim.reporting` assembles a report as a list of blocks (headings, paragraphs, tables,
figures, docstring text); this module turns them into one self-contained HTML page (inline CSS,
data-URI images, no scripts) or Markdown with the figures saved beside it.
"""

from __future__ import annotations

import base64
import html
import inspect
import re
from dataclasses import dataclass

FILES_DIR = "report_files"

# --------------------------------------------------------------------------- report blocks


@dataclass
class Heading:
    """A section heading (level 1 to 5)."""

    level: int
    text: str

    @property
    def anchor(self) -> str:
        """The heading's id in the HTML."""
        return re.sub(r"[^a-z0-9]+", "-", self.text.lower()).strip("-")


@dataclass
class Para:
    """A paragraph of inline Markdown (``code``, ``**bold**``)."""

    text: str


@dataclass
class Table:
    """A table of text cells; ``numeric[j]`` right-aligns column ``j``.

    ``styles[i]`` is ``"group"`` (a sub-heading row), ``"total"`` or ``""``.
    """

    header: list[str]
    rows: list[list[str]]
    numeric: list[bool] | None = None
    styles: list[str] | None = None
    wide: bool = False


@dataclass
class Figure:
    """A PNG figure with its caption."""

    name: str
    png: bytes
    caption: str


@dataclass
class Doc:
    """Text taken from a docstring (reStructuredText-flavoured Markdown)."""

    text: str


@dataclass
class Link:
    """A paragraph that links to another page written beside this one.

    ``page`` is the page's stem: the HTML links to ``<page>.html``, the Markdown to
    ``<page>.md``, so each format links to its own sibling.
    """

    before: str
    page: str
    label: str
    after: str = ""


@dataclass
class PageEnd:
    """The end of the report's first page: the contents follow it in HTML, a rule in
    Markdown."""


Block = Heading | Para | Table | Figure | Doc | Link | PageEnd


# --------------------------------------------------------------------------- rendering

_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_RST_CODE = re.compile(r"``(.+?)``", re.S)


def _rst_to_md(text: str) -> str:
    return _RST_CODE.sub(r"`\1`", _ROLE.sub(r"`\1`", text))


def _inline(text: str) -> str:
    """Inline Markdown (``code``, ``**bold**``, ``<br>``) to HTML, everything else escaped."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        else:
            s = html.escape(part).replace("&lt;br&gt;", "<br>")
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s))
    return "".join(out)


def _doc_html(text: str) -> str:
    """A docstring (paragraphs, bullet and numbered lists, indented code) as HTML."""
    out = []
    for block in re.split(r"\n\s*\n", _rst_to_md(text).strip()):
        lines = block.splitlines()
        if all(ln.startswith("    ") for ln in lines):
            out.append(f"<pre>{html.escape(inspect.cleandoc(block))}</pre>")
            continue
        marker = re.match(r"^(\*|-|\d+\.)\s", lines[0])
        if marker:
            tag = "ol" if lines[0][0].isdigit() else "ul"
            items: list[str] = []
            for ln in lines:
                if re.match(r"^(\*|-|\d+\.)\s", ln):
                    items.append(re.sub(r"^(\*|-|\d+\.)\s+", "", ln))
                else:
                    items[-1] += " " + ln.strip()
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items)
                       + f"</{tag}>")
            continue
        out.append(f"<p>{_inline(' '.join(ln.strip() for ln in lines))}</p>")
    return "\n".join(out)


CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1b1b;
max-width:1200px;margin:24px auto;padding:0 24px;line-height:1.45;font-size:15px}
h1{font-size:26px;border-bottom:3px solid #1f4e79;padding-bottom:6px;color:#1f4e79}
h2{font-size:21px;margin-top:40px;border-bottom:1px solid #c8d3e0;padding-bottom:4px;
color:#1f4e79}
h3{font-size:17px;margin-top:26px}h4{font-size:15px;margin-top:20px}
h5{font-size:14px;margin:14px 0 4px;color:#333}
table{border-collapse:collapse;margin:10px 0 16px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#eef2f7;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.group td{background:#f3f5f8;font-weight:600}
tr.total td{font-weight:600;border-top:2px solid #8a99ab}
tr.met td:nth-child(4){color:#1a7f37;font-weight:600}
tr.notmet td:nth-child(4){color:#b42318;font-weight:600}
.wide{overflow-x:auto}.wide table{font-size:12px}
figure{margin:16px 0 28px}figure img{max-width:100%;border:1px solid #e1e4e8}
figcaption{font-size:13px;color:#444;max-width:1000px}
code{font-family:Menlo,Consolas,monospace;font-size:12px;background:#f4f4f4;padding:0 2px}
pre{background:#f6f8fa;padding:8px;font-size:12px;overflow-x:auto}
nav{background:#f6f8fa;border:1px solid #d0d7de;padding:6px 16px;font-size:14px}
nav ol{margin:4px 0}
.first-page{border-bottom:3px solid #1f4e79;padding-bottom:12px;margin-bottom:8px}
.first-page h1{margin:0 0 8px}.first-page p{margin:6px 0}
.first-page h2{font-size:18px;margin:18px 0 6px;padding-bottom:2px}
.first-page table{font-size:13.5px;margin:6px 0 8px}
.first-page th,.first-page td{padding:3px 8px}
.first-page tr.met td:first-child{border-left:5px solid #1a7f37}
.first-page tr.notmet td:first-child{border-left:5px solid #b42318}
@media print{.first-page{page-break-after:always}}
"""


def render_html(blocks: list[Block]) -> str:
    """A page of the report as HTML: inline CSS, data-URI images, no scripts, and no links but
    to its own headings and to the sibling pages of :class:`Link` blocks.

    With a :class:`PageEnd` block, the blocks before it are the first page (a section of their
    own) and the contents, of the level-2 headings after it, follow it.
    """
    title = next((b.text for b in blocks if isinstance(b, Heading)), "caresim report")
    body = []
    ends = [i for i, b in enumerate(blocks) if isinstance(b, PageEnd)]
    toc = [b for b in blocks[ends[0] if ends else 0:]
           if isinstance(b, Heading) and b.level == 2]
    nav = ("<nav><strong>Contents</strong><ol>" + "".join(
        f'<li><a href="#{h.anchor}">{_inline(re.sub(r"^[0-9]+[.] ", "", h.text))}</a></li>'
        for h in toc) + "</ol></nav>")
    paged = any(isinstance(b, PageEnd) for b in blocks)
    if paged:
        body.append('<section class="first-page">')
    for i, b in enumerate(blocks):
        if isinstance(b, Heading):
            body.append(f'<h{b.level} id="{b.anchor}">{_inline(b.text)}</h{b.level}>')
            if i == 0:
                continue
        elif isinstance(b, PageEnd):
            body.append("</section>")
            body.append(nav)
            continue
        elif isinstance(b, Link):
            body.append(f"<p>{_inline(b.before)} <a href=\"{html.escape(b.page)}.html\">"
                        f"{_inline(b.label)}</a>{_inline(b.after)}</p>")
        elif isinstance(b, Para):
            body.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Doc):
            body.append(_doc_html(b.text))
        elif isinstance(b, Figure):
            data = base64.b64encode(b.png).decode("ascii")
            body.append(f'<figure id="fig-{b.name}"><img alt="{html.escape(b.caption)}" '
                        f'src="data:image/png;base64,{data}"><figcaption>{_inline(b.caption)}'
                        "</figcaption></figure>")
        elif isinstance(b, Table):
            num = b.numeric or [False] * len(b.header)
            head = "".join(f'<th class="{"num" if n else ""}">{_inline(h)}</th>'
                           for h, n in zip(b.header, num, strict=True))
            rows = []
            for k, row in enumerate(b.rows):
                style = (b.styles or [""] * len(b.rows))[k]
                cells = "".join(f'<td class="{"num" if n else ""}">{_inline(c)}</td>'
                                for c, n in zip(row, num, strict=True))
                rows.append(f'<tr class="{style}">{cells}</tr>')
            table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            body.append(f'<div class="wide">{table}</div>' if b.wide else table)
        if i == 1 and not paged and toc:
            body.append(nav)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


_MD_CODE = re.compile(r"(?<![`\\])(`[^`]+`)(?!`)")
"""A code span as CommonMark reads it: single backticks, not escaped, not part of a longer run."""


def _md_text(text: str) -> str:
    """Text (from a scenario, a path or a command) made safe as Markdown: every ``<`` outside
    code spans becomes ``&lt;``, so no raw HTML reaches ``report.md``; code spans show their
    text as it is."""
    parts = _MD_CODE.split(text)
    return "".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def _md_cell(text: str) -> str:
    return _md_text(text.replace("|", "\\|").replace("\n", " "))


def render_markdown(blocks: list[Block], files_dir: str = FILES_DIR) -> str:
    """The report as Markdown; figures refer to ``files_dir/<name>.png``."""
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + _md_text(b.text))
        elif isinstance(b, Para):
            out.append(_md_text(b.text))
        elif isinstance(b, Link):
            out.append(f"{_md_text(b.before)} [{_md_text(b.label)}]({b.page}.md)"
                       f"{_md_text(b.after)}")
        elif isinstance(b, PageEnd):
            out.append("---")
        elif isinstance(b, Doc):
            out.append(_rst_to_md(b.text))
        elif isinstance(b, Figure):
            out.append(f"![{b.name}]({files_dir}/{b.name}.png)\n\n*{_md_text(b.caption)}*")
        elif isinstance(b, Table):
            num = b.numeric or [False] * len(b.header)
            lines = ["| " + " | ".join(_md_cell(h) or " " for h in b.header) + " |",
                     "|" + "|".join("---:" if n else "---" for n in num) + "|"]
            for row in b.rows:
                lines.append("| " + " | ".join(_md_cell(c.replace("<br>", ", ")) for c in row)
                             + " |")
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


