"""Parameter uncertainty: which assumptions vary, over what, and how to apply a draw.

Every leaf parameter whose source starts with ``assumption:`` carries a ``range`` (DESIGN §4):
for a scalar, the range of the value itself in its own unit; for a dated value, a pair of
multipliers applied to every value (as calibration treats it, :mod:`caresim.analysis.
calibration`). Its ``distribution`` (``uniform`` by default, ``loguniform`` or ``triangular``
with the mode at the current value) says how likely each part of the range is.

A draw is made on the unit hypercube and mapped through each parameter's inverse cumulative
distribution function (:meth:`ParamSpec.ppf`), so a design built on ``[0, 1]`` (scrambled
Sobol', Latin hypercube, Morris trajectories, Saltelli's scheme) samples each parameter from its
own distribution. :func:`apply_values` writes a draw into a copy of the parameters, which
stays valid: each new value lies inside its range, and its source says it is a sample.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from caresim.errors import InputError, ScenarioError
from caresim.params.schema import Scenario
from caresim.params.values import ASSUMPTION_PREFIX, CALIBRATED_PREFIX, Dated, Quantity
from caresim.scenario import ResolvedScenario, is_leaf, walk

METHODS = ("sobol", "lhs")
"""Space-filling designs :func:`draw` makes with :mod:`scipy.stats.qmc`."""

SAMPLE_NOTE = "sensitivity sample"
"""How the source of a sampled value starts."""


@dataclass(frozen=True)
class ParamSpec:
    """One uncertain parameter: where it is, its range and its distribution.

    Attributes
    ----------
    path : str
        Dotted path into the scenario, e.g. ``services.p_accept_pb``.
    low, high : float
        The range: in the parameter's own unit for a scalar; multipliers of every value for a
        dated parameter.
    value : float
        The current value on the same scale (``1.0`` for a dated parameter): the mode of a
        triangular distribution and the base point of a one-at-a-time analysis.
    distribution : str
        ``uniform``, ``loguniform`` or ``triangular``.
    dated : bool
        True for a dated parameter (sampled through a multiplier).
    unit : str
        The unit of the parameter's values (for a dated parameter, the unit of the values the
        multiplier scales).
    """

    path: str
    low: float
    high: float
    value: float
    distribution: str = "uniform"
    dated: bool = False
    unit: str = ""

    @property
    def scale(self) -> str:
        """What ``low``, ``high`` and the sampled numbers are: a unit, or a multiplier."""
        return f"multiplier of {self.unit} values" if self.dated else self.unit

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map probabilities ``u`` in [0, 1] to values (the inverse CDF).

        Parameters
        ----------
        u : numpy.ndarray
            Probabilities in [0, 1], any shape.

        Returns
        -------
        numpy.ndarray
            Values in ``[low, high]`` on the parameter's scale (its unit, or a multiplier).
        """
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        a, b = self.low, self.high
        if b == a:
            return np.full_like(u, a)
        if self.distribution == "uniform":
            x = a + u * (b - a)
        elif self.distribution == "loguniform":
            x = np.exp(math.log(a) + u * (math.log(b) - math.log(a)))
        else:  # triangular, mode at the current value
            c = min(max(self.value, a), b)
            fc = (c - a) / (b - a)
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
            x = np.where(u < fc, left, right)
        return np.clip(x, a, b)


