"""The 152 councils and how they are named on the command line and in scenario files."""

from __future__ import annotations

import pytest

from caresim.cli import main
from caresim.councils import ENGLAND_CODE, load_councils, resolve_council, select_councils
from caresim.errors import CouncilError, InputError

KENT, BRISTOL, DURHAM, GATESHEAD = "E10000016", "E06000023", "E06000047", "E08000020"


def test_152_councils() -> None:
    df = load_councils()
    assert len(df) == 152
    assert df["code"].is_unique and df["name"].is_unique
    assert df["code"].str.fullmatch(r"E\d{8}").all()
    assert ENGLAND_CODE not in set(df["code"])
    assert {"code", "name", "region", "official_name", "dh_cassr_name",
            "dh_cassr_code"} <= set(df.columns)
    assert df["region"].nunique() == 9


@pytest.mark.parametrize(("token", "code"), [
    ("E10000016", KENT),                # GSS code
    ("e10000016", KENT),                # ... in any case
    ("Kent", KENT),                     # name as in the data
    ("kent", KENT),                     # case-insensitive
    ("  KENT ", KENT),                  # surrounding spaces
    ("Kent County Council", KENT),      # official name
    ("820", KENT),                      # DH CASSR code
    ("Durham UA", DURHAM),              # DH name
    ("durham ua", DURHAM),
    ("County Durham", DURHAM),
    ("Bristol, City of", BRISTOL),      # punctuation ignored
    ("bristol city of", BRISTOL),
    ("Bristol UA", BRISTOL),
    ("E08000037", GATESHEAD),           # the council's later GSS code
])
def test_resolve(token: str, code: str) -> None:
    assert resolve_council(token) == code


def test_every_council_resolves_by_its_name_code_and_dh_name() -> None:
    df = load_councils()
    for col in ("code", "name", "dh_cassr_name"):
        got = [resolve_council(str(v)) for v in df[col]]
        assert got == df["code"].tolist(), col


@pytest.mark.parametrize(("token", "suggestion"), [
    ("Kentt", "'Kent'"),
    ("Brsitol, City of", "'Bristol, City of'"),
    ("Surey", "'Surrey'"),
])
def test_unknown_council_suggests_close_names(token: str, suggestion: str) -> None:
    with pytest.raises(CouncilError) as info:
        resolve_council(token)
    msg = str(info.value)
    assert isinstance(info.value, InputError)
    assert msg.startswith(f"council '{token}': expected the name or GSS code of one of the 152")
    assert "found no match" in msg
    assert f"Did you mean {suggestion}" in msg


def test_unknown_council_without_close_names() -> None:
    with pytest.raises(CouncilError) as info:
        resolve_council("zzzzzzzzzzzzzzzzzzzz")
    assert "Did you mean" not in str(info.value)
    assert "caresim councils" in str(info.value)


@pytest.mark.parametrize(("token", "first"), [
    ("Telford", "'Telford and Wrekin'"),        # a name the council is commonly called by
    ("kensington", "'Kensington and Chelsea'"),  # suggestions ignore case, as matching does
    ("Bristol", "'Bristol, City of'"),
])
def test_names_containing_the_token_are_suggested_first(token: str, first: str) -> None:
    with pytest.raises(CouncilError, match=f"Did you mean {first}"):
        resolve_council(token)


def test_select_councils() -> None:
    df = load_councils()
    assert select_councils([]) == df["code"].tolist()
    # data order, not argument order; duplicates collapse
    assert select_councils([BRISTOL, "Kent", "kent", "Gateshead"]) == [GATESHEAD, KENT, BRISTOL]
    with pytest.raises(CouncilError, match="Kentt"):
        select_councils(["Kent", "Kentt"])


def test_cli_councils_lists_152(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["councils"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 152
    assert any(line.startswith(f"{KENT}  Kent ") for line in lines)
