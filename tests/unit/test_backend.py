"""engine.backend: which device computes. The CPU unless a GPU is usable and the workload is big
enough (or NETPLAY_DEVICE says so); nothing CUDA is imported unless a workload could use it; and
every CUDA kernel agrees with its CPU twin, checked in Numba's CUDA simulator (no GPU needed) and,
where this machine has one, on the GPU itself (the ``gpu`` cases; skipped elsewhere). On a GPU the
device's own rounding (fused multiply-adds, its exp and tanh) may move the last bits: network units
agree to 1e-10 relative, distances to 1e-12, and a best unit may differ only where two units'
distances are that close."""
from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine import backend

ROOT = Path(__file__).resolve().parents[2]
HAVE_NUMBA_CUDA = importlib.util.find_spec("numba_cuda") is not None
needs_numba_cuda = pytest.mark.skipif(not HAVE_NUMBA_CUDA, reason="numba-cuda (the gpu extra) is not installed")


def _run(code: str, **env) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter (Numba reads its CUDA settings once, at import)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


@functools.cache
def _real_gpu() -> bool:
    out = _run("from numba import cuda; print(cuda.is_available())", NUMBA_ENABLE_CUDASIM="0")
    return out.returncode == 0 and out.stdout.strip().endswith("True")


@pytest.fixture(params=["simulator", "gpu"])
def cudasim(request) -> str:
    """NUMBA_ENABLE_CUDASIM for a kernel check: Numba's simulator everywhere, the GPU where there is one."""
    if request.param == "gpu" and not _real_gpu():
        pytest.skip("no CUDA device on this machine (the simulator case checks the same kernel)")
    return "1" if request.param == "simulator" else "0"


def test_the_setting_is_checked(monkeypatch):
    monkeypatch.setenv("NETPLAY_DEVICE", "tpu")
    with pytest.raises(ValueError, match="NETPLAY_DEVICE must be one of cpu, cuda, auto"):
        backend.requested()
    assert backend.pick("som_bmu", 1e12) == "cpu"   # a lab still runs, and the home page says why
    assert backend.describe() == "CPU (NETPLAY_DEVICE must be one of cpu, cuda, auto, got 'tpu')"
    monkeypatch.setenv("NETPLAY_DEVICE", " CPU ")
    assert backend.pick("som_bmu", 1e12) == "cpu" and backend.describe() == "CPU (NETPLAY_DEVICE=cpu)"
    cpu_twin = object()
    assert backend.kernel("som_bmu", 1e12, cpu_twin, "cuda_som.two_best") is cpu_twin   # nothing imported


def test_auto_takes_the_gpu_only_when_usable_and_worth_it(monkeypatch):
    monkeypatch.delenv("NETPLAY_DEVICE", raising=False)   # auto by default
    monkeypatch.setattr(backend, "_ready", False)
    monkeypatch.setattr(backend, "_why", "no CUDA device found")
    assert backend.pick("som_bmu", 1e15) == "cpu"
    assert backend.describe() == "CPU (no CUDA device found)"
    monkeypatch.setattr(backend, "_ready", True)
    big = backend.CROSSOVER["som_bmu"]
    assert backend.pick("som_bmu", big) == "cuda" and backend.pick("som_bmu", big - 1) == "cpu"
    assert backend.pick("no_such_family", 1e30) == "cpu"   # no CUDA version: the CPU
    monkeypatch.setattr(backend, "_ready", None)
    assert backend.describe().startswith("CPU (a GPU is looked for")   # describing probes nothing


def test_asking_for_cuda_without_a_gpu_says_why(monkeypatch):
    monkeypatch.setenv("NETPLAY_DEVICE", "cuda")
    monkeypatch.setattr(backend, "_ready", False)
    monkeypatch.setattr(backend, "_why", "no CUDA device found")
    with pytest.raises(RuntimeError, match="NETPLAY_DEVICE=cuda, but no CUDA device found"):
        backend.pick("som_bmu", 1.0)


