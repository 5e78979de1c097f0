"""``caresim measures``: the listing, --grep, and bad input (exit 2, one paragraph)."""

from __future__ import annotations

import pytest

from caresim.cli import EXIT_INPUT, EXIT_OK, main
from caresim.measures import MEASURES


def test_lists_every_measure_with_unit_periods_and_definition(capsys) -> None:
    assert main(["measures"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(f"{len(MEASURES)} measure(s)")
    for m in MEASURES.values():
        assert f"\n{m.name} [{m.unit}; {', '.join(m.periods)};" in out, m.name
    assert "Official definition: SALT" in out and "Not computed: the model lacks" in out


def test_grep_filters_by_name_or_definition_ignoring_case(capsys) -> None:
    assert main(["measures", "--grep", "ASCOF"]) == EXIT_OK
    out = capsys.readouterr().out
    names = [line.split(" [")[0] for line in out.splitlines()[1:] if line and line[0] != " "]
    assert {"pb_share_ascof_rap", "pb_share_ascof_salt", "dp_share_ascof_salt"} <= set(names)
    assert "users_residential" not in names
    assert out.startswith(f"{len(names)} measure(s)")
    assert main(["measures", "--grep", "^net_.*gbp$"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "net_spend_gbp [" in out and "net_current_expenditure_gbp [" in out


@pytest.mark.parametrize(("pattern", "words"), [
    ("no_such_measure_at_all", "matching at least one measure"),
    ("pb_sahre", "Did you mean"),
    ("(", "invalid regular expression"),
])
def test_bad_grep_is_a_one_paragraph_error_with_exit_2(pattern, words, capsys) -> None:
    assert main(["measures", "--grep", pattern]) == EXIT_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert err.startswith(f"caresim: error: --grep '{pattern}': expected") and words in err
    assert "\n" not in err and "Traceback" not in err


def test_help_describes_the_command(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["measures", "--help"])
    assert info.value.code == 0
    assert "--grep WORD" in capsys.readouterr().out
