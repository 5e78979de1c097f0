"""Named random streams.

Every random decision in caresim draws from its own stream. A stream is a
:class:`numpy.random.Generator` (PCG64) seeded from the tuple
``(master seed, replication, stable hash of the council code, stable hash of the stream name)``
through :class:`numpy.random.SeedSequence`. Consequences:

* scenarios run with the same master seed share common random numbers stream by stream;
* adding a stream, or drawing more or fewer numbers from one, perturbs no other stream;
* a run of one council draws exactly the numbers that council draws in a run of all England.

There is no global random state anywhere in caresim.
"""

from __future__ import annotations

import hashlib

import numpy as np

from caresim.councils import ENGLAND_CODE


def stable_hash(text: str) -> int:
    """A 64-bit integer hash of ``text`` that is the same on every platform and run.

    Python's built-in ``hash`` of a string is salted per process, so it cannot seed streams.
    """
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def stream(master_seed: int, replication: int, council_code: str, name: str) -> np.random.Generator:
    """The generator for one named stream of one council in one replication.

    Parameters
    ----------
    master_seed : int
        The run's master seed (non-negative).
    replication : int
        Replication number (0-based, non-negative).
    council_code : str
        GSS code of the council, or :data:`caresim.councils.ENGLAND_CODE`.
    name : str
        Name of the random decision, e.g. ``"arrivals"`` or ``"exits.time"``.

    Returns
    -------
    numpy.random.Generator
        A fresh generator; calling this again with the same arguments gives an identical one.
    """
    if master_seed < 0 or replication < 0:
        raise ValueError("master seed and replication must be non-negative")
    seq = np.random.SeedSequence(
        [master_seed, replication, stable_hash(council_code), stable_hash(name)]
    )
    return np.random.Generator(np.random.PCG64(seq))


class StreamSet:
    """Lazily created named streams for a set of councils in one replication.

    Parameters
    ----------
    master_seed : int
        The run's master seed.
    replication : int
        Replication number.
    council_codes : sequence of str
        The councils simulated, in the order of the model's council index.
    """

    def __init__(self, master_seed: int, replication: int, council_codes: list[str]) -> None:
        self.master_seed = int(master_seed)
        self.replication = int(replication)
        self.council_codes = list(council_codes)
        self._cache: dict[tuple[int, str], np.random.Generator] = {}
        self._by_name: dict[str, dict[int, np.random.Generator]] = {}

    def get(self, council_index: int, name: str) -> np.random.Generator:
        """The stream ``name`` of the council at position ``council_index``."""
        key = (council_index, name)
        gen = self._cache.get(key)
        if gen is None:
            gen = stream(
                self.master_seed, self.replication, self.council_codes[council_index], name
            )
            self._cache[key] = gen
        return gen

    def national(self, name: str) -> np.random.Generator:
        """A national stream (not tied to any council)."""
        key = (-1, name)
        gen = self._cache.get(key)
        if gen is None:
            gen = stream(self.master_seed, self.replication, ENGLAND_CODE, name)
            self._cache[key] = gen
        return gen

    def draw_grouped(self, name: str, council: np.ndarray, draw) -> np.ndarray:
        """Draw one value per element, each from its own council's stream ``name``.

        Parameters
        ----------
        name : str
            Stream name.
        council : numpy.ndarray of int
            Council index of each element, in the order the elements are to be drawn for.
        draw : callable
            ``draw(generator, n) -> ndarray`` of length ``n``.

        Returns
        -------
        numpy.ndarray
            Values in the order of ``council``. Within each council, draws are taken in the
            order the council's elements appear, so the result for one council does not depend
            on which other councils are present.
        """
        n = council.shape[0]
        if n == 0:
            # a throwaway generator gives the right empty shape and touches no real stream
            return draw(np.random.Generator(np.random.PCG64(0)), 0)
        council = np.asarray(council)
        # Group the elements by council, keeping their order within a council (a stable sort;
        # skipped when they already come grouped, as they often do).
        if np.all(council[1:] >= council[:-1]):
            order = None
        else:
            key = council
            if int(council.min()) >= 0 and int(council.max()) <= np.iinfo(np.uint16).max:
                key = council.astype(np.uint16)  # numpy sorts 16-bit keys stably by radix
            order = np.argsort(key, kind="stable")
        counts = np.bincount(council)
        groups = np.flatnonzero(counts)
        sizes = counts[groups].tolist()
        gens = self._by_name.get(name)
        if gens is None:
            gens = self._by_name[name] = {}
        values = []
        for c, k in zip(groups.tolist(), sizes, strict=True):
            gen = gens.get(c)
            if gen is None:
                gen = gens[c] = self.get(c, name)
            values.append(draw(gen, k))
        out = np.concatenate(values) if len(values) > 1 else np.asarray(values[0])
        if order is not None:
            unsorted = np.empty_like(out)
            unsorted[order] = out
            out = unsorted
        return out
