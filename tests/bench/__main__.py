"""python -m tests.bench [--only SUBSTRING] [--quick] [--json PATH] [--device cpu|cuda]"""
from __future__ import annotations

import os

# peers get one thread, like our kernels; must be set before NumPy loads its BLAS
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402

from tests.bench.harness import print_table, write_json  # noqa: E402
from tests.bench.workloads import WORKLOADS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--only", help="run only workloads whose name contains this")
    parser.add_argument("--quick", action="store_true", help="fewer repeats; under a minute")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: the kernels with CUDA twins, GPU against CPU, and their crossover sizes")
    args = parser.parse_args()

    import engine
    engine.warmup(("mlp", "som", "rbm") if args.device == "cuda" else engine.PARTS)
    rows = []
    wanted = (lambda name: args.only in name) if args.only else (lambda name: True)
    if args.device == "cuda":
        from tests.bench.cuda_workloads import cuda_rows
        workloads = [lambda quick, _wanted: cuda_rows(quick, args.only)]
    else:
        workloads = WORKLOADS
    for workload in workloads:
        for row in workload(args.quick, wanted):
            rows.append(row)
            print(f"  done: {row.workload}", flush=True)
    print()
    print_table(rows)
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
