"""The engine warms up by kernel family, so a lab compiles only what it uses."""
import os
from pathlib import Path

import numba
import pytest

import engine


def test_each_part_warms_up_and_unknown_parts_are_refused():
    for part in engine.PARTS:
        assert engine.warmup((part,)) >= 0
    with pytest.raises(ValueError, match="unknown engine parts"):
        engine.warmup(("gpu",))


def test_compiled_kernels_are_cached_per_version_of_the_kernel_sources(tmp_path):
    kernels = tmp_path / "kernels"
    kernels.mkdir()
    (kernels / "a.py").write_text("x = 1\n")
    (kernels / "b.py").write_text("y = 2\n")
    first = engine.kernel_cache_folder(kernels, tmp_path)
    assert first == engine.kernel_cache_folder(kernels, tmp_path)  # same sources, same folder
    (kernels / "b.py").write_text("y = 3\n")  # a callee's file changed: everything recompiles
    assert engine.kernel_cache_folder(kernels, tmp_path) != first
    assert first.parent == tmp_path and first.name.startswith("numba-")
    # this process: Numba caches in the folder of the current sources, unless told otherwise
    if not os.environ.get("NUMBA_CACHE_DIR"):
        here = Path(engine.__file__).parent / "kernels"
        assert Path(numba.config.CACHE_DIR).name == engine.kernel_cache_folder(here, tmp_path).name
