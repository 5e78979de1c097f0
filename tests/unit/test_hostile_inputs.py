"""Hostile inputs that are not small files (issue 20): binary, huge, deep or special files, and
paths. Each ends with exit status 2, one paragraph naming the file, what was expected and what
was found, no traceback, and nothing written. The files are made here, in ``tmp_path``; the
small broken files are the catalogue in ``tests/broken_scenarios/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from caresim.cli import main
from caresim.scenario_files import MAX_BYTES, MAX_DEPTH

BASELINE = Path(__file__).resolve().parents[2] / "src" / "caresim" / "scenarios" / "baseline.yaml"


def clean_failure(argv: list[str], capsys: pytest.CaptureFixture[str], *texts: str) -> str:
    """Run the command line; check exit 2, one line, no traceback and each of ``texts``."""
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, err
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("caresim: error: "), err
    for text in texts:
        assert text in err, f"{text!r} not in {err!r}"
    return err


def child(tmp_path: Path, body: str, name: str = "child.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASELINE}\nname: child\n" + textwrap.dedent(body),
                    encoding="utf-8")
    return path


# --------------------------------------------------------------------------- file encodings


def test_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(f"extends: {BASELINE}\ndescription: caf\xe9\n".encode("latin-1"))
    clean_failure(["check", str(path)], capsys, f"{path}: expected UTF-8 text",
                  "found the byte 0xe9, which is not UTF-8, at line 2")


def test_file_in_utf16(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_text(f"extends: {BASELINE}\nname: utf16\n", encoding="utf-16")
    clean_failure(["check", str(path)], capsys, f"{path}: expected UTF-8 text",
                  "found UTF-16 or UTF-32 (a byte-order mark)")


def test_parent_in_utf16(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"extends: {BASELINE}\n", encoding="utf-16")
    path = tmp_path / "child.yaml"
    path.write_text("extends: parent.yaml\n", encoding="utf-8")
    clean_failure(["check", str(path)], capsys, f"{parent}: expected UTF-8 text")


# --------------------------------------------------------------------------- YAML shapes


def test_nesting_5000_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(f"extends: {BASELINE}\ndescription: " + "[" * 5000 + "]" * 5000 + "\n",
                    encoding="utf-8")
    clean_failure(["check", str(path)], capsys,
                  f"{path}: expected YAML nested at most {MAX_DEPTH} levels deep",
                  "found deeper nesting at line 2")


def test_billion_laughs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Aliases of aliases: ten levels of ten references expand to 10^10 nodes."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 11)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clean_failure(["check", str(path)], capsys, "expected at most 100,000 YAML nodes once "
                  "aliases are expanded; found more")


def test_file_too_large(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(f"extends: {BASELINE}\n" + "#" * (MAX_BYTES + 10) + "\n", encoding="utf-8")
    clean_failure(["check", str(path)], capsys,
                  f"{path}: expected a scenario file of at most {MAX_BYTES:,} bytes",
                  "found a larger file")


def test_over_long_extends_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.yaml"
    path.write_text("extends: " + "a" * 5000 + ".yaml\n", encoding="utf-8")
    clean_failure(["check", str(path)], capsys, f"{path}: key 'extends'",
                  "expected the path of an existing scenario file", "File name too long")


def test_over_long_scenario_path(capsys: pytest.CaptureFixture[str]) -> None:
    clean_failure(["check", "b" * 5000 + ".yaml"], capsys,
                  "expected an existing scenario file or bundled name", "File name too long")


# --------------------------------------------------------------------------- special files


def test_folder_as_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "a_folder.yaml"
    folder.mkdir()
    clean_failure(["check", str(folder)], capsys,
                  f"{folder}: expected a regular scenario file; found a folder")


def test_parent_that_is_a_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``extends`` of a name ending .yaml that is really /dev/zero is refused, not read."""
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    path = tmp_path / "child.yaml"
    path.write_text("extends: zero.yaml\n", encoding="utf-8")
    clean_failure(["check", str(path)], capsys, f"{tmp_path / 'zero.yaml'}: expected a regular "
                  "scenario file; found a character device")


DRIVER = """
import contextlib, io, json, resource, sys
limit = 4 * 1024 ** 3
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from caresim.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(argv)
    results.append([rc, err.getvalue()])
print(json.dumps(results))
"""


