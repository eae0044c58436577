"""Dev-only: the RBM's persistent-CD update equals scikit-learn BernoulliRBM's on the same batch.

Skipped where scikit-learn is not installed (it lives in the ``[bench]`` extra, not in CI's ``[test]``).
"""
import numpy as np
import pytest

from engine import datasets
from engine.rbm import RBM, RBMConfig

sk_rbm = pytest.importorskip("sklearn.neural_network")

X = (datasets.digits().x[:100] > 0.5).astype(float)


@pytest.mark.parametrize("batches", [1, 5])
def test_pcd1_updates_match_bernoulli_rbm(batches):
    sk = sk_rbm.BernoulliRBM(n_components=20, learning_rate=0.05, batch_size=10, random_state=0)
    sk.fit(X[:10])  # allocates its state; then overwrite with ours
    ours = RBM(RBMConfig(64, 20, k=1, persistent=True, sample_hidden=True, sample_visible=True,
                         learning_rate=0.05, momentum=0.0, weight_decay=0.0, batch_size=10, seed=3), X)
    sk.components_ = np.asfortranarray(ours.W.T.copy())
    sk.intercept_hidden_ = ours.c.copy()
    sk.intercept_visible_ = ours.b.copy()
    sk.h_samples_ = ours.chain_h.copy()
    # scikit-learn draws, per batch: uniforms for the visible sample, then for the new hidden states
    rng = np.random.RandomState(11)
    u_vis, u_hid = [], []
    replay = np.random.RandomState(11)
    for _ in range(batches):
        u_vis.append(replay.uniform(size=(10, 64)))
        u_hid.append(replay.uniform(size=(10, 20)))
    for t in range(batches):
        sk._fit(X[t * 10:(t + 1) * 10], rng)

    class Replay:  # hands our model the same uniforms, in the shapes it asks for
        def random(self, shape):
            stack = u_vis if shape[-1] == 64 else u_hid
            return np.array(stack).reshape(shape)

    ours.rng = Replay()
    ours.step(batches, order=np.arange(batches * 10), record=False)
    np.testing.assert_allclose(ours.W.T, sk.components_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.c, sk.intercept_hidden_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.b, sk.intercept_visible_, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(ours.chain_h, sk.h_samples_)
