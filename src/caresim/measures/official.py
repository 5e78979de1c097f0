"""The official statistics caresim is compared with, each a measure under its own name.

The returns measure different things: RAP (Referrals, Assessments and Packages of care, to
2013-14) counts people served at any time in a year; SALT (from 2014-15) long-term support in
the year and at 31 March; ASCOF 1C changed definition in 2014-15 (RAP flow, then SALT stock);
PSS-EX1 splits spend by line; the ADASS surveys ask councils for a share on a date. Each
measure here says what the return counts, what the model quantity counts, and what the model
leaves out. Where the model lacks the state a definition needs the measure says which state and
is not computed; it names the nearest measure instead. Sources: the definitions summarised in
``data/published/README.md`` and the project's research notes on PB, DP and reablement
(definitions section), with the returns' guidance cited there.
"""

from __future__ import annotations

from caresim.measures.expressions import Metric, Ratio, difference, total
from caresim.measures.measure import Measure

FY = ("financial year",)

_RAP = "RAP (NHS Information Centre, 2000-01 to 2013-14)"
_SALT = "SALT (Short and Long Term support return, NHS Digital, from 2014-15)"
_PSSEX1 = "PSS-EX1 (councils' expenditure return, to 2013-14; ASC-FR from 2014-15)"
_LONG_TERM = ("the model's people with long-term support are those with an ongoing community "
              "package or a care-home placement after an eligibility assessment")

