"""A pod's cold start, measured: start the netplay of a directory built by
deploy/dockerfile_native.sh (its venv and Numba cache, as the image has them) and time, in
Chromium, each lab's first page with its main picture drawn.

    python -m tests.load.cold_start /tmp/netplay-image
"""
from __future__ import annotations

import argparse
import os
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.e2e.conftest import CHROMIUM_FLAGS, _free_port, chromium_path
from tests.e2e.helpers import wait_for_app

LABS = [("playground", "pg_net"), ("som", "som_map"), ("rbm", "rbm_filters"), ("cnn", None),
        ("optimizers", None), ("neuron", None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("image", type=Path, help="the directory deploy/dockerfile_native.sh built")
    image = parser.parse_args().image.resolve()
    port = _free_port()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(image / "opt" / "numba-cache"))
    started = time.perf_counter()
    proc = subprocess.Popen([str(image / "venv" / "bin" / "netplay"), f"--server.port={port}",
                             "--server.address=127.0.0.1"], cwd=image / "opt", env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.1)
        print(f"health check answers {time.perf_counter() - started:.1f} s after the start")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for lab, view in LABS:
                t = time.perf_counter()
                page.goto(f"{url}/{lab}")
                wait_for_app(page, 180_000)
                if view:
                    page.locator(f"canvas[data-view={view}]").wait_for(timeout=180_000)
                print(f"{lab:>10}: first page with its picture in {time.perf_counter() - t:4.1f} s "
                      f"({time.perf_counter() - started:4.1f} s after the start)")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
