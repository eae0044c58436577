"""Points drawn on the playground's plane: the link's short form and what a click does."""
from __future__ import annotations

import pytest

from app.state import drawn


def test_points_round_trip_through_the_link_on_a_tenth_grid():
    points = [(-6.0, 6.0, 0), (0.04, -2.26, 1), (5.97, 0.0, 3), (1.5, 1.5, 2)]
    text = drawn.encode(points)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back = drawn.decode(text)
    assert [(round(x, 6), round(y, 6), c) for x, y, c in back] == [(-6.0, 6.0, 0), (0.0, -2.3, 1), (6.0, 0.0, 3),
                                                                    (1.5, 1.5, 2)]
    assert len(drawn.encode([(0.0, 0.0, 0), (1.0, 1.0, 1)] * 75)) <= 400   # the most a link holds


@pytest.mark.parametrize("text,why", [("", "no points"), ("not base64!", "not a drawn set"), ("AAAA", "not a drawn set"),
                                      (drawn.encode([(1, 1, 0), (2, 2, 0)]), "two classes"),
                                      ("_gA", "outside the plane"),
                                      (drawn.encode([(0, 0, 0), (1, 1, 1)] * 76), "at most 150")])
def test_a_link_that_is_not_a_drawing_says_so(text, why):
    with pytest.raises(ValueError, match=why):
        drawn.decode(text)


def test_a_click_adds_a_point_of_the_chosen_class_or_erases_the_nearest():
    start = drawn.decode(drawn.encode(drawn.START))
    more, said = drawn.clicked(start, {"kind": "point", "x": 1.234, "y": -0.51}, "class 2")
    assert more[-1] == pytest.approx((1.2, -0.5, 2)) and said == "Added a class 2 point at (1.2, -0.5)."
    assert drawn.dataset(more).task == "multiclass" and drawn.dataset(start).task == "binary"
    fewer, said = drawn.clicked(more, {"kind": "point", "x": 1.0, "y": -0.4}, "erase")
    assert fewer == start and said.startswith("Erased the point at (1.2, -0.5)")


@pytest.mark.parametrize("edit,mode,why", [
    ({"kind": "point", "x": 7, "y": 0}, "class 1", "outside the plane"),
    ({"kind": "point", "x": float("nan"), "y": 0}, "class 1", "outside the plane"),
    ({"kind": "point", "x": "1", "y": 0}, "class 1", "outside the plane"),
    ({"kind": "weight", "x": 1, "y": 0}, "class 1", "not on the plane"),
    ({"kind": "point", "x": 0, "y": 0}, "class 9", "pick a class"),
    ({"kind": "point", "x": 0, "y": 0}, "erase", "no point close enough"),
])
def test_clicks_that_cannot_be_used_say_why_and_change_nothing(edit, mode, why):
    start = drawn.decode(drawn.encode(drawn.START))
    with pytest.raises(ValueError, match=why):
        drawn.clicked(start, edit, mode)


def test_the_last_point_of_a_class_cannot_be_erased_and_the_drawing_has_a_size_limit():
    two = [(-1.0, 0.0, 0), (1.0, 0.0, 1)]
    with pytest.raises(ValueError, match="two classes"):
        drawn.clicked(two, {"kind": "point", "x": -1, "y": 0}, "erase")
    full = two * 75
    with pytest.raises(ValueError, match="at most 150"):
        drawn.clicked(full, {"kind": "point", "x": 0, "y": 0}, "class 0")
