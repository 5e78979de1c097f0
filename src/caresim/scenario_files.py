"""Read scenario files safely: only regular files, of bounded size, UTF-8, plain YAML.

A scenario file is read by :func:`read_yaml`, which refuses, with a
:class:`caresim.errors.ScenarioError` naming the file, anything a parameter file has no reason
to be:

* not a regular file (a folder, ``/dev/zero``, ``/dev/urandom``, a FIFO): such a file is never
  opened for a blocking read, so it cannot hang the reader or fill memory;
* more than :data:`MAX_BYTES` bytes (the bundled ``prior.yaml``, the largest, is about 20 kB);
* not UTF-8 (a UTF-16 byte-order mark, or a byte sequence that is not UTF-8);
* YAML nested deeper than :data:`MAX_DEPTH`, an alias inside the node it refers to (a
  recursive alias), or more than :data:`MAX_NODES` nodes once aliases are expanded (a
  "billion laughs" document). These are checked on the parser's event stream, which needs
  no recursion, before a tree is built;
* a key given twice in one mapping (YAML says keys are unique; PyYAML would keep the last).

The loader is PyYAML's safe loader (no Python tags) with two changes to its implicit types:
YAML 1.2 floats such as ``1.0e6`` are numbers (YAML 1.1 reads them as text), and YAML 1.1
base-60 numbers are not (``seed: 1:30`` is the text ``'1:30'``, not 90). Impossible dates such
as ``2011-13-01`` stay text, so validation reports them with their key path.

:func:`check_parent` checks the file an ``extends`` key names before it is read: a ``.yaml`` or
``.yml`` file, so that ``extends`` cannot read an arbitrary file on the machine.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from caresim.errors import ScenarioError

MAX_BYTES = 1_000_000
"""Largest scenario file read, in bytes (the bundled ``prior.yaml`` is about 20 kB)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists (a scenario needs 5: section, leaf, values, date)."""
MAX_NODES = 100_000
"""Most YAML nodes in one file once aliases are expanded (``prior.yaml`` has about 1,500)."""
YAML_SUFFIXES = (".yaml", ".yml")
"""What a file named by ``extends`` must end with."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_INT_NO_BASE_60 = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
"""YAML 1.1 integers (binary, octal, decimal, hexadecimal) without base 60 (``1:30``)."""
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
"""YAML 1.2 floats (``1.0e6`` with or without a sign in the exponent), without base 60."""


class DuplicateKey(yaml.YAMLError):
    """A key given twice in one mapping, at two lines."""

    def __init__(self, key: Any, first: int, second: int) -> None:
        self.key, self.first, self.second = key, first, second
        super().__init__(f"the key {key!r} twice, at lines {first} and {second}")


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, with libyaml's parser when PyYAML was built with it (ten times
faster; the same events and the same Python constructors)."""


class Loader(_SAFE_LOADER):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, reading YAML 1.2 floats, no base-60 numbers, no duplicate keys."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """A mapping, refusing a key given twice (merge keys ``<<`` excepted)."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    continue  # an unhashable key: PyYAML reports it below
                if duplicate:
                    raise DuplicateKey(key, seen[key].start_mark.line + 1,
                                       key_node.start_mark.line + 1)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# the same resolvers in the same order, with the int and float patterns replaced
