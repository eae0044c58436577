"""Kernels get machine code only where something runs it (engine.kernels.lazy)."""
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numba
from numba import njit

from engine.kernels import lazy

ROOT = Path(__file__).resolve().parents[2]


def _kernel(func):
    """``func`` compiled as if it were a kernel of the engine (lazy's scope is told by the module)."""
    func.__module__ = "engine.kernels.probe"
    return njit(func)


def _pending(dispatcher) -> bool:
    (cres,) = dispatcher.overloads.values()
    return bool(cres.library.__dict__.get("_netplay_pending"))


def test_installed_for_the_numba_ci_installs():
    assert lazy.installed(), f"numba {numba.__version__} lacks a method engine.kernels.lazy relies on"


def test_a_kernel_only_kernels_call_gets_no_machine_code_until_python_calls_it():
    def inner(x):
        return x + 1.0

    inner = _kernel(inner)

    def outer(x):
        return inner(x) * 2.0

    outer = _kernel(outer)
    assert outer(2.0) == 6.0
    assert not _pending(outer) and _pending(inner)   # inner's code runs inside outer's
    (entry,) = [c.entry_point for c in inner.overloads.values()]
    assert isinstance(entry, lazy.LazyEntry)
    assert inner(2.0) == 3.0                         # made now, then run
    assert not _pending(inner) and entry.real is not None

    def refuse(*args):
        raise AssertionError("the second call should take the dispatcher's table, not compile")

    inner._compile_for_args = refuse   # the C dispatcher looks it up on the instance when its table misses
    assert inner(5.0) == 6.0
    assert outer(5.0) == 12.0


def test_functions_outside_the_engine_compile_as_numba_does():
    @njit
    def plain(x):
        return x * 3.0

    assert plain(2.0) == 6.0
    (cres,) = plain.overloads.values()
    assert not cres.library.__dict__.get("_netplay_lazy")
    assert not isinstance(cres.entry_point, lazy.LazyEntry)


def test_threads_calling_a_kernel_for_the_first_time_at_once_all_get_its_result():
    def twice(x):
        return 2.0 * x

    twice = _kernel(twice)

    def caller(x):
        return twice(x) + 1.0

    caller = _kernel(caller)
    assert caller(1.0) == 3.0           # twice compiled as a callee: no machine code yet
    assert _pending(twice)
    start = threading.Barrier(8)
    got: dict[int, float] = {}

    def call(i: int) -> None:
        start.wait()
        got[i] = twice(float(i))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {i: 2.0 * i for i in range(8)}


PROBE = """
from numba import njit


def _kernel(func):
    func.__module__ = "engine.kernels.probe"
    return njit(cache=True)(func)


@_kernel
def inner(x):
    return x + 1.0


@_kernel
def outer(x):
    return inner(x) * 2.0
"""

RUN = """
import json, sys
sys.path.insert(0, sys.argv[2])
import engine.kernels   # installs lazy
from numba.core import event
compiled = []
class Compiles(event.Listener):
    def on_start(self, ev):
        compiled.append(ev.data["dispatcher"].py_func.__name__)
    def on_end(self, ev):
        pass
event.register("numba:compile", Compiles())
import probe
sys.modules["engine.kernels.probe"] = probe   # the module its kernels name, for Numba's cache to find
print(json.dumps({"out": [getattr(probe, name)(1.0) for name in sys.argv[1].split(",")], "compiled": compiled}))
"""


def test_a_kernel_is_cached_once_it_has_machine_code_and_partial_caches_load(tmp_path):
    """Cold, the caller is cached and its callee (code inside the caller's) is not; a later process
    loads the caller without compiling; a callee called from Python is compiled then and cached;
    a callee from the cache with its caller compiled anew links as Numba's own do; a callee linked
    into its caller before it got its own code is cached with that code (its entry from Python
    included)."""
    (tmp_path / "probe.py").write_text(PROBE)
    cache = tmp_path / "cache"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}

    def run(calls: str) -> dict:
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(RUN), calls, str(tmp_path)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    def cached() -> set[str]:
        return {p.name.split(".")[1].split("-")[0] for p in cache.rglob("*.nbi")}

    assert run("outer") == {"out": [4.0], "compiled": ["outer", "inner"]}
    assert cached() == {"outer"}
    assert run("outer") == {"out": [4.0], "compiled": []}
    assert run("outer,inner") == {"out": [4.0, 2.0], "compiled": ["inner"]}   # the caller from the cache
    assert cached() == {"outer", "inner"}
    assert run("inner,outer") == {"out": [2.0, 4.0], "compiled": []}
    for stale in cache.rglob("probe.outer-*"):
        stale.unlink()
    assert run("outer,inner") == {"out": [4.0, 2.0], "compiled": ["outer"]}    # the callee from the cache
    for entry in cache.rglob("probe.*"):
        entry.unlink()
    assert run("outer,inner") == {"out": [4.0, 2.0], "compiled": ["outer", "inner"]}  # inner linked, then run
    assert run("inner,outer") == {"out": [2.0, 4.0], "compiled": []}


