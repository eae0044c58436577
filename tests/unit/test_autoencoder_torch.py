"""Dev-only: the autoencoder kernel agrees with PyTorch given the same weights: a plain deep
autoencoder (BCE on a sigmoid output, summed over inputs, mean over the batch), tied weights, and
the VAE (the same eps, beta x KL), loss and every gradient.

Skipped where PyTorch is not installed (it lives in the ``[bench]`` extra, not in CI's ``[test]``).
"""
import numpy as np
import pytest

from engine.autoencoder import AEConfig, Autoencoder

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("kind", ["plain", "tied", "vae"])
def test_loss_and_gradients_match_pytorch(kind):
    rng = np.random.default_rng(0)
    x = rng.random((30, 6))
    cfg = AEConfig(n_inputs=6, encoder=(5,), code=2, activation="tanh", tied=kind == "tied",
                   variational=kind == "vae", beta=0.5)
    m = Autoencoder(cfg, x)
    m.theta += rng.normal(0, 0.2, m.theta.size)
    batch = x[:8]
    eps = rng.normal(size=(8, 2)) if kind == "vae" else None
    loss, grad, _ = m.loss_and_gradient(batch, batch, eps)
    L = len(m.s_in)
    stored = {}
    ws = []
    for l in range(L):
        if m.w_t[l]:
            ws.append(stored[int(m.w_off[l])].T)
        else:
            w = torch.tensor(m.layer_weights(l), requires_grad=True)
            stored[int(m.w_off[l])] = w
            ws.append(w)
    bs = [torch.tensor(m.layer_biases(l), requires_grad=True) for l in range(L)]
    h = torch.tensor(batch)
    for l in range(L):
        if kind == "vae" and l == m.E + 1:
            mu, lv = h[:, :2], h[:, 2:]
            h = mu + torch.exp(0.5 * lv) * torch.tensor(eps)
        z = h @ ws[l] + bs[l]
        h = z if l == m.E else (torch.sigmoid(z) if l == L - 1 else torch.tanh(z))   # a linear code layer
        if l == m.E:
            code = z
    t = torch.tensor(batch)
    t_loss = torch.nn.functional.binary_cross_entropy(h, t, reduction="sum") / len(batch)
    if kind == "vae":
        mu, lv = code[:, :2], code[:, 2:]
        t_loss = t_loss + 0.5 * (-0.5 * (1 + lv - mu ** 2 - torch.exp(lv))).sum() / len(batch)
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-11)
    for l in range(L):
        if not m.w_t[l]:
            np.testing.assert_allclose(m.layer_weights(l, grad), stored[int(m.w_off[l])].grad.numpy(),
                                       rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(m.layer_biases(l, grad), bs[l].grad.numpy(), rtol=1e-8, atol=1e-12)
