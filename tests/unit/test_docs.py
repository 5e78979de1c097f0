"""The generated docs match the code (regenerate with scripts/generate_docs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from caresim.docgen import DOCS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("rel", sorted(DOCS))
def test_generated_docs_are_current(rel: str) -> None:
    committed = (ROOT / rel).read_text(encoding="utf-8")
    assert committed == DOCS[rel](), f"{rel} is stale: run python scripts/generate_docs.py"


def test_model_doc_covers_every_process_and_parameter() -> None:
    text = DOCS["docs/model.md"]()
    for section in ("Contact", "Assessment", "Reablement", "Reviews", "Exits",
                    "Transformation", "Finance", "Grant"):
        assert section in text
    assert "`reablement.cost_gbp_per_episode` | 2088 | GBP |" in text
