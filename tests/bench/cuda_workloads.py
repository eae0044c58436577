"""``python -m tests.bench --device cuda``: the kernels that have CUDA twins (``engine.gpu_cases``),
GPU against our CPU kernels and against PyTorch on the GPU where installed, at growing sizes; how
far the GPU's results are from the CPU kernel's; and the crossover size where the GPU starts to
win (what ``engine.backend``'s "auto" uses, measured the way ``backend.calibrate`` does at
warm-up). Every timing includes the copies a call makes (the inputs to the device, the results
back), PyTorch's too: the app needs the results on the host to draw them."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from engine import backend, gpu_cases
from tests.bench.harness import Row, interleaved_medians

SIZES = {"som_bmu": (1_000, 10_000, 100_000, 400_000), "mlp_eval": (2_500, 10_000, 40_000, 160_000, 640_000),
         "rbm_cd": (16, 64, 256, 1_000), "conv": (1, 4, 16, 64, 256), "pool": (16, 64, 256, 1_024),
         "landscape": (50, 200, 1_000, 5_000), "cnn_step": (8, 32, 128, 512)}


def _torch_cuda():
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def _torch_som_bmu(torch, inputs: dict):
    d = torch.cdist(torch.from_numpy(inputs["x"]).cuda(), torch.from_numpy(np.ascontiguousarray(inputs["wt"].T)).cuda(),
                    compute_mode="donot_use_mm_for_euclid_dist")
    best = d.topk(2, dim=1, largest=False)
    return best.indices.cpu().numpy(), best.values[:, 0].cpu().numpy()


def _torch_mlp_eval(torch, inputs: dict):
    h = torch.from_numpy(inputs["grid"]).cuda()
    units = []
    last = len(inputs["weights"]) - 1
    for layer, (w, b) in enumerate(zip(inputs["weights"], inputs["biases"])):
        z = torch.addmm(torch.from_numpy(b).cuda(), h, torch.from_numpy(w).cuda())
        h = torch.tanh(z) if layer < last else torch.sigmoid(z)
        units.append(h)
    return torch.cat(units, dim=1).cpu().numpy()


def _torch_rbm_cd(torch, inputs: dict):
    """The same CD-1 updates (sampled hidden states, mean-field visible) with PyTorch's products."""
    cuda = lambda a: torch.from_numpy(a).cuda()  # noqa: E731
    data, order, u_hidden = cuda(inputs["data"]), cuda(inputs["order"]), cuda(inputs["u_hidden"])
    w = cuda(inputs["weights"]).clone()
    b, c = torch.zeros(w.shape[0], dtype=w.dtype, device=w.device), torch.zeros(w.shape[1], dtype=w.dtype,
                                                                                  device=w.device)
    bs = inputs["batch"]
    errors = []
    for t in range(len(u_hidden)):
        v0 = data[order[t * bs:(t + 1) * bs]]
        ph0 = torch.sigmoid(v0 @ w + c)
        errors.append((v0 - torch.sigmoid(ph0 @ w.T + b)).abs().mean())
        h = (u_hidden[t, 0] < ph0).to(w.dtype)
        v = torch.sigmoid(h @ w.T + b)
        ph = torch.sigmoid(v @ w + c)
        w += 0.1 / bs * (v0.T @ ph0 - v.T @ ph)
        b += 0.1 / bs * (v0 - v).sum(0)
        c += 0.1 / bs * (ph0 - ph).sum(0)
    return w.cpu().numpy(), torch.stack(errors).cpu().numpy()


def _torch_conv(torch, inputs: dict):
    """The same convolution forward and backward with cuDNN (float64)."""
    functional = torch.nn.functional
    x, w, b = (torch.from_numpy(inputs[k]).cuda().requires_grad_() for k in ("x", "w", "b"))
    out = functional.conv2d(x, w, b, padding=1)
    out.backward(torch.from_numpy(inputs["dout"]).cuda())
    return out.detach().cpu().numpy(), x.grad.cpu().numpy(), w.grad.cpu().numpy(), b.grad.cpu().numpy()


def _torch_pool(torch, inputs: dict):
    x = torch.from_numpy(inputs["x"]).cuda().requires_grad_()
    out = torch.nn.functional.max_pool2d(x, 2)
    out.backward(torch.from_numpy(inputs["dout"]).cuda())
    return out.detach().cpu().numpy(), x.grad.cpu().numpy()


def _torch_landscape(torch, inputs: dict):
    """The same losses with PyTorch: every plane point's weights at once, batched products."""
    cuda = lambda a: torch.from_numpy(a).cuda()  # noqa: E731
    x, y, h = cuda(inputs["x"]), cuda(inputs["y"]), inputs["hidden"]
    a, b = cuda(inputs["a"]), cuda(inputs["b"])
    thetas = (cuda(inputs["center"]) + a[None, :, None] * cuda(inputs["d1"])
              + b[:, None, None] * cuda(inputs["d2"])).reshape(-1, inputs["center"].size)
    n_in = x.shape[1]
    w1 = thetas[:, :n_in * h].reshape(-1, n_in, h)
    b1 = thetas[:, n_in * h:n_in * h + h]
    w2 = thetas[:, n_in * h + h:n_in * h + 2 * h]
    z = torch.tanh(torch.matmul(x, w1) + b1[:, None, :]) @ w2[:, :, None] + thetas[:, -1:, None]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z[:, :, 0], y.expand(len(thetas), -1),
                                                                reduction="none").mean(dim=1)
    return loss.reshape(len(inputs["b"]), len(inputs["a"])).cpu().numpy()


