"""Named random streams (DESIGN §6): reproducible, independent, order-free."""

from __future__ import annotations

import numpy as np
import pytest

from caresim.councils import ENGLAND_CODE
from caresim.streams import StreamSet, stable_hash, stream

SEED = 20080401
KENT, BRISTOL, GATESHEAD = "E10000016", "E06000023", "E08000020"
CODES = [GATESHEAD, KENT, BRISTOL]


def draws(gen: np.random.Generator, n: int = 8) -> np.ndarray:
    return gen.random(n)


def uniform(gen: np.random.Generator, n: int) -> np.ndarray:
    return gen.random(n)


def test_same_key_gives_identical_draws() -> None:
    a = draws(stream(SEED, 3, KENT, "arrivals"))
    b = draws(stream(SEED, 3, KENT, "arrivals"))
    np.testing.assert_array_equal(a, b)
    # and a StreamSet gives the same stream as the function
    np.testing.assert_array_equal(draws(StreamSet(SEED, 3, CODES).get(1, "arrivals")), a)


@pytest.mark.parametrize("changed", [
    (SEED + 1, 0, KENT, "arrivals"),
    (SEED, 1, KENT, "arrivals"),
    (SEED, 0, BRISTOL, "arrivals"),
    (SEED, 0, ENGLAND_CODE, "arrivals"),
    (SEED, 0, KENT, "arrivals2"),
    (SEED, 0, KENT, "exits.time"),
], ids=["seed", "replication", "council", "national", "name", "other-name"])
def test_any_change_of_key_gives_different_draws(changed: tuple) -> None:
    base = draws(stream(SEED, 0, KENT, "arrivals"))
    other = draws(stream(*changed))
    assert not np.any(base == other)


def test_key_parts_are_not_interchangeable() -> None:
    """Swapping replication and seed, or council and name, gives another stream."""
    a = draws(stream(1, 2, KENT, "x"))
    assert not np.array_equal(a, draws(stream(2, 1, KENT, "x")))
    b = draws(stream(1, 2, "a", "b"))
    assert not np.array_equal(b, draws(stream(1, 2, "b", "a")))


def test_negative_seed_or_replication_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        stream(-1, 0, KENT, "x")
    with pytest.raises(ValueError, match="non-negative"):
        stream(0, -1, KENT, "x")


def test_new_stream_or_extra_draws_do_not_perturb_others() -> None:
    plain = StreamSet(SEED, 0, CODES)
    a1 = draws(plain.get(1, "a"))
    b1 = draws(plain.get(1, "b"))

    busy = StreamSet(SEED, 0, CODES)
    a2 = draws(busy.get(1, "a"))
    busy.get(1, "brand_new").random(1000)      # a new stream
    busy.get(1, "a").random(37)                # extra numbers from stream a
    busy.national("also_new").normal(size=5)
    busy.get(0, "b").random(11)                # the same name for another council
    b2 = draws(busy.get(1, "b"))

    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)


def test_order_of_first_use_changes_nothing() -> None:
    names = ["arrivals", "assessment", "exits.time", "pb.offer"]
    forward, backward = StreamSet(SEED, 2, CODES), StreamSet(SEED, 2, CODES)
    got_f = {(c, n): draws(forward.get(c, n)) for c in range(3) for n in names}
    got_b = {(c, n): draws(backward.get(c, n)) for c in reversed(range(3))
             for n in reversed(names)}
    assert got_f.keys() == got_b.keys()
    for key in got_f:
        np.testing.assert_array_equal(got_f[key], got_b[key])


def test_stream_set_caches_generators() -> None:
    ss = StreamSet(SEED, 0, CODES)
    first = ss.get(1, "a").random(3)
    second = ss.get(1, "a").random(3)
    # the second call continues the same generator, it does not restart it
    np.testing.assert_array_equal(np.concatenate([first, second]),
                                  stream(SEED, 0, KENT, "a").random(6))
    assert ss.get(1, "a") is ss.get(1, "a")


def test_one_council_run_matches_its_part_of_a_larger_run() -> None:
    """A run of Kent alone draws exactly what Kent draws in a run with other councils."""
    alone = StreamSet(SEED, 0, [KENT])
    within = StreamSet(SEED, 0, CODES)
    np.testing.assert_array_equal(draws(alone.get(0, "arrivals")),
                                  draws(within.get(1, "arrivals")))


