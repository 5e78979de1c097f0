"""Fuzz (issue 20, slow tier): mutated bundled scenarios and hostile files through the real
command line, each in its own process with a time limit and an address-space limit.

Every case must end with exit status 0 (accepted) or 2 (refused, one paragraph): never a
traceback, never exit 1 (an internal error or a memory blow-up: ``caresim`` maps
``MemoryError`` to exit 1), never a hang (the time limit), and never more memory than the
limit (``RLIMIT_AS``), so that no input can make ``check`` or ``run`` blow up.

The mutations are drawn from a fixed seed: one leaf value of a bundled scenario replaced by a
hostile value (zero, -0.0, huge, negative, not a number, the wrong type, a long string), possibly
in place of a whole leaf or section, or a key removed. The
hostile files are special (a device, a FIFO), binary, UTF-16, deep, self-referencing or
oversized. Accepted mutations are run for one small council over two financial years.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from caresim.scenario import bundled_scenarios

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src"
TIME_LIMIT_S = 600
"""Wall-clock limit of one command: a hang is a failure (a check takes a few seconds, one
council for two years under a minute on an idle machine, ten times that on a loaded one)."""
MEMORY_LIMIT_BYTES = 3 * 2**30
"""Address-space limit of one command (numba and its LLVM reserve about 1 GB of it)."""
SEED = 20
N_MUTATIONS = 24
HOSTILE_VALUES: list[Any] = [0, -0.0, -1, 1e308, -1e308, 1e12, float("nan"), "x", None, [],
                             {}, True, "9" * 400, [1, 2, 3], {"value": 1}]


def _limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    try:
        return subprocess.run([sys.executable, "-m", "caresim", *args], capture_output=True,
                              text=True, timeout=TIME_LIMIT_S, cwd=cwd, env=env,
                              preexec_fn=_limit, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"caresim {' '.join(args)}: still running after {TIME_LIMIT_S} s (a hang)")


def assert_clean(proc: subprocess.CompletedProcess[str], what: str) -> None:
    """Exit 0, or exit 2 with one paragraph; no traceback, no internal or memory error."""
    assert "Traceback" not in proc.stderr, (what, proc.stderr[-2000:])
    assert proc.returncode in (0, 2), (what, proc.returncode, proc.stderr[-2000:])
    if proc.returncode == 2:
        assert proc.stderr.startswith("caresim: error: "), (what, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, (what, proc.stderr)


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every scalar (and every leaf's value mapping) in a YAML tree."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _leaves(v, (*path, k))
        if path:
            out.append(path)
    elif isinstance(node, list):
        out.append(path)
    else:
        out.append(path)
    return out


def _set(tree: dict, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        tree = tree[key]
    tree[path[-1]] = value


def _delete(tree: dict, path: tuple) -> None:
    for key in path[:-1]:
        tree = tree[key]
    del tree[path[-1]]


def mutations() -> list[tuple[str, str]]:
    """(case name, scenario text): bundled scenarios with one hostile change each."""
    rng = random.Random(SEED)
    bundled = bundled_scenarios()
    cases = []
    for i in range(N_MUTATIONS):
        source = rng.choice(bundled)
        tree = yaml.safe_load(source.read_text(encoding="utf-8"))
        if "extends" in tree:
            tree["extends"] = str(source.parent / tree["extends"])
        paths = [p for p in _leaves(tree) if p and p[0] != "extends"]
        path = rng.choice(paths)
        if rng.random() < 0.2:
            _delete(tree, path)
            what = f"without {'.'.join(map(str, path))}"
        else:
            value = rng.choice(HOSTILE_VALUES)
            _set(tree, path, value)
            what = f"{'.'.join(map(str, path))} = {str(value)[:20]}"
        tree["name"] = f"fuzz{i}"
        text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
        cases.append((f"{i}: {source.stem}: {what}", text))
    return cases


MUTATIONS = mutations()


@pytest.mark.parametrize(("case", "text"), MUTATIONS, ids=[c for c, _ in MUTATIONS])
def test_mutated_bundled_scenario(case: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    checked = cli("check", str(path), cwd=tmp_path)
    assert_clean(checked, f"check {case}")
    if checked.returncode != 0:
        return
    # accepted: a short run of one small council must finish with finite outputs or exit 2
    short = tmp_path / "short.yaml"
    short.write_text(f"extends: {path.name}\nname: short\nrun:\n  end_date: 2010-03-31\n"
                     "  replications: 1\n", encoding="utf-8")
    ran = cli("run", str(short), "--council", "Rutland", "--quiet", "--out",
              str(tmp_path / "out"), cwd=tmp_path)
    assert_clean(ran, f"run {case}")
    if ran.returncode == 0:
        assert len(list((tmp_path / "out" / "short").glob("*/manifest.json"))) == 1


def hostile_files(folder: Path) -> dict[str, Path]:
    """Special, binary, mis-encoded, deep, recursive and oversized scenario files."""
    files = {}
    files["dev_zero"] = folder / "zero.yaml"
    files["dev_zero"].symlink_to("/dev/zero")
    files["dev_urandom"] = folder / "urandom.yaml"
    files["dev_urandom"].symlink_to("/dev/urandom")
    files["fifo"] = folder / "fifo.yaml"
    os.mkfifo(files["fifo"])
    rng = random.Random(SEED)
    files["binary"] = folder / "binary.yaml"
    files["binary"].write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    files["utf16"] = folder / "utf16.yaml"
    files["utf16"].write_text("name: x\nrun: {seed: 1}\n", encoding="utf-16")
    files["deep"] = folder / "deep.yaml"
    files["deep"].write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    files["deep_block"] = folder / "deep_block.yaml"
    files["deep_block"].write_text("".join(f"{' ' * i}k{i}:\n" for i in range(2000)),
                                   encoding="utf-8")
    files["laughs"] = folder / "laughs.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    files["laughs"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    files["recursive"] = folder / "recursive.yaml"
    files["recursive"].write_text("grant: &loop\n  more: *loop\n", encoding="utf-8")
    files["huge"] = folder / "huge.yaml"
    files["huge"].write_text("description: '" + "x" * 20_000_000 + "'\n", encoding="utf-8")
    files["extends_zero"] = folder / "extends_zero.yaml"
    files["extends_zero"].write_text("extends: zero.yaml\n", encoding="utf-8")
    files["extends_fifo"] = folder / "extends_fifo.yaml"
    files["extends_fifo"].write_text("extends: fifo.yaml\n", encoding="utf-8")
    files["extends_self"] = folder / "extends_self.yaml"
    files["extends_self"].write_text("extends: extends_self.yaml\n", encoding="utf-8")
    files["extends_passwd"] = folder / "extends_passwd.yaml"
    files["extends_passwd"].write_text("extends: /etc/passwd\n", encoding="utf-8")
    return files


HOSTILE = ["dev_zero", "dev_urandom", "fifo", "binary", "utf16", "deep", "deep_block", "laughs",
           "recursive", "huge", "extends_zero", "extends_fifo", "extends_self", "extends_passwd"]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("command", ["check", "run"])
def test_hostile_file(name: str, command: str, tmp_path: Path) -> None:
    path = hostile_files(tmp_path)[name]
    extra = ["--council", "Rutland", "--quiet", "--out", str(tmp_path / "out")] \
        if command == "run" else []
    proc = cli(command, str(path), *extra, cwd=tmp_path)
    assert_clean(proc, f"{command} {name}")
    assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
    assert str(tmp_path) in proc.stderr  # the file is named
    assert not (tmp_path / "out").exists()