def test_special_files_are_refused_not_read(tmp_path: Path) -> None:
    """/dev/zero was read until memory ran out; /dev/urandom and a FIFO hung. In a child
    process with a 4 GB address-space limit and a time limit (the bound, not an assertion)."""
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    cases = [["check", "/dev/zero"], ["check", "/dev/urandom"], ["check", str(fifo)],
             ["run", str(fifo), "--out", str(tmp_path / "out")]]
    proc = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(cases)], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = ["/dev/zero: expected a regular scenario file; found a character device",
                "/dev/urandom: expected a regular scenario file; found a character device",
                f"{fifo}: expected a regular scenario file; found a FIFO (named pipe)",
                f"{fifo}: expected a regular scenario file; found a FIFO (named pipe)"]
    for (rc, err), text in zip(results, expected, strict=True):
        assert rc == 2, err
        assert "Traceback" not in err
        assert text in err, err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- what extends reads


SECRET = "hunter2-s3cr3t"


@pytest.mark.parametrize(("content", "found"), [
    (f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin\n", "found a str"),
    (f"- {SECRET}\n- two\n", "found a list"),
    (f"x: [{SECRET}\n", "found a syntax error at line 2"),
    (f"{SECRET}:\t\x01{SECRET}\n", "found a syntax error"),
    (f"extends: {BASELINE}\ndb_password_{SECRET}: {SECRET}\n",
     "found a YAML file with 1 top-level key(s) that are not scenario keys (not shown)"),
])
def test_extends_never_prints_another_file(tmp_path: Path, content: str, found: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``extends`` could read any file and errors quoted up to 80 characters of it: a file
    named by ``extends`` that is not a scenario is refused by its kind, never quoted."""
    (tmp_path / "secrets.yaml").write_text(content, encoding="utf-8")
    path = tmp_path / "child.yaml"
    path.write_text("extends: secrets.yaml\nname: child\n", encoding="utf-8")
    err = clean_failure(["check", str(path)], capsys, f"{tmp_path / 'secrets.yaml'}: ", found)
    assert SECRET not in err


def test_parent_with_a_typo_still_gets_its_suggestion(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The refusal of foreign files keeps the near-miss suggestion for a parent's typo."""
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"extends: {BASELINE}\ngrnat: {{}}\n", encoding="utf-8")
    path = tmp_path / "child.yaml"
    path.write_text("extends: parent.yaml\nname: child\n", encoding="utf-8")
    clean_failure(["check", str(path)], capsys, f"{parent}: key 'grnat'",
                  "Did you mean 'grant'?")


# --------------------------------------------------------------------------- bundled names


def test_bundled_name_not_shadowed_by_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """After ``caresim run baseline --out .`` the working folder holds ``baseline/``: the
    bundled name still means the bundled scenario."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "20260101T000000Z-2c22cba8").mkdir()
    assert main(["check", "baseline"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: baseline (scenario 'baseline'")
    assert "prior.yaml -> baseline.yaml" in out


def test_bundled_name_is_not_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    """A path that only looks up a bundled file by joining (``/dev/zero``) is never bundled."""
    err = clean_failure(["check", "../scenarios/baseline"], capsys)
    assert "no such file" in err


# --------------------------------------------------------------------------- survivable values


def test_all_zero_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every number of the baseline set to 0 (the dated ones too): refused by check, not a
    crash or NaN money in the run."""
    from caresim.scenario import load_scenario

    data = load_scenario("baseline").params.model_dump(mode="json")

    def zero(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("value"), int | float) and not isinstance(node["value"], bool):
                node.update(value=0, source="test: all zero")
                node.pop("range", None)
            if isinstance(node.get("values"), dict):
                node.update(values=dict.fromkeys(node["values"], 0), source="test: all zero")
                node.pop("range", None)
            for v in node.values():
                zero(v)

    zero(data)
    path = tmp_path / "all_zero.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    for argv in (["check", str(path)], ["run", str(path), "--out", str(out), "--quiet"]):
        clean_failure(argv, capsys, f"{path}: key '", "': expected a ", "; found 0")
    assert not out.exists()


def test_option_is_blamed_for_its_own_value(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``--replications 1000000000`` was blamed on prior.yaml, which never set it."""
    err = clean_failure(["run", "baseline", "--replications", "1000000000", "--out",
                         str(tmp_path), "--quiet"], capsys,
                        "caresim: error: --replications: expected a value less than or equal "
                        "to 10000; found 1000000000")
    assert "prior.yaml" not in err
    assert list(tmp_path.iterdir()) == []
