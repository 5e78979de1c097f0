"""Fixed-seed regression baselines (update only with scripts/update_regression.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.regression.cases import CASES, compute

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_stored_baseline(name: str) -> None:
    stored = pd.read_csv(HERE / f"{name}.csv", dtype={"fy": str, "metric": str})
    now = compute(name)
    assert list(now["metric"]) == list(stored["metric"]), "metric set or order changed"
    assert list(now["fy"]) == list(stored["fy"])
    np.testing.assert_allclose(now["value"].to_numpy(), stored["value"].to_numpy(),
                               rtol=1e-12, atol=1e-9, equal_nan=True,
                               err_msg=f"{name} changed: if intended, run "
                                       "scripts/update_regression.py and say why in the commit")
