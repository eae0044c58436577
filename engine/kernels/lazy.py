"""Kernels get optimised machine code only where something runs it: in the kernels Python calls.

Numba compiles every ``@njit`` function (and every internal helper it needs, such as ``np.empty``'s)
into a library of its own. When the library is finalised its module is optimised (LLVM's O3
pipeline), a Python entry and a C entry are built for it, and it is turned into machine code,
whether or not anything will ever call it from Python. A caller links in the optimised code of
everything it calls, optimises all of it again and turns all of it into machine code again, in
its own library. So the MLP's forward block was optimised and made into machine code four times
(on its own, in the batch gradient, in the training step, in the forward pass for pictures) and
run from one of them; four in five of the engine's libraries were never run at all.

Here a library compiled for a kernel of ``engine.kernels`` is finalised without any of that: its
functions have had Numba's function passes (run as each module is added), its callees are linked
in, and that is the code its callers link. The rest waits until something needs the library's own
machine code (``_generate``): a call from Python (the dispatcher's entry for that signature is a
``LazyEntry``, which does the rest on its first call, then puts the real entry in the dispatcher's
table, so later calls take Numba's fast path) or its cache entry (saved then, so a kernel called
from Python is cached as before; a kernel only ever called from other kernels is neither made
into machine code nor cached, and needs neither: its callers' cached code holds it). A kernel
called from Python is optimised once, whole, with everything it calls, under the loop-interleaving
option its compile had (``pipeline``); the code of a kernel only other kernels call is optimised in
each caller that Python calls. Compile CPU of the whole warm-up, and the training steps'
speed (unchanged): see the README's hosting section.

Only compiles started by a kernel of ``SCOPE`` (told by Numba's ``numba:compile`` event) take this
path; anything else Numba compiles in the same process (a notebook's own ``@njit`` functions) is
finalised by Numba's own code, and a library loaded from the cache is used as Numba loads it. If a
Numba version lacks a method this relies on, nothing is installed and Numba's own code runs
(correct, slower to compile): ``installed()`` says which, and a unit test checks it for the
version CI installs.
"""
from __future__ import annotations

import weakref

from numba.core import caching, codegen, cpu, dispatcher, event, lowering
from numba.core.compiler_lock import global_compiler_lock

from engine.kernels import pipeline

SCOPE = "engine.kernels."   # compiles started by a kernel of these modules generate code lazily

_depth = [0]   # compiles under way that a kernel of SCOPE started (Numba's compiler lock serialises them)


class _Scope(event.Listener):
    """Counts the compiles under way that a kernel of ``SCOPE`` started."""

    def __init__(self) -> None:
        self._ours: list[bool] = []

    def on_start(self, ev: event.Event) -> None:
        func = getattr(ev.data.get("dispatcher"), "py_func", None)
        ours = _depth[0] > 0 or getattr(func, "__module__", "").startswith(SCOPE)
        self._ours.append(ours)
        if ours:
            _depth[0] += 1

    def on_end(self, ev: event.Event) -> None:
        if self._ours.pop():
            _depth[0] -= 1


def add_ir_module(self, ir_module):
    """Numba's; the first module added while a kernel of SCOPE is being compiled makes the library
    lazy (a library loaded from the cache never gets one: its machine code is there already)."""
    self.__dict__.setdefault("_netplay_lazy", _depth[0] > 0)
    return _numba["add_ir_module"](self, ir_module)


def _optimize_final_module(self) -> None:
    """Numba's, put off for a lazy library until it gets machine code (``_generate``): its callers
    link its code as the function passes left it and optimise it with their own."""
    if not self.__dict__.get("_netplay_lazy"):
        return _numba["_optimize_final_module"](self)
    self._netplay_interleave = pipeline.active()   # as its compile would have optimised it


def _finalize_final_module(self) -> None:
    """Numba's, less adding the module to the JIT and generating its code (``_generate``) for a lazy
    library."""
    if not self.__dict__.get("_netplay_lazy"):
        return _numba["_finalize_final_module"](self)
    self._finalize_dynamic_globals()
    self._verify_declare_only_symbols()
    self._netplay_pending = True
    self._finalized = True


