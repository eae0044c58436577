"""A trained MLP taken elsewhere: as JSON (every weight, bias and setting), as a Python snippet
that needs only NumPy, and as PyTorch and Keras model definitions with the weights loaded, each
giving the same predictions (tests run them and compare; the PyTorch and Keras ones where those
libraries are installed).

The weights are written with ``repr``, so the snippet's numbers are the engine's to the last bit;
what it computes differs from the engine only by floating-point rounding in the sums.
"""
from __future__ import annotations

import json

import numpy as np

from engine.kernels.mlp import BN_EPS
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
        "residual": [bool(v) for v in c.skips],   # per layer: its output adds its input
        # per hidden layer: (a - running_mean) / sqrt(running_var + eps) * gamma + beta, "before"
        # its activation (on z) or "after" it (on f(z)); evaluation's running averages
        "batch_norm": c.batch_norm,
        "batch_norm_eps": BN_EPS,
        "batch_norm_layers": [{key: v.tolist() for key, v in layer.items()} for layer in model.batch_norm_state()],
    }


def to_json(model: MLP, features: list[str] | None = None) -> str:
    return json.dumps(to_dict(model, features), indent=1)


BN_KEYS = ("gamma", "beta", "running_mean", "running_var")


def _weight_lines(d: dict) -> list[str]:
    """WEIGHTS and BIASES as NumPy arrays, every number as the engine holds it (and each hidden
    layer's batch normalisation, where the network has it)."""
    lines = ["WEIGHTS = [  # layer l: (inputs, outputs)",
             *[f"    np.array({w!r})," for w in d["weights"]],
             "]",
             "BIASES = [",
             *[f"    np.array({b!r})," for b in d["biases"]],
             "]"]
    if d["batch_norm"] != "off":
        where = "net input z" if d["batch_norm"] == "before" else "activation f(z)"
        lines += [f"BATCH_NORM = [  # per hidden layer, on its {where}: gamma, beta, running mean, running variance",
                  *[f"    [{', '.join(f'np.array({layer[key]!r})' for key in BN_KEYS)}],"
                    for layer in d["batch_norm_layers"]],
                  "]",
                  f"EPS = {d['batch_norm_eps']!r}"]
    return lines


def _inputs_lines(d: dict, features: list[str] | None) -> tuple[list[str], str]:
    """The ``predict`` header and its first lines, up to ``a``: the network's input rows."""
    if bool(features) and all(f in FEATURE_SOURCE for f in features):
        return ["def predict(x1, x2):",
                '    """The network\'s output for points (x1, x2) (numbers or arrays of the same shape)."""',
                "    x1, x2 = np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)",
                f"    a = np.stack([{', '.join(FEATURE_SOURCE[f] for f in features)}], axis=-1)  "
                f"# {', '.join(features)}"], "points"
    return ["def predict(x):",
            f'    """The network\'s output for inputs x (..., {d["sizes"][0]})."""',
            "    a = np.asarray(x, dtype=float)"], "inputs"


def _title(d: dict, needs: str) -> str:
    return (f'"""A neural network exported from netplay ({" - ".join(map(str, d["sizes"]))}, '
            f'{d["steps_trained"]:,} training steps). Needs {needs}."""')


def _ending(d: dict, value: str) -> str:
    single = d["task"] in ("binary", "regression")
    return f"    return {value}[..., 0]  # one output" if single else f"    return {value}"


def numpy_snippet(model: MLP, features: list[str] | None = None) -> str:
    """A self-contained Python module: ``predict(...)`` takes the raw inputs (for the playground's
    features, the point's x1 and x2) and returns what ``model.predict`` returns."""
    d = to_dict(model, features)
    a = d["activation_parameter"]
    lines = [_title(d, "only NumPy"), "import math", "", "import numpy as np", "", *_weight_lines(d), "", ""]
    lines += _inputs_lines(d, features)[0]
    n_hidden = len(d["hidden_activations"])
    for l, act in enumerate(d["hidden_activations"] + [d["output_activation"]]):
        lines.append(f"    z = a @ WEIGHTS[{l}] + BIASES[{l}]")
        bn = d["batch_norm"] if l < n_hidden else "off"
        norm = f"(v - BATCH_NORM[{l}][2]) / np.sqrt(BATCH_NORM[{l}][3] + EPS) * BATCH_NORM[{l}][0] + BATCH_NORM[{l}][1]"
        if bn == "before":
            lines.append(f"    z = {norm.replace('v', 'z', 1)}  # batch normalisation")
        value, what = ACTIVATION_SOURCE[act].format(a=a), act
        if bn == "after":
            lines.append(f"    v = {value}  # {act}")
            value, what = norm, "batch normalisation"
        if d["residual"][l]:
            lines.append(f"    a = {value} + a  # {what}, plus its input (residual)")
        else:
            lines.append(f"    a = {value}  # {what}")
    lines.append(_ending(d, "a"))
    return "\n".join(lines) + "\n"


