"""Conservation of people and money (functional tier)."""

from __future__ import annotations

import numpy as np
import pytest

from caresim.councils import select_councils
from caresim.model.inputs import derive_inputs
from caresim.recording import INDEX
from tests.conftest import SMALL_COUNCILS, run


def test_people_conserved_per_council_per_month(baseline_params) -> None:
    """Starts minus exits equals the change in the stock, per council and month, exactly."""
    res = run(baseline_params)
    v = res.monthly
    stock = v[:, :, INDEX["users_community"]] + v[:, :, INDEX["users_residential"]]
    inp = derive_inputs(baseline_params, select_councils(list(SMALL_COUNCILS)))
    start = np.rint(inp.users_community) + np.rint(inp.users_residential)
    previous = np.vstack([start, stock[:-1]])
    flows = v[:, :, INDEX["service_starts"]] - v[:, :, INDEX["exits"]]
    np.testing.assert_array_equal(stock - previous, flows)


def test_modes_partition_community_users(baseline_params) -> None:
    v = run(baseline_params).monthly
    parts = (v[:, :, INDEX["users_arranged"]] + v[:, :, INDEX["users_pb_managed"]]
             + v[:, :, INDEX["users_dp"]])
    np.testing.assert_array_equal(parts, v[:, :, INDEX["users_community"]])


def test_assessment_pipeline_conserved(baseline_params) -> None:
    """Everyone who joins the queue starts an assessment, gives up, or is still waiting when
    the run ends (only possible for requests in its last max_wait_days); every completed
    assessment is eligible or not."""
    res = run(baseline_params)
    v = res.monthly.sum(axis=(0, 1))
    requests = v[INDEX["assessment_requests"]]
    accounted = v[INDEX["assessments_started"]] + v[INDEX["reneged"]]
    months = int(np.ceil(baseline_params.assessment.max_wait_days.value / 28)) + 1
    recent = res.monthly[-months:, :, INDEX["assessment_requests"]].sum()
    assert accounted <= requests
    assert requests - accounted <= recent
    assert v[INDEX["assessments"]] == v[INDEX["eligible"]] + v[INDEX["ineligible"]]
    assert v[INDEX["assessments"]] <= v[INDEX["assessments_started"]]


def test_exit_causes_partition_exits(baseline_params) -> None:
    v = run(baseline_params).monthly
    causes = (v[:, :, INDEX["exits_death"]] + v[:, :, INDEX["exits_nhs_or_self_funded"]]
              + v[:, :, INDEX["exits_recovery"]])
    np.testing.assert_array_equal(causes, v[:, :, INDEX["exits"]])
    assert v[:, :, INDEX["exits_death"]].sum() > v[:, :, INDEX["exits_recovery"]].sum()


@pytest.fixture(scope="module")
def ledger(baseline_params):
    return run(baseline_params).ledger


def test_ledger_balances_to_the_penny(ledger) -> None:
    for row in ledger:
        spend = sum(row[k] for k in ("spend_residential_gbp", "spend_arranged_gbp",
                                     "spend_pb_managed_gbp", "spend_dp_gbp",
                                     "spend_assessment_staff_gbp", "spend_review_staff_gbp",
                                     "spend_transformation_gbp", "spend_prevention_gbp",
                                     "spend_pb_process_gbp"))
        np.testing.assert_allclose(spend, row["spend_total_gbp"], rtol=0, atol=0.01)
        closing = (row["opening_budget_gbp"] + row["income_charges_gbp"] + row["income_nhs_gbp"]
                   + row["grant_received_gbp"] - row["spend_total_gbp"]
                   - (row["ring_fenced_closing_gbp"] - row["ring_fenced_opening_gbp"]))
        np.testing.assert_allclose(closing, row["closing_position_gbp"], rtol=0, atol=0.01)


def test_grant_conserved_and_never_overspent(ledger) -> None:
    """Grant received = spent + diverted + change in the ring-fenced balance; spent never
    exceeds what was received plus the opening balance."""
    for row in ledger:
        change = row["ring_fenced_closing_gbp"] - row["ring_fenced_opening_gbp"]
        np.testing.assert_allclose(row["grant_received_gbp"],
                                   row["grant_spent_gbp"] + row["grant_diverted_gbp"] + change,
                                   rtol=0, atol=0.01)
        assert np.all(row["grant_spent_gbp"] <= row["grant_received_gbp"]
                      + row["ring_fenced_opening_gbp"] + 0.01)
        assert np.all(row["ring_fenced_closing_gbp"] >= -0.01)


def test_grant_received_matches_tranches(baseline_params, ledger) -> None:
    """Councils receive their needs-proxy share of each national tranche in full."""
    inp = derive_inputs(baseline_params, select_councils(list(SMALL_COUNCILS)))
    for row in ledger:
        year = int(row["fy"][:4])
        import datetime as dt

        tranche = baseline_params.grant.tranches_gbp.at(dt.date(year, 4, 1))
        np.testing.assert_allclose(row["grant_received_gbp"], tranche * inp.grant_share,
                                   rtol=1e-12)


def test_savings_shortfall_is_requirement_less_savings(ledger) -> None:
    for row in ledger:
        expected = np.maximum(row["savings_requirement_gbp"] - row["savings_total_gbp"], 0)
        np.testing.assert_allclose(row["savings_shortfall_gbp"], expected, atol=0.01)
        assert np.all(row["savings_requirement_gbp"] >= 0)
