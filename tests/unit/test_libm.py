"""The model's exp and log1p give the C library's bits on every machine (caresim.model.libm)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from caresim.model import libm, queueing

FINITE = st.floats(min_value=-700, max_value=700, allow_nan=False)
ABOVE_MINUS_ONE = st.floats(min_value=-1 + 1e-12, max_value=1e12, allow_nan=False)


@pytest.fixture(params=["numba", "python"])
def engine(request, monkeypatch) -> str:
    if request.param == "numba" and not queueing.numba_available():
        pytest.skip("numba cannot be imported")
    monkeypatch.setattr(queueing, "USING_NUMBA", request.param == "numba")
    return request.param


def _bits(a: np.ndarray) -> list[int]:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64).ravel().tolist()


def _each_engine(fn, x: np.ndarray) -> list[np.ndarray]:
    """``fn(x)`` with numba's compiled loop (where numba can be imported) and with ``math``."""
    out, was = [], queueing.USING_NUMBA
    try:
        for compiled in {False, queueing.numba_available()}:
            queueing.USING_NUMBA = compiled
            out.append(fn(x))
    finally:
        queueing.USING_NUMBA = was
    return out


@settings(max_examples=50, deadline=None)
@given(x=arrays(np.float64, st.integers(0, 40), elements=FINITE))
def test_exp_is_the_c_librarys(x: np.ndarray) -> None:
    want = _bits(np.array([math.exp(v) for v in x.tolist()]))
    for got in _each_engine(libm.exp, x):
        assert got.shape == x.shape
        assert _bits(got) == want


@settings(max_examples=50, deadline=None)
@given(x=arrays(np.float64, st.integers(0, 40), elements=ABOVE_MINUS_ONE))
def test_log1p_is_the_c_librarys(x: np.ndarray) -> None:
    want = _bits(np.array([math.log1p(v) for v in x.tolist()]))
    for got in _each_engine(libm.log1p, x):
        assert _bits(got) == want


def test_shapes_and_scalars_are_kept(engine: str) -> None:
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    assert libm.exp(x).shape == (3, 4)
    assert libm.exp(0.5).shape == ()
    assert float(libm.exp(0.5)) == math.exp(0.5)
    assert float(libm.log1p(np.float64(0.25))) == math.log1p(0.25)
