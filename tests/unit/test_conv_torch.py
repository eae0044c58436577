"""Dev-only: convolution and pooling agree with PyTorch's conv2d / max_pool2d, outputs and gradients.

Skipped where PyTorch is not installed (it lives in the ``[bench]`` extra, not in CI's ``[test]``).
"""
import numpy as np
import pytest

from engine.conv import conv2d, conv2d_backward, pool2d, pool2d_backward

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1), (3, 0)])
def test_conv2d_matches_pytorch(stride, padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3, 11, 9))
    w = rng.normal(size=(5, 3, 3, 3))
    b = rng.normal(size=5)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    tout = F.conv2d(tx, tw, tb, stride=stride, padding=padding)
    out = conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    dout = rng.normal(size=out.shape)
    tout.backward(torch.tensor(dout))
    dx, dw, db = conv2d_backward(x, w, dout, stride, padding)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1)])
def test_max_pool_matches_pytorch(size, stride):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 10, 9))
    tx = torch.tensor(x, requires_grad=True)
    tout, tidx = F.max_pool2d(tx, size, stride, return_indices=True)
    out, arg = pool2d(x, size, stride, "max")
    np.testing.assert_array_equal(out, tout.detach().numpy())
    np.testing.assert_array_equal(arg, tidx.numpy())  # the same flat winner positions
    dout = rng.normal(size=out.shape)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(pool2d_backward(dout, x.shape, size, stride, "max", arg), tx.grad.numpy(), rtol=1e-12)


def test_average_pool_matches_pytorch():
    x = np.random.default_rng(2).normal(size=(2, 3, 8, 8))
    np.testing.assert_allclose(pool2d(x, 2, 2, "average")[0], F.avg_pool2d(torch.tensor(x), 2).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_the_small_cnn_trains_as_the_same_network_in_pytorch(name):
    """SmallCNN.step (the fused training kernel) against the same layers and optimizer in PyTorch,
    on the same batches: the weights after 20 updates."""
    from engine import datasets
    from engine.conv import CNNConfig, SmallCNN
    from engine.optimizers import OptimizerConfig

    d = datasets.digits()
    opt = OptimizerConfig(name, lr=0.01 if name == "adam" else 0.1)
    cnn = SmallCNN(CNNConfig(optimizer=opt, batch_size=16, seed=3), d.x[:400], d.y[:400])
    params = [torch.tensor(cnn.param(k).copy(), requires_grad=True) for k in ("w1", "b1", "w2", "b2", "w3", "b3")]
    w1, b1, w2, b2, w3, b3 = params
    rule = (torch.optim.Adam(params, lr=opt.lr, betas=(opt.beta1, opt.beta2), eps=opt.eps) if name == "adam"
            else torch.optim.SGD(params, lr=opt.lr))
    x, y = torch.tensor(cnn.x_train), torch.tensor(cnn.y_train)
    state = cnn.rng.bit_generator.state
    rows = cnn._batches(20)   # the batches step() will take (the shuffle is put back)
    cnn.rng.bit_generator.state = state
    for r in torch.tensor(rows):
        rule.zero_grad()
        a = F.max_pool2d(torch.relu(F.conv2d(x[r], w1, b1, padding=1)), 2)
        a = F.max_pool2d(torch.relu(F.conv2d(a, w2, b2, padding=1)), 2)
        loss = F.cross_entropy(a.flatten(1) @ w3 + b3, y[r])
        loss.backward()
        rule.step()
    cnn.step(20, record=False)
    ours = np.concatenate([cnn.param(k).ravel() for k in ("w1", "b1", "w2", "b2", "w3", "b3")])
    np.testing.assert_allclose(ours, torch.cat([p.detach().flatten() for p in params]).numpy(), rtol=1e-10,
                               atol=1e-12)
