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


def test_numba_builds_its_error_messages_without_colours_unless_asked():
    """Type inference builds (and discards) thousands of exceptions while it compiles; with
    ``colorama`` installed Numba would colour each one's text. The engine turns that off before
    Numba is first imported; an explicit (empty) setting keeps Numba's own choice."""
    import subprocess
    import sys

    code = "import engine, numba.core.errors as e; print(type(e.termcolor()).__name__)"
    root = Path(engine.__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING"}

    def scheme(**extra: str) -> str:
        done = subprocess.run([sys.executable, "-c", code], env={**env, **extra}, cwd=root, check=True,
                              capture_output=True, text=True)
        return done.stdout.strip()

    assert scheme() == "NOPColorScheme"
    try:
        import colorama  # noqa: F401
    except ImportError:
        return   # without colorama Numba has no colours to turn off
    assert scheme(NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING="") == "HighlightColorScheme"


def test_numba_imported_before_the_engine_keeps_the_kernel_cache_folder(tmp_path):
    """Turning the colours off changes a NUMBA_ variable; had Numba been imported first, its next
    compile would reload its configuration and drop the engine's cache folder (kernels would then
    cache beside their sources)."""
    import subprocess
    import sys

    code = ("import numba, engine; numba.njit(lambda x: x + 1)(1); from engine.kernels import mlp; "
            "print(numba.config.CACHE_DIR); print(mlp.train_steps._cache._cache_path)")
    root = Path(engine.__file__).resolve().parents[1]
    unset = ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True, capture_output=True, text=True)
    cache_dir, kernel_cache = done.stdout.strip().splitlines()[-2:]
    folder = engine.kernel_cache_folder(root / "engine" / "kernels", tmp_path / "netplay")
    assert cache_dir == str(folder)
    assert kernel_cache.startswith(str(folder))


@pytest.fixture
def fresh_registry(monkeypatch):
    """engine's warm-up records as in a process that has warmed nothing yet."""
    monkeypatch.setattr(engine, "_ready", set())
    monkeypatch.setattr(engine, "_progress", {})
    monkeypatch.setattr(engine, "_warmers", {})


def test_a_family_warms_in_a_thread_of_its_own_once_and_says_how_far_along(monkeypatch, fresh_registry):
    import threading

    seen, gate = [], threading.Event()
    monkeypatch.setattr(engine, "_warmup_steps", lambda part: [
        ("the first", lambda: seen.append(engine.progress(part))),
        ("the second", lambda: (gate.wait(10), seen.append(engine.progress(part))))])
    assert engine.progress("som") == (0, 1, "") and not engine.ready("som")
    thread = engine.warm_in_background("som")
    assert engine.warm_in_background("som") is thread   # whoever asks next waits for the same one
    for _ in range(500):
        if engine.progress("som")[0] == 1:
            break
        thread.join(0.01)
    assert engine.progress("som") == (1, 2, "the second") and not engine.ready("som")
    gate.set()
    thread.join(10)
    assert seen == [(0, 2, "the first"), (1, 2, "the second")]
    assert engine.ready("som") and engine.progress("som") == (2, 2, "ready") and thread.error is None
    assert engine.warm_in_background("som") is thread   # done: not again


def test_a_failed_warm_up_is_handed_to_the_page_and_tried_again(monkeypatch, fresh_registry):
    def broken() -> None:
        raise RuntimeError("no compiler")
    monkeypatch.setattr(engine, "_warmup_steps", lambda part: [("a step", broken)])
    thread = engine.warm_in_background("rbm")
    thread.join(10)
    assert isinstance(thread.error, RuntimeError) and not engine.ready("rbm")
    monkeypatch.setattr(engine, "_warmup_steps", lambda part: [("a step", lambda: None)])
    again = engine.warm_in_background("rbm")
    again.join(10)
    assert again is not thread and again.error is None and engine.ready("rbm")
