"""Per-council inputs derived from the council data and the scenario.

Where the council data has no column for what the model needs, a rule fills it; each rule is
marked as an assumption here and in ``docs/data.md``:

* **Demand share** (contacts): a weighted mean (``demand.share_weights``, equal weights) of the
  council's share of England's population (mid-2009) and its share of completed assessments of
  people 65+ in 2009-10 (PSS EX1 A3.6).
* **Community users at the start**: England's total split by each council's share of home care
  plus direct payment clients at 31 March 2010 (A4.17 + A4.20); a missing count is imputed from
  the council's population at the England rate of the councils reporting it.
* **Care-home residents at the start**: England's total split by residents 65+ (B1) plus 18-64
  (B2-B4) at 31 March 2010, imputed from population where missing.
* **65+ shares**: the council's own ratios where reported, else the England default.
* **Starting readiness and PB share**: every council starts at the national means
  (``transformation.readiness_start_mean``, ``population.pb_share_start``). Council-level
  evidence from before April 2008 (DP counts per council for 2007/08) was not found; the
  31 March 2010 DP/PB counts (A4.20) are an outcome of the period modelled and are never used
  as an input. Councils differ from the start only through their transformation speeds.
* **FACS threshold in April 2008**: the CQC 2008-09 mix (3 low, 39 moderate, 103 substantial,
  3 critical of 148) given out by a fixed rule: councils ranked by a stable hash of their GSS
  code take thresholds in that order in proportion to the mix. The council data has no
  per-council thresholds; a council's own can be set in ``council_overrides``.
* **Grant share** (``needs_proxy``): a weighted mean (``grant.needs_proxy_weights``, equal
  weights) of the population share and the share of community plus residential clients. The
  real per-council allocations (LAC(DH)(2008)1 Annex A) were searched for (December 2026) and
  not found, so the proxy stays; a council that has its allocation can set its share in
  ``council_overrides.<council>.grant_share``, with its source.
* **A council's own plan**: a finance director's own net budget path and planned savings by
  lever and year (``council_overrides.<council>.net_budget_gbp`` and ``planned_savings_gbp``,
  :mod:`caresim.model.own_plan`) replace the modelled budget in their years and the model's
  allocation of savings to levers; nothing of a council's own is assumed without them.
* **Reserves** (issue 15): every council holds the national ratio of reserves to its net
  budget (``finance.reserves.opening_ratio_to_net_budget``, derived from the Audit Commission's
  2012 totals) and the same floor as a share of them; the per-council split (DCLG Revenue
  Account returns) is not in the data. A council's own can be set in ``council_overrides``
  (``opening_reserves_gbp``, ``reserves_floor_gbp``).

Every share is computed over all 152 councils, whichever councils a run selects, so a council's
inputs never depend on the selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from caresim.councils import load_councils
from caresim.model import own_plan
from caresim.params.vocabulary import NEED_BANDS
from caresim.streams import stable_hash

if TYPE_CHECKING:
    from caresim.params.schema import Scenario


@dataclass(frozen=True)
class CouncilInputs:
    """Arrays indexed by the model's council index (the selected councils, in data order).

    Attributes are numpy arrays of length ``n`` unless stated; units in the names.
    """

    codes: list[str]
    names: list[str]
    demand_share: np.ndarray
    users_community: np.ndarray
    users_residential: np.ndarray
    share_65_community: np.ndarray
    share_65_residential: np.ndarray
    threshold: np.ndarray  # need band index: eligible if need >= threshold
    grant_share: np.ndarray
    pb_share_start: np.ndarray
    readiness_start: np.ndarray
    opening_budget_gbp: np.ndarray  # NaN where the model derives it
    assessment_fte: np.ndarray  # NaN where the model derives it
    review_fte: np.ndarray  # NaN where the model derives it
    opening_reserves_gbp: np.ndarray  # NaN where the model derives it
    reserves_floor_gbp: np.ndarray  # NaN where the model derives it
    budget_path: dict[str, np.ndarray] = dataclass_field(default_factory=dict)
    """A council's own net budget by financial year (GBP/year, NaN where modelled)."""
    planned_savings: dict[str, dict[str, np.ndarray]] = dataclass_field(default_factory=dict)
    """A council's own planned savings by financial year and lever (GBP, NaN without)."""

    @property
    def n(self) -> int:
        """Number of councils."""
        return len(self.codes)


def _share(x: pd.Series) -> pd.Series:
    return x / x.sum()


def _impute_from_population(count: pd.Series, pop: pd.Series) -> pd.Series:
    ok = count.notna()
    rate = count[ok].sum() / pop[ok].sum()
    return count.where(ok, pop * rate)


