"""The generated docs match the code (regenerate with scripts/generate_docs.py)."""

from __future__ import annotations

import re
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


ROOT_DOCS = [Path("README.md"), *sorted(Path("docs").glob("*.md"))]


@pytest.mark.parametrize("rel", [str(p) for p in ROOT_DOCS])
def test_docs_cite_only_what_a_user_can_open(rel: str) -> None:
    """Issue 19, point 8: no citation of the design notes a user of the repository does not
    have, and every relative link resolves to a file in the repository."""
    root = Path(__file__).resolve().parents[2]
    path = root / rel
    text = path.read_text(encoding="utf-8")
    for private in ("ENGINE.md", "DESIGN.md", "DESIGN §"):
        assert private not in text, f"{rel} cites {private}"
    for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text):
        assert (path.parent / target).exists(), f"{rel} links to {target}, which is missing"


def test_licence_and_citation() -> None:
    import yaml

    root = Path(__file__).resolve().parents[2]
    assert (root / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] and cff["title"].startswith("caresim") and cff["license"] == "MIT"
    assert "CARESIM" in cff["abstract"] and "Hancock" in cff["abstract"]
    assert "Wanless" in cff["abstract"]


def test_no_source_says_from_memory_without_saying_unverified() -> None:
    """Every "from memory" in a parameter file or data table is marked unverified."""
    root = Path(__file__).resolve().parents[2] / "src" / "caresim"
    for path in [*root.glob("scenarios/*.yaml"), *root.glob("data/**/*.csv")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "from memory" in line.lower():
                assert "unverified" in line.lower(), f"{path.name}: {line[:120]}"
