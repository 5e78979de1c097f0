"""Rewrite the regression baselines in tests/regression/ (the only way they change).

Run after an intended change to the model's behaviour or random streams, and say why in the
commit: ``python scripts/update_regression.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.regression.cases import CASES, compute  # noqa: E402

if __name__ == "__main__":
    for name in CASES:
        path = ROOT / "tests" / "regression" / f"{name}.csv"
        compute(name).to_csv(path, index=False, float_format="%.17g")
        print(f"wrote {path.relative_to(ROOT)}")
