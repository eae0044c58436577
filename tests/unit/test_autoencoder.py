"""Autoencoders: every variant's loss and gradient against a NumPy reference and finite
differences; training that compresses the digits; the VAE's KL; denoising; masked inputs; stacking."""
from __future__ import annotations

import numpy as np
import pytest

from engine import datasets
from engine.autoencoder import AEConfig, Autoencoder
from tests.unit.reference import autoencoder_loss_and_grads

RNG = np.random.default_rng(0)
X = RNG.random((40, 6))

VARIANTS = {
    "plain": AEConfig(n_inputs=6, encoder=(5,), code=2),
    "deep tanh linear": AEConfig(n_inputs=6, encoder=(5, 4), code=3, activation="tanh", output="linear"),
    "tied": AEConfig(n_inputs=6, encoder=(5,), code=2, tied=True),
    "tied deep": AEConfig(n_inputs=6, encoder=(5, 4), code=3, tied=True, activation="tanh"),
    "variational": AEConfig(n_inputs=6, encoder=(5,), code=3, variational=True, beta=0.7),
    "sparse l1": AEConfig(n_inputs=6, encoder=(5,), code=3, sparsity="l1", sparsity_weight=0.1),
    "sparse kl": AEConfig(n_inputs=6, encoder=(5,), code=3, sparsity="kl", code_activation="sigmoid",
                          sparsity_weight=0.3, sparsity_target=0.1),
    "contractive sigmoid": AEConfig(n_inputs=6, encoder=(5,), code=3, contractive=0.2, code_activation="sigmoid"),
    "contractive tanh, no hidden": AEConfig(n_inputs=6, encoder=(), code=3, contractive=0.2, code_activation="tanh"),
}


def _batch(m: Autoencoder, n: int = 7):
    x_in = m.corrupt(m.x[:n], np.random.default_rng(1))
    eps = np.random.default_rng(2).normal(size=(n, m.config.code)) if m.config.variational else None
    return x_in, m.x[:n], eps


@pytest.mark.parametrize("name", VARIANTS)
def test_loss_and_gradient_match_the_numpy_reference(name):
    c = VARIANTS[name]
    m = Autoencoder(c, X)
    m.theta += np.random.default_rng(3).normal(0, 0.2, m.theta.size)
    x_in, target, eps = _batch(m)
    loss, grad, parts = m.loss_and_gradient(x_in, target, eps)
    L = len(m.s_in)
    acts = [c.activation] * L
    acts[m.E] = "linear" if c.variational else c.code_activation
    acts[-1] = c.output
    ref_loss, gw, gb = autoencoder_loss_and_grads(
        x_in, target, np.ones_like(target), [m.layer_weights(l) for l in range(L)],
        [m.layer_biases(l) for l in range(L)], acts, m.E, c.output, c.variational, c.beta, eps, c.sparsity,
        c.sparsity_weight, c.sparsity_target, c.contractive, c.tied)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for l in range(L):
        np.testing.assert_allclose(m.layer_weights(l, grad), gw[l], rtol=1e-9, atol=1e-13, err_msg=f"W{l}")
        np.testing.assert_allclose(m.layer_biases(l, grad), gb[l], rtol=1e-9, atol=1e-13, err_msg=f"b{l}")
    assert loss == pytest.approx(parts[0] + c.beta * parts[1] + parts[2] + parts[3], rel=1e-12)


@pytest.mark.parametrize("name", ["plain", "variational", "sparse kl", "contractive sigmoid", "tied deep"])
def test_gradient_matches_finite_differences(name):
    m = Autoencoder(VARIANTS[name], X)
    m.theta += np.random.default_rng(4).normal(0, 0.2, m.theta.size)
    x_in, target, eps = _batch(m)
    _, grad, _ = m.loss_and_gradient(x_in, target, eps)
    for i in np.random.default_rng(5).choice(m.theta.size, 30, replace=False):
        old = m.theta[i]
        m.theta[i] = old + 1e-6
        up = m.loss_and_gradient(x_in, target, eps)[0]
        m.theta[i] = old - 1e-6
        down = m.loss_and_gradient(x_in, target, eps)[0]
        m.theta[i] = old
        assert grad[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-7)


