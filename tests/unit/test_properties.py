"""Properties checked over generated inputs (hypothesis), beside the hand-worked cases.

* ``Dated.at``: the value in force on a date is the one set on the last date on or before it
  (the first value before the first date);
* ``extends`` merging: a child's keys win, everything it does not touch is kept, a leaf is
  replaced whole, and neither input is changed;
* the queue kernels (both engines) against a plain heap-based FIFO multi-server queue;
* random draws depend only on the stream and how many numbers were drawn from it, never on the
  order in which streams are created or used.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import heapq
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from caresim.model import queueing
from caresim.model.queueing import ServerPool
from caresim.params.values import dated
from caresim.scenario import _merge, is_leaf, walk
from caresim.streams import StreamSet, stream

# ------------------------------------------------------------------------------ Dated.at

DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))
DatedGBP = dated("GBP/year", 0.0, None, "a non-negative number")


@settings(max_examples=100, deadline=None)
@given(st.lists(DATES, min_size=1, max_size=8, unique=True).map(sorted), st.data())
def test_dated_at_is_the_value_set_last_on_or_before(dates: list[dt.date], data) -> None:
    values = data.draw(st.lists(st.floats(0, 1e9), min_size=len(dates), max_size=len(dates)))
    leaf = DatedGBP(values=dict(zip(dates, values, strict=True)), unit="GBP/year",
                    source="test")
    day = data.draw(st.one_of(DATES, st.sampled_from(dates)))
    i = bisect.bisect_right(dates, day) - 1
    assert leaf.at(day) == values[max(i, 0)]


# ------------------------------------------------------------------------------ extends

KEYS = st.sampled_from(["a", "b", "c", "d"])
LEAF = st.builds(lambda v, s: {"value": v, "source": s}, st.integers(), st.sampled_from("xy"))
TREE = st.recursive(st.one_of(st.integers(), LEAF),
                    lambda children: st.dictionaries(KEYS, children, max_size=3), max_leaves=12)
ROOT = st.dictionaries(KEYS, TREE, max_size=4)


def _key_paths(node: dict, prefix: str = "") -> dict[str, object]:
    """Every key path of a tree (inner nodes included) with its value."""
    out: dict[str, object] = {}
    for k, v in node.items():
        out[prefix + k] = v
        if isinstance(v, dict) and not is_leaf(v):
            out.update(_key_paths(v, f"{prefix}{k}."))
    return out


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@settings(max_examples=100, deadline=None)
@given(ROOT, ROOT)
def test_extends_merge_child_wins_and_keeps_the_rest(base: dict, child: dict) -> None:
    base0, child0 = copy.deepcopy(base), copy.deepcopy(child)
    prov: dict[str, str] = {}
    merged = _merge(base, child, "child.yaml", prov)
    assert base == base0 and child == child0  # inputs untouched
    got = dict(walk(merged))
    for path, value in walk(child):  # every value the child sets, as it set it
        assert got[path] == value
        assert prov[path] == "child.yaml"
    touched = _key_paths(child)
    for path, value in walk(base):  # what the child leaves alone is kept
        if path in touched:
            continue  # set by the child (a leaf or plain value is replaced whole)
        through = [q for q in _prefixes(path)[:-1] if q in touched]
        if all(isinstance(touched[q], dict) and not is_leaf(touched[q]) for q in through):
            assert got[path] == value


@settings(max_examples=100, deadline=None)
@given(ROOT)
def test_extends_merge_with_nothing_or_itself_changes_nothing(base: dict) -> None:
    assert _merge(base, {}, "c", {}) == base
    assert _merge(base, base, "c", {}) == base


# ------------------------------------------------------------------------------ queues


def fifo_reference(n_servers, group, arrival, duration, patience) -> np.ndarray:
    """A plain FIFO multi-server queue per group: one heap of free times per group; jobs in
    arrival order (ties in input order); a job whose wait would pass its patience leaves."""
    free = [[0.0] * int(c) for c in n_servers]
    start = np.empty(len(group))
    for i in sorted(range(len(group)), key=lambda j: arrival[j]):
        heap = free[group[i]]
        if not heap:
            start[i] = np.inf
            continue
        s = max(arrival[i], heap[0])
        if s - arrival[i] > patience[i]:
            start[i] = np.nan
            continue
        heapq.heapreplace(heap, s + duration[i])
        start[i] = s
    return start


ENGINES = ["python", *(["numba"] if queueing.numba_available() else [])]


@st.composite
def queue_case(draw):
    n_groups = draw(st.integers(1, 3))
    servers = draw(st.lists(st.integers(0, 4), min_size=n_groups, max_size=n_groups))
    n = draw(st.integers(0, 30))
    group = draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n))
    arrival = draw(st.lists(st.integers(0, 80).map(lambda x: x / 2), min_size=n, max_size=n))
    same = draw(st.booleans())  # equal durations take the numba engine's merge kernel
    if same:
        duration = [draw(st.floats(0, 20))] * n
    else:
        duration = draw(st.lists(st.floats(0, 20), min_size=n, max_size=n))
    patience = draw(st.lists(st.one_of(st.just(np.inf), st.floats(0, 30)), min_size=n,
                             max_size=n))
    return servers, group, arrival, duration, patience


@settings(max_examples=100, deadline=None)
@given(queue_case(), st.sampled_from(ENGINES))
def test_queue_matches_a_plain_heap_fifo(case, engine: str) -> None:
    servers, group, arrival, duration, patience = case
    pool = ServerPool(np.array(servers, dtype=np.int64))
    got = pool.serve(np.array(group, dtype=np.int64), np.array(arrival), np.array(duration),
                     np.array(patience), engine=engine)
    want = fifo_reference(servers, group, arrival, duration, patience)
    np.testing.assert_array_equal(got, want)


@settings(max_examples=100, deadline=None)
@given(queue_case(), st.sampled_from(ENGINES))
def test_queue_state_carries_over_between_batches(case, engine: str) -> None:
    # serving the jobs in two calls (the second arriving later) is serving them in one
    servers, group, arrival, duration, patience = case
    shifted = [a + 100.0 for a in arrival]
    pool = ServerPool(np.array(servers, dtype=np.int64))
    args = [np.array(x) for x in (duration, patience)]
    first = pool.serve(np.array(group, dtype=np.int64), np.array(arrival), *args, engine=engine)
    second = pool.serve(np.array(group, dtype=np.int64), np.array(shifted), *args,
                        engine=engine)
    want = fifo_reference(servers, group * 2, arrival + shifted, duration * 2, patience * 2)
    np.testing.assert_array_equal(np.concatenate([first, second]), want)


# ------------------------------------------------------------------------------ streams

CODES = ["E06000017", "E06000047", "E10000016"]
OPS = st.lists(st.tuples(st.sampled_from(["a", "b", "demand.arrival"]), st.integers(0, 2),
                         st.integers(0, 6)), max_size=15)


def _drawn(ops) -> dict[tuple[str, int], list[float]]:
    streams = StreamSet(11, 2, CODES)
    out: dict[tuple[str, int], list[float]] = defaultdict(list)
    for name, council, k in ops:
        out[(name, council)] += streams.get(council, name).random(k).tolist()
    return dict(out)


@settings(max_examples=100, deadline=None)
@given(OPS, st.randoms(use_true_random=False))
def test_draws_do_not_depend_on_the_order_streams_are_used(ops, rnd) -> None:
    shuffled = list(ops)
    rnd.shuffle(shuffled)
    a, b = _drawn(ops), _drawn(shuffled)
    assert a == b
    for (name, council), values in a.items():  # each is its own stream from the start
        assert values == stream(11, 2, CODES[council], name).random(len(values)).tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2), max_size=40), st.lists(st.sampled_from(["x", "y"]),
                                                           min_size=1, max_size=4))
def test_grouped_draws_follow_each_councils_own_stream(council: list[int],
                                                       names: list[str]) -> None:
    # draws for elements in any council order equal each council's stream drawn in element
    # order, whatever other streams were used in between
    streams = StreamSet(5, 0, CODES)
    c = np.array(council, dtype=np.int64)
    for i, name in enumerate(names):
        got = streams.draw_grouped(name, c, lambda g, k: g.random(k))
        streams.get(0, "other").random(3)
        for k in range(len(CODES)):
            mine = got[c == k]
            fresh = StreamSet(5, 0, CODES)
            previous = names[:i].count(name)  # draws already taken from this stream
            g = fresh.get(k, name)
            g.random(previous * int((c == k).sum()))
            np.testing.assert_array_equal(mine, g.random(len(mine)))
