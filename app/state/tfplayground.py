"""A TensorFlow Playground link (playground.tensorflow.org/#activation=tanh&...) as this
playground's settings: the same data, features, network, learning rate and regularisation, and
TF Playground mode on, so training runs as it does there (plain SGD, -1/+1 labels, a tanh output,
1/2 squared error, its initial weights; see app/labs/playground.py). A value this playground cannot
take (a batch size of 7, a regularisation rate of 3) becomes the nearest it can, and the sentence
says so; keys with no counterpart here (cosX, collectStats, ...) are named, quoted, never echoed raw.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from app.state.echo import quote

DATASETS = {"circle": "circle", "xor": "xor", "gauss": "gaussians", "spiral": "spiral"}
REG_DATASETS = {"reg-plane": "plane", "reg-gauss": "multi_gaussian"}
FEATURES = {"x": "x1", "y": "x2", "xSquared": "x1²", "ySquared": "x2²", "xTimesY": "x1·x2",
            "sinX": "sin x1", "sinY": "sin x2"}
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "linear"}
IGNORED = {"seed", "collectStats", "hideText", "cosX", "cosY", "tutorial"}  # no counterpart; said
MAX_LINK_CHARS = 2000
TF_POINTS = {False: 500, True: 1200}   # src/playground.ts: NUM_SAMPLES_CLASSIFY, NUM_SAMPLES_REGRESS


def _nearest(value: float, allowed: tuple) -> float:
    return min(allowed, key=lambda a: (abs(a - value), a))


def translate(link: str, *, learning_rates: tuple, reg_rates: tuple, batch_sizes: tuple,
              max_layers: int, max_units: int, max_points: int = 1000) -> tuple[dict, list[str]]:
    """Session settings for a TF Playground link, and sentences about what could not be taken as
    it is. A ValueError says why a text is not such a link at all."""
    if not isinstance(link, str) or not link.strip():
        raise ValueError("paste a playground.tensorflow.org link")
    link = link.strip()
    if len(link) > MAX_LINK_CHARS:
        raise ValueError("that link is too long to be a TensorFlow Playground link")
    parts = urlsplit(link if "://" in link else "https://" + link.lstrip("#"))
    fragment = parts.fragment or (parts.path.lstrip("/") if "=" in parts.path else "")
    if parts.netloc and "playground.tensorflow.org" not in parts.netloc and not fragment:
        raise ValueError(f"{quote(link, 60)} is not a TensorFlow Playground link")
    pairs = dict(parse_qsl(fragment, keep_blank_values=True))
    if not pairs:
        raise ValueError("the link has no settings after its #")
    # TF Playground mode: trained as TF Playground trains (plain SGD, its initial weights, ...)
    out: dict = {"pg_opt": "sgd", "pg_tfmode": True, "pg_init": "tf_playground"}
    notes: list[str] = []

    def bad(key: str, value: str, why: str) -> None:
        notes.append(f"{quote(key, 30)} = {quote(value, 30)}: {why}")

    problem = pairs.pop("problem", "classification")
    regression = problem == "regression"
    if problem not in ("classification", "regression"):
        bad("problem", problem, "not classification or regression; classification used")
    out["pg_points"] = min(TF_POINTS[regression], max_points)   # how many points TF Playground makes
    if TF_POINTS[regression] > max_points:
        notes.append(f"TF Playground makes {TF_POINTS[regression]:,} points for regression; "
                     f"{max_points:,} here (the most)")
    name = pairs.pop("regDataset" if regression else "dataset", None)
    pairs.pop("dataset" if regression else "regDataset", None)
    table = REG_DATASETS if regression else DATASETS
    if name is not None:
        if name in table:
            out["pg_data"] = table[name]
        else:
            bad("regDataset" if regression else "dataset", name, "unknown dataset; kept the current one")
    if "activation" in pairs:
        act = pairs.pop("activation")
        if act in ACTIVATIONS:
            out.update({f"pg_a{i}": ACTIVATIONS[act] for i in range(max_layers)})
        else:
            bad("activation", act, "unknown activation; kept the current ones")
    if "networkShape" in pairs:
        raw = pairs.pop("networkShape")
        try:
            shape = [int(v) for v in raw.split(",") if v.strip()] if raw.strip() else []
            if len(shape) > max_layers or any(not 1 <= v <= 8 * max_units for v in shape):
                raise ValueError
            for i, units in enumerate(shape):
                if units > max_units:
                    bad("networkShape", raw, f"layer {i + 1} has {units} units; {max_units} is the most here")
                out[f"pg_u{i}"] = min(units, max_units)
            out["pg_layers"] = len(shape)
        except ValueError:
            bad("networkShape", raw, f"not up to {max_layers} layer widths; kept the current network")
    for key, allowed, field, fmt in (("learningRate", learning_rates, "pg_lr", float),
                                     ("regularizationRate", reg_rates, "pg_rate", float),
                                     ("batchSize", batch_sizes[:-1], "pg_batch", float)):
        if key in pairs:
            raw = pairs.pop(key)
            try:
                value = fmt(raw)
                if value != value or value < 0 or value > 1e6:
                    raise ValueError
            except ValueError:
                bad(key, raw, "not a number; kept the current value")
                continue
            near = _nearest(value, allowed)
            if near != value:
                bad(key, raw, f"not offered here; {near:g} used")
            out[field] = str(int(near)) if field == "pg_batch" else near
    if "regularization" in pairs:
        raw = pairs.pop("regularization")
        if raw in ("none", "L1", "L2"):
            out["pg_reg"] = raw
        else:
            bad("regularization", raw, "not none, L1 or L2; kept the current one")
    for key, field in (("noise", "pg_noise"), ("percTrainData", "pg_test")):
        if key in pairs:
            raw = pairs.pop(key)
            try:
                step = 5 if key == "noise" else 10  # this playground's slider steps
                number = float(raw)
                value = int(round(number / step) * step)
                if not 0 <= value <= (50 if key == "noise" else 100):
                    raise ValueError
            except ValueError:
                bad(key, raw, "out of range; kept the current value")
                continue
            if value != number:
                bad(key, raw, f"moved to {value}, the nearest step here")
            out[field] = value if key == "noise" else min(90, max(10, 100 - value))
    features = [ours for theirs, ours in FEATURES.items() if pairs.pop(theirs, "false") == "true"]
    if features:
        out["pg_feat"] = features
    for key, field in (("showTestData", "pg_show_test"), ("discretize", "pg_discrete")):
        if key in pairs:
            out[field] = pairs.pop(key) == "true"
    if "initZero" in pairs and pairs.pop("initZero") == "true":
        out["pg_init"] = "zeros"
    unused = [k for k in pairs if k not in IGNORED]
    if unused:
        notes.append("no counterpart here, left out: " + ", ".join(quote(k, 20) for k in unused[:8])
                     + (" …" if len(unused) > 8 else ""))
    return out, notes
