"""netplay's compute engine: NumPy + Numba, no Streamlit. Import it from a notebook as well."""
from __future__ import annotations

__all__ = ["warmup"]


def warmup() -> float:
    """Compile (or load from cache) every kernel once for this process; returns seconds taken."""
    import time

    import numpy as np

    from engine import activations, losses, neuron, optimizers, rbm, som, surfaces

    start = time.perf_counter()
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
    tiny = np.random.default_rng(0).random((4, 3))
    for mode in som.MODES:
        for topology in som.TOPOLOGIES:
            s = som.SOM(som.SOMConfig(2, 2, topology, mode=mode, steps=2), tiny)
            s.step(1)
            s.u_matrix()
    for persistent in (False, True):
        r = rbm.RBM(rbm.RBMConfig(3, 2, batch_size=2, persistent=persistent, sample_visible=persistent), tiny)
        r.step(1)
    return time.perf_counter() - start