def test_national_stream() -> None:
    ss = StreamSet(SEED, 0, CODES)
    nat = draws(ss.national("funding"))
    np.testing.assert_array_equal(nat, draws(stream(SEED, 0, ENGLAND_CODE, "funding")))
    for i in range(3):
        assert not np.array_equal(nat, draws(StreamSet(SEED, 0, CODES).get(i, "funding")))


# --------------------------------------------------------------------------- draw_grouped


def test_draw_grouped_is_independent_of_other_councils() -> None:
    council = np.array([2, 0, 2, 0, 0, 2, 2])
    both = StreamSet(SEED, 0, CODES).draw_grouped("x", council, uniform)

    only0 = StreamSet(SEED, 0, CODES).draw_grouped("x", np.array([0, 0, 0]), uniform)
    only2 = StreamSet(SEED, 0, CODES).draw_grouped("x", np.array([2, 2, 2, 2]), uniform)

    np.testing.assert_array_equal(both[council == 0], only0)
    np.testing.assert_array_equal(both[council == 2], only2)
    assert both.shape == (7,)


def test_draw_grouped_takes_each_councils_draws_in_element_order() -> None:
    council = np.array([1, 0, 1, 1, 0])
    got = StreamSet(SEED, 4, CODES).draw_grouped("y", council, uniform)
    kent = stream(SEED, 4, KENT, "y").random(3)
    gateshead = stream(SEED, 4, GATESHEAD, "y").random(2)
    np.testing.assert_array_equal(got, [kent[0], gateshead[0], kent[1], kent[2], gateshead[1]])


def test_draw_grouped_continues_the_stream() -> None:
    ss = StreamSet(SEED, 0, CODES)
    first = ss.draw_grouped("z", np.array([1, 1]), uniform)
    second = ss.draw_grouped("z", np.array([1]), uniform)
    np.testing.assert_array_equal(np.concatenate([first, second]),
                                  stream(SEED, 0, KENT, "z").random(3))


def test_draw_grouped_two_dimensional() -> None:
    def pairs(gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.random((n, 2))

    council = np.array([0, 2, 0])
    got = StreamSet(SEED, 0, CODES).draw_grouped("xy", council, pairs)
    assert got.shape == (3, 2)
    only0 = StreamSet(SEED, 0, CODES).draw_grouped("xy", np.array([0, 0]), pairs)
    only2 = StreamSet(SEED, 0, CODES).draw_grouped("xy", np.array([2]), pairs)
    np.testing.assert_array_equal(got[[0, 2]], only0)
    np.testing.assert_array_equal(got[[1]], only2)


def test_draw_grouped_keeps_dtype() -> None:
    def ints(gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.integers(0, 10, n)

    got = StreamSet(SEED, 0, CODES).draw_grouped("k", np.array([2, 1, 0]), ints)
    assert got.dtype.kind == "i"
    assert np.all((got >= 0) & (got < 10))


def test_draw_grouped_empty_touches_no_stream() -> None:
    def pairs(gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.random((n, 3))

    ss = StreamSet(SEED, 0, CODES)
    empty = ss.draw_grouped("e", np.array([], dtype=int), uniform)
    assert empty.shape == (0,)
    empty2 = ss.draw_grouped("e", np.array([], dtype=int), pairs)
    assert empty2.shape == (0, 3)
    # the real stream is untouched: the next draw is its first
    np.testing.assert_array_equal(ss.draw_grouped("e", np.array([0]), uniform),
                                  stream(SEED, 0, GATESHEAD, "e").random(1))


# --------------------------------------------------------------------------- stable_hash


def test_stable_hash_known_value() -> None:
    # Hard-coded on purpose: stream seeds are built from stable_hash, so any change to the hash
    # function (algorithm, digest size, encoding, byte order) silently changes every random
    # number caresim draws and breaks bit-for-bit reproduction of earlier runs from their
    # manifests. If this fails, the change to stable_hash was accidental or must be announced.
    assert stable_hash("arrivals") == 15893502557642533909
    assert stable_hash("E10000016") == 7491206973844566515
    assert stable_hash("") == 13020603013274838756


def test_stable_hash_properties() -> None:
    assert stable_hash("exits.time") == stable_hash("exits.time")
    assert stable_hash("a") != stable_hash("b")
    values = [stable_hash(f"stream{i}") for i in range(1000)]
    assert len(set(values)) == 1000
    assert all(0 <= v < 2**64 for v in values)
