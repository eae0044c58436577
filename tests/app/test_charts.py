"""Figure builders shown when paused: what they draw for values a live run can reach."""
from __future__ import annotations

import math

import numpy as np

from app.charts.playground import gradient_norms


def test_gradient_bars_size_real_values_and_name_zero_and_diverged_ones():
    fig = gradient_norms(np.array([3e-4, 0.0, np.inf, np.nan, 2.0]), ["W1", "W2", "W3", "W4", "W5"])
    bar = fig.data[0]
    heights = list(bar.y)
    assert heights[0] == 3e-4 and heights[4] == 2.0
    assert all(math.isnan(v) for v in heights[1:4])       # no bar: not a 1e-12 stand-in, not a full bar
    notes = {a.x: a.text for a in fig.layout.annotations}
    assert notes == {"W2": "0 (no gradient)", "W3": "diverged", "W4": "diverged"}
    assert list(bar.text) == ["3.0e-04", "", "", "", "2.0e+00"]
    lo, hi = fig.layout.yaxis.range                        # the axis spans the real bars only
    assert (lo, hi) == (-5.0, 1.5)
    assert fig.layout.yaxis.exponentformat == "power"       # 10^-5, not "10µ" / "100f"


def test_gradient_bars_with_nothing_to_size_still_draw_an_axis():
    fig = gradient_norms(np.zeros(2), ["W1", "W2"])
    assert tuple(fig.layout.yaxis.range) == (-4.0, 0.5)
    assert len(fig.layout.annotations) == 2
