"""netplay's compute engine: NumPy + Numba, no Streamlit. Import it from a notebook as well."""
from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["PARTS", "progress", "ready", "warm_in_background", "warmup"]


def kernel_cache_folder(kernels, root):
    """``root``/numba-<hash of the names and contents of the .py files in ``kernels``>."""
    import hashlib

    digest = hashlib.sha256()
    for source in sorted(kernels.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return root / f"numba-{digest.hexdigest()[:16]}"


CACHE_MAX_AGE_DAYS = 30  # a kernel-cache folder no process has opened for this long is removed


def prune_kernel_caches(root, keep, max_age_days: float = CACHE_MAX_AGE_DAYS) -> list:
    """Remove ``root``'s other ``numba-*`` folders that nobody has used for ``max_age_days``.

    Every import of the engine touches its own folder, so another checkout or installed version
    on the same machine (a notebook beside the app, a blue/green deploy) keeps its compiled
    kernels as long as it is in use; only folders of versions gone for a month are removed.
    Returns the folders removed.
    """
    import shutil
    import time

    cutoff = time.time() - max_age_days * 86400
    removed = []
    for old in root.glob("numba-*"):
        try:
            stale = old != keep and old.is_dir() and old.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
    return removed


def _cache_by_kernel_version() -> None:
    """Keep Numba's compiled kernels in a folder named after a hash of every kernel source file.

    Numba checks a cached function against its own file only, and kernels inline functions from
    other files (vmath into the MLP, the optimizers into the MLP and the race): after an update
    that touched only a callee's file, the callers' stale machine code would be loaded. A new
    hash means a new folder, so any change recompiles everything once. Folders of other versions
    are left to the processes that use them and pruned only by age (``prune_kernel_caches``).
    An explicit NUMBA_CACHE_DIR is left alone.
    """
    import os
    from pathlib import Path

    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "netplay"
    folder = kernel_cache_folder(Path(__file__).parent / "kernels", root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)  # "in use": its age is what pruning reads
    except OSError:
        return  # not writable: Numba falls back to its own places
    prune_kernel_caches(root, folder)
    import numba

    numba.config.CACHE_DIR = str(folder)  # read when each @njit(cache=True) is defined: before the kernels


def _plain_numba_errors() -> None:
    """Numba's error messages without terminal colours, unless asked for.

    With ``colorama`` installed (many machines have it, through other tools) Numba colours the
    text of every exception it builds, and it builds thousands while it compiles (type inference
    tries and discards candidates): about 1 s of a cold start (42 s then). Nobody reads those messages
    in colour here (the app logs, it has no terminal). ``NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING=``
    (empty) keeps the colours.

    Numba reloads its whole configuration at the next compile when a ``NUMBA_`` variable has changed
    since it last looked, and that reload would drop the cache folder ``_cache_by_kernel_version``
    sets (kernels would then cache beside their sources, where a changed callee file goes unseen).
    So when Numba was imported first (a notebook), the change is taken in at once, before that.
    """
    import os
    import sys

    if "NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING" in os.environ:
        return
    os.environ["NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING"] = "1"
    if "numba" in sys.modules:
        from numba.core import config

        config.reload_config()


_plain_numba_errors()
_cache_by_kernel_version()

PARTS = ("core", "mlp", "som", "rbm", "conv", "rnn", "ae")  # kernel families, compiled separately so a lab waits only for its own


def _warmup_steps(part: str) -> list[tuple[str, Callable[[], object]]]:
    """A family's warm-up as steps (what each compiles), for ``warmup``'s progress."""
    import numpy as np

    tiny = np.random.default_rng(0).random((4, 3))
    if part == "core":
        from engine import activations, losses, neuron, optimizers, surfaces

        x = np.linspace(-1, 1, 4)
        bowl = surfaces.SURFACES["bowl"]

        def basics() -> None:
            for name in activations.ELEMENTWISE[:1]:
                activations.activate_and_derivative(name, x)
            activations.softmax(x)
            losses.loss_and_gradient("mse", x, x)

        return [("activations and losses", basics),
                ("the optimizers", lambda: optimizers.Optimizer(optimizers.OptimizerConfig("adam"), 4).update(x.copy(), x)),
                ("the perceptron", lambda: neuron.Perceptron(neuron.PerceptronConfig()).step(1)),
                ("the loss surfaces", lambda: (bowl.grid(2), bowl.gradient(1.0, 1.0))),
                ("the optimizer race", lambda: surfaces.race(bowl, [surfaces.Racer(optimizers.default_config("adam"))],
                                                             (1.0, 1.0), 1))]
    if part == "mlp":  # one signature per kernel serves every task, activation and optimizer
        from engine import mlp

        x2, y2 = tiny[:, :2], np.arange(4) % 2
        made = {}   # the network is made in the first step: making it compiles too

        def train() -> None:
            made["net"] = mlp.MLP(mlp.MLPConfig(hidden=(2,), activations=("tanh",), batch_size=2), x2, y2)
            made["net"].step(2)
        return [("the training step (forward, backward, every optimizer)", train),
                ("the pictures' forward pass", lambda: made["net"].all_units(x2)),
                ("the gradient on request", lambda: made["net"].loss_and_gradient(x2, y2)),
                ("the backpropagation walk-through", lambda: made["net"].backprop_trace(x2[:2], y2[:2]))]
    if part == "som":
        from engine import som

        def maps(mode: str) -> None:
            for topology in som.TOPOLOGIES:
                s = som.SOM(som.SOMConfig(2, 2, topology, mode=mode, steps=2), tiny)
                s.step(1)
                s.u_matrix()
                s.neighbourhood(0, 1.0)
                s.sigma_at(1)
        return [(f"{mode} training", lambda mode=mode: maps(mode)) for mode in som.MODES]
    if part == "rbm":
        from engine import rbm

        def train(persistent: bool) -> None:
            rbm.RBM(rbm.RBMConfig(3, 2, batch_size=2, persistent=persistent, sample_visible=persistent), tiny).step(1)
        return [("contrastive divergence", lambda: train(False)), ("persistent chains", lambda: train(True))]
    if part == "conv":
        from engine import conv

        image = np.random.default_rng(0).random((1, 1, 8, 8))

        def backward() -> None:
            for width in (8, 16):  # both backward paths (cell by cell, row by row)
                x = np.random.default_rng(0).random((1, 1, 4, width))
                conv.conv2d_backward(x, np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, width - 2)))

        def pooling() -> None:
            out, arg = conv.pool2d(image, 2)
            conv.pool2d_backward(out, image.shape, 2, 2, "max", arg)
        def train() -> None:
            conv.SmallCNN(conv.CNNConfig(side=4, classes=2, filters1=1, filters2=1, batch_size=2),
                          image.reshape(4, 16)[:2], np.arange(2)).step(1)
        return [("convolution, backward", backward), ("pooling", pooling),
                ("convolution, forward", lambda: conv.conv2d(image, np.ones((1, 1, 3, 3)), None, 2, 1)),
                ("the small CNN's training and its curves", train)]
    if part == "rnn":  # one signature per kernel serves every cell, task and loss
        from engine import rnn, sequences

        made = {}   # the network is made in the first step: making it compiles too

        def train() -> None:
            made["net"] = rnn.RNN(rnn.RNNConfig(cell="gru", hidden=2, batch_size=2), sequences.adding(4, 3),
                                  test_rows=2)
            made["net"].step(1)
        # (not RNN.loss_and_gradient: no lab calls it, and its kernel, already compiled inside the
        # training kernel, would be optimised and made into machine code once more for it alone)
        return [("backpropagation through time", train),
                ("the states over time", lambda: made["net"].outputs([0], trace=0))]
    if part == "ae":  # one signature per kernel serves every variant
        from engine import autoencoder

        def train(variational: bool) -> None:
            ae = autoencoder.Autoencoder(autoencoder.AEConfig(n_inputs=3, encoder=(2,), code=1, batch_size=2,
                                                              variational=variational), tiny)
            ae.step(1)
            ae.decode(np.zeros((1, 1)))
            ae.layer_weights(0)
        return [("the autoencoder", lambda: train(False)), ("the variational autoencoder", lambda: train(True))]
    raise ValueError(f"unknown engine part {part!r}")