def test_calibration_sets_the_crossover_where_the_gpu_starts_to_win(monkeypatch):
    from engine import gpu_cases

    monkeypatch.delenv("NETPLAY_DEVICE", raising=False)
    monkeypatch.setattr(backend, "_ready", True)
    monkeypatch.setattr(backend, "CROSSOVER", dict(backend.CROSSOVER))
    monkeypatch.setattr("numba.config.ENABLE_CUDASIM", 0)
    calls = []
    clock = [0.0]   # a fake clock: the test times nothing real (a loaded CI box overshot real sleeps)
    monkeypatch.setattr(backend.time, "perf_counter", lambda: clock[0])

    def make(n):   # the CPU's time grows with n; the GPU's is a fixed 3 ms of launch and copies
        def run(device):
            calls.append((device, n))
            clock[0] += 0.003 if device == "cuda" else n * 1e-6
        return gpu_cases.Case(run, n * 10.0, {})
    monkeypatch.setattr(gpu_cases, "FAMILIES", {"som_bmu": make})
    monkeypatch.setattr(gpu_cases, "CALIBRATION_SIZES", {"som_bmu": (100, 1_000, 10_000, 100_000)})
    assert backend.calibrate() == {"som_bmu": 100_000.0}     # 10 ms on the CPU against 3 ms
    assert backend.CROSSOVER["som_bmu"] == 100_000.0
    assert max(n for _, n in calls) == 10_000                # it stops at the first size the GPU wins
    assert backend.pick("som_bmu", 100_000.0) == "cuda" and backend.pick("som_bmu", 99_999.0) == "cpu"
    monkeypatch.setattr(gpu_cases, "CALIBRATION_SIZES", {"som_bmu": (100, 1_000)})
    assert backend.calibrate() == {"som_bmu": float("inf")}  # never wins: auto keeps to the CPU
    assert backend.pick("som_bmu", 1e30) == "cpu"
    calls.clear()
    for setting in ("cpu", "cuda", "tpu"):                   # measured only under auto
        monkeypatch.setenv("NETPLAY_DEVICE", setting)
        assert backend.calibrate() == {} and not calls


def test_the_cpu_setting_never_imports_cuda():
    out = _run("""
        import sys
        import numpy as np
        from engine.som import SOM, SOMConfig
        x = np.random.default_rng(0).random((3000, 3))
        m = SOM(SOMConfig(width=20, height=20), x)
        m.step(50)
        m.bmus()
        print("numba.cuda" in sys.modules)
        """, NETPLAY_DEVICE="cpu")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@needs_numba_cuda
def test_each_thread_keeps_its_own_record_of_where_its_work_ran(monkeypatch):
    """What a lab says under its view: per thread (a session's script runs in its own), every
    device a family used since the last take, and nothing after it."""
    import threading

    monkeypatch.setenv("NETPLAY_DEVICE", "auto")
    monkeypatch.setattr(backend, "_ready", True)   # as if a GPU were usable
    monkeypatch.setattr(backend, "CROSSOVER", {"conv": 100.0})
    backend.take_picks()
    cpu = lambda: None  # noqa: E731
    assert backend.kernel("conv", 5.0, cpu, "cuda_conv.conv_forward") is cpu
    elsewhere = threading.Thread(target=lambda: backend.kernel("pool", 5.0, cpu, "cuda_conv.pool_forward"))
    elsewhere.start()
    elsewhere.join()
    monkeypatch.setattr(backend, "pick", lambda family, work: "cuda")   # a big call (no GPU needed to record it)
    real, fake = backend.importlib.import_module, type("m", (), {"conv_forward": 1})
    # importlib is every thread's (a warm-up compiling in the background imports through it too)
    monkeypatch.setattr(backend.importlib, "import_module",
                        lambda name, *rest: fake if name == "engine.kernels.cuda_conv" else real(name, *rest))
    assert backend.kernel("conv", 500.0, cpu, "cuda_conv.conv_forward") == 1
    assert backend.take_picks() == {"conv": {"cpu", "cuda"}}
    assert backend.take_picks() == {}
    assert backend.gpu_in_use()


