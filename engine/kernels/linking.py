"""How the engine's kernels link the kernels they call: each callee's code is optimised in one place.

Numba compiles every ``@njit`` function into a library of its own: its code is optimised at O3 and
turned into machine code. A caller links in the optimised module of every function it calls (their
callees' copies included) and runs the whole O3 pipeline again over all of it. The MLP's forward
block was optimised four times (on its own, inside the batch gradient, inside the training step
that calls that, inside the forward pass for pictures); such repeats were a quarter of the cold
start's compile time. ``finalize`` below does what Numba's ``CPUCodeLibrary.finalize`` does, with
each function's code optimised in its own library only:

1. The caller's own code is optimised with its callees visible: small ones (vmath's ``exp_v``, an
   array allocator) as ``available_externally`` bodies, which LLVM may inline and then drops; big
   ones (over ``BIG`` instructions) marked ``noinline optnone``, so O3 reads them and skips them.
2. The caller then links in, from each library it calls, directly or not, that library's own
   functions as ``_linkable`` made them (once per library), drops the copies nobody calls, and
   its machine code is made as before.

So a caller still holds every function it calls (a kernel loaded from Numba's cache needs nothing
else). ``_linkable`` gives a library's own functions one more O3 run, from the IR its machine code
was made from: Numba's repeats did that much for every callee, and it matters (the copy loop
``vmath.copy2`` vectorises only then). LLVM's O3 inliner takes a callee up to a cost of 250
(about 50 instructions), so callees over ``BIG`` instructions were not inlined before either:
with BIG = 200 every library of the engine defines the same functions (keeps the same callees as
calls) as with Numba's own finalize, checked by listing them after a cold warm-up; 100 turned two
inlined helpers into calls. What it saves and what it costs at run time: see the README's
hosting section (``python -m tests.bench --only jit_cold`` and ``python -m tests.bench.ab``).

Only libraries compiled for a kernel of ``engine.kernels`` (the outermost compile under way, told
by Numba's ``numba:compile`` event) take this path; anything else Numba compiles in the same
process (a notebook's own ``@njit`` functions) is finalised by Numba's own code. If a Numba version
lacks a method this relies on, nothing is installed and Numba's own code runs (correct, slower to
compile): ``installed()`` says which, and a unit test checks it for the version CI installs.
"""
from __future__ import annotations

import llvmlite.binding as ll
from numba.core import codegen, event

SCOPE = "engine.kernels."   # compiles started by a kernel of these modules link this way
BIG = 200                   # instructions: a callee this big is not optimised again in its callers

_METHODS = ("_optimize_final_module", "_finalize_final_module", "_get_module_for_linking", "_raise_if_finalized")
_ATTRIBUTES = ("_linking_libraries", "_reload_init", "_final_module", "_codegen")
_numba_finalize = codegen.CPUCodeLibrary.finalize
_depth = [0]             # kernels of SCOPE being compiled (compiles nest; Numba's compiler lock serialises them)
_big: dict[str, bool] = {}  # function symbol (unique per compiled function) -> over BIG instructions


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


def _is_big(fn: ll.ValueRef) -> bool:
    known = _big.get(fn.name)
    if known is None:
        count = 0
        for block in fn.blocks:
            for _ in block.instructions:
                count += 1
            if count > BIG:
                break
        known = _big[fn.name] = count > BIG and b"alwaysinline" not in set(fn.attributes)
    return known


def _linkable(library) -> ll.ModuleRef:
    """``library``'s own functions as callers link them: optimised once more, from the IR its
    machine code was made from; the callees it holds are declarations here (each caller links them
    from their own libraries). Made once per library."""
    module = library.__dict__.get("_netplay_linkable")
    if module is None:
        own = library.__dict__.get("_netplay_own")  # None: finalised by Numba's own code; all its own
        module = library._get_module_for_linking().clone()
        kept = []
        for fn in module.functions:
            if fn.is_declaration or fn.linkage != ll.Linkage.linkonce_odr:
                continue
            if fn.name.startswith(("cfunc.", "_ZN7cpython")):
                continue          # the wrappers for Python: no caller needs them; dropped as unused
            if own is not None and fn.name not in own:
                _read_only(fn)    # a callee's copy: optimised in its own library
                continue
            fn.linkage = ll.Linkage.external
            kept.append(fn.name)
        again, builder = library._codegen._module_pass_manager()
        again.run(module, builder)
        for name in kept:
            module.get_function(name).linkage = ll.Linkage.linkonce_odr
        library._netplay_linkable = module
    return module


def _read_only(fn: ll.ValueRef) -> None:
    """Let the optimiser read ``fn`` (to inline it) but neither emit it nor, if big, optimise it."""
    fn.linkage = ll.Linkage.available_externally
    if _is_big(fn):
        fn.add_function_attribute("noinline")
        fn.add_function_attribute("optnone")


def _visible_for_inlining(library) -> ll.ModuleRef:
    """A copy of ``library``'s linkable module whose functions the optimiser may read but not emit:
    small ones to inline, big ones marked to be left alone."""
    module = library._get_module_for_linking().clone()
    for fn in module.functions:
        if not fn.is_declaration and fn.linkage == ll.Linkage.linkonce_odr:
            _read_only(fn)
    return module


def _closure(libraries: list) -> list:
    """``libraries`` and every library they link, each once."""
    seen, todo = [], list(libraries)
    while todo:
        library = todo.pop()
        if library not in seen:
            seen.append(library)
            todo.extend(library.__dict__.get("_linking_libraries", ()))
    return seen


def finalize(self) -> None:
    """``CPUCodeLibrary.finalize``, with each function optimised in its own library only (see the
    module's doc); Numba's own for libraries compiled outside a kernel of ``SCOPE``."""
    if not _depth[0] or not all(hasattr(self, name) for name in _ATTRIBUTES):
        return _numba_finalize(self)
    from numba.core.compiler_lock import require_global_compiler_lock

    require_global_compiler_lock()
    self._codegen._check_llvm_bugs()
    self._raise_if_finalized()
    self._netplay_own = {fn.name for fn in self._final_module.functions if not fn.is_declaration}
    libraries = []
    for library in self._linking_libraries:
        if library not in libraries:
            self._reload_init.update(library._reload_init)  # as Numba's: the parent inherits reload_init
            libraries.append(library)
    for library in libraries:
        self._final_module.link_in(_visible_for_inlining(library))
    self._optimize_final_module()
    for library in _closure(libraries):
        self._final_module.link_in(_linkable(library), preserve=True)
    builder = ll.create_pass_builder(self._codegen._tm, ll.create_pipeline_tuning_options())
    unused = ll.create_new_module_pass_manager()
    unused.add_global_dead_code_eliminate_pass()   # the linked copies every call of which was inlined
    unused.run(self._final_module, builder)
    self._final_module.verify()
    self._finalize_final_module()


def installed() -> bool:
    """Whether kernels link this way (False: this Numba lacks what it relies on)."""
    return codegen.CPUCodeLibrary.finalize is finalize


def install() -> None:
    """Make kernels link this way, once per process (see the module's doc)."""
    if installed() or not all(hasattr(codegen.CPUCodeLibrary, name) for name in _METHODS):
        return
    event.register("numba:compile", _Scope())
    codegen.CPUCodeLibrary.finalize = finalize
