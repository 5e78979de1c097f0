"""The published series caresim is validated and calibrated against, each mapped to the model.

Every target row names a published figure (file and row of ``data/published/``), the model
quantity it is compared with, how the two are aligned (a stock on a date, a flow over a
financial year, a count of councils), the status of the figure and its weight in calibration.
Forecasts, figures of uncertain definition and figures whose definition the model does not
reproduce exactly get weight 0: shown, never fitted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import pandas as pd


@dataclass(frozen=True)
class Target:
    """One published figure and the model quantity it is compared with.

    ``model`` is a metric name, or an expression over metrics (``a-b``) for derived quantities;
    ``table`` is ``monthly`` (stock at ``period`` = a month-end date), ``fy`` (financial year),
    ``councils_below`` (number of councils with the metric below ``threshold`` on the date) or
    ``councils_below_mean`` (share of councils below the national value).
    """

    series: str
    period: str
    value: float
    unit: str
    model: str
    table: str
    definition: str
    source_file: str
    status: str
    weight: float
    alignment: str
    threshold: float = 0.0


def _t(series, period, value, unit, model, table, definition, source_file, status, weight,
       alignment, threshold=0.0) -> Target:
    return Target(series, period, value, unit, model, table, definition, source_file, status,
                  weight, alignment, threshold)


TARGETS: tuple[Target, ...] = (
    # PB share on its two definitions
    _t("pb_share_adass", "2009-03-31", 0.08, "fraction", "pb_share_adass", "monthly",
       "ADASS/LGA survey: national average share of eligible users with a PB, March 2009",
       "pb_sds_uptake_share.csv", "verified", 1.0, "stock on the date"),
    _t("pb_share_adass", "2010-03-31", 0.168, "fraction", "pb_share_adass", "monthly",
       "ADASS: 168,000 PBs of ~1 million receiving regular ongoing services",
       "pb_sds_uptake_share.csv", "derived", 1.0, "stock on the date"),
    _t("pb_share_adass", "2010-09-30", 0.24, "fraction", "pb_share_adass", "monthly",
       "ADASS/PPF survey: 'almost one in four' eligible people",
       "pb_sds_uptake_share.csv", "verified", 1.0, "stock on the date"),
    _t("pb_share_adass", "2011-03-31", 0.33, "fraction", "pb_share_adass", "monthly",
       "ADASS survey (132 councils): a third of all people eligible",
       "pb_sds_uptake_share.csv", "verified", 1.0, "stock on the date (1 April 2011)"),
    _t("pb_share_adass", "2012-03-31", 0.528, "fraction", "pb_share_adass", "monthly",
       "ADASS survey: 432,349 PBs", "pb_sds_uptake_share.csv", "verified", 1.0,
       "stock on the date"),
    _t("pb_share_ascof", "2009-10", 0.13, "fraction", "pb_share_ascof", "fy",
       "Demos: '13 per cent of care users have a personal budget' (probably NI 130 2009/10)",
       "pb_sds_uptake_share.csv", "verified (text), definition uncertain", 0.0,
       "over the financial year"),
    _t("pb_share_ascof", "2010-11", 0.29, "fraction", "pb_share_ascof", "fy",
       "ASCOF 1C (NI 130 successor), users of community-based services",
       "pb_sds_uptake_share.csv", "verified", 1.0, "over the financial year"),
    _t("pb_share_ascof", "2011-12", 0.43, "fraction", "pb_share_ascof", "fy",
       "ASCOF 1C, old (RAP) definition", "pb_sds_uptake_share.csv", "verified", 1.0,
       "over the financial year"),
    # numbers with PBs and DPs
    _t("people with PBs", "2009-03-31", 93000, "people", "pb_holders", "monthly",
       "ADASS/LGA survey (148 of 150 councils)", "pb_sds_dp_counts.csv", "verified", 1.0,
       "stock on the date"),
    _t("people with PBs", "2010-03-31", 168000, "people", "pb_holders", "monthly",
       "ADASS survey outturn", "pb_sds_dp_counts.csv", "verified", 1.0, "stock on the date"),
    _t("people with PBs", "2011-03-31", 338000, "people", "pb_holders", "monthly",
       "ADASS survey, 'more than 338,000'", "pb_sds_dp_counts.csv", "verified", 1.0,
       "stock on the date"),
    _t("people with PBs", "2012-03-31", 432349, "people", "pb_holders", "monthly",
       "ADASS survey", "pb_sds_dp_counts.csv", "verified", 1.0, "stock on the date"),
    _t("people with PBs (forecast)", "2010-03-31", 206000, "people", "pb_holders", "monthly",
       "forecast made in May 2009", "pb_sds_dp_counts.csv", "verified (forecast)", 0.0,
       "stock on the date"),
    _t("people with SDS in the year (RAP)", "2010-11", 376000, "people", "pb_share_ascof_num",
       "fy", "derived: 527,000 in 2011-12 was +40% on 2010-11", "pb_sds_dp_counts.csv",
       "derived", 1.0, "anyone with SDS at any time in the year"),
    _t("people with SDS in the year (RAP)", "2011-12", 527000, "people", "pb_share_ascof_num",
       "fy", "RAP provisional, users (not carers)", "pb_sds_dp_counts.csv", "verified", 1.0,
       "anyone with SDS at any time in the year"),
    _t("people with DPs", "2010-11", 125000, "people", "users_dp", "fy",
       "RAP: users receiving a DP in the year (derived; HSCIC flagged data quality)",
       "pb_sds_dp_counts.csv", "derived", 0.0,
       "model: DP holders at the year end (a stock, below a count over the year)"),
    _t("people with DPs", "2011-12", 139000, "people", "users_dp", "fy",
       "RAP provisional: users receiving a DP in the year", "pb_sds_dp_counts.csv", "verified",
       0.0, "model: DP holders at the year end (a stock, below a count over the year)"),
    # clients
    _t("adults receiving services (RAP)", "2008-09", 1782000, "people", "users_served_in_fy",
       "fy", "RAP final, everyone served in the year", "service_users_and_contacts.csv",
       "verified", 1.0, "everyone served at any time in the year"),
    _t("adults receiving services (RAP)", "2009-10", 1690000, "people", "users_served_in_fy",
       "fy", "derived: 2010-11 figure was -7% on 2009-10", "service_users_and_contacts.csv",
       "derived", 1.0, "everyone served at any time in the year"),
    _t("adults receiving services (RAP)", "2010-11", 1570000, "people", "users_served_in_fy",
       "fy", "RAP provisional", "service_users_and_contacts.csv", "verified", 1.0,
       "everyone served at any time in the year"),
    _t("adults receiving services (RAP)", "2011-12", 1500000, "people", "users_served_in_fy",
       "fy", "RAP provisional", "service_users_and_contacts.csv", "verified", 1.0,
       "everyone served at any time in the year"),
    _t("people supported in the community", "2011-03-31", 886939, "people", "users_community",
       "monthly", "ADASS survey denominator (snapshot)", "service_users_and_contacts.csv",
       "verified", 1.0, "stock on the date"),
    _t("people supported in the community", "2012-03-31", 818700, "people", "users_community",
       "monthly", "ADASS survey denominator (snapshot)", "service_users_and_contacts.csv",
       "verified", 1.0, "stock on the date"),
    # contacts and assessments
    _t("contacts from new clients", "2008-09", 2040000, "contacts", "new_requests", "fy",
       "RAP", "service_users_and_contacts.csv", "verified", 1.0, "flow over the year"),
    _t("contacts from new clients", "2009-10", 2120000, "contacts", "new_requests", "fy",
       "RAP", "service_users_and_contacts.csv", "verified", 1.0, "flow over the year"),
    _t("contacts from new clients", "2010-11", 2120000, "contacts", "new_requests", "fy",
       "RAP provisional", "service_users_and_contacts.csv", "verified", 1.0,
       "flow over the year"),
    _t("first assessments of new clients", "2008-09", 693000, "people", "assessments", "fy",
       "RAP: new clients with first assessment completed", "service_users_and_contacts.csv",
       "verified", 1.0, "model: all assessments completed, including people returning"),
    _t("first assessments of new clients", "2009-10", 699000, "people", "assessments", "fy",
       "RAP", "service_users_and_contacts.csv", "verified", 1.0,
       "model: all assessments completed, including people returning"),
    _t("assessments", "2011-12", 612000, "assessments", "assessments", "fy",
       "RAP provisional", "service_users_and_contacts.csv", "verified", 1.0,
       "flow over the year"),
    # money
    _t("gross current expenditure", "2008-09", 16.1e9, "GBP", "spend_gbp", "fy",
       "PSS-EX1 GCE, cash", "asc_expenditure.csv", "verified", 1.0, "flow over the year"),
    _t("gross current expenditure", "2009-10", 16.8e9, "GBP", "spend_gbp", "fy",
       "PSS-EX1 GCE, cash", "asc_expenditure.csv", "verified", 1.0, "flow over the year"),
    _t("gross current expenditure", "2010-11", 17.0e9, "GBP", "spend_gbp", "fy",
       "PSS-EX1 GCE, cash", "asc_expenditure.csv", "verified", 1.0, "flow over the year"),
    _t("gross current expenditure", "2011-12", 17.2e9, "GBP", "spend_gbp", "fy",
       "PSS-EX1 GCE, cash", "asc_expenditure.csv", "verified", 1.0, "flow over the year"),
    _t("net expenditure incl. NHS transfers", "2008-09", 15.09e9, "GBP",
       "spend_gbp-income_charges_gbp", "fy",
       "PSS-EX1 NCE from all sources including NHS transfers, cash", "asc_expenditure.csv",
       "verified", 1.0, "model: gross spend minus client charges"),
    _t("net expenditure incl. NHS transfers", "2009-10", 15.74e9, "GBP",
       "spend_gbp-income_charges_gbp", "fy", "as above", "asc_expenditure.csv", "verified",
       1.0, "model: gross spend minus client charges"),
    _t("net expenditure incl. NHS transfers", "2010-11", 16.08e9, "GBP",
       "spend_gbp-income_charges_gbp", "fy", "as above", "asc_expenditure.csv", "verified",
       1.0, "model: gross spend minus client charges"),
    _t("net expenditure incl. NHS transfers", "2011-12", 15.55e9, "GBP",
       "spend_gbp-income_charges_gbp", "fy", "as above", "asc_expenditure.csv", "verified",
       1.0, "model: gross spend minus client charges"),
    _t("direct payments expenditure", "2008-09", 0.68e9, "GBP", "spend_dp_gbp", "fy",
       "PSS-EX1, 4% of GCE", "asc_expenditure.csv", "verified", 1.0, "flow over the year"),
    # thresholds
    _t("councils at substantial or higher", "2008-09", 0.716, "fraction",
       "share_councils_substantial_plus", "fy", "CQC 2008-09: of 148 councils 3 critical, "
       "103 substantial", "facs_eligibility_thresholds.csv", "verified", 1.0,
       "thresholds in force during the year"),
    _t("councils at substantial or higher", "2009-10", 0.80, "fraction",
       "share_councils_substantial_plus", "fy", "PSSRU: 80% substantial-or-critical",
       "facs_eligibility_thresholds.csv", "verified", 1.0, "thresholds in force during the year"),
    _t("councils at substantial or higher", "2010-11", 0.78, "fraction",
       "share_councils_substantial_plus", "fy", "CQC State of Care 2011/12",
       "facs_eligibility_thresholds.csv", "verified", 1.0, "thresholds in force during the year"),
    _t("councils at substantial or higher", "2011-12", 0.835, "fraction",
       "share_councils_substantial_plus", "fy", "ADASS 82%, CQC 83%, PSSRU 85% (midpoint)",
       "facs_eligibility_thresholds.csv", "verified", 1.0, "thresholds in force during the year"),
    # grant
    _t("Social Care Reform Grant", "2008-09", 84e6, "GBP", "grant_received_gbp", "fy",
       "DH outturn, HC 269 Table 36", "scrg_grant.csv", "verified", 0.0,
       "an input: reproduced by construction"),
    _t("Social Care Reform Grant", "2009-10", 194e6, "GBP", "grant_received_gbp", "fy",
       "DH outturn", "scrg_grant.csv", "verified", 0.0, "an input: reproduced by construction"),
    _t("Social Care Reform Grant", "2010-11", 239e6, "GBP", "grant_received_gbp", "fy",
       "DH outturn", "scrg_grant.csv", "verified", 0.0, "an input: reproduced by construction"),
    _t("Social Care Reform Grant spent", "2008-09 to 2010-11", 517e6, "GBP",
       "grant_spent_gbp", "fy_sum:2008-09:2010-11", "all of the grant spent on transformation",
       "scrg_grant.csv", "verified", 0.0, "model: grant spent over the three years"),
    # savings
    _t("ADASS planned savings", "2011-12", 1.0e9, "GBP", "cashable_savings_gbp", "fy",
       "ADASS budget survey: planned ASC budget reductions (69% efficiency, 23% service cuts)",
       "adass_budget_savings.csv", "verified (plan)", 0.0, "model: realised cashable savings"),
    # spread between councils
    _t("councils below the national average", "2009-03-31", 0.5, "fraction",
       "pb_share_adass", "councils_below_mean", "'the majority of authorities were below this "
       "average' (PPF milestones): more than half", "pb_sds_uptake_share.csv", "verified", 0.0,
       "share of councils whose PB share is below England's (the figure is a lower bound)"),
    _t("councils not expecting 10% by March 2010", "2010-03-31", 20, "councils",
       "pb_share_adass", "councils_below", "'only around 20 authorities' (PPF milestones)",
       "pb_sds_uptake_share.csv", "verified (expectation)", 0.0,
       "councils with a PB share below 10% on the date", 0.10),
)


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