_ready: set[str] = set()                          # families warmed in this process
_progress: dict[str, tuple[int, int, str]] = {}   # family -> (steps done, steps, the step under way)
_warmers: dict[str, threading.Thread] = {}
_warmers_lock = threading.Lock()


def warmup(parts: tuple[str, ...] = PARTS) -> float:
    """Compile (or load from cache) the kernels of ``parts`` once for this process; returns seconds
    taken. Each family's steps are published as they go (``progress``), for a page to show."""
    import time

    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown engine parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    start = time.perf_counter()
    for part in parts:
        _progress[part] = (0, 1, "loading its modules")
        steps = _warmup_steps(part)
        for done, (label, run) in enumerate(steps):
            _progress[part] = (done, len(steps), label)
            run()
        _progress[part] = (len(steps), len(steps), "ready")
        _ready.add(part)
    return time.perf_counter() - start


def ready(part: str) -> bool:
    """Whether family ``part`` has been warmed in this process (its kernels are in memory)."""
    return part in _ready


def progress(part: str) -> tuple[int, int, str]:
    """(steps done, steps, the step under way) of the latest warm-up of family ``part``; (0, 1, "")
    before any."""
    return _progress.get(part, (0, 1, ""))


def warm_in_background(part: str) -> threading.Thread:
    """Warm family ``part`` in a thread of its own, once per process (a finished or running one is
    returned again). The thread's ``error`` holds what stopped it, if anything."""
    with _warmers_lock:
        thread = _warmers.get(part)
        if thread is None or (not thread.is_alive() and thread.error is not None):
            def run() -> None:
                try:
                    warmup((part,))
                except BaseException as err:  # noqa: BLE001 - handed to whoever waits for it
                    thread.error = err
            thread = threading.Thread(target=run, name=f"netplay-warm-{part}", daemon=True)
            thread.error = None
            _warmers[part] = thread
            thread.start()
        return thread