def _put_off(lower, make, **kwargs) -> None:
    """Keep what ``make`` (a context's wrapper builder) needs for ``lower``'s function, for ``_add_wrappers``."""
    lower.library.__dict__.setdefault("_netplay_wrappers", []).append(
        (make, lower.fndesc, lower.env, lower.call_helper, kwargs))


def create_cpython_wrapper(self, release_gil=False):
    """Numba's, put off for a lazy library until it gets machine code: most never need one."""
    if not self.library.__dict__.get("_netplay_lazy"):
        return _numba["create_cpython_wrapper"](self, release_gil)
    _put_off(self, self.context.create_cpython_wrapper, release_gil=release_gil)


def create_cfunc_wrapper(self):
    """Numba's (the entry from C, for first-class function use), put off like the one for Python."""
    if not self.library.__dict__.get("_netplay_lazy"):
        return _numba["create_cfunc_wrapper"](self)
    _put_off(self, self.context.create_cfunc_wrapper)


def _add_wrappers(library) -> None:
    """The entries from Python and C that lowering put off, added to a finalised lazy library."""
    wrappers = library.__dict__.pop("_netplay_wrappers", ())
    if not wrappers:
        return
    linked = len(library._linking_libraries)
    library._finalized = False   # add_ir_module refuses a finalised library
    try:
        for make, fndesc, env, call_helper, kwargs in wrappers:
            with make.__self__.push_code_library(library):
                make(library, fndesc, env, call_helper, **kwargs)
    finally:
        library._finalized = True
    for callee in library._linking_libraries[linked:]:   # what a wrapper compiled for itself, if anything
        library._final_module.link_in(callee._get_module_for_linking(), preserve=True)


def _generate(library) -> None:
    """The rest of Numba's ``finalize`` for a lazy library, once: its module optimised (with the
    loop-interleaving option its compile had, see ``pipeline``), added to the JIT, made into
    machine code."""
    with global_compiler_lock:   # reentrant; Numba's own code generation runs under it
        if library.__dict__.pop("_netplay_pending", False):
            _add_wrappers(library)
            with pipeline.interleaving(library.__dict__.pop("_netplay_interleave", False)):
                # Numba's full module pipeline (O3, then reference-count pruning), without the cheap
                # pre-pass Numba runs first to inline before pruning: every function here has had
                # its own pruning already (with the function passes). 0.7 s less of a cold
                # warm-up; each lab's training step unchanged by tests.bench.ab.
                passes, builder = library._codegen._module_pass_manager()
                passes.run(library._final_module, builder)
            library._dynamic_globals.clear()   # scanned again, as Numba scans them: after optimisation
            library._finalize_dynamic_globals()
            library._final_module._CPUCodeLibrary__library = weakref.proxy(library)  # for the object cache hooks
            cleanup = library._codegen._add_module(library._final_module)
            if cleanup:
                weakref.finalize(library, cleanup)
            library._finalize_specific()
            library._shared_module = None   # callers and the cache take the final code from now on


def get_pointer_to_function(self, name):
    self._ensure_finalized()
    _generate(self)
    return _numba["get_pointer_to_function"](self, name)


def serialize_using_object_code(self):
    self._ensure_finalized()
    _generate(self)
    return _numba["serialize_using_object_code"](self)


def get_llvm_str(self):
    """Numba's, of the final code (``inspect_llvm``)."""
    _generate(self)
    return _numba["get_llvm_str"](self)


def get_asm_str(self):
    """Numba's, of the final code (``inspect_asm``)."""
    _generate(self)
    return _numba["get_asm_str"](self)


