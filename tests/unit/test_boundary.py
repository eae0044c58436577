"""The engine's public boundary under bad input, each group in its own process (tests/unit/boundary_cases.py).

A crash (segmentation fault, abort) or a hang in a kernel ends only that subprocess: the test
fails and names the last case it started. Set NETPLAY_BOUNDARY_SCALE=10 for ten times the cases.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ("core", "mlp", "conv", "som", "rbm", "rnn", "ae")
MIN_CASES = {"core": 1500, "mlp": 600, "conv": 800, "som": 600, "rbm": 600, "rnn": 500, "ae": 400}


@pytest.mark.parametrize("group", GROUPS)
def test_bad_input_gets_a_clear_value_error_or_a_correct_result(group):
    try:
        done = subprocess.run([sys.executable, "-m", "tests.unit.boundary_cases", group], cwd=ROOT,
                              capture_output=True, text=True, timeout=400)
    except subprocess.TimeoutExpired as hang:
        last = (hang.stdout or b"").decode(errors="replace").strip().splitlines()[-1:] if hang.stdout else []
        pytest.fail(f"{group}: hung for 400 s; last case started: {last}")
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0:
        last_case = next((ln for ln in reversed(lines) if ln.startswith("case ")), "none")
        pytest.fail(f"{group}: the process ended with code {done.returncode} (a crash if negative) during "
                    f"{last_case}\n{done.stderr[-4000:]}")
    summary = json.loads(lines[-1])
    print(f"{group}: {sum(summary['cases'].values())} cases: {summary['cases']}")
    assert summary["n_failures"] == 0, "\n\n".join(summary["failures"])
    assert sum(summary["cases"].values()) >= MIN_CASES[group]
    assert len(summary["cases"]) >= 5, "every entry point of the group must have been reached"
