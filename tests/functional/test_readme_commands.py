"""Every command in the README and in the example scenarios, run verbatim from a temporary folder
outside the repository (issue 19, point 4).

The folder holds what a user has: a copy of ``scenarios/`` and ``examples/`` (as in a clone put
anywhere) and, on its own in a folder of its own, the README's scenario example, so that
``extends`` must find the bundled scenario by name. A command that runs one council (the README's
finance-director examples) runs as written; a command that would run all England or a long
study is checked with ``caresim check`` on its scenarios instead; ``<run-id>`` is replaced by
the run folder the earlier command wrote.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNS = ("run", "compare", "validate", "calibrate", "sensitivity")
"""Subcommands that run the model."""


def readme_blocks(kind: str) -> list[str]:
    """The fenced blocks of ``kind`` (``bash``, ``yaml``) in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{kind}\n(.*?)```", text, flags=re.S)


def caresim_commands(block: str) -> list[str]:
    """The caresim commands of a shell block: continuation lines joined, comments dropped,
    ``a && b`` split, ``.venv/bin/caresim`` read as ``caresim``."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        for part in line.split("&&"):
            words = shlex.split(part)
            if words and Path(words[0]).name == "caresim":
                commands.append(" ".join(["caresim", *words[1:]]))
    return commands


def documented_commands() -> list[str]:
    """Every caresim command of the README's shell blocks, its inline examples and the
    example scenarios' comments, in order."""
    found = [c for block in readme_blocks("bash") for c in caresim_commands(block)]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found += [c for c in re.findall(r"`(caresim (?:run|compare|report|check) [^`<]*?)`", text)
              if "SCENARIO" not in c and "RUN_DIR" not in c]
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        for line in example.read_text(encoding="utf-8").splitlines():
            m = re.match(r"#\s+(caresim .*)$", line)
            if m:
                found.append(m.group(1).strip())
    return found


def test_commands_are_found() -> None:
    """The extraction itself: it finds the commands the README and examples show."""
    commands = documented_commands()
    assert "caresim run scenarios/baseline.yaml" in commands
    assert "caresim run scenarios/no_grant.yaml --council Kent" in commands
    assert any(c.startswith("caresim report outputs/no_grant/<run-id>") for c in commands)
    assert "caresim run examples/kent_own_figures.yaml --council Kent" in commands
    assert any(c.startswith("caresim sensitivity baseline --method sobol") for c in commands)


def _scenarios_of(words: list[str]) -> list[str]:
    """The scenario arguments of a run-like command: the words after the subcommand, up to
    the first option."""
    args = []
    for w in words[2:]:
        if w.startswith("--"):
            break
        args.append(w)
    return args


def _runs_small(words: list[str]) -> bool:
    """Runs as written: one council, fixed small design."""
    return words[1] in ("run", "compare") and "--council" in words \
        and "--parameter-uncertainty" not in words


def _fill_run_ids(command: str, cwd: Path) -> str:
    def latest(match: re.Match) -> str:
        folders = sorted(p for p in (cwd / match.group(1)).iterdir() if p.is_dir()
                         and not p.name.endswith(".partial"))
        assert folders, f"{command}: no run folder in {match.group(1)} from an earlier command"
        return str(folders[-1].relative_to(cwd))

    return re.sub(r"(\S+)/<run-id>", latest, command)


@pytest.mark.slow
def test_every_documented_command_runs_outside_the_repository(tmp_path: Path) -> None:
    clone = tmp_path / "my_work"
    clone.mkdir()
    shutil.copytree(ROOT / "scenarios", clone / "scenarios")  # follows the symlink: real files
    shutil.copytree(ROOT / "examples", clone / "examples")
    alone = tmp_path / "elsewhere"
    alone.mkdir()
    (yaml_block,) = readme_blocks("yaml")
    (alone / "my_scenario.yaml").write_text(yaml_block, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MPLBACKEND": "Agg"}

    def caresim(words: list[str], cwd: Path) -> str:
        done = subprocess.run([sys.executable, "-m", "caresim", *words], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=1800, check=False)
        assert done.returncode == 0, f"caresim {shlex.join(words)} in {cwd}:\n{done.stderr}"
        return done.stdout

    assert "ok: my_scenario.yaml" in caresim(["check", "my_scenario.yaml"], alone)
    ran = []
    for command in documented_commands():
        words = shlex.split(_fill_run_ids(command, clone))
        if words[1] in RUNS and not _runs_small(words):
            targets = _scenarios_of(words) or ["baseline"]
            caresim(["check", *targets], clone)
            ran.append(("check", command))
        else:
            caresim(words[1:], clone)
            ran.append(("ran", command))
    assert ("ran", "caresim run scenarios/no_grant.yaml --council Kent") in ran
    assert any(how == "ran" and c.startswith("caresim report") for how, c in ran)
    assert any(how == "ran" and c.startswith("caresim compare examples/") for how, c in ran)
    report = next(clone.glob("outputs/no_grant/*/report.html"))
    assert report.stat().st_size > 0
