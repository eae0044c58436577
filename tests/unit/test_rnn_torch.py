"""Dev-only: the recurrent kernels agree with PyTorch's nn.RNN and nn.LSTM given the same weights
(loss and every gradient), one and two layers, many-to-one and many-to-many.

PyTorch's nn.GRU is another GRU: it applies the reset gate after the recurrent product,
n = tanh(W_in x + b_in + r * (W_hn h' + b_hn)), and keeps h' where z is 1. The course's GRU
(seed 004, and Keras with reset_after=False) resets h' before the product, n = tanh(W x + W_h (r h') + b),
and takes the new value where z is 1; the two compute different functions, so ours is checked
against the NumPy reference and finite differences (tests/unit/test_rnn.py) instead.
Skipped where PyTorch is not installed (it lives in the ``[bench]`` extra, not in CI's ``[test]``).
"""
import numpy as np
import pytest

from engine import rnn, sequences

torch = pytest.importorskip("torch")


def _torch_pair(m: rnn.RNN):
    """A torch nn.RNN / nn.LSTM and head holding ``m``'s weights (float64)."""
    c = m.config
    cls = torch.nn.RNN if c.cell == "rnn" else torch.nn.LSTM
    net = cls(m.n_in, c.hidden, num_layers=c.layers, batch_first=True).double()
    with torch.no_grad():
        for layer in range(c.layers):
            w = m.weights(layer)
            getattr(net, f"weight_ih_l{layer}").copy_(torch.from_numpy(w["W_x"].T.copy()))
            getattr(net, f"weight_hh_l{layer}").copy_(torch.from_numpy(w["W_h"].T.copy()))
            getattr(net, f"bias_ih_l{layer}").copy_(torch.from_numpy(w["b"].copy()))
            getattr(net, f"bias_hh_l{layer}").zero_()
    wy, by = m.head()
    head = torch.nn.Linear(c.hidden, m.n_out).double()
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(wy.T.copy()))
        head.bias.copy_(torch.from_numpy(by.copy()))
    return net, head


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("task_name", ["adding", "text"])
def test_loss_and_gradients_match_pytorch(cell, layers, task_name):
    task = sequences.adding(40, 9, seed=2) if task_name == "adding" else sequences.text(7, 40, seed=2)
    m = rnn.RNN(rnn.RNNConfig(cell=cell, hidden=6, layers=layers), task)
    m.theta += np.random.default_rng(5).normal(0, 0.2, m.theta.size)
    rows = np.arange(7)
    loss, grad, _ = m.loss_and_gradient(rows)
    net, head = _torch_pair(m)
    if task.xi is not None:
        x = torch.nn.functional.one_hot(torch.from_numpy(task.xi[rows]), m.n_in).double()
    else:
        x = torch.from_numpy(task.x[rows])
    out, _ = net(x)
    y = head(out if task.many_to_many else out[:, -1:])
    if task.loss == "ce":
        t_loss = torch.nn.functional.cross_entropy(y.reshape(-1, m.n_out), torch.from_numpy(task.yi[rows]).reshape(-1))
    else:
        t_loss = torch.nn.functional.mse_loss(y, torch.from_numpy(task.y[rows]))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    for layer in range(layers):
        g = m.weights(layer, grad)
        np.testing.assert_allclose(g["W_x"].T, getattr(net, f"weight_ih_l{layer}").grad.numpy(), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(g["W_h"].T, getattr(net, f"weight_hh_l{layer}").grad.numpy(), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(g["b"], getattr(net, f"bias_ih_l{layer}").grad.numpy(), rtol=1e-9, atol=1e-14)
    wy, by = m.head(grad)
    np.testing.assert_allclose(wy.T, head.weight.grad.numpy(), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(by, head.bias.grad.numpy(), rtol=1e-9, atol=1e-14)