# each activation as a PyTorch module ({a}: the model's activation parameter)
TORCH_LAYER = {
    "linear": "nn.Identity()", "step": "Step()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU({a!r})", "elu": "nn.ELU({a!r})", "softplus": "nn.Softplus()",
    "selu": "nn.SELU()", "gelu": "nn.GELU()", "silu": "nn.SiLU()", "mish": "nn.Mish()", "softmax": "nn.Softmax(dim=-1)",
}
# ... and as Keras layers after a Dense layer without activation
KERAS_LAYER = {
    "linear": None, "step": "keras.layers.Lambda(lambda z: keras.ops.cast(z >= 0, z.dtype))",
    "sigmoid": 'keras.layers.Activation("sigmoid")', "tanh": 'keras.layers.Activation("tanh")',
    "relu": 'keras.layers.Activation("relu")', "leaky_relu": "keras.layers.LeakyReLU(negative_slope={a!r})",
    "elu": "keras.layers.ELU(alpha={a!r})", "softplus": 'keras.layers.Activation("softplus")',
    "selu": 'keras.layers.Activation("selu")', "gelu": "keras.layers.Lambda(lambda z: keras.ops.gelu(z, approximate=False))",
    "silu": 'keras.layers.Activation("silu")', "mish": 'keras.layers.Activation("mish")',
    "softmax": 'keras.layers.Activation("softmax")',
}


def pytorch_snippet(model: MLP, features: list[str] | None = None) -> str:
    """A Python module that builds the network as a PyTorch ``nn.Sequential`` (float64) with the
    trained weights loaded; ``predict(...)`` as in ``numpy_snippet``."""
    d = to_dict(model, features)
    a = d["activation_parameter"]
    acts = d["hidden_activations"] + [d["output_activation"]]
    layers, blocks = [], []   # flat for a Sequential; one Sequential per layer for residual nets
    for l, act in enumerate(acts):
        act_mod = TORCH_LAYER[act].format(a=a)
        mods = [f"nn.Linear({d['sizes'][l]}, {d['sizes'][l + 1]})", act_mod]
        if l < len(d["hidden_activations"]) and d["batch_norm"] != "off":
            bn = f"nn.BatchNorm1d({d['sizes'][l + 1]}, eps={d['batch_norm_eps']!r})"
            mods.insert(1 if d["batch_norm"] == "before" else 2, bn)
        layers += [f"    {m_}," + (f"  # {act}" if m_ == act_mod else "") for m_ in mods]
        blocks.append(f"            nn.Sequential({', '.join(mods)}),  # {act}")
    lines = [_title(d, "PyTorch"), "import math", "", "import numpy as np", "import torch", "from torch import nn", "",
             *_weight_lines(d), "", ""]
    if "step" in acts:
        lines += ["class Step(nn.Module):", '    """1 where z >= 0, else 0 (no gradient)."""',
                  "    def forward(self, z):", "        return (z >= 0).to(z.dtype)", "", ""]
    if any(d["residual"]):   # a layer that adds its input: not a Sequential, a loop over the layers
        lines += ["RESIDUAL = " + repr(d["residual"]) + "  # per layer: its output adds its input", "", "",
                  "class Net(nn.Module):",
                  "    def __init__(self):",
                  "        super().__init__()",
                  "        self.layers = nn.ModuleList([", *blocks, "        ])", "",
                  "    def forward(self, a):",
                  "        for l, layer in enumerate(self.layers):",
                  "            out = layer(a)",
                  "            a = out + a if RESIDUAL[l] else out",
                  "        return a", "", "",
                  "model = Net().double()"]
    else:
        lines += ["model = nn.Sequential(", *layers, ").double()"]
    lines += ["linears = [m for m in model.modules() if isinstance(m, nn.Linear)]",
              "with torch.no_grad():  # PyTorch keeps a Linear layer's weight as (outputs, inputs)",
              "    for layer, w, b in zip(linears, WEIGHTS, BIASES):",
              "        layer.weight.copy_(torch.from_numpy(w.T.copy()))",
              "        layer.bias.copy_(torch.from_numpy(b))"]
    if d["batch_norm"] != "off":
        lines += ["    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]",
                  "    for layer, (gamma, beta, mean, var) in zip(norms, BATCH_NORM):",
                  "        for p, v in ((layer.weight, gamma), (layer.bias, beta), (layer.running_mean, mean),",
                  "                     (layer.running_var, var)):",
                  "            p.copy_(torch.from_numpy(v))"]
    lines += ["model.eval()  # batch normalisation by its running averages, as netplay predicts" if
              d["batch_norm"] != "off" else "model.eval()", "", ""]
    lines += _inputs_lines(d, features)[0]
    lines += ["    with torch.no_grad():", "        out = model(torch.from_numpy(np.ascontiguousarray(a))).numpy()",
              _ending(d, "out")]
    return "\n".join(lines) + "\n"


