"""python -m tests.bench.ab REV [--rounds N] [--hidden 32x8] [--lab rnn]: a lab's training step, this
tree against REV.

Timings on a shared VM drift by 10-20 % within minutes (the host changes the clock), more than most
kernel changes are worth, so back-to-back runs cannot tell them apart. This runs both versions at
the same time, each pinned to its own core, then swaps the cores: whatever the machine does, both
see it. REV is checked out into a temporary git worktree; each side compiles into its own empty
Numba cache first (a minute or two per side).

``--lab`` picks the workload: ``playground`` (the default: its training step, 500 points), ``rnn``
(an LSTM update, batch 32, 60 steps, 32 units), ``ae`` (an autoencoder update on the digits,
64-32-2-32-64), ``rbm`` (a CD-1 batch of 10 digits, 100 hidden units) or ``cnn`` (a small CNN
update on the digits, batch 32).
``--hidden`` sets the playground's hidden layers (``8x2``, the default, is 2-8-8-1; ``32x8`` the widest network
the playground builds; ``16,8`` two layers of 16 and 8); each call fuses fewer steps for wide nets.

Prints, per run, each side's fastest and median microseconds per step, and at the end the median
of this tree's time over REV's (below 1: this tree is faster).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TIMING = """
import time
import numpy as np
# glibc's malloc serves blocks over its mmap threshold (128 KiB at start) with fresh pages, and
# raises the threshold once such a block is freed. Whether that has happened by now depends on
# what loading the kernels allocated; until it does, every 256 KiB array of a lab's step is
# page-faulted in anew (the autoencoder's loss read 1.45x slower, 400 page faults per call).
# A long-running server frees large blocks within seconds; so does this, on both sides.
np.ones(600_000).sum()
run()   # the first call compiles (or loads from the cache) and is not timed
times = []
for _ in range(60):
    start = time.perf_counter()
    run()
    times.append((time.perf_counter() - start) / per_call * 1e6)
times.sort()
print(times[0], times[len(times) // 2])
"""

PLAYGROUND = """
from engine.datasets import make_2d
from engine.mlp import MLP, MLPConfig
from engine.optimizers import OptimizerConfig
d = make_2d("circle", 500, 0.1, seed=0)
hidden = {hidden!r}
m = MLP(MLPConfig(hidden=hidden, activations=("tanh",) * len(hidden), batch_size=500, shuffle=False,
                  optimizer=OptimizerConfig("adam", lr=0.03), seed=0), d.x, d.y)
per_call = min(50, max(1, 2_500_000 // (500 * sum(a * b for a, b in zip((2,) + hidden, hidden + (1,))))))
run = lambda: m.step(per_call)
"""

LABS = {
    "playground": PLAYGROUND,
    "rnn": """
import numpy as np
from engine import rnn, sequences
rng = np.random.default_rng(0)
x = rng.random((320, 60, 1))
task = sequences.SequenceTask("bench", 288, x=x, y=x.sum(axis=1, keepdims=True)[:, :, :1] / 60)
m = rnn.RNN(rnn.RNNConfig(cell="lstm", hidden=32, batch_size=32, clip=0.0, learning_rate=0.01), task)
per_call = 5
run = lambda: m.step(per_call, record=False)
""",
    "ae": """
from engine import datasets
from engine.autoencoder import AEConfig, Autoencoder
x = datasets.digits().x
m = Autoencoder(AEConfig(encoder=(32,), code=2, batch_size=64, learning_rate=0.005), x, test_share=0.0)
per_call = 20
run = lambda: m.step(per_call)
""",
    "rbm": """
from engine import datasets
from engine.rbm import RBM, RBMConfig
m = RBM(RBMConfig(n_visible=64, n_hidden=100, k=1, learning_rate=0.1, momentum=0.0, weight_decay=0.0,
                  batch_size=10, seed=0), datasets.digits().x)
per_call = 50
run = lambda: m.step(per_call, track_error=False, record=False)
""",
    "cnn": """
from engine import datasets
from engine.conv import CNNConfig, SmallCNN
d = datasets.digits()
m = SmallCNN(CNNConfig(seed=0), d.x, d.y)
per_call = 5
run = lambda: m.step(per_call, record=False)
""",
}


def _hidden(spec: str) -> tuple[int, ...]:
    """'8x2' -> (8, 8); '16,8' -> (16, 8)."""
    if "x" in spec:
        width, depth = spec.split("x")
        return (int(width),) * int(depth)
    return tuple(int(n) for n in spec.split(","))


def _side(tree: Path, cache: str, core: int | None, hidden: tuple[int, ...], lab: str) -> subprocess.Popen:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(tree),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    code = LABS[lab].replace("{hidden!r}", repr(hidden)) + TIMING   # a lab's set-up, then the timing loop
    return subprocess.Popen([sys.executable, "-c", code], cwd=tree, env=env, text=True, stdout=subprocess.PIPE,
                            preexec_fn=pin)


def _result(proc: subprocess.Popen) -> tuple[float, float]:
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"a side failed (exit {proc.returncode})")
    best, median = map(float, out.split())
    return best, median


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help="the git revision to compare against (e.g. HEAD, HEAD~3, a hash)")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of concurrent runs (default 3)")
    parser.add_argument("--hidden", type=_hidden, default=(8, 8), help="hidden layers: 8x2 (default), 32x8, 16,8")
    parser.add_argument("--lab", choices=sorted(LABS), default="playground", help="the workload (default playground)")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.rev], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            sides = {"this tree": (ROOT, str(Path(tmp) / "cache-new")),
                     args.rev: (base, str(Path(tmp) / "cache-base"))}
            for name, (tree, cache) in sides.items():
                print(f"compiling {name} ...", flush=True)
                _result(_side(tree, cache, None, args.hidden, args.lab))
            ratios = []
            for i in range(2 * args.rounds):
                if len(cores) >= 2:
                    placement = [cores[i % 2], cores[(i + 1) % 2]]
                    procs = [_side(tree, cache, core, args.hidden, args.lab) for (tree, cache), core in zip(sides.values(), placement)]
                    results = [_result(p) for p in procs]
                else:  # one core: alternate, and trust the result less
                    results = [_result(_side(tree, cache, None, args.hidden, args.lab)) for tree, cache in sides.values()]
                (new_best, new_med), (old_best, old_med) = results
                ratios.append(new_med / old_med)
                print(f"run {i + 1}: this tree {new_best:.1f} / {new_med:.1f} us, "
                      f"{args.rev} {old_best:.1f} / {old_med:.1f} us (fastest / median per step)", flush=True)
            print(f"this tree / {args.rev}: {statistics.median(ratios):.3f} (median of {len(ratios)} runs)")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
