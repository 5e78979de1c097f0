"""Reference ("oracle") implementation of caresim: one simpy process per person.

The yardstick for the engine's speed and the oracle for its statistics (ENGINE.md, DESIGN §2):
the same model, written for clarity rather than speed. Everyone who asks for an assessment is a
simpy process that lives, one event at a time, through contact, the assessment queue (with
patience), eligibility, the unmet-need pool and its returns, reablement, service start and the
yearly reviews until the exit drawn from their hazard. The assessment and review teams of each
council are :class:`simpy.Resource` s whose capacities are the engine's server counts
(:func:`caresim.model.assessment.servers_for`, :func:`caresim.model.reviews.review_servers`),
re-set whenever finance changes the FTE (each April).

Everything that is council-level is the engine's own code, run on the engine's
:class:`~caresim.model.state.ModelState` (:func:`caresim.model.model.build_state`): the
calendar and the financial year (``model.open_year``, ``close_year``, ``finance.month_end``), grant,
reablement places, readiness, demand growth, package price means, offer probability, exit
hazards and the recorder. A month-start process runs them at each boundary in the engine's
order. The per-person logic is written here, plainly, and draws from its *own* generator
(seeded per replication), so the oracle agrees with the engine statistically, not draw for
draw. Council-level random draws (transformation speeds) come from the engine's streams of
replication ``REPLICATION_OFFSET + replication``, independent of the engine's replication.

Simplifications (none changes what the tests compare):

* package spend is integrated per council and spend line from the annual cost in force,
  updated at every change; the same integral as the engine's per-person accrual;
* ``model.open_year`` is handed the people in service as a
  :class:`~caresim.model.population.Population` built for the call (costs read back after
  uprating and procurement cuts); ``finance.month_end`` runs on an empty population after the
  oracle's own package spend has been booked;
* prevention savings records are pushed to the engine's shadow buffer at the month end and
  summed by ``prevention.accrue_shadow``;
* exit causes are not drawn (the engine draws none either).

Where the engine's monthly batches can only approximate the model as described, the oracle
does what the description says, one event at a time: a person who leaves before their review
starts (before it falls due, or while queueing) takes no reviewer's time, while a review under
way when its person leaves keeps its slot to the end ("every review occupies a slot"); a
change in a team's size applies from that moment to everyone still waiting; flows are counted
when they happen (an assessment started, and its wait, in the month it starts; giving up, when
the person gives up) and stocks from where people are at the month end (unmet need: in the
pool; the assessment queue: waiting for or having an assessment, as in the engine).

Recorded, into the engine's :class:`~caresim.recording.Recorder` under the engine's metric
names, so that :func:`fy_statistics` reads both the same way: every count the comparison uses.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import simpy

from caresim.calendar import DAYS_PER_YEAR
from caresim.model import finance, personal_budgets, prevention, services, transformation
from caresim.model.assessment import servers_for
from caresim.model.costs import SPEND_LINES, mean_cost
from caresim.model.demand import growth_index
from caresim.model.demography import contact_mix
from caresim.model.demography import index as demography_index
from caresim.model.flows import relapse_hazard_per_year, whole_counts
from caresim.model.initial import starting_modes
from caresim.model.kernels import MonthEnd
from caresim.model.levers import LEVER_METRICS
from caresim.model.model import (
    ReplicationResult,
    begin_month,
    build_state,
    close_year,
    open_year,
    record_stocks,
)
from caresim.model.population import (
    ARRANGED,
    COMMUNITY,
    DIRECT_PAYMENT,
    MANAGED_PB,
    RESIDENTIAL,
    Population,
)
from caresim.model.reviews import review_servers
from caresim.params.schema import Scenario
from caresim.recording import INDEX

REPLICATION_OFFSET = 1_000_000
"""Council-level streams of the oracle's replication ``r`` are the engine's of this + ``r``."""


@dataclass(eq=False, slots=True)
class Person:
    """One person, from their request for an assessment to leaving services."""

    council: int
    age: int                    # 0: 18-64, 1: 65+
    need: int                   # 0 low .. 3 critical
    setting: int = COMMUNITY
    mode: int = ARRANGED
    cost: float = 0.0           # annual package cost, GBP/year
    t_review: float = np.inf    # next review due, clock days
    t_exit: float = np.inf      # exit time, clock days
    reabled: bool = False

    @property
    def line(self) -> int:
        """Spend line: 0 residential, 1 council-arranged, 2 managed PB, 3 direct payment."""
        return 0 if self.setting == RESIDENTIAL else 1 + self.mode


class Staff(simpy.Resource):
    """A team of servers whose number can change (FTE set by finance each April).

    A busy server that is removed finishes its work; added servers take waiting people at once.
    """

    def __init__(self, env: simpy.Environment, servers: int) -> None:
        super().__init__(env, capacity=1)
        self.set_servers(servers)

    def set_servers(self, servers: int) -> None:
        """Set the number of servers (0 allowed: nobody is served)."""
        self._capacity = int(servers)
        while self.queue and len(self.users) < self._capacity:
            self._trigger_put(None)


class Reference:
    """One replication of the per-person model for the councils ``codes``.

    Parameters
    ----------
    params : Scenario
        The resolved scenario.
    codes : list of str
        GSS codes of the councils to simulate (data order).
    replication : int
        Replication number; seeds the oracle's own generator (and its council-level streams).
    """

    def __init__(self, params: Scenario, codes: list[str], replication: int) -> None:
        self.s = s = build_state(params, codes, REPLICATION_OFFSET + replication)
        s.pop = Population(16)                # the engine's April 2008 people are not used
        self.env = simpy.Environment()
        self.rng = np.random.default_rng([params.run.seed, replication, 0x0AC1E])
        self.month_days = [s.cal.day(d) for d in s.cal.month_starts()]
        n = s.n
        self.assessors = [Staff(self.env, k) for k in servers_for(s, s.assessment.fte)]
        self.reviewers = [Staff(self.env, k) for k in review_servers(s, s.reviews.fte)]
        self.people: set[Person] = set()      # in service
        self.in_force = np.zeros((n, 4))      # annual cost in force by council and spend line
        self.users = np.zeros((n, 4), dtype=np.int64)
        self.spend = np.zeros((n, 4))         # package spend accrued this month
        self.accrued_to = np.zeros(n)
        self.unmet = np.zeros(n)              # people in the unmet-need pool
        self.waiting = np.zeros(n)            # people waiting for or having an assessment
        self.shadow: list[tuple[float, float, int, float]] = []
        self.grant_spent = np.zeros(n)
        self.need_cum = list(np.cumsum(params.demand.need_mix_assessed.vector()))
        self.p_home = s.services.p_residential.tolist()  # [age band][need band]
        self.price_list()

    # ---- bookkeeping ---------------------------------------------------------------------

    def count(self, name: str, c: int, amount: float = 1.0) -> None:
        """Add to this month's value of a recorded flow for council ``c``."""
        self.s.rec.values[self.s.rec.month, c, INDEX[name]] += amount

    def book(self, p: Person, sign: int) -> None:
        """Put a person's package into (+1) or out of (-1) the council's costs in force."""
        c = p.council
        self.spend[c] += self.in_force[c] * (self.env.now - self.accrued_to[c]) / DAYS_PER_YEAR
        self.accrued_to[c] = self.env.now
        self.in_force[c, p.line] += sign * p.cost
        self.users[c, p.line] += sign

    def recount(self) -> None:
        """Costs in force and people by line, counted afresh from everyone in service."""
        self.in_force[:] = 0.0
        self.users[:] = 0
        for p in self.people:
            self.in_force[p.council, p.line] += p.cost
            self.users[p.council, p.line] += 1

    # ---- per-person draws (own generator; council-level rules shared) ----------------------

    def price_list(self) -> None:
        """The engine's mean package costs by council, age, need and setting, at this year's
        prices (the price index changes only in ``finance.start_year``)."""
        grid = np.indices((self.s.n, 2, 4, 2)).reshape(4, -1)
        self.mean_costs = mean_cost(self.s, *grid).reshape(self.s.n, 2, 4, 2).tolist()

    def mean_cost(self, p: Person, setting: int) -> float:
        """Mean annual package cost (GBP/year) for this person in ``setting``."""
        return self.mean_costs[p.council][p.age][p.need][setting]

    def draw_cost(self, p: Person, setting: int) -> float:
        """A lognormal package cost around the mean, coefficient of variation ``cost_cv``."""
        cv = self.s.p.services.cost_cv.value
        sigma2 = np.log1p(cv * cv)
        z = self.rng.standard_normal()
        return self.mean_cost(p, setting) * float(np.exp(np.sqrt(sigma2) * z - sigma2 / 2))

    def exit_time(self, p: Person) -> float:
        """Exit time after now from the (age, setting) hazard, by inverting H(t)."""
        hz = self.s.exits.hazards[(p.age, p.setting)]
        return float(hz.draw_times(np.array([self.env.now]),
                                   np.array([self.rng.standard_exponential()]))[0])

    def choose_mode(self, p: Person) -> int:
        """PB offer and mode for a community user without a PB (either rollout mode of
        :mod:`caresim.model.personal_budgets`); a PB taken changes the package cost."""
        s, sv, pb, c = self.s, self.s.p.services, self.s.p.personal_budgets, p.council
        self.count("pb_offer_opportunities", c)
        offer = services.offer_probability(s, np.array([c]), np.array([self.env.now]))[0]
        offered = self.rng.random() < offer
        if offered:
            self.count("pb_offers", c)
        if pb.rollout_mode.value == "acceptance":
            if not offered or self.rng.random() >= sv.p_accept_pb.value:
                return ARRANGED
            p_dp = sv.p_dp_18_64.value if p.age == 0 else sv.p_dp_65plus.value
            mode = DIRECT_PAYMENT if self.rng.random() < p_dp else MANAGED_PB
        else:
            p_dp = pb.dp_request_18_64.value if p.age == 0 else pb.dp_request_65plus.value
            if self.rng.random() < p_dp:
                mode = DIRECT_PAYMENT
            elif offered and self.rng.random() < sv.p_accept_pb.value:
                mode = MANAGED_PB
            else:
                return ARRANGED
        self.count("pb_take_ups", c)
        p.cost *= personal_budgets.take_up(s, np.array([c]), np.array([mode], np.int8))[0]
        return mode

    # ---- the processes of one person --------------------------------------------------------

    def seek_support(self, p: Person, assessed_at: float | None = None,
                     reabled: tuple[float, float] | None = None
                     ) -> Generator[simpy.Event, object, None]:
        """From a request for assessment to services, or to leaving unmet (returns loop).

        A person in the middle of an assessment on day 0 completes it at ``assessed_at``; one
        in the middle of reablement ends it at ``reabled[0]``, assessed for a package of
        ``reabled[1]`` GBP/year (the flows' steady state, :func:`caresim.model.flows.seed_pools`).
        """
        s, a, r = self.s, self.s.p.assessment, self.s.p.reablement
        env, c = self.env, p.council
        while True:
            if reabled is None:
                if assessed_at is not None:                 # already being assessed on day 0
                    self.waiting[c] += 1
                    yield env.timeout(assessed_at - env.now)
                    self.waiting[c] -= 1                    # assessed
                    assessed_at = None
                else:
                    self.count("assessment_requests", c)
                    asked = env.now
                    self.waiting[c] += 1
                    with self.assessors[c].request() as req:
                        got = yield req | env.timeout(a.max_wait_days.value)
                        served = req in got
                        if served:
                            self.count("assessments_started", c)
                            self.count("assessment_wait_days", c, env.now - asked)
                            yield env.timeout(a.dur_assessment_days.value)
                        self.waiting[c] -= 1  # assessed, or gave up
                    if not served:                          # gave up waiting: unmet need
                        self.count("reneged", c)
                        if (yield from self.unmet_need(p)):
                            continue
                        return
                self.count("assessments", c)
                if p.need < s.assessment.threshold[c]:
                    self.count("ineligible", c)
                    self.eligibility_saving(p)
                    if (yield from self.unmet_need(p)):
                        continue
                    return
                self.count("eligible", c)
                setting = (RESIDENTIAL if self.rng.random() < self.p_home[p.age][p.need]
                           else COMMUNITY)
                # each episode for an eligible person comes with s / (1 - s) episodes for people
                # who would not have had a package (s = share_episodes_not_eligible)
                per = 1.0 / (1.0 - r.share_episodes_not_eligible.value)
                if not (setting == COMMUNITY and s.prevention.places_left[c] / per >= 1):
                    self.start_service(p, setting)
                    yield from self.in_service(p)
                    return
                s.prevention.places_left[c] -= per
                assessed = self.draw_cost(p, COMMUNITY)
                self.count("reablement_episodes", c, per)
                self.count("reablement_episodes_not_eligible", c, per - 1.0)
                self.count("spend_prevention_gbp", c, r.cost_gbp_per_episode.value * per)
                self.count("prevention_avoided_gbp", c, -r.cost_gbp_per_episode.value * per)
                yield env.timeout(r.dur_episode_days.value)
            else:                                           # in reablement on day 0
                yield env.timeout(reabled[0] - env.now)
                assessed = reabled[1]
                reabled = None
            if self.rng.random() < r.p_no_package_after.value:
                self.count("reablement_no_package", c)
                keep = r.p_no_package_2yr.value / r.p_no_package_after.value
                per_day = -np.log(max(keep, 1e-12)) / (2 * DAYS_PER_YEAR)
                t_back = env.now + (self.rng.exponential(1 / per_day) if per_day > 0
                                    else np.inf)
                p.setting = COMMUNITY               # the counterfactual: in the community
                t_cf = self.exit_time(p)
                effect = 1 - r.p_no_package_comparison.value / r.p_no_package_after.value
                self.shadow.append((min(t_cf, t_back), env.now, c, assessed * effect))
                if not np.isfinite(t_back):
                    return
                yield env.timeout(t_back - env.now)  # relapse: back to the queue
                continue
            self.start_service(p, COMMUNITY, cost=assessed * (1 - r.hours_reduction.value))
            p.reabled = True
            self.shadow.append((p.t_exit, env.now, c, assessed * r.hours_reduction.value))
            yield from self.in_service(p)
            return

    def unmet_need(self, p: Person) -> Generator[simpy.Event, object, bool]:
        """Time in the unmet-need pool; True if needs deteriorate and bring the person back."""
        a, c = self.s.p.assessment, p.council
        self.unmet[c] += 1
        yield self.env.timeout(self.rng.exponential(a.dur_unmet_return_days.value))
        self.unmet[c] -= 1
        if self.rng.random() >= a.p_unmet_return.value:
            return False
        p.need = min(p.need + 1, 3)
        self.count("returns_unmet", c)
        return True

    def start_service(self, p: Person, setting: int, cost: float | None = None) -> None:
        """Start a long-term service now: cost, support mode, first review and exit time."""
        s, c = self.s, p.council
        p.setting = setting
        p.cost = self.draw_cost(p, setting) if cost is None else cost
        p.mode = self.choose_mode(p) if setting == COMMUNITY else ARRANGED
        p.t_review = self.env.now + s.p.reviews.interval_days.value
        p.t_exit = self.exit_time(p)
        self.count("service_starts", c)
        s.services.served_in_fy[c] += 1
        s.services.served_18_64[c] += p.age == 0
        if setting == RESIDENTIAL:
            self.count("starts_residential", c)
            s.services.residents[c] += 1
        else:
            s.services.ascof_den[c] += 1
            s.services.ascof_num[c] += p.mode != ARRANGED
        self.book(p, +1)
        self.people.add(p)

    def in_service(self, p: Person) -> Generator[simpy.Event, object, None]:
        """Yearly reviews through the council's review team, until the person leaves."""
        env, dur = self.env, self.s.p.reviews.dur_review_days.value
        while True:
            if p.t_exit <= p.t_review:                  # leaves before the review falls due
                yield env.timeout(p.t_exit - env.now)
                break
            yield env.timeout(p.t_review - env.now)   # review due: join the review queue
            with self.reviewers[p.council].request() as req:
                got = yield req | env.timeout(p.t_exit - env.now)
                if req not in got:                      # left while waiting
                    break
                end = env.now + dur
                if p.t_exit <= end:                     # leaves during the review, whose
                    yield env.timeout(p.t_exit - env.now)  # slot is used all the same
                    self.leave(p)
                    yield env.timeout(end - env.now)
                    return
                yield env.timeout(dur)
            self.review(p)
        self.leave(p)

    def leave(self, p: Person) -> None:
        """The person leaves services now (death, NHS or self-funded care, recovery)."""
        self.book(p, -1)
        self.people.discard(p)
        self.count("exits", p.council)

    def review(self, p: Person) -> None:
        """A completed review: needs may rise (perhaps a move), PB offer, package cut."""
        s, rv, c, now = self.s, self.s.p.reviews, p.council, self.env.now
        self.count("reviews", c)
        self.book(p, -1)                                # spend to now on the old terms
        if p.need < 3 and self.rng.random() < rv.p_need_rise.value:
            old = self.mean_cost(p, p.setting)
            p.need += 1
            p.cost *= self.mean_cost(p, p.setting) / old
            move = rv.p_move_residential_when_critical.value * personal_budgets.move_ratio(
                s, np.array([p.mode]))[0]
            if p.need == 3 and p.setting == COMMUNITY and self.rng.random() < move:
                p.setting, p.mode = RESIDENTIAL, ARRANGED
                p.cost = self.draw_cost(p, RESIDENTIAL)
                p.t_exit = self.exit_time(p)
                self.count("starts_residential", c)
                s.services.residents[c] += 1
        if p.setting == COMMUNITY and p.mode == ARRANGED:
            p.mode = self.choose_mode(p)
            s.services.ascof_num[c] += p.mode != ARRANGED
        if p.setting == COMMUNITY and self.rng.random() < s.finance.package_cut_p[c]:
            before = p.cost
            p.cost *= 1 - s.p.finance.levers.package_cut_size.value
            years = max(s.finance.fy_end_day - now, 0.0) / DAYS_PER_YEAR
            self.count("savings_package_reductions_gbp", c, (before - p.cost) * years)
            self.count("package_cuts", c)
        self.book(p, +1)
        p.t_review = now + rv.interval_days.value

    def eligibility_saving(self, p: Person) -> None:
        """A person the old (lower) threshold would have served avoids a community package."""
        raised = self.s.finance.eligibility_raised_from[p.council]
        if 0 <= raised <= p.need:
            years = max(self.s.finance.fy_end_day - self.env.now, 0.0) / DAYS_PER_YEAR
            self.count("savings_eligibility_gbp", p.council,
                       self.mean_cost(p, COMMUNITY) * years)

    def contacts(self, c: int) -> Generator[simpy.Event, object, None]:
        """Council ``c``'s contacts: Poisson at the month's rate, each sent on its way."""
        s, d, env, rng = self.s, self.s.p.demand, self.env, self.rng
        while True:
            m = bisect.bisect_right(self.month_days, env.now) - 1
            if m >= len(self.month_days) - 1:
                return
            people, share_65plus = contact_mix(d.share_65plus.value, *demography_index(s, m))
            per_day = (d.contacts_per_year.value * growth_index(s, m) * people
                       * s.inp.demand_share[c] / DAYS_PER_YEAR)
            gap = rng.exponential(1 / per_day) if per_day > 0 else np.inf
            if env.now + gap >= self.month_days[m + 1]:   # none left this month: new rate
                yield env.timeout(self.month_days[m + 1] - env.now)
                continue
            yield env.timeout(gap)
            self.count("new_requests", c)
            if rng.random() < d.p_resolved_at_contact.value:
                self.count("resolved_at_contact", c)
            elif rng.random() >= d.p_assessment_after_referral.value:
                self.count("met_without_assessment", c)
            else:
                age = int(rng.random() < share_65plus)
                need = min(bisect.bisect_right(self.need_cum, rng.random()), 3)
                env.process(self.seek_support(Person(c, age, need)))

    # ---- the people in service on 1 April 2008 ----------------------------------------------

    def starting_population(self) -> None:
        """The April 2008 people, by the rule of :mod:`caresim.model.initial`: whole people per
        council, age band, setting and need band from the flows' steady state, and the people
        outside services in it (unmet need, independent after reablement)."""
        s, rng = self.s, self.rng
        counts = whole_counts(s.flows.in_service)
        for c, age, setting, need in itertools.product(range(s.n), (0, 1),
                                                       (COMMUNITY, RESIDENTIAL), range(4)):
            for _ in range(int(counts[c, age, setting, need])):
                p = Person(c, age, need, setting)
                if setting == COMMUNITY:  # the direct payment holders' own age mix
                    p_dp, p_managed = starting_modes(
                        s.p, s.inp.pb_share_start[c:c + 1], s.inp.share_65_community[c:c + 1],
                        np.array([age]))
                    u = rng.random()
                    p.mode = (DIRECT_PAYMENT if u < p_dp[0] else
                              MANAGED_PB if u < p_dp[0] + p_managed[0] else ARRANGED)
                p.t_review = rng.random() * s.p.reviews.interval_days.value
                p.cost = self.draw_cost(p, setting)
                p.t_exit = self.exit_time(p)
                self.people.add(p)
                self.env.process(self.in_service(p))
        a, r = s.p.assessment, s.p.reablement
        for pool, expected in (("unmet", s.flows.unmet), ("independent", s.flows.independent),
                               ("assessing", s.flows.assessing),
                               ("reabling", s.flows.reabling)):
            outside = whole_counts(expected)
            for c, age, need in itertools.product(range(s.n), (0, 1), range(4)):
                for _ in range(int(outside[c, age, need])):
                    p = Person(c, age, need)
                    if pool == "assessing":
                        t = rng.random() * a.dur_assessment_days.value
                        self.env.process(self.seek_support(p, assessed_at=t))
                    elif pool == "reabling":
                        t = rng.random() * r.dur_episode_days.value
                        cost = self.draw_cost(p, COMMUNITY)
                        self.env.process(self.seek_support(p, reabled=(t, cost)))
                    else:
                        self.env.process(self.outside_services(p, pool))
        self.recount()

    def outside_services(self, p: Person, pool: str) -> Generator[simpy.Event, object, None]:
        """A person outside services on 1 April 2008: in the unmet-need pool until they leave
        it, or independent after reablement until they relapse; then back to assessment."""
        if pool == "unmet":
            if not (yield from self.unmet_need(p)):
                return
        else:
            lam = relapse_hazard_per_year(self.s.p)
            if lam <= 0:
                return
            yield self.env.timeout(self.rng.exponential(DAYS_PER_YEAR / lam))
        yield from self.seek_support(p)

    # ---- council-level steps at month boundaries (the engine's code, the engine's order) ---

    def start_year(self, d0: dt.date) -> None:
        """``model.open_year`` on the people in service; then the teams' new sizes."""
        s, people = self.s, list(self.people)
        s.pop = Population(len(people) + 16)
        if people:
            def col(name: str, dtype: type) -> np.ndarray:
                return np.array([getattr(p, name) for p in people], dtype=dtype)
            s.pop.append(council=col("council", np.int32), age=col("age", np.int8),
                         need=col("need", np.int8), setting=col("setting", np.int8),
                         mode=col("mode", np.int8), cost=col("cost", np.float64),
                         t_start=np.zeros(len(people)), t_review=col("t_review", np.float64),
                         t_exit=col("t_exit", np.float64),
                         t_accrued=np.full(len(people), self.env.now))
        open_year(s, d0)
        for p, cost in zip(people, s.pop.cost.tolist(), strict=True):
            p.cost = cost                               # uprated, less procurement cuts
        s.pop = Population(16)
        self.recount()
        self.price_list()
        for team, k in zip(self.assessors, servers_for(s, s.assessment.fte), strict=True):
            team.set_servers(k)
        for team, k in zip(self.reviewers, review_servers(s, s.reviews.fte), strict=True):
            team.set_servers(k)

    def begin_month(self, m: int, d0: dt.date) -> None:
        """Steps 1-3 of the engine's month: the financial year, grant, reablement places."""
        self.grant_spent = begin_month(self.s, m, d0, lambda _s, day: self.start_year(day))

    def end_month(self, m: int, d0: dt.date, d1: dt.date) -> None:
        """Steps 8-10: money, prevention savings, readiness, stocks."""
        s = self.s
        t0, t1 = s.cal.day(d0), s.cal.day(d1)
        self.spend += self.in_force * ((t1 - self.accrued_to) / DAYS_PER_YEAR)[:, None]
        self.accrued_to[:] = t1
        for j, name in enumerate(SPEND_LINES):
            s.rec.add(name, self.spend[:, j])
        self.spend[:] = 0.0
        spend_transformation, _ = finance.month_end(s, d0, t1, self.grant_spent)
        if self.shadow:
            t, t_from, council, avoided = (np.array(x) for x in zip(*self.shadow, strict=True))
            s.prevention.shadow.push(t=t, t_from=t_from, council=council.astype(np.int32),
                                     avoided_gbp_per_year=avoided)
            self.shadow.clear()
        prevention.accrue_shadow(s, t0, t1)
        v = s.rec.values[m]
        s.rec.set("cashable_savings_gbp", sum(v[:, INDEX[k]] for k in LEVER_METRICS.values()))
        transformation.update(s, spend_transformation, self.users[:, 1:].sum(axis=1), t1 - t0)
        f = self.in_force
        record_stocks(s, MonthEnd(np.zeros((s.n, 4)), self.users.copy(), f.sum(axis=1),
                                  f[:, 2] + f[:, 3], f[:, 3].copy()))
        s.rec.set("unmet_need", self.unmet.copy())
        s.rec.set("assessment_queue", self.waiting.copy())

    def calendar(self) -> Generator[simpy.Event, object, None]:
        """The month-boundary process (created first, so it runs first at equal times)."""
        starts = self.s.cal.month_starts()
        for m, (d0, d1) in enumerate(itertools.pairwise(starts)):
            self.begin_month(m, d0)
            yield self.env.timeout(self.s.cal.day(d1) - self.env.now)
            self.end_month(m, d0, d1)
        close_year(self.s)

    def run(self) -> ReplicationResult:
        """Run the replication; results in the engine's format."""
        s = self.s
        done = self.env.process(self.calendar())
        self.starting_population()
        for c in range(s.n):
            self.env.process(self.contacts(c))
        self.env.run(until=done)
        return ReplicationResult(codes=list(s.inp.codes), month_ends=s.cal.month_ends(),
                                 monthly=s.rec.values, fy_records=s.services.fy_records,
                                 ledger=s.finance.ledger_rows)


