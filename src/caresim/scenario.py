"""Load, resolve, validate, freeze, hash and compare scenario files.

A scenario file is YAML (read by :mod:`caresim.scenario_files`: regular files only, UTF-8,
safe YAML without duplicate keys). ``extends: other.yaml`` names a parent: a file relative to
the scenario, else a bundled scenario by name (``extends: baseline`` works from any folder). The
parent chain is resolved root first, each child's keys overriding its parent's by deep merge on
a copy. A mapping with ``values:``, ``value:``, ``years:`` (a council's own plan) or
``probabilities:`` is a leaf: a child that sets it replaces it whole, so a dated series or a
distribution is never half-merged. The merged tree is validated against
:class:`caresim.params.schema.Scenario`; every error names the file that set the key, the key
path, what was expected and what was found, and suggests the nearest valid key for a typo.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from caresim.errors import InputError, ScenarioError
from caresim.model.own_plan import horizon_problem
from caresim.params.schema import Scenario
from caresim.scenario_files import check_parent, read_yaml
from caresim.survivable import Unsurvivable, check_survivable

LEAF_KEYS = ("value", "values", "probabilities", "years")


def bundled_dir() -> Path:
    """Folder of the scenarios shipped with caresim."""
    return Path(str(resources.files("caresim") / "scenarios"))


def bundled_scenarios() -> list[Path]:
    """Paths of the bundled scenario files, sorted by name."""
    return sorted(bundled_dir().glob("*.yaml"))


def find_scenario(name_or_path: str) -> Path:
    """A scenario path from a path or the name of a bundled scenario (``baseline``).

    A regular file at the path comes first; then a bundled scenario of that name, so that a
    folder called ``baseline`` in the working folder (such as ``caresim run baseline --out .``
    makes) does not hide the bundled ``baseline``; then anything else at the path, which
    :func:`caresim.scenario_files.read_text` refuses with a clear message.
    """
    p = Path(name_or_path)
    try:
        if p.is_file():
            return p
        exists = p.exists()
    except OSError as exc:  # e.g. a name longer than the system allows
        shown = name_or_path if len(name_or_path) <= 80 else f"{name_or_path[:77]}..."
        raise ScenarioError(shown, "", "an existing scenario file or bundled name",
                            exc.strerror or "a path that cannot be looked up") from None
    if _BUNDLED_NAME.fullmatch(name_or_path):
        for cand in (bundled_dir() / name_or_path, bundled_dir() / f"{name_or_path}.yaml"):
            if cand.is_file():
                return cand
    if exists:
        return p
    names = [b.stem for b in bundled_scenarios()]
    close = difflib.get_close_matches(p.stem, names, n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else f"Bundled: {', '.join(names)}."
    raise ScenarioError(str(name_or_path), "", "an existing scenario file or bundled name",
                        "no such file", hint)


_BUNDLED_NAME = re.compile(r"[A-Za-z0-9_\-]+(\.yaml)?")


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated, frozen scenario with where each key came from.

    Attributes
    ----------
    params : Scenario
        The validated parameters (immutable).
    files : tuple of str
        The extends chain, root first, ending with the file asked for.
    provenance : dict
        Dotted key path -> the file that set it last.
    """

    params: Scenario
    files: tuple[str, ...]
    provenance: dict[str, str] = field(repr=False)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.params.name

    def to_dict(self) -> dict[str, Any]:
        """The resolved parameters as plain JSON-compatible data."""
        return self.params.model_dump(mode="json")

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the resolved parameters (first 16 hex digits)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def get(self, path: str) -> Any:
        """The parameter (or section, or run setting) at a dotted path.

        Parameters
        ----------
        path : str
            E.g. ``grant.tranches_gbp`` (a leaf: a Quantity, Dated, Categorical, Setting or
            DateSetting), ``grant`` (a section), ``run.seed`` (a plain value) or
            ``council_overrides.E06000017`` (an entry of the overrides).

        Raises
        ------
        KeyError
            For a path that names nothing in the scenario.
        """
        node: Any = self.params
        for part in path.split("."):
            if isinstance(node, BaseModel) and part in type(node).model_fields:
                node = getattr(node, part)
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise KeyError(f"{path}: not a parameter of scenario '{self.name}'")
        return node

    def replace(self, changes: dict[str, Any], source: str) -> ResolvedScenario:
        """A new resolved scenario with each dotted path set to its value, validated once.

        The one way to change a scenario (as OpenFisca reforms a cloned parameter tree): the
        current parameters are copied, every change is written into the copy, and the copy is
        validated against the schema once, so a change that breaks a rule fails with a
        :class:`~caresim.errors.ScenarioError` naming ``source`` as the file. ``source`` is
        recorded as the provenance of every changed path.

        Parameters
        ----------
        changes : dict
            Dotted path -> new value: a whole leaf or section (a mapping or a validated
            model), or a part of a leaf (``grant.tranches_gbp.values``, ``.source``,
            ``.range``), or a run setting (``run.seed``). A new key may be added only to a
            mapping that takes any keys (``council_overrides``).
        source : str
            Where the change comes from (a command-line option, a sample, a calibration).

        Raises
        ------
        KeyError
            For a path whose parent names nothing in the scenario.
        caresim.errors.ScenarioError
            When the changed parameters are invalid.
        """
        data = self.to_dict()
        prov = dict(self.provenance)
        for path, value in changes.items():
            *parents, last = path.split(".")
            node: Any = data
            for key in parents:
                if not isinstance(node, dict) or key not in node:
                    raise KeyError(f"{path}: not a parameter of scenario '{self.name}'")
                node = node[key]
            open_keys = parents == ["council_overrides"] or path == "council_overrides"
            if not isinstance(node, dict) or (last not in node and not open_keys):
                raise KeyError(f"{path}: not a parameter of scenario '{self.name}'")
            node[last] = _plain(value)
            for k in [k for k in prov if k == path or k.startswith(f"{path}.")]:
                del prov[k]
            _record(node[last], source, prov, path)
        return ResolvedScenario(_validate(data, (*self.files, source), prov), self.files, prov)

    def with_run(self, **changes: Any) -> ResolvedScenario:
        """A copy with run settings changed (seed, replications, councils); ``None`` keeps the
        current value. A bad value is the command-line option's fault, and is blamed on it."""
        changed = {k: v for k, v in changes.items() if v is not None}
        try:
            return self.replace({f"run.{k}": v for k, v in changed.items()},
                                source="run settings")
        except ScenarioError as exc:
            option = next((k for k in changed if exc.key == f"run.{k}"), None)
            if option is None:
                raise
            raise InputError(f"--{option.replace('_', '-')}: expected {exc.expected}; found "
                             f"{exc.found}.") from None

    @classmethod
    def of(cls, params: Scenario, files: tuple[str, ...] = ()) -> ResolvedScenario:
        """Wrap validated parameters (e.g. a run manifest's) with no provenance."""
        return cls(params, tuple(files), {})