def test_unknown_inputs_are_left_out_of_the_loss_and_predicted():
    x = X.copy()
    x[RNG.random(x.shape) < 0.3] = -1.0
    m = Autoencoder(AEConfig(n_inputs=6, encoder=(5,), code=2), x)
    assert m.has_unknown and np.all(m.x[x < 0] == 0)
    _, grad, parts = m.loss_and_gradient(m.x[:7], x[:7])
    known = x[:7] >= 0
    out = m.reconstruct(m.x[:7])
    p = np.clip(out, 1e-12, 1 - 1e-12)
    expected = -(known * (x[:7] * np.log(p) + (1 - x[:7]) * np.log(1 - p))).sum() / 7
    assert parts[0] == pytest.approx(expected, rel=1e-12)


def test_digits_compress_through_a_two_number_code_and_the_seed_reproduces_it():
    d = datasets.digits()
    runs = []
    for _ in range(2):
        m = Autoencoder(AEConfig(encoder=(32,), code=2, seed=1), d.x, d.y)
        m.step(1500)
        runs.append(m)
    h = runs[0].history
    assert h.test_loss[-1] < 0.6 * h.test_loss[0]
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)
    codes = runs[0].encode(d.x[:200])
    assert codes.shape == (200, 2) and np.ptp(codes) > 0.1
    assert runs[0].decode(codes[:5]).shape == (5, 64)
    np.testing.assert_allclose(runs[0].decode(codes[:5]), runs[0].reconstruct(d.x[:5]), rtol=1e-10)


def test_the_vae_learns_a_code_near_the_prior_and_decodes_it():
    d = datasets.digits()
    m = Autoencoder(AEConfig(encoder=(32,), code=2, variational=True, beta=1.0), d.x, d.y)
    m.step(2000)
    assert m.history.test_loss[-1] < 0.7 * m.history.test_loss[0]
    assert 0.5 < m.history.kl[-1] < 20                      # the code carries information, near N(0, I)
    mu = m.encode(d.x)
    assert abs(mu.mean()) < 1.0 and 0.2 < mu.std() < 3.0
    grid = m.decode(np.array([[a, b] for a in (-1.5, 0, 1.5) for b in (-1.5, 0, 1.5)]))
    assert grid.shape == (9, 64) and np.all((grid >= 0) & (grid <= 1))


def test_denoising_beats_a_plain_autoencoder_on_corrupted_digits():
    d = datasets.digits()
    noisy = np.random.default_rng(0)
    plain = Autoencoder(AEConfig(encoder=(48,), code=16, seed=2), d.x)
    denoising = Autoencoder(AEConfig(encoder=(48,), code=16, noise="masking", noise_level=0.4, seed=2), d.x)
    for m in (plain, denoising):
        m.step(1500)
    rows = plain.test_rows
    corrupted = d.x[rows] * (noisy.random((len(rows), 64)) >= 0.4)
    err = [np.mean((m.reconstruct(corrupted) - d.x[rows]) ** 2) for m in (plain, denoising)]
    assert err[1] < err[0]


def test_kl_sparsity_pulls_the_mean_code_activation_to_its_target():
    d = datasets.digits()
    m = Autoencoder(AEConfig(encoder=(), code=32, code_activation="sigmoid", sparsity="kl", sparsity_weight=5.0,
                             sparsity_target=0.05), d.x)
    m.step(2000)
    assert m.history.code_mean[-1] < 0.08                  # the target is 0.05
    free = Autoencoder(AEConfig(encoder=(), code=32, code_activation="sigmoid"), d.x)
    free.step(2000)
    assert free.history.code_mean[-1] > 2 * m.history.code_mean[-1]


def test_stacked_pretrains_each_layer_then_fine_tunes():
    d = datasets.digits()
    m = Autoencoder(AEConfig(encoder=(32, 16), code=4, stacked=True, pretrain_updates=100), d.x)
    assert m.phase == "pre-training layer 1 of 3"
    start = m.history.test_loss[0]
    m.step(100)
    assert m.phase == "pre-training layer 2 of 3"
    m.step(100)
    m.step(100)
    assert m.phase == "fine-tuning" and m.stage is None
    after_pretraining = m.loss(m.test_rows)[0]
    assert after_pretraining < start                        # the stacked layers already reconstruct
    m.step(300)
    assert m.history.test_loss[-1] < after_pretraining


