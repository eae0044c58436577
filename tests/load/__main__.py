"""Capacity benchmark: N learners press Play at once (``python -m tests.load``).

    python -m tests.load [--sessions 1,4,8,15] [--lab playground|som|rbm|cnn|rnn|ae|mix] [--seconds 20]
                         [--url http://127.0.0.1:8501] [--pin]

Without ``--url`` it starts its own ``netplay`` server on a free loopback port (one process) and
also reports that process's CPU per frame, over the whole wave (page opens, first frames and
paused pages included) and while everyone plays. Clients are light websocket learners
(``tests.load.client``): no browsers, so they leave the server the CPU. ``--pin`` puts the server
it starts on core 0 and the clients on the other cores, as real learners' browsers run on their
own machines: on a small box the clients otherwise take turns with the server on its core, and the
Pause tail measures that queue more than the server. Traffic goes to loopback
(or the given URL) only, and every run is bounded in time. Not part of the test suite's pass/fail.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.load.client import LABS, Learner, run_learner

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(core: int | None = None) -> tuple[subprocess.Popen, str]:
    """A netplay process on a free loopback port (on CPU ``core`` alone when given)."""
    port = _free_port()
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", f"--server.port={port}", "--server.address=127.0.0.1",
                             "--server.fileWatcherType=none"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=pin)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not come up in 180 s")


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wave(url: str, labs: list[str], seconds: float) -> list[Learner]:
    """Everyone opens the lab within a second and plays for ``seconds``."""
    return await asyncio.gather(*(run_learner(url, lab, seconds, start_delay=i / max(len(labs), 1))
                                  for i, lab in enumerate(labs)))


class CpuSampler(threading.Thread):
    """The server's CPU seconds every 0.2 s during a wave, to tell the frames' cost apart from the
    wave's page opens, first frames and paused pages."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.done = pid, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append((time.perf_counter(), cpu_seconds(self.pid)))
            self.done.wait(0.2)

    def between(self, t0: float, t1: float) -> float | None:
        inside = [c for t, c in self.samples if t0 <= t <= t1]
        return inside[-1] - inside[0] if len(inside) >= 2 else None


def playing_cost(sampler: CpuSampler, learners: list[Learner]) -> str:
    """CPU per frame while everyone plays: from a second after the last learner's first frame to
    the first learner's Pause (the window where only frames are computed)."""
    starts = [le.frame_at[0] for le in learners if le.frame_at]
    ends = [le.play_started + le.watch_s for le in learners if le.watch_s]
    if len(starts) < len(learners) or not ends:
        return "n/a"
    t0, t1 = max(starts) + 1.0, min(ends)
    samples = [(t, c) for t, c in sampler.samples if t0 <= t <= t1]
    if len(samples) < 2:
        return "n/a"
    t0, t1 = samples[0][0], samples[-1][0]
    frames = sum(sum(1 for t in le.frame_at if t0 <= t <= t1) for le in learners)
    return f"{(samples[-1][1] - samples[0][1]) / frames * 1000:.1f} ms" if frames else "n/a"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="1,4,8,15", help="comma-separated learner counts, one wave each")
    parser.add_argument("--lab", default="playground", choices=(*LABS, "mix"))
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="play time per wave (at most 900: a long wave of 1 is the memory soak)")
    parser.add_argument("--url", default=None, help="an already running server (loopback or your own host)")
    parser.add_argument("--pin", action="store_true",
                        help="the server on core 0, these clients on the others (Linux, 2+ cores)")
    args = parser.parse_args(argv)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if args.pin and (args.url or len(cores) < 2):
        raise SystemExit("--pin starts its own server and needs at least 2 cores")
    seconds = min(max(args.seconds, 2.0), 900.0)
    counts = [max(1, min(int(c), 60)) for c in args.sessions.split(",")]
    proc, url = (None, args.url) if args.url else start_server(cores[0] if args.pin else None)
    if args.pin:
        os.sched_setaffinity(0, set(cores[1:]))
    try:
        run_learner_warm = asyncio.run(wave(url, ["playground"], 2.0))  # compile / load kernels once
        del run_learner_warm
        print(f"server {url}  lab {args.lab}  {seconds:.0f} s per wave  CPU: {os.cpu_count()} cores"
              + (f"  (server on core {cores[0]}, clients on {cores[1:]})" if args.pin else ""))
        print("| learners | frames/s each (min / median) | total frames/s | server CPU per frame (wave / playing) | "
              "KB/s per learner (wire) | messages per frame | Pause answered p95 | paused page p95 / worst | "
              "server memory growth | errors |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for n in counts:
            labs = [list(LABS)[i % len(LABS)] if args.lab == "mix" else args.lab for i in range(n)]
            cpu0 = cpu_seconds(proc.pid) if proc else None
            mem0 = rss_mb(proc.pid) if proc else None
            sampler = CpuSampler(proc.pid) if proc else None
            if sampler:
                sampler.start()
            learners = asyncio.run(wave(url, labs, seconds))
            cpu = cpu_seconds(proc.pid) - cpu0 if proc else None
            if sampler:
                sampler.done.set()
                sampler.join()
            playing = playing_cost(sampler, learners) if sampler else "n/a"
            growth = f"{rss_mb(proc.pid) - mem0:+.0f} MB" if proc else "n/a"
            fps = [le.fps for le in learners]
            frames = sum(le.frames for le in learners)
            pauses = [le.pause_s for le in learners if le.pause_s is not None]
            flips = [le.pause_flip_s for le in learners if le.pause_flip_s is not None]
            kbs = [(le.wire_bytes + le.media_bytes) / le.watch_s / 1000 for le in learners if le.watch_s]
            per_msg = sum(le.messages for le in learners) / frames if frames else float("nan")
            errors = sum(len(le.errors) for le in learners)
            per_frame = f"{cpu / frames * 1000:.1f} ms" if cpu is not None and frames else "n/a"
            print(f"| {n} | {min(fps):.1f} / {statistics.median(fps):.1f} | {sum(fps):.1f} | {per_frame} / {playing} | "
                  f"{statistics.median(kbs) if kbs else float('nan'):.0f} | {per_msg:.1f} | "
                  f"{percentile(flips, 0.95):.2f} s | {percentile(pauses, 0.95):.2f} / "
                  f"{max(pauses) if pauses else float('nan'):.2f} s | {growth} | {errors} |", flush=True)
            for le in learners:
                for e in le.errors[:2]:
                    print(f"  {le.lab}: {e}")
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