def keras_snippet(model: MLP, features: list[str] | None = None) -> str:
    """A Python module that builds the network as a Keras 3 ``Sequential`` (float64) with the
    trained weights loaded; ``predict(...)`` as in ``numpy_snippet``. Keras' PyTorch backend
    multiplies float64 matrices in float32 (Keras 3.15), so there the predictions agree to about
    1e-6, not to the last digits (said in the file)."""
    d = to_dict(model, features)
    a = d["activation_parameter"]
    layers = [f"    keras.Input(shape=({d['sizes'][0]},)),"]
    for l, act in enumerate(d["hidden_activations"] + [d["output_activation"]]):
        bn = d["batch_norm"] if l < len(d["hidden_activations"]) else "off"
        layers.append(f"    keras.layers.Dense({d['sizes'][l + 1]}),")
        if bn == "before":
            layers.append(f"    {_keras_bn(d)},")
        if KERAS_LAYER[act] is not None:
            layers.append(f"    {KERAS_LAYER[act].format(a=a)},  # {act}")
        if bn == "after":
            layers.append(f"    {_keras_bn(d)},")
    lines = [_title(d, "Keras 3 and one of its backends (JAX, TensorFlow or PyTorch)")[:-3],
             "Keras' PyTorch backend multiplies in float32 (Keras 3.15): there its predictions agree with netplay's",
             'to about 1e-6; JAX needs jax.config.update("jax_enable_x64", True) for double precision."""',
             "import math", "",
             "import keras", "import numpy as np", "", "keras.config.set_floatx(\"float64\")  # netplay computes in double precision",
             "keras.config.set_dtype_policy(\"float64\")", "",
             *_weight_lines(d), "", "",
             *(_keras_functional(d, a) if any(d["residual"]) else ["model = keras.Sequential([", *layers, "])"]),
             "for layer, w, b in zip([x for x in model.layers if isinstance(x, keras.layers.Dense)], WEIGHTS, BIASES):",
             "    layer.set_weights([w, b])  # Keras keeps a Dense kernel as (inputs, outputs), as netplay does",
             *(["for layer, weights in zip([x for x in model.layers if isinstance(x, keras.layers.BatchNormalization)],",
                "                          BATCH_NORM):",
                "    layer.set_weights(weights)  # gamma, beta, moving mean, moving variance"]
               if d["batch_norm"] != "off" else []), "", ""]
    lines += _inputs_lines(d, features)[0]
    lines += ["    shape = a.shape[:-1]",
              "    out = keras.ops.convert_to_numpy(model(a.reshape(-1, a.shape[-1]), training=False))",
              "    out = out.reshape(*shape, out.shape[-1])",
              _ending(d, "out")]
    return "\n".join(lines) + "\n"


def _keras_functional(d: dict, a: float) -> list[str]:
    """A network with residual connections in Keras' functional API (an Add layer per skip)."""
    lines = [f"inputs = keras.Input(shape=({d['sizes'][0]},))", "a = inputs"]
    for l, act in enumerate(d["hidden_activations"] + [d["output_activation"]]):
        bn = d["batch_norm"] if l < len(d["hidden_activations"]) else "off"
        out = f"keras.layers.Dense({d['sizes'][l + 1]})(a)"
        if bn == "before":
            out = f"{_keras_bn(d)}({out})"
        if KERAS_LAYER[act] is not None:
            out = f"{KERAS_LAYER[act].format(a=a)}({out})"
        if bn == "after":
            out = f"{_keras_bn(d)}({out})"
        lines.append(f"a = keras.layers.Add()([{out}, a])  # {act}, plus its input (residual)" if d["residual"][l]
                     else f"a = {out}  # {act}")
    return lines + ["model = keras.Model(inputs, a)"]


def _keras_bn(d: dict) -> str:
    """Keras' batch normalisation with netplay's (PyTorch's) settings: momentum 0.9 is Keras' way
    of saying 0.1 of each batch."""
    return f"keras.layers.BatchNormalization(momentum=0.9, epsilon={d['batch_norm_eps']!r})"
