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


def test_other_versions_caches_are_kept_while_in_use_and_pruned_only_by_age(tmp_path):
    import time

    mine, other, gone = (tmp_path / f"numba-{n}" for n in ("mine", "other", "gone"))
    for folder in (mine, other, gone):
        folder.mkdir()
        (folder / "kernel.nbi").write_text("x")
    old = time.time() - (engine.CACHE_MAX_AGE_DAYS + 1) * 86400
    os.utime(gone, (old, old))
    os.utime(mine, (old, old))  # our own folder is never removed, whatever its age
    (tmp_path / "unrelated").mkdir()
    assert engine.prune_kernel_caches(tmp_path, mine) == [gone]
    assert mine.exists() and other.exists() and (tmp_path / "unrelated").exists() and not gone.exists()


def test_importing_the_engine_leaves_another_versions_cache_alone(tmp_path):
    import subprocess
    import sys

    cache = tmp_path / "netplay"
    other = cache / "numba-0123456789abcdef"
    other.mkdir(parents=True)
    (other / "kernel.nbi").write_text("x")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    root = Path(engine.__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", "import engine"], env=env, cwd=root, check=True)
    assert (other / "kernel.nbi").exists()
    assert len(list(cache.glob("numba-*"))) == 2  # ours was made beside it
