"""The budget ledger closes under every lever and every grant regime.

For each lever acting alone (the others capped at nothing), and for the grant ring-fenced, never
ring-fenced and extended, every council's ledger row of every year satisfies the documented
identities: the closing position, the savings total and shortfall, the grant's own accounting
(opening balance + received = spent + diverted + closing balance) and the carry of the
ring-fenced balance from one year to the next.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from caresim.params.vocabulary import LEVERS
from tests.conftest import params_with, run

COUNCILS = ("Rutland", "Hartlepool")
END = dt.date(2013, 3, 31)
CAPS = {"procurement": "finance.levers.procurement_max_share.value",
        "package_reductions": "finance.levers.package_cut_share_of_reviews.value",
        "staff_cuts": "finance.levers.staff_cut_max_share.value"}
OFF = {"procurement": 0.0, "package_reductions": 0.0, "staff_cuts": 0.0}


def alone(lever: str) -> dict:
    """Changes that put ``lever`` first and switch every other capped lever off."""
    changes: dict = {"run.end_date": END,
                     "finance.levers.order.value": [lever, *[x for x in LEVERS if x != lever]]}
    for other, path in CAPS.items():
        if other != lever:
            changes[path] = OFF[other]
    if lever != "eligibility":  # no council's threshold is below "low": the lever cannot act
        changes["finance.levers.eligibility_max_threshold.value"] = "low"
    return changes


def check_ledger(ledger: list[dict]) -> None:
    """Every identity of every council row (arrays over councils)."""
    for year, row in enumerate(ledger):
        np.testing.assert_allclose(
            row["closing_position_gbp"],
            row["opening_budget_gbp"] + row["income_charges_gbp"] + row["income_nhs_gbp"]
            + row["grant_received_gbp"] - row["spend_total_gbp"]
            - (row["ring_fenced_closing_gbp"] - row["ring_fenced_opening_gbp"]), rtol=1e-12)
        levers = sum(row[f"savings_{lever}_gbp"] for lever in LEVERS)
        np.testing.assert_allclose(row["savings_total_gbp"], levers, rtol=1e-12)
        np.testing.assert_allclose(
            row["savings_shortfall_gbp"],
            np.maximum(row["savings_requirement_gbp"] - row["savings_total_gbp"], 0.0))
        np.testing.assert_allclose(
            row["ring_fenced_opening_gbp"] + row["grant_received_gbp"],
            row["grant_spent_gbp"] + row["grant_diverted_gbp"] + row["ring_fenced_closing_gbp"],
            rtol=1e-9, atol=1e-2)
        spend = sum(row[k] for k in row if k.startswith("spend_") and k != "spend_total_gbp")
        np.testing.assert_allclose(row["spend_total_gbp"], spend, rtol=1e-9)
        if year:
            np.testing.assert_array_equal(row["ring_fenced_opening_gbp"],
                                          ledger[year - 1]["ring_fenced_closing_gbp"])


@pytest.mark.parametrize("lever", LEVERS)
def test_ledger_closes_with_each_lever_alone(lever: str) -> None:
    res = run(params_with("deep_austerity", **alone(lever)), COUNCILS)
    check_ledger(res.ledger)
    saved = {x: sum(row[f"savings_{x}_gbp"].sum() for row in res.ledger) for x in LEVERS}
    for other in CAPS:
        if other != lever:
            assert saved[other] == 0.0, (lever, other)
    if lever in CAPS or lever == "eligibility":
        assert saved[lever] > 0.0, f"{lever} never acted, so the test shows nothing"


@pytest.mark.parametrize("changes", [
    {},  # ring-fenced to April 2011
    {"grant.ring_fenced_until.value": None},  # never ring-fenced: a share diverted
    {"grant.ring_fenced_until.value": dt.date(2009, 10, 1)},  # ends mid-year: balance released
], ids=["ring-fenced", "never-ring-fenced", "ends-mid-year"])
def test_ledger_closes_under_each_grant_regime(changes: dict) -> None:
    res = run(params_with("baseline", **{"run.end_date": END, **changes}), COUNCILS)
    check_ledger(res.ledger)
    received = sum(row["grant_received_gbp"].sum() for row in res.ledger)
    diverted = [row["grant_diverted_gbp"] for row in res.ledger]
    assert received > 0
    if changes:
        assert sum(d.sum() for d in diverted) > 0
    else:  # nothing diverted while ring-fenced; in 2011-12 (no tranche) the balance is released
        assert not any(d.any() for d in diverted[:3])
        assert res.ledger[2]["ring_fenced_closing_gbp"].sum() > 0
        np.testing.assert_array_equal(diverted[3], res.ledger[3]["ring_fenced_opening_gbp"])
