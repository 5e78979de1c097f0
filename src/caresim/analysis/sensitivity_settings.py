"""Settings of the sensitivity methods, in a module of their own so the command line can show
them without importing numpy and pandas."""

METHODS = ("oat", "morris", "sobol")
"""The methods :func:`caresim.app.sensitivity.run_sensitivity` offers."""

DEFAULT_SAMPLES = {"morris": 4, "sobol": 64}
"""Morris trajectories, or the Sobol' base sample ``N`` (a power of 2), when not given. Four
trajectories over every assumption is the all-England screening 2 cores can run in under 30
minutes (26.6 min measured; docs/performance.md); ``--samples`` gives more."""

MORRIS_LEVELS = 4
MORRIS_CANDIDATES = 10
MORRIS_SPREAD_UP_TO = 10
"""Up to this many trajectories, ``MORRIS_CANDIDATES`` candidates are drawn per trajectory
kept and the most spread out are kept (Campolongo, Cariboni and Saltelli 2007, Environ. Model.
Softw. 22:1509): that matters when few trajectories are affordable. Beyond it the selection
costs seconds to minutes (it grows steeply with the number kept) and plain trajectories
already cover the space."""
BOOTSTRAP_RESAMPLES = 1000
CONF_LEVEL = 0.95