def threshold_rule(codes: list[str], mix: np.ndarray) -> np.ndarray:
    """FACS threshold band index for each council by the stable-hash rule (see module doc)."""
    order = np.argsort([stable_hash(f"facs:{c}") for c in codes], kind="stable")
    cum = np.cumsum(mix) * len(codes)
    rank_band = np.searchsorted(np.round(cum), np.arange(len(codes)), side="right")
    out = np.empty(len(codes), dtype=np.int8)
    out[order] = np.minimum(rank_band, len(mix) - 1)
    return out


def derive_inputs(params: Scenario, selected: list[str]) -> CouncilInputs:
    """Council inputs for the councils ``selected`` (GSS codes), derived from all 152."""
    df = load_councils()
    pop = df["pop_total_2009"].astype(float)
    pop_share = _share(pop)
    assess = _impute_from_population(df["assessments_completed_65plus_2009_10"], pop)
    w_pop, w_assess = params.demand.share_weights.vector()
    demand_share = w_pop * pop_share + w_assess * _share(assess)

    home = _impute_from_population(df["clients_home_care_all_ages_31mar2010"], pop)
    dp = _impute_from_population(df["clients_direct_payments_all_ages_31mar2010"], pop)
    community = home + dp
    res65 = _impute_from_population(df["clients_res_nursing_65plus_31mar2010"], pop)
    res_young = _impute_from_population(df["clients_res_nursing_18_64_pd_mh_ld_31mar2010"], pop)
    residential = res65 + res_young

    p = params.population
    share65_c = (
        df["clients_home_care_65plus_31mar2010"] / df["clients_home_care_all_ages_31mar2010"]
    ).fillna(p.share_65plus_community_default.value)
    share65_r = (
        df["clients_res_nursing_65plus_31mar2010"]
        / (
            df["clients_res_nursing_65plus_31mar2010"]
            + df["clients_res_nursing_18_64_pd_mh_ld_31mar2010"]
        )
    ).fillna(p.share_65plus_residential_default.value)

    codes_all = df["code"].tolist()
    mix = params.assessment.threshold_mix_2008.vector()
    threshold = pd.Series(threshold_rule(codes_all, mix), index=df.index)

    client_share = _share(community + residential)
    if params.grant.allocation_rule.value == "population":
        grant_share = pop_share
    else:
        w_pop, w_clients = params.grant.needs_proxy_weights.vector()
        grant_share = w_pop * pop_share + w_clients * client_share

    pb0 = pd.Series(p.pb_share_start.value, index=df.index)
    r0 = pd.Series(params.transformation.readiness_start_mean.value, index=df.index)

    idx = df.index[df["code"].isin(selected)]
    sub = df.loc[idx]

    def arr(series: pd.Series) -> np.ndarray:
        return series.loc[idx].to_numpy(dtype=float).copy()

    out = {
        "demand_share": arr(demand_share),
        "users_community": arr(_share(community)) * p.users_community.value,
        "users_residential": arr(_share(residential)) * p.users_residential.value,
        "share_65_community": arr(share65_c),
        "share_65_residential": arr(share65_r),
        "threshold": threshold.loc[idx].to_numpy(dtype=np.int8).copy(),
        "grant_share": arr(grant_share),
        "pb_share_start": arr(pb0),
        "readiness_start": arr(r0),
        "opening_budget_gbp": np.full(len(idx), np.nan),
        "assessment_fte": np.full(len(idx), np.nan),
        "review_fte": np.full(len(idx), np.nan),
        "opening_reserves_gbp": np.full(len(idx), np.nan),
        "reserves_floor_gbp": np.full(len(idx), np.nan),
    }
    codes = sub["code"].tolist()
    for i, code in enumerate(codes):
        o = params.council_overrides.get(code)
        if o is None:
            continue
        for field, key in (
            ("users_community", "users_community"),
            ("users_residential", "users_residential"),
            ("pb_share_start", "pb_share_start"),
            ("grant_share", "grant_share"),
            ("opening_budget_gbp", "opening_budget_gbp"),
            ("assessment_fte", "assessment_fte"),
            ("review_fte", "review_fte"),
            ("readiness_start", "readiness_start"),
            ("opening_reserves_gbp", "opening_reserves_gbp"),
            ("reserves_floor_gbp", "reserves_floor_gbp"),
        ):
            q = getattr(o, field)
            if q is not None:
                out[key][i] = q.value
        if o.facs_threshold is not None:
            out["threshold"][i] = NEED_BANDS.index(o.facs_threshold.value)
    return CouncilInputs(codes=codes, names=sub["name"].tolist(), **out,
                         budget_path=own_plan.budget_paths(params, codes),
                         planned_savings=own_plan.planned_savings(params, codes))
