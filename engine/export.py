"""A trained MLP taken elsewhere: as JSON (every weight, bias and setting) and as a Python snippet
that needs only NumPy and gives the same predictions (a test runs it and compares).

The weights are written with ``repr``, so the snippet's numbers are the engine's to the last bit;
what it computes differs from the engine only by floating-point rounding in the sums.
"""
from __future__ import annotations

import json

import numpy as np

from engine.mlp import MLP

FORMAT = "netplay-mlp/1"

# each activation as NumPy source over an array ``z`` ({a}: the model's activation parameter)
ACTIVATION_SOURCE = {
    "linear": "z",
    "step": "(z >= 0).astype(float)",
    "sigmoid": "1.0 / (1.0 + np.exp(-z))",
    "tanh": "np.tanh(z)",
    "relu": "np.maximum(z, 0.0)",
    "leaky_relu": "np.where(z > 0, z, {a!r} * z)",
    "elu": "np.where(z > 0, z, {a!r} * np.expm1(np.minimum(z, 0.0)))",
    "softplus": "np.logaddexp(0.0, z)",
    "selu": "np.where(z > 0, 1.0507009873554805 * z, 1.0507009873554805 * 1.6732632423543772 * np.expm1(np.minimum(z, 0.0)))",
    "gelu": "z * 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))",
    "silu": "z / (1.0 + np.exp(-z))",
    "mish": "z * np.tanh(np.logaddexp(0.0, z))",
    "softmax": "np.exp(z - z.max(axis=-1, keepdims=True)) / np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)",
}
# the playground's input features from the point (x1, x2)
FEATURE_SOURCE = {"x1": "x1", "x2": "x2", "x1²": "x1 ** 2", "x2²": "x2 ** 2", "x1·x2": "x1 * x2",
                  "sin x1": "np.sin(x1)", "sin x2": "np.sin(x2)"}


def to_dict(model: MLP, features: list[str] | None = None) -> dict:
    """Everything needed to rebuild the network's predictions, as plain JSON types."""
    c = model.config
    ws, bs = model.weights()
    return {
        "format": FORMAT,
        "inputs": list(features) if features else [f"input {i + 1}" for i in range(c.n_inputs)],
        "sizes": list(c.sizes),
        "hidden_activations": list(c.activations),
        "activation_parameter": float(model._alpha),  # leaky ReLU's slope / ELU's alpha, as trained
        "output_activation": c.output_function,
        "task": c.task,
        "loss": c.loss_name,
        "weights": [w.tolist() for w in ws],   # layer l: (fan_in, fan_out), input rows
        "biases": [b.tolist() for b in bs],
        "steps_trained": int(model.steps),
    }


def to_json(model: MLP, features: list[str] | None = None) -> str:
    return json.dumps(to_dict(model, features), indent=1)


def numpy_snippet(model: MLP, features: list[str] | None = None) -> str:
    """A self-contained Python module: ``predict(...)`` takes the raw inputs (for the playground's
    features, the point's x1 and x2) and returns what ``model.predict`` returns."""
    d = to_dict(model, features)
    a = d["activation_parameter"]
    from_point = bool(features) and all(f in FEATURE_SOURCE for f in features)
    lines = [
        f'"""A neural network exported from netplay ({" - ".join(map(str, d["sizes"]))}, '
        f'{d["steps_trained"]:,} training steps). Needs only NumPy."""',
        "import math",
        "",
        "import numpy as np",
        "",
        "WEIGHTS = [",
        *[f"    np.array({w!r})," for w in d["weights"]],
        "]",
        "BIASES = [",
        *[f"    np.array({b!r})," for b in d["biases"]],
        "]",
        "",
        "",
    ]
    if from_point:
        lines += ["def predict(x1, x2):",
                  '    """The network\'s output for points (x1, x2) (numbers or arrays of the same shape)."""',
                  "    x1, x2 = np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)",
                  f"    a = np.stack([{', '.join(FEATURE_SOURCE[f] for f in features)}], axis=-1)  "
                  f"# {', '.join(features)}"]
    else:
        lines += ["def predict(x):",
                  f'    """The network\'s output for inputs x (..., {d["sizes"][0]})."""',
                  "    a = np.asarray(x, dtype=float)"]
    for l, act in enumerate(d["hidden_activations"] + [d["output_activation"]]):
        lines.append(f"    z = a @ WEIGHTS[{l}] + BIASES[{l}]")
        lines.append(f"    a = {ACTIVATION_SOURCE[act].format(a=a)}  # {act}")
    single = d["task"] in ("binary", "regression")
    lines.append("    return a[..., 0]  # one output" if single else "    return a")
    return "\n".join(lines) + "\n"
