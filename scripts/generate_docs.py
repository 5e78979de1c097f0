"""Regenerate docs/model.md, docs/outputs.md and docs/data.md from the code."""

from __future__ import annotations

from pathlib import Path

from caresim.docgen import DOCS

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    for rel, make in DOCS.items():
        path = ROOT / rel
        path.write_text(make(), encoding="utf-8")
        print(f"wrote {rel}")