def run_reference(params: Scenario, codes: list[str], replication: int) -> ReplicationResult:
    """Run one replication of the reference model (see :class:`Reference`).

    Parameters
    ----------
    params : Scenario
        The resolved scenario.
    codes : list of str
        GSS codes of the councils to simulate (data order).
    replication : int
        Replication number (seeds the reference's own generator).

    Returns
    -------
    ReplicationResult
        In the engine's format (:func:`caresim.model.model.run_replication`).
    """
    return Reference(params, codes, replication).run()


FY_STOCKS = ("pb_holders", "users_community", "users_residential", "unmet_need")
"""Stocks compared at 31 March."""
FY_FLOWS = ("exits", "reviews", "assessments", "service_starts", "assessment_requests",
            "eligible", "reablement_episodes", "pb_take_ups", "starts_residential")
"""Flows compared as financial-year totals."""


def fy_statistics(result: ReplicationResult) -> dict[str, np.ndarray]:
    """National (all councils simulated) statistics per financial year.

    Parameters
    ----------
    result : ReplicationResult
        From the engine (:func:`caresim.model.model.run_replication`) or the reference.

    Returns
    -------
    dict of str to numpy.ndarray
        One value per complete financial year: the stocks of :data:`FY_STOCKS` at 31 March,
        the totals of :data:`FY_FLOWS`, ``pb_share_adass`` (PB holders / community users at
        31 March), ``pb_share_ascof`` and its numerator and denominator, and
        ``mean_wait_days`` (assessment wait / assessments started).
    """
    ends = result.month_ends
    march = [i for i, d in enumerate(ends) if d.month == 3]
    first = [i - 11 for i in march]
    nat = result.monthly.sum(axis=1)                  # [month, metric]
    out: dict[str, np.ndarray] = {}
    for name in FY_STOCKS:
        out[name] = nat[march, INDEX[name]]
    for name in (*FY_FLOWS, "assessment_wait_days", "assessments_started"):
        out[name] = np.array([nat[a:b + 1, INDEX[name]].sum()
                              for a, b in zip(first, march, strict=True)])
    out["pb_share_adass"] = out["pb_holders"] / out["users_community"]
    out["mean_wait_days"] = out.pop("assessment_wait_days") / out.pop("assessments_started")
    for key in ("pb_share_ascof_num", "pb_share_ascof_den"):
        out[key] = np.array([r[key].sum() for r in result.fy_records[:len(march)]])
    out["pb_share_ascof"] = out["pb_share_ascof_num"] / out["pb_share_ascof_den"]
    return out