Loader.yaml_implicit_resolvers = {
    first: [(tag, {_INT: _INT_NO_BASE_60, _FLOAT: _FLOAT_12}.get(tag, regexp))
            for tag, regexp in resolvers]
    for first, resolvers in _SAFE_LOADER.yaml_implicit_resolvers.items()
}


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A date, or the text itself for an impossible one (``2011-13-01``) so that validation
    reports it with its key path instead of PyYAML raising a bare ``ValueError``."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_text(path: Path) -> str:
    """The text of a scenario file: a regular file of at most :data:`MAX_BYTES`, UTF-8.

    The file is opened without blocking and checked with ``fstat`` before anything is read, so
    a FIFO or a device is refused rather than read.

    Raises
    ------
    caresim.errors.ScenarioError
        For a missing or unreadable file, anything but a regular file, a file too large, or
        text that is not UTF-8.
    """
    file = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ScenarioError(file, "", "an existing scenario file", "no such file") from None
    except OSError as exc:
        raise ScenarioError(file, "", "a readable scenario file",
                            exc.strerror or errno.errorcode.get(exc.errno or 0, "an error")
                            ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ScenarioError(file, "", "a regular scenario file", _kind(mode))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise ScenarioError(file, "", f"a scenario file of at most {MAX_BYTES:,} bytes",
                            "a larger file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(file, "", "UTF-8 text", "UTF-16 or UTF-32 (a byte-order mark)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(file, "", "UTF-8 text",
                            f"the byte 0x{data[exc.start]:02x}, which is not UTF-8, at line "
                            f"{line} (byte {exc.start + 1})") from None


def _check_shape(text: str, file: str) -> None:
    """Depth, recursive aliases and expanded size, from the parser's events (no recursion)."""
    depth = 0
    total = 0
    open_anchors: list[str | None] = []  # the anchor of each open collection
    sizes: dict[str, int] = {}  # nodes under each anchor, aliases expanded
    counts: list[int] = []  # nodes so far under each open collection

    def add(n: int) -> None:
        nonlocal total
        total += n
        for i in range(len(counts)):
            counts[i] += n
        if total > MAX_NODES:
            raise ScenarioError(file, "", f"at most {MAX_NODES:,} YAML nodes once aliases are "
                                "expanded", "more")

    try:
        events = list(yaml.parse(text, Loader=Loader))
    except yaml.YAMLError as exc:  # libyaml stops at its own depth limit, before any event
        if "nesting depth" not in str(exc):
            raise
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(file, "", f"YAML nested at most {MAX_DEPTH} levels deep",
                            f"deeper nesting at line {mark.line + 1 if mark else 0}") from None
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                raise ScenarioError(file, "", "YAML without recursive aliases",
                                    f"the alias *{event.anchor} inside its own anchor at "
                                    f"line {line}")
            add(sizes.get(event.anchor, 1))
        elif isinstance(event, yaml.ScalarEvent):
            add(1)
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            add(1)
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(file, "", f"YAML nested at most {MAX_DEPTH} levels deep",
                                    f"deeper nesting at line {line}")
            open_anchors.append(event.anchor)
            counts.append(1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor = open_anchors.pop()
            size = counts.pop()
            if anchor:
                sizes[anchor] = size


def read_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of a scenario file (empty for an empty file).

    Raises
    ------
    caresim.errors.ScenarioError
        For any file :func:`read_text` refuses, a YAML error (with its line and column), a
        document too deep or too large, a recursive alias, a duplicate key, or a top level that
        is not a mapping.
    """
    file = str(path)
    text = read_text(path)
    try:
        _check_shape(text, file)
        data = yaml.load(text, Loader=Loader)  # a safe loader (no Python tags)
    except DuplicateKey as exc:
        raise ScenarioError(file, "", "YAML with each key once in a mapping", str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(file, "", "valid YAML", f"a syntax error{where} ({problem})") \
            from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(file, "", "a mapping of keys to values at the top level",
                            f"a {type(data).__name__}")
    return data


def check_parent(child: Path, parent: str) -> Path:
    """The path of the file ``extends: parent`` names in ``child``, checked before reading.

    Raises
    ------
    caresim.errors.ScenarioError
        When the name does not end ``.yaml`` or ``.yml``, the path cannot be looked up (for
        example it is longer than the system allows), or there is no such file.
    """
    file = str(child)
    shown = parent if len(parent) <= 80 else parent[:77] + "..."
    if not parent.lower().endswith(YAML_SUFFIXES):
        raise ScenarioError(file, "extends", "the path of a scenario file ending .yaml or .yml, "
                            "or a bundled scenario's name (such as baseline)", f"'{shown}'")
    path = child.parent / parent
    try:
        exists = path.exists()
    except OSError as exc:  # e.g. ENAMETOOLONG
        raise ScenarioError(file, "extends", "the path of an existing scenario file",
                            f"'{shown}' ({exc.strerror})") from None
    if not exists:
        where = str(path) if len(str(path)) <= 200 else f"{str(path)[:197]}..."
        raise ScenarioError(file, "extends", "the path of an existing scenario file (relative "
                            "to this one) or a bundled scenario's name (such as baseline)",
                            f"'{shown}' (no such file: {where})")
    return path
