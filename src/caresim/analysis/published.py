"""Published per-council series read from ``data/published/`` (the published figures the model
is validated and calibrated against are rows of ``validation_figures.csv``, read by
:mod:`caresim.measures.figures`)."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd


@functools.cache
def council_dp_counts() -> pd.Series:
    """PSS EX1 A4.20: DPs and PBs per council at 31 March 2010 (people), by GSS code."""
    from caresim.councils import load_councils

    df = load_councils()
    return df.set_index("code")["clients_direct_payments_all_ages_31mar2010"].dropna()


def published_file(name: str) -> pd.DataFrame:
    """A file of the packaged published series."""
    path = resources.files("caresim") / "data" / "published" / name
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)