def _plain(value: Any) -> Any:
    """JSON-compatible data of a value written by :meth:`ResolvedScenario.replace`."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k.isoformat() if isinstance(k, dt.date) else k: _plain(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and any(k in node for k in LEAF_KEYS)


def _merge(base: dict, override: dict, file: str, prov: dict[str, str], prefix: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, val in override.items():
        path = f"{prefix}{key}"
        if (isinstance(val, dict) and not _is_leaf(val) and isinstance(out.get(key), dict)
                and not _is_leaf(out.get(key))):
            out[key] = _merge(out[key], val, file, prov, f"{path}.")
        else:
            out[key] = copy.deepcopy(val)
            for k in [k for k in prov if k == path or k.startswith(f"{path}.")]:
                del prov[k]
            _record(val, file, prov, path)
    return out


def _record(node: Any, file: str, prov: dict[str, str], path: str) -> None:
    prov[path] = file
    if isinstance(node, dict):
        for k, v in node.items():
            _record(v, file, prov, f"{path}.{k}")


def _load_chain(path: Path, seen: tuple[Path, ...]) -> tuple[dict, list[str], dict[str, str]]:
    real = path.resolve()
    if real in seen:
        cycle = " -> ".join(str(p) for p in (*seen, real))
        raise ScenarioError(str(path), "extends", "a chain of parents without a cycle",
                            f"the cycle {cycle}")
    data = read_yaml(path)
    if seen:
        _check_is_scenario(path, data)
    parent = data.pop("extends", None)
    if parent is None:
        prov: dict[str, str] = {}
        for k, v in data.items():
            _record(v, str(path), prov, k)
        return data, [str(path)], prov
    if not isinstance(parent, str):
        raise ScenarioError(str(path), "extends", "a file name (string)", repr(parent))
    parent_path = _bundled_parent(path, parent) or check_parent(path, parent)
    base, files, prov = _load_chain(parent_path, (*seen, real))
    merged = _merge(base, data, str(path), prov)
    return merged, [*files, str(path)], prov


def _bundled_parent(child: Path, parent: str) -> Path | None:
    """The bundled scenario ``extends: parent`` names, when no file of that name lies beside
    ``child``: ``extends: baseline`` (or ``baseline.yaml``) finds the bundled baseline from a
    scenario anywhere, while a file beside the scenario always comes first."""
    if not _BUNDLED_NAME.fullmatch(parent):
        return None
    try:
        if (child.parent / parent).exists():
            return None
    except OSError:
        return None
    for cand in (bundled_dir() / parent, bundled_dir() / f"{parent}.yaml"):
        if cand.is_file():
            return cand
    return None


def _check_is_scenario(path: Path, data: dict) -> None:
    """A file named by ``extends`` must be a scenario file: every top-level key a scenario key
    (or a near miss, reported with its suggestion by validation). Anything else is refused
    without quoting it, so that ``extends`` cannot be used to print another file's content."""
    known = [*Scenario.model_fields, "extends"]
    strangers = [k for k in data if k not in known
                 and not (isinstance(k, str) and difflib.get_close_matches(k, known, n=1))]
    if strangers:
        raise ScenarioError(str(path), "", "a scenario file (top-level keys such as name, run, "
                            "population, grant)", f"a YAML file with {len(strangers)} top-level "
                            "key(s) that are not scenario keys (not shown)")


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Load a scenario file, resolve its ``extends`` chain, validate and freeze it.

    Parameters
    ----------
    path : str or pathlib.Path
        A scenario file, or the name of a bundled scenario (e.g. ``baseline``).

    Raises
    ------
    ScenarioError
        For a missing file, a YAML error, an extends cycle or any invalid key or value.
    """
    p = find_scenario(str(path))
    data, files, prov = _load_chain(p, ())
    data.setdefault("name", p.stem)
    return ResolvedScenario(_validate(data, tuple(files), prov), tuple(files), prov)


def _validate(data: dict, files: tuple[str, ...], prov: dict[str, str]) -> Scenario:
    try:
        params = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _to_scenario_error(exc, files, prov) from None
    try:
        check_survivable(params)
    except Unsurvivable as exc:
        raise ScenarioError(_file_for(exc.key, files, prov), exc.key, exc.expected,
                            exc.found) from None
    _check_dated_cover_start(params, files, prov)
    problem = horizon_problem(params)
    if problem is not None:
        key, expected, found = problem
        raise ScenarioError(_file_for(key, files, prov), key, expected, found)
    return params


def _check_dated_cover_start(params: Scenario, files: tuple[str, ...],
                             prov: dict[str, str]) -> None:
    """Every dated value must say what holds on the run's first day: a value dated after it
    would otherwise be carried back silently (a grant first dated 2030 paid from 2008). The
    targets' dated thresholds are periods, not values in force, and are not concerned."""
    start = params.run.start_date
    for path, node in walk(params.model_dump(mode="python", exclude={"targets"})):
        if not (isinstance(node, dict) and isinstance(node.get("values"), dict)):
            continue
        first = min(node["values"])
        if isinstance(first, dt.date) and first > start:
            key = f"{path}.values"
            raise ScenarioError(
                _file_for(key, files, prov), key,
                f"a value in force on the run's start, {start} (a dated value is not carried "
                f"back before its first date: add {start}: <value> for what holds until "
                f"{first})", f"a first date of {first}")


