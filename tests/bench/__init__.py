"""On-demand benchmarks: ours against NumPy and peers in one run (never part of CI's pass/fail)."""