class LazyEntry:
    """A dispatcher's entry for one signature whose machine code is not made yet: made on the first
    call, which then runs it; the real entry then goes into the dispatcher's table, and the cache
    entries waiting for it are saved. Stands as the key under which callers find the function."""

    def __init__(self, context, library, fndesc, env) -> None:
        self.context, self.library, self.fndesc, self.env = context, library, fndesc, env
        self.real = None
        self.tables: list = []   # (dispatcher, signature codes, objectmode) to insert into
        self.saves: list = []    # (cache, signature, compile result) to save

    def materialize(self):
        if self.real is not None:
            return self.real
        with global_compiler_lock:   # two threads may call a kernel for the first time at once
            return self._materialize_locked()

    def _materialize_locked(self):
        if self.real is None:
            real = _numba["get_executable"](self.context, self.library, self.fndesc, self.env)
            self.context.insert_user_function(real, self.fndesc, [self.library])
            self.real = real
            for disp, codes, objectmode in self.tables:
                disp._insert(codes, real, objectmode)
            for cache, sig, cres in self.saves:
                _numba["save_overload"](cache, sig, cres)
            self.tables.clear()
            self.saves.clear()
        return self.real

    def __call__(self, *args, **kwargs):
        return self.materialize()(*args, **kwargs)


def get_executable(self, library, fndesc, env):
    """Numba's, or a ``LazyEntry`` for a lazy library."""
    if library.__dict__.get("_netplay_lazy"):
        library._ensure_finalized()
        if library.__dict__.get("_netplay_pending"):
            return LazyEntry(self, library, fndesc, env)
    return _numba["get_executable"](self, library, fndesc, env)


def add_overload(self, cres) -> None:
    """Numba's; a ``LazyEntry`` waits outside the dispatcher's table (which only takes real entries)
    until it is called."""
    entry = cres.entry_point
    if isinstance(entry, LazyEntry) and entry.real is None:
        args = tuple(cres.signature.args)
        entry.tables.append((self, [a._code for a in args], cres.objectmode))
        self.overloads[args] = cres
        return
    _numba["add_overload"](self, cres)


def save_overload(self, sig, data) -> None:
    """Numba's; a compile result with no machine code yet is saved when it gets its code."""
    entry = getattr(data, "entry_point", None)
    if isinstance(entry, LazyEntry) and entry.real is None:
        entry.saves.append((self, sig, data))
        return
    _numba["save_overload"](self, sig, data)


_PATCHES = ((codegen.CPUCodeLibrary, "add_ir_module", add_ir_module),
            (codegen.CPUCodeLibrary, "_finalize_final_module", _finalize_final_module),
            (codegen.CPUCodeLibrary, "_optimize_final_module", _optimize_final_module),
            (codegen.JITCodeLibrary, "get_pointer_to_function", get_pointer_to_function),
            (codegen.CPUCodeLibrary, "serialize_using_object_code", serialize_using_object_code),
            (codegen.CPUCodeLibrary, "get_llvm_str", get_llvm_str),
            (codegen.CPUCodeLibrary, "get_asm_str", get_asm_str),
            (cpu.CPUContext, "get_executable", get_executable),
            (lowering.BaseLower, "create_cpython_wrapper", create_cpython_wrapper),
            (lowering.BaseLower, "create_cfunc_wrapper", create_cfunc_wrapper),
            (dispatcher.Dispatcher, "add_overload", add_overload),
            (caching.Cache, "save_overload", save_overload))
_USED = ((codegen.CPUCodeLibrary, "_finalize_dynamic_globals"),   # called as they are, not replaced
         (codegen.CPUCodeLibrary, "_verify_declare_only_symbols"), (codegen.JITCodeLibrary, "_finalize_specific"),
         (codegen.CPUCodegen, "_add_module"), (codegen.CPUCodegen, "_module_pass_manager"))
_METHODS = tuple((owner, name) for owner, name, _ in _PATCHES) + _USED   # what this relies on
_numba = {name: getattr(owner, name) for owner, name in _METHODS if hasattr(owner, name)}   # Numba's own


def installed() -> bool:
    """Whether kernels generate machine code lazily (False: this Numba lacks what it relies on)."""
    return cpu.CPUContext.get_executable is get_executable


def install() -> None:
    """Make kernels generate machine code lazily, once per process (see the module's doc)."""
    if installed() or len(_numba) != len(_METHODS):
        return
    event.register("numba:compile", _Scope())
    for owner, name, patch in _PATCHES:
        setattr(owner, name, patch)
