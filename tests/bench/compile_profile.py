"""python -m tests.bench.compile_profile [--parts mlp,rnn] [--top 30]: where a cold compile's CPU goes.

Warms the engine's kernel families (``core`` always, then ``--parts``; all by default) into an
empty Numba cache in this process and prints:
- per compiled function (all its signatures together), the CPU seconds of its own compile (its
  callees' compiles taken out) and how much of that was LLVM;
- LLVM's share by stage, summed over every library: the function passes run as each IR module is
  added, the module O3 passes, and machine-code generation. The last two happen only for kernels
  called from Python, on their first call (``engine.kernels.lazy``), listed as "<kernel> (its
  code)"; such a kernel's library holds a copy of every function it calls.

The total is what ``python -m tests.bench --only jit_cold`` times (it runs in a fresh process and
counts imports too). Findings and what was tried: the closing notes of the sessions that worked on
the cold start (``issues stops``).
"""
from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="", help="families after core, comma-separated (default: all)")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    args = parser.parse_args()
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="netplay-compile-")   # before Numba reads it

    from numba.core import codegen, event

    own: collections.Counter = collections.Counter()     # function -> CPU s of its own compiles
    llvm_own: collections.Counter = collections.Counter()
    count: collections.Counter = collections.Counter()
    stack: list[list] = []   # [name, start, seconds of nested compiles, seconds of LLVM]

    def begin(name: str) -> None:
        stack.append([name, time.process_time(), 0.0, 0.0])

    def finish() -> None:
        name, start, nested, llvm = stack.pop()
        spent = time.process_time() - start
        if stack:
            stack[-1][2] += spent
        own[name] += spent - nested
        llvm_own[name] += llvm
        count[name] += 1

    class Compiles(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            func = ev.data["dispatcher"].py_func
            begin(f"{func.__module__}.{func.__qualname__}")

        def on_end(self, ev: event.Event) -> None:
            finish()

    class Llvm(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            self.start = time.process_time()

        def on_end(self, ev: event.Event) -> None:
            if stack:
                stack[-1][3] += time.process_time() - self.start

    stages: collections.Counter = collections.Counter()

    def timed(cls, method: str, label: str) -> None:
        original = getattr(cls, method)

        def run(self, *a, **k):
            start = time.process_time()
            try:
                return original(self, *a, **k)
            finally:
                stages[label] += time.process_time() - start
        setattr(cls, method, run)

    timed(codegen.CPUCodeLibrary, "add_ir_module", "IR modules added (parsing, function passes)")
    from llvmlite.binding import newpassmanagers

    timed(newpassmanagers.ModulePassManager, "run", "module passes (O3 over a kernel and all it calls)")
    timed(codegen.JITCodeLibrary, "_finalize_specific", "machine code")
    event.register("numba:compile", Compiles())
    event.register("numba:llvm_lock", Llvm())

    from engine.kernels import lazy   # a kernel's machine code is made on its first call from Python

    materialize = lazy.LazyEntry._materialize_locked

    def made(self):
        if self.real is not None:
            return self.real
        begin(f"{self.fndesc.modname}.{self.fndesc.qualname} (its code)")
        try:
            return materialize(self)
        finally:
            finish()
    lazy.LazyEntry._materialize_locked = made

    import engine

    parts = ("core",) + tuple(p for p in args.parts.split(",") if p and p != "core") if args.parts else engine.PARTS
    start = time.process_time()
    engine.warmup(parts)
    total = time.process_time() - start

    print(f"{'own CPU s':>9} {'LLVM':>6} {'n':>3}  function")
    for name, spent in own.most_common(args.top):
        print(f"{spent:9.2f} {llvm_own[name]:6.2f} {count[name]:3d}  {name}")
    print(f"\n{sum(count.values())} compiles of {len(count)} functions; warm-up of {', '.join(parts)}: "
          f"{total:.1f} CPU s, LLVM {sum(llvm_own.values()):.1f} s of it")
    for label, spent in stages.most_common():
        print(f"  {spent:6.2f} s  {label}")


if __name__ == "__main__":
    main()
