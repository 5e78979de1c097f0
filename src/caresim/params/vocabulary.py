"""Shared vocabularies: the named categories parameters and processes refer to.

A small module of its own so that every process module can use them without importing the
scenario schema (which is assembled from the process modules).
"""

NEED_BANDS = ("low", "moderate", "substantial", "critical")
"""FACS need bands, in increasing order of need (index 0 to 3)."""
LEVERS = ("procurement", "prevention", "package_reductions", "eligibility", "staff_cuts")
"""Savings levers a council can pull, DESIGN §2 point 8."""
EXIT_CAUSES = ("death", "nhs_or_self_funded", "recovery")
RATIONING = ("deflection", "covert_eligibility", "reassessment", "allocation")
"""In-year rationing mechanisms a council uses when its reserves cannot absorb a forecast gap
(issue 15): deflection at the front door, covert (implicit) eligibility, reassessment at review
against the effective cut-off, and allocation scaling of packages."""
