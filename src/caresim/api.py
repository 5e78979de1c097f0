"""The library's entry points, in one place: each is defined in the application layer
(:mod:`caresim.app`) and only named here, for scripts and notebooks that import ``caresim.api``.

Nothing here prints; progress is reported through an optional callback.
"""

from __future__ import annotations

from caresim.app.calibrate import Calibration, calibrate
from caresim.app.common import RunOutputs, build_tables, resolve_councils, scope_of
from caresim.app.compare import Comparison, compare
from caresim.app.report import write_report
from caresim.app.run import resume_run, run_scenario
from caresim.app.sensitivity import SensitivityResult, run_sensitivity
from caresim.app.validate import Validation, validate

__all__ = ["Calibration", "Comparison", "RunOutputs", "SensitivityResult", "Validation",
           "build_tables", "calibrate", "compare", "resolve_councils", "resume_run",
           "run_scenario", "run_sensitivity", "scope_of", "validate", "write_report"]
