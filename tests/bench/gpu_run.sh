#!/usr/bin/env bash
# One prepared run on a GPU machine (a few minutes): what the machine has, the CUDA kernels checked
# against their CPU twins on the GPU itself (tests/unit/test_backend.py's "gpu" cases), then the GPU
# bench with its crossovers. Run from the repository root; needs numpy, scipy, numba, numba-cuda
# and pytest (PyTorch, if there, is the peer). Writes env.txt, tests.txt, bench.txt and bench.json
# into $OUT (default /tmp/netplay-gpu-run). numba-cuda 0.30 does not import with NumPy 2.5 (it
# names np.row_stack): where the machine has 2.5, put the project's NumPy (<2.5) first on
# PYTHONPATH, e.g. `pip install --target /tmp/site numpy-2.4.*.whl; PYTHONPATH=/tmp/site bash ...`.
set -u
out=${OUT:-/tmp/netplay-gpu-run}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} NETPLAY_DEVICE=auto
{
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
    lscpu | grep -E "^Model name|^CPU\(s\)"
    python3 - <<'PY'
import importlib.metadata as md, sys
print("python", sys.version.split()[0])
for name in ("numpy", "scipy", "numba", "numba-cuda", "torch"):
    try:
        print(name, md.version(name))
    except md.PackageNotFoundError:
        print(name, "not installed")
from numba import cuda
print("numba.cuda.is_available:", cuda.is_available())
cuda.detect()
PY
} 2>&1 | tee "$out/env.txt"
timeout 240 python3 -m pytest -q -p no:cacheprovider -o addopts=-ra -k "not simulator" tests/unit/test_backend.py 2>&1 | tee "$out/tests.txt"
timeout 420 python3 -m tests.bench --device cuda --quick --json "$out/bench.json" 2>&1 | tee "$out/bench.txt"
