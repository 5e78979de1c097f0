"""The year end of reserves and the general fund's write-down (issue 15), checked by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from caresim.model import reserves
from caresim.model.reserves import GENERAL_FUND
from caresim.recording import INDEX, Recorder

SHARE = 0.25
"""The kept share of an underspend in these hand cases (a test input, not the prior's)."""


def test_settle_by_hand() -> None:
    """Six councils, GBP. Reserves open at 1,000,000 over a floor of 600,000 (400,000 above it)
    for the first four:

    - an overspend of 250,000: drawn in full; general fund 0; reserves close at 750,000;
    - an overspend of 550,000: 400,000 drawn down to the floor, the other 150,000 met from the
      general fund; reserves close at 600,000, the floor;
    - an overspend of exactly 400,000: all drawn, general fund 0, reserves close at the floor;
    - an underspend of 100,000: nothing to restore, a quarter kept, draw -25,000; reserves
      close at 1,025,000.

    The last two open at 500,000, below their floor of 600,000 (only as an input: the model's
    reserves never open below their floor):

    - an underspend of 300,000: 100,000 restores the floor, a quarter of the other 200,000 is
      kept, draw -150,000; reserves close at 650,000;
    - an overspend of 50,000: nothing above the floor to draw, all 50,000 met from the general
      fund; reserves stay at 500,000.
    """
    position = np.array([-250_000.0, -550_000.0, -400_000.0, 100_000.0, 300_000.0, -50_000.0])
    opening = np.array([1e6, 1e6, 1e6, 1e6, 500_000.0, 500_000.0])
    floor = np.full(6, 600_000.0)
    general_fund, draw = reserves.settle(position, opening, floor, SHARE)
    np.testing.assert_allclose(general_fund, [0.0, 150_000.0, 0.0, 0.0, 0.0, 50_000.0])
    np.testing.assert_allclose(draw, [250_000.0, 400_000.0, 400_000.0, -25_000.0, -150_000.0,
                                      0.0])
    np.testing.assert_allclose(opening - draw, [750_000.0, 600_000.0, 600_000.0, 1_025_000.0,
                                                650_000.0, 500_000.0])


def test_close_year_books_the_write_down_in_the_ledger_and_the_last_month() -> None:
    """The same first two councils through ``close_year``: the ledger row gets the general
    fund's 0 and 150,000, the draw and the closing reserves (750,000 and 600,000), the next
    year opens at the close, and the metric is booked in the recorder's current month (the
    year's last) only."""
    s = SimpleNamespace(
        p=SimpleNamespace(finance=SimpleNamespace(reserves=SimpleNamespace(
            underspend_share_to_reserves=SimpleNamespace(value=SHARE)))),
        reserves=reserves.ReservesState(np.array([1e6, 1e6]), np.full(2, 600_000.0)),
        rec=Recorder(12, 2))
    s.rec.month = 11
    acc = {name: np.zeros(2) for name in ("closing_position_gbp", "reserves_opening_gbp",
                                          "reserves_floor_gbp", "reserves_draw_gbp",
                                          "reserves_closing_gbp", GENERAL_FUND)}
    acc["closing_position_gbp"] += [-250_000.0, -550_000.0]
    acc["reserves_opening_gbp"] += 1e6
    acc["reserves_floor_gbp"] += 600_000.0
    reserves.close_year(s, acc)  # type: ignore[arg-type]
    np.testing.assert_allclose(acc[GENERAL_FUND], [0.0, 150_000.0])
    np.testing.assert_allclose(acc["reserves_draw_gbp"], [250_000.0, 400_000.0])
    np.testing.assert_allclose(acc["reserves_closing_gbp"], [750_000.0, 600_000.0])
    np.testing.assert_array_equal(s.reserves.opening_gbp, acc["reserves_closing_gbp"])
    booked = s.rec.values[:, :, INDEX[GENERAL_FUND]]
    np.testing.assert_allclose(booked[11], [0.0, 150_000.0])
    assert not booked[:11].any()


def test_the_general_fund_is_a_ledger_line_and_a_metric() -> None:
    """The write-down is listed where the ledger lines are (``ledger.csv``, the report) and
    recorded as a flow in GBP (per council and for England, in the tidy tables)."""
    from caresim.recording import BY_NAME, LEDGER

    assert GENERAL_FUND in {line.name for line in LEDGER if line.shown}
    metric = BY_NAME[GENERAL_FUND]
    assert (metric.unit, metric.kind) == ("GBP", "flow")
