"""``exp`` and ``log1p`` of float arrays with the same bits on every machine.

numpy computes float64 ``exp``, ``log`` and ``log1p`` of an array with its own AVX-512 code
where the CPU has AVX-512, and with the C library's functions elsewhere. The two can differ in
the last bit, and a last bit that decides a random comparison changes which people a seeded
run has: the regression baselines, made on a machine without AVX-512, failed on one with it
(292 of 1,296 values of ``baseline_small`` changed), and passed there with numpy's AVX-512 code
switched off (``NPY_DISABLE_CPU_FEATURES``). The model's array draws go through these
functions, which call the C library's ``exp`` and ``log1p`` on every machine: a compiled loop
when numba is in use (as for :mod:`caresim.model.kernels`), else one ``math`` call per value.
Scalars use :mod:`math` directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from caresim.model import queueing

_compiled: dict[str, Callable[[np.ndarray], np.ndarray]] = {}


def _exp_loop(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.size):
        out[i] = math.exp(x[i])


def _log1p_loop(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.size):
        out[i] = math.log1p(x[i])


_LOOPS = {"exp": (_exp_loop, math.exp), "log1p": (_log1p_loop, math.log1p)}


def _apply(name: str, x: np.ndarray | float) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    flat = np.ascontiguousarray(a.reshape(-1))
    out = np.empty_like(flat)
    loop, scalar = _LOOPS[name]
    if queueing.USING_NUMBA:
        kernel = _compiled.get(name)
        if kernel is None:
            import numba

            kernel = _compiled[name] = numba.njit(cache=True, nogil=True)(loop)
        kernel(flat, out)
    else:
        out[:] = [scalar(v) for v in flat.tolist()]
    return out.reshape(a.shape)


def exp(x: np.ndarray | float) -> np.ndarray:
    """``e ** x`` of each value (float64 array of ``x``'s shape), the C library's on every
    machine."""
    return _apply("exp", x)


def log1p(x: np.ndarray | float) -> np.ndarray:
    """``log(1 + x)`` of each value (float64 array of ``x``'s shape), the C library's on every
    machine."""
    return _apply("log1p", x)
