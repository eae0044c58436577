"""The engine warms up by kernel family, so a lab compiles only what it uses."""
import pytest

import engine


def test_each_part_warms_up_and_unknown_parts_are_refused():
    for part in engine.PARTS:
        assert engine.warmup((part,)) >= 0
    with pytest.raises(ValueError, match="unknown engine parts"):
        engine.warmup(("gpu",))
