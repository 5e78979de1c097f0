"""What a PB, a DP, reablement and the grant's uses change (functional tier, issue 16).

Each test runs the small councils once or twice on the same random streams and asserts on
behaviour a wrong branch would break: reablement spend is its episodes' cost, deadweight
episodes are the stated share, deadweight reduces the avoided cost, a cheaper DP lowers DP
spend, and grant money for prevention buys episodes.
"""

from __future__ import annotations

import numpy as np

from caresim.recording import INDEX
from tests.conftest import params_with, run


def total(res, name: str, months: slice = slice(None)) -> float:
    return float(res.monthly[months, :, INDEX[name]].sum())


def test_reablement_spend_is_its_episodes_and_the_deadweight_share_holds(baseline_params):
    res = run(baseline_params)
    r = baseline_params.reablement
    episodes = total(res, "reablement_episodes")
    assert episodes > 0
    np.testing.assert_allclose(total(res, "spend_prevention_gbp"),
                               episodes * r.cost_gbp_per_episode.value, rtol=1e-9)
    np.testing.assert_allclose(total(res, "reablement_episodes_not_eligible") / episodes,
                               r.share_episodes_not_eligible.value, rtol=1e-9)
    assert total(res, "reablement_year_one_avoided_gbp") > 0


def test_deadweight_in_the_comparison_group_lowers_the_avoided_cost(baseline_params):
    more = params_with("baseline", **{"reablement.p_no_package_comparison.value": 0.3})
    a, b = run(baseline_params), run(more)
    first_year = slice(0, 12)  # before any lever responds to the change
    assert total(b, "reablement_year_one_avoided_gbp", first_year) < \
        total(a, "reablement_year_one_avoided_gbp", first_year)
    np.testing.assert_allclose(total(b, "reablement_episodes", first_year),
                               total(a, "reablement_episodes", first_year))


def test_a_cheaper_direct_payment_lowers_dp_spend_and_nothing_else_in_year_one():
    dear = params_with("baseline", **{"personal_budgets.cost_ratio_dp.value": 1.05})
    cheap = params_with("baseline", **{"personal_budgets.cost_ratio_dp.value": 0.9})
    a, b = run(dear), run(cheap)
    first_year = slice(0, 12)
    assert total(b, "spend_dp_gbp", first_year) < total(a, "spend_dp_gbp", first_year)
    for name in ("users_dp", "pb_holders", "service_starts", "reablement_episodes"):
        assert total(b, name, first_year) == total(a, name, first_year), name


def test_grant_money_for_prevention_buys_episodes():
    none = params_with("baseline", **{"grant.use_prevention_share.value": 0.0})
    some = params_with("baseline", **{"grant.use_prevention_share.value": 0.3})
    a, b = run(none), run(some)
    grant_years = slice(0, 36)
    assert total(b, "grant_prevention_gbp", grant_years) > 0 == total(a, "grant_prevention_gbp")
    assert total(b, "reablement_episodes", grant_years) > total(a, "reablement_episodes",
                                                                grant_years)