OFFICIAL: tuple[Measure, ...] = (
    Measure(
        "clients_served_rap", "adults receiving services at any time in the year (RAP)",
        "people", FY, Metric("users_served_in_fy"), group="official",
        official=f"{_RAP}: adults receiving services after an assessment at any time in the "
        "financial year: community-based services (including short-term and one-off services "
        "such as equipment and professional support), residential and nursing care; each "
        "person counted once.",
        differs=f"{_LONG_TERM}; it counts everyone holding one at the start of the year plus "
        "everyone starting one in it. It leaves out people whose only service in the year was "
        "short-term or one-off (reablement ending with no package, equipment or short-term "
        "help met without a full assessment): the model keeps no per-person record of those, "
        "so it runs below RAP by their number. A person who leaves services and starts again "
        "in the same year is counted twice."),
    Measure(
        "clients_18_64_share_rap", "share of the adults receiving services in the year who are "
        "aged 18-64 (RAP)", "fraction", FY,
        Ratio(Metric("users_served_in_fy_18_64"), Metric("users_served_in_fy")),
        group="official",
        official=f"{_RAP}: clients aged 18-64 receiving services at any time in the year as a "
        "share of all clients (the published totals by age band, P1 tables).",
        differs="a share of clients_served_rap, with its omissions; age is the band on 1 April "
        "2008 or at the start of service (the model does not age people across the band)."),
    Measure(
        "residential_clients_rap", "adults in residential or nursing care at any time in the "
        "year (RAP)", "people", FY, Metric("residents_served_in_fy"), group="official",
        official=f"{_RAP}: adults receiving council-supported residential care plus those "
        "receiving nursing care during the year (a person in both counts in each).",
        differs="the model has one care-home setting: everyone in one on 1 April plus every "
        "placement in the year; a person placed twice in a year counts twice."),
    Measure(
        "long_term_support_in_year_salt", "people with long-term support at any time in the "
        "year (SALT LTS001a)", "people", FY, Metric("users_served_in_fy"), group="official",
        official=f"{_SALT} table LTS001a: people receiving long-term support (ongoing services "
        "after an assessment of eligibility, subject to review) at any time in the year to 31 "
        "March, each counted once; short-term support (such as reablement) is in the STS "
        "tables and not counted.",
        differs=f"{_LONG_TERM}. A person who leaves long-term support and starts again in the "
        "same year is counted twice (SALT counts once); the return exists from 2014-15 only, "
        "the model gives every year."),
    Measure(
        "long_term_support_at_year_end_salt", "people with long-term support at 31 March "
        "(SALT LTS001b)", "people", FY,
        total(Metric("users_community"), Metric("users_residential")), group="official",
        official=f"{_SALT} table LTS001b: people receiving long-term support on 31 March, "
        "in the community or in residential or nursing care.",
        differs=f"{_LONG_TERM}; stocks at the end of the year's last month. The return exists "
        "from 2014-15 only."),
    Measure(
        "pb_share_ascof_rap", "share of community service users with self-directed support "
        "in the year (ASCOF 1C, old definition)", "fraction", FY, Metric("pb_share_ascof"),
        group="official",
        official="ASCOF 1C as defined 2010-11 to 2013-14 (successor of NI 130), RAP basis: "
        "people receiving community-based services at any time in the year who had "
        "self-directed support (a personal budget or a direct payment) at any time in it, over "
        "all people receiving community-based services in the year; carers counted apart.",
        differs="the denominator holds people with ongoing community support only: RAP's also "
        "holds people with one-off or short-term community services, whom the model does not "
        "track, so the model share runs above the official one by their weight."),
    Measure(
        "pb_share_ascof_salt", "share of people on long-term community support with a personal "
        "budget or direct payment at 31 March (ASCOF 1C(1A))", "fraction", FY,
        Ratio(Metric("pb_holders"), Metric("users_community")), group="official",
        official="ASCOF 1C(1A) from 2014-15 (3D from 2023), SALT basis: clients on direct "
        "payment only, part direct payment or a council-managed personal budget at 31 March, "
        "over all clients receiving long-term community support at 31 March (LTS001b).",
        differs="the model has no part direct payments (a budget is taken wholly as a direct "
        "payment or left managed). The model holds one population with ongoing community "
        "support, so this equals pb_share_adass at the year's 31 March; the real SALT and "
        "ADASS denominators differ. A stock on a date: not comparable with the RAP-based "
        "pb_share_ascof_rap."),
    Measure(
        "dp_share_ascof_salt", "share of people on long-term community support taking a direct "
        "payment at 31 March (ASCOF 1C(2A))", "fraction", FY,
        Ratio(Metric("users_dp"), Metric("users_community")), group="official",
        official="ASCOF 1C(2A) from 2014-15, SALT basis: clients on direct payment only or "
        "part direct payment at 31 March, over all clients receiving long-term community "
        "support at 31 March.",
        differs="the model has no part direct payments: a direct payment here is the whole "
        "personal budget taken as cash."),
    Measure(
        "pb_share_adass", "share of eligible people with ongoing community support who hold a "
        "personal budget or direct payment, on a date (ADASS survey)", "fraction",
        ("month end", "financial year"), Metric("pb_share_adass"), group="official",
        short="PB share (ADASS survey definition)",
        official="ADASS/LGA and Putting People First surveys (2009 to 2012): councils' count of "
        "people with a personal budget or direct payment on the survey date over the eligible "
        "people with ongoing community support on that date.",
        differs="none in kind: both are stocks on a date over people with ongoing community "
        "support. The surveys were answered by most, not all, councils."),
    Measure(
        "sds_users_in_year_rap", "service users with self-directed support at any time in the "
        "year (RAP)", "people", FY, Metric("pb_share_ascof_num"), group="official",
        official=f"{_RAP}, from 2009-10: service users (not carers) receiving self-directed "
        "support (a personal budget or a direct payment) at any time in the year.",
        differs="counts people with ongoing community support who held a personal budget or "
        "direct payment at the start of the year, started with one, or took one up at a "
        "review; a person who leaves and starts again in the year is counted twice."),
    Measure(
        "dp_users_in_year_rap", "service users receiving a direct payment at any time in the "
        "year (RAP P2f)", "people", FY, Metric("dp_users_in_fy"), group="official",
        official=f"{_RAP} table P2f: adults receiving a direct payment at any time in the year "
        "(from 2009-10 including personal budgets taken as direct payments).",
        differs="counts people with ongoing community support who held a direct payment on 1 "
        "April plus every direct payment taken up in the year (at a service start or a "
        "review); a person who leaves and takes a direct payment again in the same year is "
        "counted twice. RAP also counts carers' direct payments apart and one-off direct "
        "payments, which the model does not hold."),
    Measure(
        "requests_new_clients", "contacts from new clients (RAP)", "contacts", FY,
        Metric("new_requests"), group="official",
        official=f"{_RAP}: contacts (requests for support) from new clients, that is people "
        "not receiving services at the time; a person contacting twice counts twice.",
        differs="counts contacts arising from the population; people assessed as not eligible "
        "who come back with raised needs (returns_unmet) go straight to the assessment queue "
        "and are not in it, so the model may run below RAP by up to returns_unmet."),
    Measure(
        "first_assessments_new_clients", "new clients whose first assessment was completed in "
        "the year (RAP)", "people", FY, None, group="official",
        official=f"{_RAP}: new clients (not receiving services when they asked) with a first "
        "assessment completed in the year.",
        missing="a flag on each completed assessment saying whether the person is new or "
        "returning (from the unmet-need pool, or reassessed after their needs rose); "
        "`assessments` counts all of them together.",
        nearest="assessments (all assessments completed, including people returning: above "
        "the official count)."),
    Measure(
        "gross_current_expenditure_gbp", "gross current expenditure on adult social care "
        "(PSS-EX1 GCE)", "GBP", FY, difference(Metric("spend_gbp"), Metric("income_nhs_gbp")),
        group="official",
        official=f"{_PSSEX1}: total expenditure excluding capital charges, less all income "
        "except client contributions (so NHS and other income is taken off, client charges "
        "are not); cash.",
        differs="the model's only income besides client charges is NHS transfers (including "
        "NHS reablement money), so this is gross spend minus NHS transfers; it has no capital "
        "charges and no other income (joint arrangements before 2010-11 are not modelled)."),
    Measure(
        "net_current_expenditure_gbp", "net current expenditure including NHS transfers "
        "(PSS-EX1 NCE)", "GBP", FY,
        difference(Metric("spend_gbp"), Metric("income_charges_gbp")), group="official",
        official=f"{_PSSEX1}, NCE from all sources including NHS transfers (HSCIC PSS-EX1 "
        "2012-13 Annex C): expenditure net of client contributions, counting the spend funded "
        "by NHS transfers; cash.",
        differs="gross spend minus client charges. Not `net_spend_gbp`, which also takes off "
        "NHS transfers."),
    Measure(
        "spend_share_residential_nursing_pssex1", "share of gross spend on residential and "
        "nursing care (PSS-EX1 lines)", "fraction", FY,
        Ratio(Metric("spend_residential_gbp"), Metric("spend_gbp")), group="official",
        official=f"{_PSSEX1}: expenditure on residential care and nursing care (the two lines "
        "together) as a share of the total.",
        differs="a share of the model's gross spend (PSS-EX1 shares are usually of GCE, net of "
        "income the model cannot split by line)."),
    Measure(
        "spend_share_community_pssex1", "share of gross spend on community services (PSS-EX1 "
        "lines)", "fraction", FY,
        Ratio(total(Metric("spend_arranged_gbp"), Metric("spend_pb_managed_gbp"),
                    Metric("spend_dp_gbp"), Metric("spend_prevention_gbp")), Metric("spend_gbp")),
        group="official",
        official=f"{_PSSEX1}: expenditure on day and domiciliary care, direct payments and "
        "other community services as a share of the total.",
        differs="a share of the model's gross spend; reablement (spend_prevention_gbp) is "
        "counted as community, as PSS-EX1 books home care; the model has no day care, meals or "
        "equipment lines apart from packages."),
    Measure(
        "spend_share_assessment_care_management_pssex1", "share of gross spend on assessment "
        "and care management (PSS-EX1 line)", "fraction", FY,
        Ratio(total(Metric("spend_assessment_staff_gbp"), Metric("spend_review_staff_gbp")),
              Metric("spend_gbp")), group="official",
        official=f"{_PSSEX1}: expenditure on assessment and care management as a share of "
        "the total.",
        differs="a share of the model's gross spend: assessment and review staff only. "
        "Transformation spend (spend_transformation_gbp, PSS-EX1's service strategy) is in "
        "none of the three line shares, so they sum to less than one."),
)
"""The official definitions, in the order the issue lists them."""