def _kernels_called_from_python() -> set[tuple[str, str]]:
    """(kernel module, name) of every kernel the engine's Python modules call, read from their source."""
    import ast
    import importlib

    from numba.core.registry import CPUDispatcher

    found = set()
    for path in sorted((ROOT / "engine").glob("*.py")):
        tree = ast.parse(path.read_text())
        modules, names = {}, {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "engine.kernels":
                for a in node.names:
                    modules[a.asname or a.name] = f"engine.kernels.{a.name}"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine.kernels."):
                for a in node.names:
                    names[a.asname or a.name] = (node.module, a.name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in modules:
                target = (modules[f.value.id], f.attr)
            elif isinstance(f, ast.Name) and f.id in names:
                target = names[f.id]
            else:
                continue
            if "cuda" not in target[0] and isinstance(getattr(importlib.import_module(target[0]), target[1]),
                                                       CPUDispatcher):
                found.add(target)
    return found


# kernels of the engine's notebook API that no lab calls, left to compile on their first call (then
# cached): the warm-up would spend on each as much as on a lab's training kernel
# (one batch's gradient: Autoencoder.loss_and_gradient and RNN.loss_and_gradient)
NOT_WARMED = {("engine.kernels.autoencoder", "loss_and_gradient"), ("engine.kernels.rnn", "gradient")}


def test_the_warm_up_gives_machine_code_to_every_kernel_python_calls():
    """So the warm-up caches them all: a kernel only ever compiled as another's callee has no code
    and no cache entry, and a process would compile it on its first call from Python."""
    wanted = _kernels_called_from_python() - NOT_WARMED
    assert ("engine.kernels.mlp", "train_steps") in wanted and len(wanted) > 20
    code = textwrap.dedent("""
        import importlib, json, sys
        import engine
        from engine.kernels import lazy
        engine.warmup()
        missing = []
        for module, name in json.loads(sys.argv[1]):
            kernel = getattr(importlib.import_module(module), name)
            entries = [c.entry_point for c in kernel.overloads.values()]
            if not any(not isinstance(e, lazy.LazyEntry) or e.real is not None for e in entries):
                missing.append(f"{module}.{name}")
        print(json.dumps(missing))
        """)
    out = subprocess.run([sys.executable, "-c", code, json.dumps(sorted(wanted))], cwd=ROOT, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_compile_flags_compare_and_hash_as_numbas_own_do():
    """engine.kernels' quicker TargetConfig.values / __eq__ / __hash__ give Numba's own answers."""
    from numba.core import targetconfig
    from numba.core.compiler import Flags

    assert targetconfig.TargetConfig.__dict__.get("_netplay_quick")

    def numbas_values(flags):   # Numba's: every option through its property
        return {name: getattr(flags, name) for name in flags.options}

    plain, fast, fast_too, nrt = Flags(), Flags(), Flags(), Flags()
    fast.fastmath = {"nsz", "contract"}
    fast_too.fastmath = {"contract", "nsz"}
    nrt.nrt = True
    explicit = Flags()
    explicit.nrt = Flags.options["nrt"].default   # set to its default: equal to one left unset
    for flags in (plain, fast, nrt, explicit):
        assert flags.values() == numbas_values(flags)
    assert fast == fast_too and hash(fast) == hash(fast_too)
    assert plain == explicit and hash(plain) == hash(explicit)
    assert plain != fast and plain != nrt and fast != nrt
    assert hash(plain) == hash(tuple(sorted(numbas_values(plain))))   # Numba's hash: of the option names
    cache = {fast: "fast", nrt: "nrt"}
    assert cache[fast_too] == "fast" and plain not in cache
