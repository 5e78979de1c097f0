"""Who a value is about: a council, or the aggregate of the councils run.

The tables hold the aggregate under England's code (:data:`caresim.councils.ENGLAND_CODE`)
whatever was run. It is England only when all 152 councils were run; otherwise it is that
selection, named by the council when one was run and by the count otherwise ("3 councils").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from caresim.councils import ENGLAND_CODE, load_councils

ENGLAND = "England"
"""The aggregate's label when every council was run."""


@functools.cache
def _names() -> Mapping[str, str]:
    """Every council's name by code, made once (like :func:`load_councils`, which it reads):
    a scorecard labels each of its rows, over a thousand for England."""
    df = load_councils()
    return MappingProxyType(dict(zip(df["code"].tolist(), df["name"].tolist(), strict=True)))


def aggregate_label(codes: Iterable[str]) -> str:
    """The label of the aggregate of the councils ``codes``.

    Parameters
    ----------
    codes : iterable of str
        GSS codes of the councils run (England's code, if present, is ignored).

    Returns
    -------
    str
        ``England`` for all 152 councils; the council's name for one; ``"<n> councils"``
        otherwise.

    Raises
    ------
    ValueError
        When ``codes`` holds no council.
    """
    names = _names()
    chosen = {c for c in codes if c != ENGLAND_CODE}
    if not chosen:
        raise ValueError("an aggregate needs at least one council")
    if chosen == set(names):
        return ENGLAND
    if len(chosen) == 1:
        (code,) = chosen
        return names.get(code, code)
    return f"{len(chosen)} councils"


def scope_label(scope: str, codes: Iterable[str]) -> str:
    """Plain words for ``scope`` (a council's code, or England's code for the aggregate) in a
    run of the councils ``codes``."""
    if scope == ENGLAND_CODE:
        return aggregate_label(codes)
    return _names().get(scope, scope)
