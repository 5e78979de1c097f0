"""The layers of caresim and the absence of import cycles (docs/architecture.md).

The layer rules are import-linter contracts in ``pyproject.toml``; grimp, the graph import-linter
builds, finds every import, including those inside functions (lazy imports). Imports made only
for type annotations (under ``TYPE_CHECKING``) never run and are not counted.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("caresim", exclude_type_checking_imports=True)


def test_layer_contracts_are_kept() -> None:
    status = lint_imports(config_filename=str(PYPROJECT), no_logo=True, no_cache=True)
    assert status == EXIT_STATUS_SUCCESS, \
        "an import breaks the layers of pyproject.toml (run `lint-imports` to see which)"


def test_no_module_imports_itself_through_others() -> None:
    graph = _graph()
    cycles = sorted({tuple(sorted((m, imported))) for m in graph.modules
                     for imported in graph.find_modules_directly_imported_by(m)
                     if graph.chain_exists(importer=imported, imported=m)})
    assert cycles == [], f"import cycles (lazy imports included): {cycles}"


def test_the_graph_sees_imports_inside_functions() -> None:
    # the contracts would be toothless if function-level imports were missed: the command line
    # imports each study inside its command function only
    graph = _graph()
    assert graph.direct_import_exists(importer="caresim.cli", imported="caresim.app.run")
    details = graph.get_import_details(importer="caresim.cli", imported="caresim.app.run")
    assert details and all(d["line_contents"].startswith("from ") for d in details)


@pytest.mark.parametrize("module", ["caresim.model.grant", "caresim.model.finance",
                                    "caresim.model.assessment"])
def test_process_modules_do_not_import_the_schema(module: str) -> None:
    # the schema is assembled from the process modules' sections, so a process module must
    # not need it (shared vocabularies live in caresim.params.vocabulary)
    assert not _graph().chain_exists(importer=module, imported="caresim.params.schema")