def test_without_a_gpu_auto_computes_on_the_cpu():
    out = _run("""
        from engine import backend
        backend.CROSSOVER["som_bmu"] = 0.0   # any workload would go to a GPU if there were one
        print(backend.pick("som_bmu", 1e9), backend.cuda_ready())
        """, NETPLAY_DEVICE="auto", NUMBA_ENABLE_CUDASIM="0")
    assert out.returncode == 0, out.stderr
    if out.stdout.split()[1] == "True":
        pytest.skip("this machine has a CUDA device")
    assert out.stdout.split()[0] == "cpu"


@needs_numba_cuda
def test_the_som_bmu_kernel_matches_its_cpu_twin(cudasim):
    out = _run("""
        import numpy as np
        from engine import backend
        from engine.kernels import som as k
        from engine.som import SOM, SOMConfig
        assert backend.pick("som_bmu", 1.0) == "cuda"
        rng = np.random.default_rng(3)
        for distance in ("euclidean", "cosine", "manhattan"):
            x = rng.random((150, 4))
            x[7] = x[3]                      # equal samples, and a tie between units below
            m = SOM(SOMConfig(width=5, height=4, distance=distance, seed=1), x)
            m.step(30)
            m._wt[:, 5] = m._wt[:, 2]
            first, second, gap = m._two_best(x)          # through the backend: the CUDA kernel
            want = (np.empty(150, np.int64), np.empty(150, np.int64), np.empty(150))
            k.two_best(x, m._wt, ("euclidean", "cosine", "manhattan").index(distance), *want)
            np.testing.assert_allclose(gap, want[2], rtol=1e-12)
            for got, ref in zip((first, second), want[:2]):
                for n in np.flatnonzero(got != ref):   # only a near-tie may go the other way on a GPU
                    d = np.empty(m._wt.shape[1])
                    k.distances(("euclidean", "cosine", "manhattan").index(distance), x[n], m._wt, d)
                    assert abs(d[got[n]] - d[ref[n]]) <= 1e-12 * max(abs(d[ref[n]]), 1e-300), (n, got[n], ref[n])
            assert (first == want[0]).mean() > 0.98 and len(set(first)) > 3
        print("ok")
        """, NETPLAY_DEVICE="cuda", NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


@needs_numba_cuda
def test_the_network_evaluation_kernel_matches_its_cpu_twin(cudasim):
    """Every activation, every output, residual connections, batch normalisation before and after,
    Monte Carlo dropout's factors: the CUDA kernel's units against the CPU kernel's."""
    out = _run("""
        import numpy as np
        from engine import backend
        from engine.activations import ELEMENTWISE
        from engine.datasets import make_2d
        from engine.kernels import mlp as k
        from engine.mlp import MLP, MLPConfig
        assert backend.pick("mlp_eval", 1.0) == "cuda"
        d = make_2d("blobs", 60, 0.1, seed=1, n_classes=3)
        grid = np.random.default_rng(0).uniform(-6, 6, (40, 2))
        acts = list(ELEMENTWISE)
        cases = [dict(task="binary", hidden=(4, 4, 4), activations=tuple(acts[0:3]), residual=True),
                 dict(task="multiclass", n_classes=3, hidden=(5, 5), activations=tuple(acts[3:5]), batch_norm="before"),
                 dict(task="regression", hidden=(4, 4), activations=tuple(acts[5:7]), batch_norm="after",
                      dropout=(0.3, 0.3)),
                 dict(n_outputs=2, output_activation="tanh", loss="mse", hidden=(3, 3, 3), activations=tuple(acts[7:10])),
                 dict(task="binary", hidden=(3, 3), activations=tuple(acts[10:12]), leaky_slope=0.2)]
        for case in cases:
            y = d.y if case.get("task") != "regression" else d.x[:, 0]
            if "loss" in case:
                y = np.tanh(d.x[:, :2] / 3)
            elif case.get("task") == "binary":
                y = (d.y > 0).astype(int)
            m = MLP(MLPConfig(batch_size=20, seed=2, **case), d.x, y)
            m.step(25)
            for scale in (None, np.linspace(0.0, 2.0, int(m._u_off[-1]))):
                got = m._units_with(grid, scale)                       # through the backend: CUDA
                want = np.empty((int(m._u_off[-1]), len(grid)))
                k.forward_all(np.ascontiguousarray(grid.T), m.theta, m._sizes, m._w_off, m._b_off, m._u_off,
                              m._act_codes, m._alpha, m.config.out_kind, want, m._skips,
                              np.empty(0) if scale is None else scale, m._bn, m._g_off, m._norm)
                np.testing.assert_allclose(got, want.T, rtol=1e-10, atol=1e-12)
        print("ok")
        """, NETPLAY_DEVICE="cuda", NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


@needs_numba_cuda
def test_every_calibration_case_runs_on_both_devices_and_they_agree(cudasim):
    """The cases ``backend.calibrate`` times at a GPU machine's warm-up (and the GPU bench), each at
    a small size: a case that failed would stop that warm-up, and none runs on a machine without a GPU."""
    out = _run("""
        import numpy as np
        from engine import gpu_cases
        small = {"som_bmu": lambda: gpu_cases.som_bmu(20, units=4, dim=3), "mlp_eval": lambda: gpu_cases.mlp_eval(3),
                 "rbm_cd": lambda: gpu_cases.rbm_cd(3, n_visible=5, batch=4, batches=2),
                 "conv": lambda: gpu_cases.conv(2, side=4, channels=2, filters=2),
                 "pool": lambda: gpu_cases.pool(2, side=4, channels=2),
                 "landscape": lambda: gpu_cases.landscape(12, hidden=2, side=2),
                 "cnn_step": lambda: gpu_cases.cnn_step(2, steps=2)}
        from engine import backend
        assert set(small) == set(gpu_cases.FAMILIES) == set(gpu_cases.CALIBRATION_SIZES) == set(backend.CROSSOVER) \
            == set(backend.LABELS)
        for family, make in small.items():
            case = make()
            got, want = case.run("cuda"), case.run("cpu")
            pairs = zip(got, want) if isinstance(want, tuple) else [(got, want)]
            for g, w in pairs:
                np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=family)
            assert case.work > 0
        print("ok")
        """, NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


@needs_numba_cuda
def test_the_network_landscape_kernel_matches_its_cpu_twin(cudasim):
    """The optimizer lab's loss landscape through the backend (CUDA) against the CPU's loss at each
    point: random and single-weight planes, three activations, a leaky slope; the network keeps its
    weights; a network the kernel does not handle is refused, not computed wrongly."""
    out = _run("""
        import os
        import numpy as np
        from engine import backend
        from engine.kernels import cuda_mlp
        from engine.landscape import LandscapeConfig, NetworkLandscape
        from engine.mlp import MLP, MLPConfig
        cases = [LandscapeConfig(n_points=30, hidden=3, train_steps=20),
                 LandscapeConfig(n_points=25, hidden=2, activation="relu", directions="weights", weight_a=1,
                                 weight_b=6, train_steps=20),
                 LandscapeConfig(dataset="gaussians", n_points=20, hidden=2, activation="gelu", span=3.0,
                                 train_steps=5)]
        for cfg in cases:
            scape = NetworkLandscape(cfg)
            os.environ["NETPLAY_DEVICE"] = "cpu"
            xs, ys, want = scape.grid(2)
            os.environ["NETPLAY_DEVICE"] = "cuda"
            _, _, got = scape.grid(2)
            assert backend.take_picks()["landscape"] == {"cpu", "cuda"}
            np.testing.assert_allclose(got, want, rtol=1e-10)
            assert np.array_equal(scape.model.theta, scape.center) and len(np.unique(want)) == 4
        d = np.random.default_rng(0).normal(size=(20, 2))
        deep = MLP(MLPConfig(hidden=(3, 3), activations=("tanh", "tanh"), task="binary"), d, (d[:, 0] > 0) * 1)
        try:
            cuda_mlp.plane_losses(deep, deep.theta, deep.theta, deep.theta, np.zeros(2), np.zeros(2), np.empty((2, 2)))
        except ValueError as err:
            assert "one hidden layer" in str(err)
        else:
            raise AssertionError("a two-layer network was not refused")
        print("ok")
        """, NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


@needs_numba_cuda
def test_the_cnn_training_kernel_matches_its_cpu_twin(cudasim):
    out = _run("""
        import numpy as np
        from engine import optimizers
        from engine.kernels import cnn as k, cuda_cnn
        rng = np.random.default_rng(0)
        side, f1, f2, classes, nb = 8, 2, 3, 4, 5
        # a zero background and positive biases: ties in the pooling windows, ReLUs at their kink
        x = np.where(rng.random((20, 1, side, side)) < 0.5, 0.0, np.round(rng.random((20, 1, side, side)), 1))
        y = rng.integers(0, classes, 20)
        size = f1 * 10 + f2 * f1 * 9 + f2 + f2 * (side // 4) ** 2 * classes + classes

        def both(theta, name, steps, lr=None):
            cfg = optimizers.default_config(name, **({} if lr is None else {"lr": lr}))
            batches = rng.integers(0, len(x), (steps, nb))
            runs = []
            for train in (cuda_cnn.train_steps, k.train_steps):
                th, s1, s2, s3, losses = theta.copy(), np.ones(size), np.ones(size), np.zeros(size), np.empty(steps)
                status = train(x, y, batches, th, s1, s2, s3, 3, cfg.code, cfg.hyper_vector(), f1, f2, classes,
                               1e6, losses)
                runs.append((status, th, s1, s2, losses))
            (gpu, cpu) = runs
            assert gpu[0] == cpu[0], (name, gpu[0], cpu[0])
            for g, c in zip(gpu[1:4], cpu[1:4]):
                np.testing.assert_allclose(g, c, rtol=1e-11, atol=1e-13)
            done = gpu[0][0]
            np.testing.assert_allclose(gpu[4][:done], cpu[4][:done], rtol=1e-12)
            return cpu

        theta = rng.normal(0.0, 0.5, size)
        theta[f1 * 9:f1 * 10] = 0.1
        for name in optimizers.OPTIMIZERS:
            status, th, *_ = both(theta, name, 2)
            assert status == (2, k.RUNNING) and np.abs(th - theta).max() > 1e-4, name   # it trained
        status, th, *_ = both(theta, "momentum", 6, lr=3e5)       # an update throws weights beyond the limit
        assert status[1] == k.THREW and 2 <= status[0] < 6 and np.abs(th).max() > 1e6
        broken = theta.copy()
        broken[-classes - 2 * classes:-classes] = 1e308            # logits of inf - inf
        status, th, *_ = both(broken, "adam", 3)
        assert status == (0, k.DIVERGED) and np.array_equal(th, broken)
        print("ok")
        """, NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


@needs_numba_cuda
def test_the_batch_map_with_its_bmu_search_on_the_gpu_trains_as_the_cpu_kernel(cudasim):
    out = _run("""
        import numpy as np
        import engine.som as som
        from engine.kernels import som as k
        from engine.som import SOM, SOMConfig
        x = np.random.default_rng(5).random((120, 3))
        for neighbourhood in ("gaussian", "bubble"):
            cfg = SOMConfig(width=4, height=3, mode="batch", neighbourhood=neighbourhood, sigma=1.5, steps=6,
                            topology="hexagonal", seed=2)
            m = SOM(cfg, x)
            wt = m._wt.copy()
            m.step(6)                                        # NETPLAY_DEVICE=cuda: cuda_som.train_batch
            k.train_batch(x, wt, cfg.height, m.row_height, m.shift, 0, 6, cfg.steps, cfg.learning_rate, cfg.sigma,
                          som._DECAY_CODES[cfg.lr_decay], som._DECAY_CODES[cfg.sigma_decay],
                          som.NEIGHBOURHOODS.index(cfg.neighbourhood), som.DISTANCES.index(cfg.distance))
            np.testing.assert_allclose(m._wt, wt, rtol=1e-10, atol=1e-12)
            assert not np.allclose(wt, SOM(cfg, x)._wt)      # it trained
        print("ok")
        """, NETPLAY_DEVICE="cuda", NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


@needs_numba_cuda
def test_the_rbm_training_kernel_matches_its_cpu_twin(cudasim):
    """CD-k and PCD-k, sampled or mean-field, momentum and weight decay, an unknown rating clamped:
    the weights, biases, velocities, persistent chain and per-batch errors after three batches,
    at two sizes."""
    out = _run("""
        import numpy as np
        from engine import backend
        from engine.kernels import cuda_rbm, rbm as k
        from engine.rbm import RBM, RBMConfig
        assert backend.pick("rbm_cd", 1.0) == "cuda"
        rng = np.random.default_rng(0)
        cases = [dict(), dict(persistent=True, sample_visible=True), dict(k=2, sample_hidden=False),
                 dict(momentum=0.5, weight_decay=0.01, k=3, sample_visible=True), dict(persistent=True, k=3)]
        for (n_visible, n_hidden, bs), case in [((6, 5, 4), c) for c in cases] + [((12, 9, 5), cases[3])]:
            data = (rng.random((40, n_visible)) < 0.4).astype(float)
            data[[3, 9], [2, 5]] = -1.0                      # unknown ratings (the recommender)
            cfg = RBMConfig(n_visible, n_hidden, batch_size=bs, learning_rate=0.5, seed=1, **case)
            m = RBM(cfg, data)
            m.chain_h[:] = (rng.random(m.chain_h.shape) < 0.5)
            order = rng.permutation(40)[:3 * bs]
            uv = rng.random((3, cfg.k, bs, n_visible))
            uh = rng.random((3, cfg.k, bs, n_hidden))
            state = [m.W, m.b, m.c, m.vel_W, m.vel_b, m.vel_c, m.chain_h]
            want, want_errors = [a.copy() for a in state], np.zeros(3)
            k.train_batches(data, order, bs, *want, cfg.learning_rate, cfg.momentum, cfg.weight_decay, cfg.k,
                            cfg.persistent, cfg.sample_hidden, cfg.sample_visible, uv, uh, True, want_errors)
            assert not np.allclose(want[0], m.W) and want_errors.min() > 0   # it trained, and measured
            got, errors = [a.copy() for a in state], np.zeros(3)
            cuda_rbm.train_batches(data, order, bs, *got, cfg.learning_rate, cfg.momentum, cfg.weight_decay, cfg.k,
                                   cfg.persistent, cfg.sample_hidden, cfg.sample_visible, uv, uh, True, errors)
            for g, w in zip(got + [errors], want + [want_errors]):
                np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        m = RBM(RBMConfig(6, 5, batch_size=4, seed=1), data[:, :6])
        m.step(2)                                        # the model's own step, through the backend
        print("ok")
        """, NETPLAY_DEVICE="cuda", NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


def test_the_convolution_and_pooling_kernels_match_their_cpu_twins(cudasim):
    """Forward and backward, strides 1 and 2, several channels and filters, a kernel wider than it
    is tall; max (with ties and overlapping windows), average and sum pooling; then the small CNN's
    own training step through the backend, against the same step on the CPU."""
    out = _run("""
        import os
        import numpy as np
        from engine import backend
        from engine.kernels import conv as k, cuda_conv
        assert backend.pick("conv", 1.0) == "cuda" and backend.pick("pool", 1.0) == "cuda"
        rng = np.random.default_rng(0)
        for stride, (kh, kw) in ((1, (3, 3)), (2, (3, 3)), (1, (2, 3)), (2, (1, 1))):
            xp = rng.normal(size=(3, 2, 9, 8))
            w = rng.normal(size=(4, 2, kh, kw))
            b = rng.normal(size=4)
            oh, ow = (9 - kh) // stride + 1, (8 - kw) // stride + 1
            got, want = np.empty((3, 4, oh, ow)), np.empty((3, 4, oh, ow))
            cuda_conv.conv_forward(xp, w, b, stride, got)
            k.conv_forward(xp, w, b, stride, want)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
            dout = rng.normal(size=want.shape) * (rng.random(want.shape) < 0.6)   # zeros, as behind a ReLU
            grads = [[np.full_like(xp, 7.0), np.full_like(w, 7.0), np.full(4, 7.0)] for _ in range(2)]
            cuda_conv.conv_backward(xp, w, dout, stride, *grads[0], True)
            k.conv_backward(xp, w, dout, stride, *grads[1], True)
            for g, h in zip(*grads):
                np.testing.assert_allclose(g, h, rtol=1e-11, atol=1e-12)
            assert np.abs(grads[1][0]).max() > 0
            kept = np.full_like(xp, 7.0)
            cuda_conv.conv_backward(xp, w, dout, stride, kept, *grads[0][1:], False)
            assert np.all(kept == 7.0)   # no input gradient asked: left alone, as the CPU kernel does
        x = np.round(rng.normal(size=(2, 3, 7, 9)), 1)   # rounded: ties in the max windows
        for size, stride in ((2, 2), (3, 2), (2, 1), (3, 3)):
            oh, ow = (7 - size) // stride + 1, (9 - size) // stride + 1
            for code in (k.MAX, k.AVERAGE, k.SUM):
                outs = [(np.empty((2, 3, oh, ow)), np.full((2, 3, oh, ow), -1, np.int64)) for _ in range(2)]
                cuda_conv.pool_forward(x, size, stride, code, *outs[0])
                k.pool_forward(x, size, stride, code, *outs[1])
                np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-13)
                np.testing.assert_array_equal(outs[0][1], outs[1][1])
                dout = rng.normal(size=(2, 3, oh, ow))
                dx = [np.full(x.shape, 7.0) for _ in range(2)]
                cuda_conv.pool_backward(dout, size, stride, code, outs[1][1], dx[0])
                k.pool_backward(dout, size, stride, code, outs[1][1], dx[1])
                np.testing.assert_allclose(dx[0], dx[1], rtol=1e-12, atol=1e-14)
        from engine.conv import CNNConfig, SmallCNN
        imgs, labels = rng.random((24, 64)), rng.integers(0, 10, 24)
        thetas = []
        for device in ("cuda", "cpu"):
            os.environ["NETPLAY_DEVICE"] = device
            m = SmallCNN(CNNConfig(filters1=3, filters2=4, batch_size=8, seed=2), imgs, labels, imgs[:6], labels[:6])
            m.step(3)
            thetas.append(m.theta)
        assert not np.allclose(thetas[1], SmallCNN(CNNConfig(filters1=3, filters2=4, batch_size=8, seed=2),
                                                   imgs, labels).theta)   # it trained
        np.testing.assert_allclose(thetas[0], thetas[1], rtol=1e-9, atol=1e-12)
        print("ok")
        """, NETPLAY_DEVICE="cuda", NUMBA_ENABLE_CUDASIM=cudasim)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
