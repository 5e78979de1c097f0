"""Analytic special cases (validation tier): the model against results known in closed form."""

from __future__ import annotations

import numpy as np

from caresim.calendar import DAYS_PER_YEAR
from caresim.recording import INDEX
from tests.conftest import NO_RATIONING, params_with, run

COUNCILS = ("Kent",)


def test_closed_population_decays_exponentially(monkeypatch) -> None:
    """No new contacts and constant hazards: the stock in service decays as N0 exp(-h t) in
    each (age, setting) group; we check the total against the mixture, within 4 sd.

    The model starts from the steady state of its flows, which is empty without contacts, so
    the closed population starts from the steady state of the baseline's flows (contacts on)
    with nobody in the pipeline (being assessed, in reablement, in unmet need or independent
    after reablement): only the people in service, who then leave at the hazards."""
    import dataclasses

    from caresim.councils import select_councils
    from caresim.model import flows
    from caresim.model.initial import steady_start
    from caresim.model.inputs import derive_inputs

    h = {
        "hazard_community_18_64": 0.15,
        "hazard_community_65plus": 0.45,
        "hazard_residential_18_64": 0.12,
        "hazard_residential_65plus": 0.5,
    }
    changes = {"reviews.p_need_rise.value": 0.0}
    for key, rate in h.items():
        changes[f"exits.{key}.values"] = {"2008-04-01": rate}
    open_params = params_with("baseline", **changes)
    params = params_with("baseline", **changes, **{"demand.contacts_per_year.value": 0.0})
    codes = select_councils(list(COUNCILS))
    steady_of = flows.steady_state

    def in_service_only(p, inp, date, staff=None):
        full = steady_of(open_params, inp, date, staff)
        empty = np.zeros_like(full.unmet)
        return dataclasses.replace(full, unmet=empty, independent=empty, assessing=empty,
                                   reabling=empty)

    monkeypatch.setattr(flows, "steady_state", in_service_only)
    res = run(params, COUNCILS)
    assert res.monthly[:, :, INDEX["new_requests"]].sum() == 0
    assert res.monthly[:, :, INDEX["service_starts"]].sum() == 0  # closed
    inp, _ = steady_start(params, derive_inputs(params, codes), params.run.start_date)
    n_c, n_r = inp.users_community[0], inp.users_residential[0]
    assert n_c > 1000 and n_r > 1000
    s_c, s_r = inp.share_65_community[0], inp.share_65_residential[0]
    for m in (11, 35, 59):
        t = (res.month_ends[m] - params.run.start_date).days + 1
        years = t / DAYS_PER_YEAR
        p = {k: np.exp(-v * years) for k, v in h.items()}
        groups = [
            (n_c * (1 - s_c), p["hazard_community_18_64"]),
            (n_c * s_c, p["hazard_community_65plus"]),
            (n_r * (1 - s_r), p["hazard_residential_18_64"]),
            (n_r * s_r, p["hazard_residential_65plus"]),
        ]
        mean = sum(n * q for n, q in groups)
        sd = np.sqrt(sum(n * q * (1 - q) for n, q in groups))
        got = (
            res.monthly[m, 0, INDEX["users_community"]]
            + res.monthly[m, 0, INDEX["users_residential"]]
        )
        # age is drawn per person, adding binomial variance to the group sizes
        sd = np.sqrt(
            sd**2
            + n_c
            * s_c
            * (1 - s_c)
            * (p["hazard_community_65plus"] - p["hazard_community_18_64"]) ** 2
            + n_r
            * s_r
            * (1 - s_r)
            * (p["hazard_residential_65plus"] - p["hazard_residential_18_64"]) ** 2
        )
        assert abs(got - mean) < 4 * sd, (m, got, mean, sd)


def test_resolution_at_contact_is_binomial() -> None:
    params = params_with("baseline")
    res = run(params, COUNCILS)
    v = res.monthly[:, 0, :].sum(axis=0)
    # rationing's deflections are counted as resolved at contact (as a return sees them) on
    # top of the binomial resolution
    n = v[INDEX["new_requests"]]
    k = v[INDEX["resolved_at_contact"]] - v[INDEX["rationed_deflected"]]
    p = params.demand.p_resolved_at_contact.value
    assert abs(k - n * p) < 4 * np.sqrt(n * p * (1 - p))


def test_eligible_share_matches_need_mix_at_fixed_threshold() -> None:
    """With the threshold fixed at substantial (no eligibility lever, no rationing: the
    effective cut-off is the published one) and no returns, the share found eligible is
    P(need >= substantial) of the assessed mix."""
    from caresim.councils import select_councils

    code = select_councils(list(COUNCILS))[0]
    params = params_with(
        "baseline",
        **NO_RATIONING,
        **{
            "assessment.p_unmet_return.value": 0.0,
            "finance.levers.eligibility_max_threshold.value": "substantial",
            "council_overrides": {
                code: {"facs_threshold": {"value": "substantial", "source": "test"}}
            },
            "reablement.p_no_package_2yr.value": 0.605,
        },
    )
    # with p_no_package_2yr = p_no_package_after nobody relapses after reablement, and with
    # p_unmet_return = 0 nobody returns: every assessment is a new person from the fixed mix
    res = run(params, COUNCILS)
    v = res.monthly[:, 0, :].sum(axis=0)
    n, k = v[INDEX["assessments"]], v[INDEX["eligible"]]
    mix = params.demand.need_mix_assessed.vector()
    p = mix[2:].sum()
    assert abs(k - n * p) < 4 * np.sqrt(n * p * (1 - p)), (k / n, p)
