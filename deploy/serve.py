"""Serve netplay on one box: N processes (one per core by default) behind nginx.

    python deploy/serve.py [--processes N] [--port 8080] [--address 127.0.0.1] [--first-port 8601]

The engine's kernels are compiled (or loaded from Numba's disk cache) once, before the processes
start, so each of them starts in a second or two instead of compiling on its own. Every process
shares one cookie secret (uploads keep working after a learner moves to another process). A
process that stops answering its health check is restarted; nginx sends its learners to the
others meanwhile (their browser reconnects and reopens the page from its link). Ctrl-C or
SIGTERM stops everything.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
HEALTH_EVERY_S = 2.0
FAIL_TIMEOUT_S = 5     # nginx keeps a process that failed a request out of the hash this long


def render_config(prefix: Path, listen: str, ports: list[int]) -> Path:
    """The nginx configuration for these backend ports, written under ``prefix``."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;" for p in ports)
    text = (TEMPLATE.read_text().replace("{{prefix}}", str(prefix)).replace("{{listen}}", listen)
            .replace("{{servers}}", servers))
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(text)
    return path


def warm_kernels() -> float:
    """Compile every kernel family once into Numba's disk cache; returns seconds taken."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app.cli", "warmup"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def healthy(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout) as reply:
            return reply.read() == b"ok"
    except OSError:
        return False


class Backends:
    """The netplay processes, one per port, restarted when they die or stop answering."""

    def __init__(self, ports: list[int], secret: str, log_dir: Path) -> None:
        self.ports, self.secret, self.log_dir = ports, secret, log_dir
        self.procs: dict[int, subprocess.Popen] = {}
        self.strikes: dict[int, int] = {}

    def start(self, port: int) -> None:
        log = open(self.log_dir / f"netplay-{port}.log", "ab")  # noqa: SIM115 - the process owns it
        self.procs[port] = subprocess.Popen(
            [sys.executable, "-m", "app.cli", f"--server.port={port}", "--server.address=127.0.0.1",
             "--server.fileWatcherType=none"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": self.secret})
        self.strikes[port] = 0

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.time() + timeout
        for port in self.ports:
            while not healthy(port):
                if time.time() > deadline or self.procs[port].poll() is not None:
                    raise SystemExit(f"netplay on port {port} did not come up; see {self.log_dir}")
                time.sleep(0.3)

    def watch(self) -> None:
        """One round of health checks: restart a process that exited or failed three checks."""
        for port, proc in list(self.procs.items()):
            if proc.poll() is None and healthy(port):
                self.strikes[port] = 0
                continue
            self.strikes[port] += 1
            if proc.poll() is not None or self.strikes[port] >= 3:
                print(f"serve: netplay on port {port} is down; restarting it", flush=True)
                if proc.poll() is None:
                    proc.kill()
                self.start(port)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="netplay processes (default: one per core)")
    parser.add_argument("--port", type=int, default=8080, help="where nginx listens")
    parser.add_argument("--address", default="127.0.0.1", help="the address nginx listens on (0.0.0.0: every interface)")
    parser.add_argument("--first-port", type=int, default=8601, help="the first netplay process's port")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="the nginx binary")
    args = parser.parse_args(argv)
    if not Path(args.nginx).exists():
        raise SystemExit("nginx not found: install Debian's nginx (apt-get install nginx) or pass --nginx")
    n = max(1, min(args.processes, 64))
    ports = [args.first_port + i for i in range(n)]
    prefix = Path(tempfile.mkdtemp(prefix="netplay-nginx-"))
    conf = render_config(prefix, f"{args.address}:{args.port}", ports)
    subprocess.run([args.nginx, "-t", "-q", "-c", str(conf), "-p", str(prefix)], check=True)
    print(f"serve: kernels ready in {warm_kernels():.1f} s", flush=True)
    backends = Backends(ports, secrets.token_hex(32), prefix)
    stopping = False

    def stop(*_) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for port in ports:
        backends.start(port)
    nginx = None
    try:
        backends.wait_ready()
        nginx = subprocess.Popen([args.nginx, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"])
        print(f"serve: netplay on http://{args.address}:{args.port} ({n} processes: ports {ports[0]}-{ports[-1]}; "
              f"logs in {prefix})", flush=True)
        while not stopping:
            time.sleep(HEALTH_EVERY_S)
            backends.watch()
            if nginx.poll() is not None:
                raise SystemExit(f"nginx exited; see {prefix}/error.log")
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.terminate()
            nginx.wait(10)
        backends.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
