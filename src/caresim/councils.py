"""The 152 English councils with adult social services responsibilities (2009 boundaries).

Data: ``data/councils_england.csv`` with its sources in ``data/councils_england.md`` (copied
from the project's shared data). This module reads it and selects councils by name or code.
"""

from __future__ import annotations

import difflib
import functools
from importlib import resources

import pandas as pd

from caresim.errors import CouncilError

ENGLAND_CODE = "E92000001"


@functools.cache
def load_councils() -> pd.DataFrame:
    """The council table, one row per council in file order (region, type, name).

    Returns
    -------
    pandas.DataFrame
        Columns as documented in ``data/councils_england.md``; counts in people, costs in
        GBP thousand (cash, 2009-10).
    """
    path = resources.files("caresim") / "data" / "councils_england.csv"
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"ons_code_old": str, "dh_cassr_code": str,
                                    "la_code_3digit_dfe": str})
    return df.reset_index(drop=True)


def _norm(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").replace(".", " ").split())


def resolve_council(token: str) -> str:
    """The GSS code of the council named or coded by ``token``.

    Accepts the GSS code (``E10000016``), the name as in the data (``Kent``, ``Bristol, City
    of``), the official name, the DH name or code; case and punctuation are ignored.

    Raises
    ------
    CouncilError
        When no council matches, with the closest names as suggestions.
    """
    df = load_councils()
    t = _norm(token)
    for col in ("code", "name", "official_name", "dh_cassr_name", "dh_cassr_code",
                "gss_code_latest"):
        hits = df.loc[df[col].astype(str).map(_norm) == t, "code"]
        if len(hits) == 1:
            return str(hits.iloc[0])
    names = {_norm(n): n for n in df["name"]}
    # names containing the token first ("Telford" -> "Telford and Wrekin"), then close
    # spellings; both compare normalised text, as matching does, so case does not matter
    contains = [n for k, n in names.items() if len(t) >= 3 and t in k]
    close = [names[k] for k in difflib.get_close_matches(t, list(names), n=3, cutoff=0.5)]
    close = list(dict.fromkeys(contains + close))[:3]
    hint = f"Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise CouncilError(token, hint)


def select_councils(tokens: list[str]) -> list[str]:
    """Codes of the councils named, in the data's order; all 152 when ``tokens`` is empty."""
    df = load_councils()
    if not tokens:
        return df["code"].tolist()
    wanted = {resolve_council(t) for t in tokens}
    return [c for c in df["code"] if c in wanted]


def scope_of(codes: list[str]) -> str:
    """The scope a run reports first: the council when one was run, else England."""
    return codes[0] if len(codes) == 1 else ENGLAND_CODE
