"""A weight or bias typed on the playground's network picture, checked and applied to the engine.

The edit arrives from the browser (``render.edits``), so nothing in it is trusted: every index is
checked against this network and the value must be a finite number within EDIT_LIMIT."""
from __future__ import annotations

from engine import checks
from engine.mlp import MLP

EDIT_LIMIT = 100.0  # a typed weight or bias: beyond this every tanh saturates and nothing is learnt


def unit_name(sizes: tuple[int, ...], inputs: list[str], layer: int, unit: int) -> str:
    """A unit as the network picture names it: an input's feature, h<layer>,<unit>, out."""
    if layer == 0:
        return inputs[unit] if unit < len(inputs) else f"input {unit + 1}"
    if layer == len(sizes) - 1:
        return f"out {unit + 1}" if sizes[-1] > 1 else "out"
    return f"h{layer},{unit + 1}"


def apply_network_edit(model: MLP, edit: object, inputs: list[str]) -> str:
    """Set the weight or bias a learner typed on the network picture. ``edit`` comes from the
    browser, so it is checked whole (shape, indices, a finite value within EDIT_LIMIT); returns
    what was changed, or raises ValueError saying why nothing was."""
    if not isinstance(edit, dict) or edit.get("kind") not in ("weight", "bias"):
        raise ValueError("the edit was not a weight or a bias")
    sizes, weight = model.config.sizes, edit["kind"] == "weight"
    layer = checks.whole("layer", edit.get("layer"), 0 if weight else 1, len(sizes) - (2 if weight else 1))
    value = checks.real("the new value", edit.get("value"), -EDIT_LIMIT, EDIT_LIMIT)
    ws, bs = model.weights()
    if weight:
        a = checks.whole("from", edit.get("from"), 0, sizes[layer] - 1)
        b = checks.whole("to", edit.get("to"), 0, sizes[layer + 1] - 1)
        ws[layer][a, b] = value
        what = f"the weight {unit_name(sizes, inputs, layer, a)} → {unit_name(sizes, inputs, layer + 1, b)}"
    else:
        j = checks.whole("unit", edit.get("unit"), 0, sizes[layer] - 1)
        bs[layer - 1][j] = value
        what = f"the bias of {unit_name(sizes, inputs, layer, j)}"
    model.set_weights(ws, bs)
    return f"Set {what} to {value:g}."
