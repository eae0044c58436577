"""Every run tells the browser every setting's value, not only the run that first set it.

Streamlit sends a keyed widget's value only on a run that set it through session_state; on other
runs the browser is trusted to keep what it shows. In Chromium it did not always: the optimizer
lab's controls were remounted during a Play run and came up at their element defaults (kappa 1, 20
steps, no optimizer), and Pause sent those back as the learner's settings (about 1 run in 6 of
tests/e2e/test_optimizer_browser.py). ``url.hold`` re-sets each value so every run carries it.
"""
from __future__ import annotations

import pytest

LABS = [*[("neuron_lab", {"section": s}) for s in ("McCulloch-Pitts unit", "Perceptron", "Activations", "Softmax",
                                                   "Backpropagation")],
        ("playground", {}), ("playground", {"pg_data": "draw"}), ("cnn_lab", {}), ("som_lab", {}), ("rbm_lab", {}),
        ("cnn_lab", {"cnn_mode": "shapes"}), ("cnn_lab", {"cnn_mode": "train"}),
        ("rbm_lab", {"rbm_mode": "worked"}), ("rbm_lab", {"rbm_mode": "movies"}),
        ("optimizer_lab", {}), ("optimizer_lab", {"op_mode": "lr"}), ("optimizer_lab", {"op_mode": "curve"}),
        ("optimizer_lab", {"op_surface": "network", "op_net_dir": "weights"})]

# drawn with value=/index= computed from the page's state each run: a remount shows the true value
DRAWN_WITH_VALUE = ("cnn_in_", "rbm_movie_")


def _widgets(node):
    """Every value widget under ``node`` (buttons have no value to keep, so no ``set_value``)."""
    if hasattr(getattr(node, "proto", None), "set_value"):
        yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _widgets(child)


@pytest.mark.parametrize(("lab", "query"), LABS, ids=[f"{lab}-{'-'.join(q.values()) or 'default'}"
                                                       for lab, q in LABS])
def test_a_plain_rerun_sends_every_widget_value_again(open_page, lab, query):
    at = open_page()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"labs/{lab}.py").run()
    at.run()  # nothing changed: Streamlit alone would now send no values
    assert not at.exception, at.exception
    widgets = list(_widgets(at._tree))
    assert len(widgets) >= 3, f"found only {len(widgets)} value widgets on {lab}"
    not_sent = [w.key or w.label for w in widgets
                if not w.proto.set_value and not (w.key or "").startswith(DRAWN_WITH_VALUE)]
    assert not not_sent, f"{lab}: a remounted widget would show its default instead of: {not_sent}"
    # and the value sent is the one the page computes with
    for w in widgets:
        if w.key and not w.key.startswith("_"):
            assert w.value == at.session_state[w.key], w.key