def test_tied_weights_share_one_matrix():
    m = Autoencoder(AEConfig(n_inputs=6, encoder=(5,), code=2, tied=True), X)
    np.testing.assert_array_equal(m.layer_weights(3), m.layer_weights(0).T)
    np.testing.assert_array_equal(m.layer_weights(2), m.layer_weights(1).T)
    m.step(5)
    np.testing.assert_array_equal(m.layer_weights(3), m.layer_weights(0).T)
    untied = Autoencoder(AEConfig(n_inputs=6, encoder=(5,), code=2), X)
    assert m.theta.size == untied.theta.size - 6 * 5 - 5 * 2


def test_divergence_is_a_state():
    m = Autoencoder(AEConfig(n_inputs=6, encoder=(5,), code=2, output="linear", optimizer="sgd",
                             learning_rate=50.0), X * 100)
    for _ in range(20):
        if m.step(20) == "diverged":
            break
    assert m.status == "diverged" and m.step(1) == "diverged"


def test_unrecorded_updates_skip_only_the_loss():
    """record=False skips the cross-entropy's logarithms, nothing else: the same seed trains to the
    same weights bit for bit, and an output gone infinite still stops training as diverged."""
    a = Autoencoder(AEConfig(n_inputs=6, encoder=(5,), code=2, seed=3), X)
    b = Autoencoder(AEConfig(n_inputs=6, encoder=(5,), code=2, seed=3), X)
    for _ in range(3):
        a.step(30, record=True)
        b.step(30, record=False)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert len(a.history.train_loss) == 4 and len(b.history.train_loss) == 1
    b.theta[b.b_off[-1]] = np.inf   # an output's bias: its logits go infinite, the gradient stays finite
    assert b.step(5, record=False) == "diverged" and b.updates == 90   # seen on the first update


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"code": 0}, "code"), ({"encoder": (0,)}, "encoder"), ({"encoder": "32"}, "encoder"),
    ({"noise": "salt"}, "noise"), ({"noise": "masking", "noise_level": 1.0}, "noise_level"),
    ({"sparsity": "kl"}, "sigmoid"), ({"contractive": 0.1}, "contractive"),
    ({"variational": True, "sparsity": "l1"}, "variational"), ({"output": "softmax"}, "output"),
    ({"learning_rate": 0}, "learning_rate"), ({"stacked": True, "variational": True}, "stacked")])
def test_bad_settings_are_refused_in_words(kwargs, word):
    with pytest.raises(ValueError, match=word):
        AEConfig(**kwargs)


def test_bad_data_and_calls_are_refused():
    with pytest.raises(ValueError, match="columns"):
        Autoencoder(AEConfig(n_inputs=5), X)
    with pytest.raises(ValueError, match="sigmoid"):
        Autoencoder(AEConfig(n_inputs=6), X * 3)
    m = Autoencoder(AEConfig(n_inputs=6, encoder=(5,), code=2), X)
    with pytest.raises(ValueError, match="codes"):
        m.decode(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="n_updates"):
        m.step(0)


def test_the_vaes_kl_is_computed_from_its_mu_and_log_variance():
    """The KL per sample (the loss curves' KL) from the encoder's two halves, checked in NumPy. It
    was once computed from mu's first column copied over all 2c outputs: the kernel cut the code
    layer to the width of a (B, 1) dummy, and a broadcasting slice assignment spread it."""
    d = datasets.digits()
    m = Autoencoder(AEConfig(encoder=(32,), code=2, variational=True, beta=1.0, seed=3), d.x, d.y)
    m.step(50)
    x = d.x[:40]
    h = np.maximum(x @ m.layer_weights(0) + m.layer_biases(0), 0.0)   # ReLU hidden layer
    full = h @ m.layer_weights(1) + m.layer_biases(1)                 # linear: mu | log sigma^2
    np.testing.assert_allclose(m.encode_layers(x, 2), full, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.encode(x), full[:, :2], rtol=1e-10, atol=1e-12)
    mu, lv = full[:, :2], np.clip(full[:, 2:], -30, 30)
    kl = (-0.5 * (1 + lv - mu ** 2 - np.exp(lv))).sum(axis=1).mean()
    assert m.loss(np.arange(40))[1] == pytest.approx(kl, rel=1e-10)
    assert not np.allclose(full[:, 2:], full[:, :1])   # log sigma^2 is not mu's first column
