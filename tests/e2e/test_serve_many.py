"""Serve many: deploy/serve.py puts two netplay processes behind Debian's nginx on loopback.
Learners get live frames through the proxy, each stays on one process (the route cookie), and
when a process is killed its learners play on the other one while serve.py restarts it."""
from __future__ import annotations

import asyncio
import concurrent.futures
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, _free_port
from tests.load.client import run_learner

sys.path.insert(0, str(ROOT / "deploy"))
import serve  # noqa: E402

pytestmark = pytest.mark.e2e


def _wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return True
        except OSError:
            time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def proxy():
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx not found: install Debian's `nginx` (README command 2 does)")
    port, first = _free_port(), _free_port()
    while abs(first - port) < 3:
        first = _free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), "--processes", "2",
                             "--port", str(port), "--first-port", str(first)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    lines = []
    deadline = time.time() + 240
    while time.time() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "serve: netplay on" in line or proc.poll() is not None:
            break
    if not _wait_healthy(url, 30):
        proc.kill()
        pytest.fail("serve.py did not come up:\n" + "".join(lines))
    prefix = Path(re.search(r"logs in (\S+?)\)", "".join(lines)).group(1))
    yield url, prefix, [first, first + 1]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _learners(url: str, n: int, seconds: float, cookies=None):
    async def wave():
        return await asyncio.gather(*(run_learner(url, "playground", seconds, start_delay=i * 0.3,
                                                  cookie=(cookies or {}).get(i, ""))
                                      for i in range(n)))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # away from Playwright's event loop
        return pool.submit(asyncio.run, wave()).result(timeout=180)


def _routes(prefix: Path) -> dict[str, dict[str, bool]]:
    """Each route cookie's processes; a dict keeps the order they were first seen in."""
    time.sleep(1.5)  # the access log is flushed every second
    seen = defaultdict(dict)
    for line in (prefix / "access.log").read_text().splitlines():
        m = re.search(r" (\S+) route=(\S+) ", line)
        if m and m.group(1) != "-":
            seen[m.group(2)].pop(addr := m.group(1).split(",")[-1].strip(), None)
            seen[m.group(2)][addr] = True   # the latest one last
    return seen




def test_learners_play_through_the_proxy_each_on_one_process(proxy):
    url, prefix, ports = proxy
    learners = _learners(url, 4, 5.0)
    for le in learners:
        assert not le.errors, le.errors
        assert le.frames >= 5, f"only {le.frames} frames through the proxy"
        assert le.pause_s is not None
        assert le.cookie.startswith("netplay_route="), "the proxy sets the route cookie on the first page"
    routes = _routes(prefix)
    for le in learners:
        route = le.cookie.split("=", 1)[1]
        assert len(routes[route]) == 1, f"one learner's requests went to {routes[route]}"
    used = set().union(*(routes[le.cookie.split('=', 1)[1]] for le in learners))
    assert used <= {f"127.0.0.1:{p}" for p in ports}


def test_a_killed_process_loses_no_learner_and_comes_back(proxy):
    url, prefix, ports = proxy
    first = _learners(url, 1, 2.0)[0]
    assert not first.errors, first.errors
    route = first.cookie.split("=", 1)[1]
    owner = next(iter(_routes(prefix)[route]))
    port = int(owner.rsplit(":", 1)[1])
    pids = subprocess.run(["pgrep", "-f", f"server.port={port}"], capture_output=True, text=True).stdout.split()
    assert pids, f"no process on port {port}"
    for pid in pids:
        subprocess.run(["kill", "-9", pid], check=False)
    started = time.perf_counter()
    again = _learners(url, 1, 3.0, cookies={0: first.cookie})[0]  # the same learner comes back
    assert not again.errors, again.errors
    assert again.frames >= 3
    assert again.play_started - started < 5 + 1, "playing again within 5 s on another process"
    moved = _routes(prefix)[route]
    assert any(a != owner for a in moved), f"still only {moved}"
    assert _wait_healthy(f"http://127.0.0.1:{port}", 60), "serve.py restarts the killed process"