def _is_numeric(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _leaf_spec(path: str, node: dict) -> ParamSpec | None:
    """The spec of one leaf, or None when it is not a sampled number (categorical, setting,
    no range, or a range of zero width)."""
    if node.get("range") is None or "probabilities" in node:
        return None
    lo, hi = (float(x) for x in node["range"])
    if not hi > lo:
        return None
    dist = node.get("distribution", "uniform")
    if "values" in node:
        if not all(_is_numeric(v) for v in node["values"].values()):
            return None
        spec = ParamSpec(path, lo, hi, 1.0, dist, True, node.get("unit", ""))
    elif _is_numeric(node.get("value")):
        spec = ParamSpec(path, lo, hi, float(node["value"]), dist, False, node.get("unit", ""))
    else:
        return None
    if dist == "loguniform" and lo <= 0:
        raise InputError(f"{path}: a loguniform distribution needs a range above 0; found "
                         f"[{lo:g}, {hi:g}].")
    return spec


def assumption_parameters(params: Scenario, include_calibrated: bool = False
                          ) -> list[ParamSpec]:
    """Every assumption with a range, in the order of the scenario schema.

    Parameters
    ----------
    params : Scenario
        The parameters.
    include_calibrated : bool
        Also include values whose source starts ``calibrated:`` (fitted assumptions, whose
        range is kept from the prior; for a dated value it is a range of multipliers of the
        calibrated values).

    Returns
    -------
    list of ParamSpec
        Leaves whose source starts ``assumption:`` (and ``calibrated:`` when asked), with a
        range of non-zero width; categoricals and settings are skipped. Run settings are not
        parameters.
    """
    prefixes = (ASSUMPTION_PREFIX, CALIBRATED_PREFIX) if include_calibrated \
        else (ASSUMPTION_PREFIX,)
    data = params.model_dump(mode="json")
    data.pop("run", None)
    out = []
    for path, node in walk(data):
        if not is_leaf(node) or "source" not in node:
            continue
        if not str(node["source"]).strip().lower().startswith(prefixes):
            continue
        spec = _leaf_spec(path, node)
        if spec is not None:
            out.append(spec)
    return out


def select(specs: list[ParamSpec], names: list[str] | None) -> list[ParamSpec]:
    """The specs ``names`` ask for, by dotted path or by a unique last part of it.

    Raises
    ------
    caresim.errors.InputError
        For a name that matches no assumption (or several), listing the valid names.
    """
    if not names:
        return list(specs)
    by_path = {s.path: s for s in specs}
    chosen: list[ParamSpec] = []
    for name in names:
        hits = [by_path[name]] if name in by_path else [
            s for s in specs if s.path.endswith("." + name)]
        if len(hits) != 1:
            close = difflib.get_close_matches(name, list(by_path), n=3, cutoff=0.5)
            found = (f"'{name}', which matches {len(hits)} of them" if hits
                     else f"'{name}', which is none of them")
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise InputError(
                f"--parameters: expected assumptions with a range (dotted path, or its last part "
                f"when unique); found {found}.{hint} Valid names: {', '.join(by_path)}.")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def apply_values(scenario: ResolvedScenario, values: Mapping[str, float],
                 note: str = SAMPLE_NOTE) -> ResolvedScenario:
    """A copy of ``scenario`` with sampled values written in (:meth:`ResolvedScenario.replace`).

    Parameters
    ----------
    scenario : ResolvedScenario
        The scenario sampled around.
    values : mapping of str to float
        Dotted path -> new value: a scalar's value in its own unit, or for a dated parameter a
        multiplier applied to every value.
    note : str
        Start of the new source text; the old source follows as ``prior: ...``.

    Returns
    -------
    ResolvedScenario
        Validated. A scalar keeps its range (its new value is clipped into it, against
        rounding); a dated parameter's range becomes the same multipliers relative to its new
        values (``[low / m, high / m]``; none when ``m`` is 0).

    Raises
    ------
    KeyError
        For a path that is not a numeric leaf of the scenario.
    caresim.errors.InputError
        When the sample makes the parameters invalid (e.g. a dated fraction above 1).
    """
    changes: dict[str, object] = {}
    for path, x in values.items():
        leaf = scenario.get(path)
        if not isinstance(leaf, Quantity | Dated):
            raise KeyError(f"{path}: not a numeric parameter of scenario '{scenario.name}'")
        x = float(x)
        rng = leaf.range
        if isinstance(leaf, Dated):
            changes[f"{path}.values"] = {d: v * x for d, v in leaf.values.items()}
            changes[f"{path}.range"] = [rng[0] / x, rng[1] / x] if rng is not None and x > 0 \
                else None
            what = f"multiplier {x:.6g} on every value"
        else:
            if rng is not None:
                x = min(max(x, rng[0]), rng[1])
            changes[f"{path}.value"] = x
            what = f"{x:.6g}"
        changes[f"{path}.source"] = f"{note}: {what}; prior: {leaf.source}"
    try:
        return scenario.replace(changes, source=note)
    except ScenarioError as exc:
        raise InputError(f"a sensitivity sample ({', '.join(values)}) makes the parameters of "
                         f"'{scenario.name}' invalid: {exc}") from None


def to_values(specs: list[ParamSpec], unit: np.ndarray) -> np.ndarray:
    """Map a design on the unit hypercube to parameter values.

    Parameters
    ----------
    specs : list of ParamSpec
        One per column.
    unit : numpy.ndarray
        Shape ``(n, len(specs))``, probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(specs))``: each column through its parameter's inverse CDF (own unit,
        or a multiplier for a dated parameter).
    """
    unit = np.atleast_2d(np.asarray(unit, dtype=float))
    if unit.shape[1] != len(specs):
        raise ValueError(f"expected {len(specs)} columns; found {unit.shape[1]}")
    return np.column_stack([s.ppf(unit[:, j]) for j, s in enumerate(specs)]) if specs \
        else np.empty((len(unit), 0))


def draw(params: Scenario, specs: list[ParamSpec] | None, n: int, method: str = "sobol",
         seed: int = 0) -> np.ndarray:
    """``n`` draws of the parameters from their distributions, space-filling.

    Parameters
    ----------
    params : Scenario
        The parameters (used when ``specs`` is None: every assumption with a range).
    specs : list of ParamSpec or None
        The parameters to draw, one per column.
    n : int
        Number of draws (>= 1).
    method : str
        ``sobol`` (scrambled Sobol'; the first ``n`` points of the next power of two) or ``lhs``
        (Latin hypercube).
    seed : int
        Seed of the scrambling or permutation: the same seed gives the same draws.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(specs))``, on each parameter's scale (own unit, or a multiplier).
    """
    from scipy.stats import qmc

    specs = assumption_parameters(params, include_calibrated=True) if specs is None else specs
    if method not in METHODS:
        raise InputError(f"draw method: expected one of {', '.join(METHODS)}; found "
                         f"'{method}'.")
    if n < 1:
        raise InputError(f"draw: expected n >= 1; found {n}.")
    d = max(len(specs), 1)
    rng = np.random.default_rng(seed)
    if method == "sobol":
        unit = qmc.Sobol(d, scramble=True, rng=rng).random_base2(max(0, math.ceil(
            math.log2(n))))[:n]
    else:
        unit = qmc.LatinHypercube(d, rng=rng).random(n)
    return to_values(specs, unit[:, :len(specs)])


PARAMETER_SETS_DESIGN = "scrambled Sobol"
"""How ``--parameter-uncertainty`` draws its parameter sets (see :func:`parameter_sets`)."""


def parameter_sets(params: Scenario, n: int | None, seed: int,
                   specs: list[ParamSpec] | None = None) -> list[dict[str, float]]:
    """``n`` parameter sets for ``--parameter-uncertainty``: scrambled Sobol draws of every
    assumption (and calibrated parameter) over its range and distribution.

    Parameters
    ----------
    params : Scenario
        The parameters drawn around; their assumptions with a range are drawn.
    n : int or None
        How many sets; none (an empty list) for ``None`` or 0.
    seed : int
        Seed of the scrambling (the master seed): the same seed draws the same sets, so every
        scenario of a comparison drawn with it runs the same sets of the parameters they share.
    specs : list of ParamSpec, optional
        Only these parameters (default: every assumption with a range, calibrated ones too).

    Returns
    -------
    list of dict
        One ``{dotted path: value}`` per set, on each parameter's scale (its unit, or a
        multiplier of a dated parameter's values), ready for :func:`apply_values`.
    """
    if not n:
        return []
    if specs is None:
        specs = assumption_parameters(params, include_calibrated=True)
    values = draw(params, specs, n, "sobol", seed)
    return [{spec.path: float(v) for spec, v in zip(specs, row, strict=True)} for row in values]


def scenario_sets(scenario: ResolvedScenario, sets: list[dict[str, float]]
                  ) -> list[ResolvedScenario]:
    """The scenario under each parameter set (:func:`apply_values`); the scenario itself when
    there are no sets. Set ``k`` keeps its place: it is parameter set ``k`` of the run."""
    if not sets:
        return [scenario]
    return [apply_values(scenario, values, note=f"parameter set {k} of {len(sets)}")
            for k, values in enumerate(sets)]