def _torch_cnn_step(torch, inputs: dict, device: str = "cuda"):
    """The same Adam updates of the same network with PyTorch (cuDNN's convolutions, float64)."""
    functional = torch.nn.functional
    put = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)  # noqa: E731
    x, y, batches = put(inputs["x"]), put(inputs["y"]), put(inputs["batches"])
    f1, f2, classes = inputs["f1"], inputs["f2"], inputs["classes"]
    shapes = ((f1, 1, 3, 3), (f1,), (f2, f1, 3, 3), (f2,), (-1, classes), (classes,))
    params = [part.reshape(shape).clone().requires_grad_()
              for part, shape in zip(torch.split(put(inputs["theta"]), inputs["sizes"]), shapes)]
    w1, b1, w2, b2, w3, b3 = params
    hyper = inputs["hyper"]
    adam = torch.optim.Adam(params, lr=hyper.lr, betas=(hyper.beta1, hyper.beta2), eps=hyper.eps)
    losses = []
    for rows in batches:
        adam.zero_grad()
        a = functional.max_pool2d(torch.relu(functional.conv2d(x[rows], w1, b1, padding=1)), 2)
        a = functional.max_pool2d(torch.relu(functional.conv2d(a, w2, b2, padding=1)), 2)
        loss = functional.cross_entropy(a.flatten(1) @ w3 + b3, y[rows])
        loss.backward()
        adam.step()
        losses.append(loss.detach())
    return torch.cat([p.detach().flatten() for p in params]).cpu().numpy(), torch.stack(losses).cpu().numpy()


def _agree(family: str, gpu, cpu) -> str:
    if family == "conv":
        return (f"maps {np.max(np.abs(gpu[0] - cpu[0])):.0e} abs, filter gradient "
                f"{np.max(np.abs(gpu[2] - cpu[2])) / np.max(np.abs(cpu[2])):.0e} rel, input gradient "
                f"{np.max(np.abs(gpu[1] - cpu[1])):.0e} abs")
    if family == "pool":
        return f"maps and gradient {max(np.max(np.abs(g - c)) for g, c in zip(gpu, cpu)):.0e} abs"
    if family == "rbm_cd":
        return (f"weights {np.max(np.abs(gpu[0] - cpu[0])):.0e} abs, errors {np.max(np.abs(gpu[1] - cpu[1])):.0e} "
                "abs")
    if family == "som_bmu":
        return f"distance {np.max(np.abs(gpu[2] - cpu[2]) / cpu[2]):.0e} rel, best unit {np.mean(gpu[0] == cpu[0]):.4%} same"
    if family == "landscape":
        return f"losses {np.max(np.abs(gpu - cpu) / cpu):.0e} rel"
    if family == "cnn_step":
        return f"weights {np.max(np.abs(gpu[0] - cpu[0])):.0e} abs, losses {np.max(np.abs(gpu[1] - cpu[1])):.0e} abs"
    return f"units {np.max(np.abs(gpu - cpu)):.0e} abs"


PEERS = {"som_bmu": _torch_som_bmu, "mlp_eval": _torch_mlp_eval, "rbm_cd": _torch_rbm_cd, "conv": _torch_conv,
         "pool": _torch_pool, "landscape": _torch_landscape, "cnn_step": _torch_cnn_step}


def cuda_rows(quick: bool, only: str | None) -> Iterator[Row]:
    """Per family and size: GPU against our CPU kernel (1 thread), and against PyTorch on the GPU;
    prints how far the GPU's results are from the CPU's, and each family's crossover."""
    if not backend.cuda_ready():
        print(f"  no CUDA device: {backend.why_not()}. The CUDA kernels are checked against their CPU twins "
              "in Numba's simulator by the test suite (tests/unit/test_backend.py).")
        return
    torch = _torch_cuda()
    repeats = 3 if quick else 7
    for family, make in gpu_cases.FAMILIES.items():
        if only and only not in family:
            continue
        for size in SIZES[family]:
            case = make(size)
            print(f"  {family} ({size:,}): {_agree(family, case.run('cuda'), case.run('cpu'))}", flush=True)
            fns = [lambda: case.run("cpu"), lambda: case.run("cuda")]
            if torch:
                fns.append(lambda: PEERS[family](torch, case.inputs))
            times = interleaved_medians(fns, repeats)
            yield Row(f"{family} ({size:,})", times[1], "our cpu kernel (1 thread)", times[0])
            if torch:
                yield Row(f"{family} ({size:,})", times[1], "PyTorch CUDA", times[2])
        found = backend.calibrate((family,)).get(family)   # None: not measured (not auto, or the simulator)
        if found is None:
            print(f"  {family}: no crossover measured here (NETPLAY_DEVICE=auto on a GPU measures it)", flush=True)
        elif found == float("inf"):
            print(f"  {family}: the GPU never won at the warm-up's sizes", flush=True)
        else:
            print(f"  {family}: at warm-up, the GPU wins from {found:,.0f} units of work on (CROSSOVER)", flush=True)