@pytest.fixture
def fresh_page(browser):
    """A page in a Chromium of its own. After the whole e2e suite had run in the shared browser, the
    reconnect after a kill took over 30 s (3 runs of 3), while in a fresh one it took 1-5 s (9 of 9,
    also after the playground's browser tests, and under a concurrent CI run); the cause was not
    found. A learner's browser has not opened hundreds of pages against this host first."""
    from tests.e2e.conftest import CHROMIUM_FLAGS, chromium_path

    own = browser.browser_type.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
    try:
        yield own.new_context(viewport={"width": 1440, "height": 1700}).new_page()
    finally:
        own.close()


def test_a_browser_playing_on_a_killed_process_plays_on_by_itself_elsewhere(proxy, fresh_page):
    from playwright.sync_api import expect

    from tests.e2e.helpers import metric_value, wait_for_app, wait_for_metric

    page = fresh_page
    url, prefix, ports = proxy
    # after the test before, nginx may still hold the restarted process out of the hash: a page
    # loaded then has its first requests on one process and the rest on the other (a CI run killed
    # the process this learner was not on), so wait until both are back in
    assert all(_wait_healthy(f"http://127.0.0.1:{p}", 60) for p in ports)
    time.sleep(serve.FAIL_TIMEOUT_S + 1)
    console = []
    page.on("console", lambda m: console.append(f"{time.perf_counter():.1f} {m.type}: {m.text}"[:300]))
    page.goto(f"{url}/playground?pg_data=xor")
    wait_for_app(page)
    wait_for_metric(page, "Step", 60)
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    expect(page).to_have_url(re.compile(r"play=1"), timeout=15_000)   # the address says it plays
    deadline = time.time() + 20
    while int(metric_value(page, "Step") or 0) < 100 and time.time() < deadline:
        time.sleep(0.2)
    before = int(metric_value(page, "Step"))
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "netplay_route")
    owner = list(_routes(prefix)[cookie])[-1]   # the process that served its latest request
    port = int(owner.rsplit(":", 1)[1])
    for pid in subprocess.run(["pgrep", "-f", f"server.port={port}"], capture_output=True, text=True).stdout.split():
        subprocess.run(["kill", "-9", pid], check=False)
    killed = time.perf_counter()
    # no click: the browser reconnects through the proxy to the other process, which opens the same
    # address (setup and play=1) and trains again from a fresh start
    seen_restart = False
    while time.perf_counter() - killed < 30:
        step = int(metric_value(page, "Step") or 0)
        seen_restart = seen_restart or step < before
        if seen_restart and step > 20:
            break
        time.sleep(0.2)
    waited = time.perf_counter() - killed
    print(f"\nplaying again {waited:.1f} s after its process was killed")
    if not (seen_restart and int(metric_value(page, "Step") or 0) > 20):
        page.screenshot(path=str(prefix / "failover.png"))
        ps = subprocess.run(["ps", "-eo", "pid,pcpu,rss,etime,args", "--sort=-pcpu"], capture_output=True,
                            text=True).stdout.splitlines()[:15]
        tails = {p.name: p.read_text(errors="replace").splitlines()[-15:] for p in sorted(prefix.glob("*.log"))}
        pytest.fail(f"it did not play on by itself (killed {owner}, at {killed:.1f}; Step {metric_value(page, 'Step')}, "
                    f"url {page.url})\nconsole:\n" + "\n".join(console[-40:]) + "\nps:\n" + "\n".join(ps)
                    + "".join(f"\n{name}:\n" + "\n".join(t) for name, t in tails.items()))
    assert waited < 15
    assert "pg_data=xor" in page.url
    assert _wait_healthy(f"http://127.0.0.1:{port}", 60), "serve.py restarts the killed process"
