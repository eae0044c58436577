"""Warm first-frame time: how long a lab page takes to draw for a new visitor.

Each lab is opened in a fresh Python process (kernels already in the disk cache, as on a server
that has run before) through Streamlit's AppTest, which runs the real page script: the first
visitor's page run after a server start (imports, kernels loaded from the cache, Streamlit's
caches empty), then new sessions of the same process (what every later visitor waits for).
The timed part is the lab page's own run, not the home page opened before it. AppTest adds
no browser or network time, so these are the server's share of a first frame.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from tests.bench.harness import Row

ROOT = Path(__file__).resolve().parents[2]
LABS = ("playground", "neuron_lab", "optimizer_lab", "cnn_lab", "som_lab", "rbm_lab")

SCRIPT = """
import json, sys, time
from streamlit.testing.v1 import AppTest
main, page, sessions = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(sessions):
    at = AppTest.from_file(main, default_timeout=300)
    at.run()
    at.switch_page(f"labs/{page}.py")
    start = time.perf_counter()
    at.run()
    times.append(time.perf_counter() - start)
    if at.exception:
        raise SystemExit(f"{page}: {at.exception}")
print(json.dumps(times))
"""


def _page_times(page: str, sessions: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "app" / "main.py"), page, str(sessions)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"opening {page} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_frame(quick: bool, wanted: Callable[[str], bool]) -> Iterator[Row]:
    """Per lab: the median page run of later sessions, against the first session after a start."""
    for page in LABS[:1] if quick else LABS:
        name = f"first_frame_{page}"
        if not wanted(name):
            continue
        times = _page_times(page, 4 if quick else 8)
        yield Row(name, float(np.median(times[1:])), "server's first visitor", times[0])