def _to_scenario_error(exc: ValidationError, files: tuple[str, ...],
                       prov: dict[str, str]) -> ScenarioError:
    err = exc.errors()[0]
    loc = [str(x) for x in err["loc"]]
    key = ".".join(loc)
    file = _file_for(key, files, prov)
    kind = err["type"]
    more = f" ({len(exc.errors()) - 1} more problem(s) after this one.)" \
        if len(exc.errors()) > 1 else ""
    if kind == "extra_forbidden":
        valid = _fields_at(Scenario, loc[:-1])
        close = difflib.get_close_matches(loc[-1], valid, n=1, cutoff=0.5)
        hint = f"Did you mean '{close[0]}'?" if close else ""
        hint += f" Valid keys here: {', '.join(valid)}." if valid else ""
        return ScenarioError(file, key, "a known key", f"the unknown key '{loc[-1]}'",
                             (hint + more).strip())
    if kind == "missing":
        return ScenarioError(file, key, "this required key", "nothing", more.strip())
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if msg.startswith("Input should be "):  # pydantic's own wording: "expected <what>"
        msg = msg[len("Input should be "):]
        if msg.startswith(("greater", "less")):
            msg = f"a value {msg}"
    if "expected" in msg and "; found" in msg:
        expected, found = msg.split("; found", 1)
        return ScenarioError(file, key, expected.replace("expected", "", 1).strip(),
                             found.strip(), more.strip())
    found = _show(err.get("input"))
    return ScenarioError(file, key, msg[0].lower() + msg[1:], found, more.strip())


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def _file_for(key: str, files: tuple[str, ...], prov: dict[str, str]) -> str:
    """The last file in the chain that set ``key`` or anything under it (a section-level
    error such as ``run`` is blamed on the child that set ``run.start_date``)."""
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        path = ".".join(parts[:n])
        setters = {f for k, f in prov.items() if k == path or k.startswith(f"{path}.")}
        if setters:
            return max(setters, key=lambda f: files.index(f) if f in files else -1)
    return files[-1] if files else "<scenario>"


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    """Field names of the model found by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            f = current.model_fields.get(part)
            if f is None:
                return []
            current = _unwrap(f.annotation)
        elif get_origin(current) is dict:
            current = _unwrap(get_args(current)[1])
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not dict and args and get_origin(annotation) is not None:
        return args[0]
    return annotation


# --------------------------------------------------------------------------- comparison


def is_leaf(node: Any) -> bool:
    """True for a sourced leaf parameter as plain data (a mapping with ``value``, ``values`` or
    ``probabilities``)."""
    return _is_leaf(node)


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf parameter and every plain value under ``node`` (plain data, e.g.
    :meth:`ResolvedScenario.to_dict`), with its dotted path, in schema order.

    A leaf is yielded whole (see :func:`is_leaf`); other mappings are entered.
    """
    if isinstance(node, dict) and not _is_leaf(node):
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}" if path else str(k))
    else:
        yield path, node


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Nested mappings from ``{dotted path: value}`` (the inverse of :func:`walk`), e.g. the
    overrides of a scenario file that extends another."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, last = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return out


