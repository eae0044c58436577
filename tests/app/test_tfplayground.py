"""A TensorFlow Playground link becomes this playground's settings."""
from __future__ import annotations

import pytest

from app.state.tfplayground import translate

LIMITS = dict(learning_rates=(0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
              reg_rates=(0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
              batch_sizes=(1, 2, 5, 10, 20, 50, 100, 0), max_layers=8, max_units=32)
# the address TF Playground shows for its spiral demo, as copied from the browser
SPIRAL = ("https://playground.tensorflow.org/#activation=tanh&batchSize=10&dataset=spiral&regDataset=reg-plane"
          "&learningRate=0.03&regularizationRate=0&noise=0&networkShape=8,8,5&seed=0.59457&showTestData=false"
          "&discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=true&ySquared=true&cosX=false"
          "&sinX=true&cosY=false&sinY=true&collectStats=false&problem=classification&initZero=false&hideText=false")


def test_the_spiral_demo_translates_setting_by_setting():
    out, notes = translate(SPIRAL, **LIMITS)
    assert out["pg_data"] == "spiral" and out["pg_opt"] == "sgd" and out["pg_lr"] == 0.03
    assert out["pg_layers"] == 3 and [out["pg_u0"], out["pg_u1"], out["pg_u2"]] == [8, 8, 5]
    assert out["pg_a0"] == out["pg_a2"] == "tanh"
    assert out["pg_feat"] == ["x1", "x2", "x1²", "x2²", "sin x1", "sin x2"]
    assert out["pg_test"] == 50 and out["pg_noise"] == 0 and out["pg_batch"] == "10" and out["pg_rate"] == 0.0
    assert out["pg_show_test"] is False and out["pg_discrete"] is False and out["pg_init"] == "tf_playground"
    assert out["pg_tfmode"] is True and out["pg_points"] == 500          # trained as TF Playground trains
    assert notes == []                                   # seed, cosX, collectStats, hideText: nothing to say


def test_values_this_playground_does_not_offer_move_to_the_nearest_and_say_so():
    out, notes = translate("playground.tensorflow.org/#problem=regression&regDataset=reg-gauss&batchSize=7"
                           "&regularizationRate=3&percTrainData=75&networkShape=40&initZero=true&foo=1", **LIMITS)
    assert out["pg_data"] == "multi_gaussian" and out["pg_batch"] == "5" and out["pg_rate"] == 1.0
    assert out["pg_u0"] == 32 and out["pg_init"] == "zeros" and out["pg_test"] in (20, 30)
    text = " ".join(notes)
    assert "`batchSize`" in text and "`regularizationRate`" in text and "32 is the most" in text
    assert "no counterpart here, left out: `foo`" in text
    assert out["pg_points"] == 1000 and "1,200 points for regression" in text


@pytest.mark.parametrize("link,why", [("", "paste"), ("https://example.com/page", "not a TensorFlow Playground"),
                                      ("https://playground.tensorflow.org/", "no settings"), ("x" * 2100, "too long")])
def test_what_is_not_a_playground_link_says_so(link, why):
    with pytest.raises(ValueError, match=why):
        translate(link, **LIMITS)


def test_nothing_from_the_link_reaches_the_page_unquoted():
    _, notes = translate("playground.tensorflow.org/#dataset=**x**[a](https://evil.example)&activation=<b>", **LIMITS)
    for note in notes:
        for part in note.split("`")[0::2]:             # outside the code spans: only our words
            assert "evil" not in part and "<b>" not in part
