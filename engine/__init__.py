"""netplay's compute engine: NumPy + Numba, no Streamlit. Import it from a notebook as well."""
from __future__ import annotations

__all__ = ["PARTS", "warmup"]


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


_cache_by_kernel_version()

PARTS = ("core", "mlp", "som", "rbm", "conv", "rnn", "ae")  # kernel families, compiled separately so a lab waits only for its own


def warmup(parts: tuple[str, ...] = PARTS) -> float:
    """Compile (or load from cache) the kernels of ``parts`` once for this process; returns seconds taken."""
    import time

    import numpy as np

    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown engine parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    start = time.perf_counter()
    tiny = np.random.default_rng(0).random((4, 3))
    if "core" in parts:
        from engine import activations, losses, neuron, optimizers, surfaces

        x = np.linspace(-1, 1, 4)
        for name in activations.ELEMENTWISE[:1]:
            activations.activate_and_derivative(name, x)
        activations.softmax(x)
        losses.loss_and_gradient("mse", x, x)
        opt = optimizers.Optimizer(optimizers.OptimizerConfig("adam"), 4)
        opt.update(x.copy(), x)
        neuron.Perceptron(neuron.PerceptronConfig()).step(1)
        bowl = surfaces.SURFACES["bowl"]
        bowl.grid(2)
        surfaces.race(bowl, [surfaces.Racer(optimizers.default_config("adam"))], (1.0, 1.0), 1)
    if "mlp" in parts:  # one signature per kernel serves every task, activation and optimizer
        from engine import mlp

        x2 = tiny[:, :2]
        net = mlp.MLP(mlp.MLPConfig(hidden=(2,), activations=("tanh",), batch_size=2), x2, np.arange(4) % 2)
        net.step(2)
        net.all_units(x2)
        net.loss_and_gradient(x2, np.arange(4) % 2)
    if "som" in parts:
        from engine import som

        for mode in som.MODES:
            for topology in som.TOPOLOGIES:
                s = som.SOM(som.SOMConfig(2, 2, topology, mode=mode, steps=2), tiny)
                s.step(1)
                s.u_matrix()
    if "rbm" in parts:
        from engine import rbm

        for persistent in (False, True):
            r = rbm.RBM(rbm.RBMConfig(3, 2, batch_size=2, persistent=persistent, sample_visible=persistent), tiny)
            r.step(1)
    if "conv" in parts:
        from engine import conv

        image = np.random.default_rng(0).random((1, 1, 8, 8))
        for width in (8, 16):  # both backward paths (cell by cell, row by row)
            x = np.random.default_rng(0).random((1, 1, 4, width))
            conv.conv2d_backward(x, np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, width - 2)))
        out, arg = conv.pool2d(image, 2)
        conv.pool2d_backward(out, image.shape, 2, 2, "max", arg)
        conv.conv2d(image, np.ones((1, 1, 3, 3)), None, 2, 1)
    if "rnn" in parts:  # one signature per kernel serves every cell, task and loss
        from engine import rnn, sequences

        net = rnn.RNN(rnn.RNNConfig(cell="gru", hidden=2, batch_size=2), sequences.adding(4, 3), test_rows=2)
        net.step(1)
        net.outputs([0], trace=0)
        net.loss_and_gradient([0, 1])
    if "ae" in parts:  # one signature per kernel serves every variant
        from engine import autoencoder

        for variational in (False, True):
            ae = autoencoder.Autoencoder(autoencoder.AEConfig(n_inputs=3, encoder=(2,), code=1, batch_size=2,
                                                              variational=variational), tiny)
            ae.step(1)
            ae.decode(np.zeros((1, 1)))
    return time.perf_counter() - start