def flatten_parameters(params: Scenario) -> dict[str, dict[str, Any]]:
    """Each parameter (leaf) as ``{dotted path: {"value": ..., "unit": ..., "source": ...}}``."""
    out: dict[str, dict[str, Any]] = {}
    for path, node in walk(params.model_dump(mode="json")):
        if _is_leaf(node):
            value = next((node[k] for k in LEAF_KEYS if k in node), None)
            out[path] = {"value": value, "unit": node.get("unit", ""),
                         "source": node.get("source", "")}
        else:
            out[path] = {"value": node, "unit": "", "source": ""}
    return out


def diff(a: ResolvedScenario, b: ResolvedScenario) -> list[dict[str, Any]]:
    """Parameters whose value differs between two scenarios, with both values and sources.

    Run settings and the scenario's own name and description are compared too.
    """
    fa, fb = flatten_parameters(a.params), flatten_parameters(b.params)
    rows = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key), fb.get(key)
        if va is None or vb is None or va["value"] != vb["value"]:
            rows.append({"parameter": key,
                         "value_a": None if va is None else va["value"],
                         "source_a": "" if va is None else va["source"],
                         "value_b": None if vb is None else vb["value"],
                         "source_b": "" if vb is None else vb["source"],
                         "unit": (vb or va or {}).get("unit", "")})
    return rows


def json_default(obj: Any) -> Any:
    """JSON encoder for dates (used when writing manifests)."""
    if isinstance(obj, dt.date):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
