"""Demography: the population index by age band and how contacts follow it."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from caresim.councils import select_councils
from caresim.model import demography
from caresim.model.model import build_state
from tests.conftest import params_with

shares = st.floats(0.01, 0.99)
indices = st.floats(0.5, 2.0)


@given(shares)
def test_no_growth_leaves_contacts_and_mix_as_in_april_2008(s: float) -> None:
    total, share = demography.contact_mix(s, 1.0, 1.0)
    assert total == 1.0
    assert np.isclose(share, s)


@given(shares, indices, indices)
def test_contacts_are_the_mix_weighted_population(s: float, young: float, old: float) -> None:
    total, share = demography.contact_mix(s, young, old)
    assert np.isclose(total, (1 - s) * young + s * old)
    assert 0.0 < share < 1.0
    # the 65+ contacts are the April 2008 ones scaled by their own band's index
    assert np.isclose(total * share, s * old)


@given(shares, indices, st.floats(1.01, 2.0))
def test_more_older_people_raise_the_older_share(s: float, young: float, k: float) -> None:
    _, before = demography.contact_mix(s, young, 1.0)
    _, after = demography.contact_mix(s, young, k)
    assert after > before


def test_index_compounds_the_dated_growth_monthly() -> None:
    params = params_with("steady", **{"demography.growth_65plus_per_year.values":
                                      {"2008-04-01": 0.02, "2009-04-01": 0.05}})
    s = build_state(params, select_councils(["Rutland"]), 0)
    young, old = demography.index(s, 12)
    assert young == 1.0
    assert np.isclose(old, 1.02)
    assert np.isclose(demography.index(s, 24)[1], 1.02 * 1.05)
