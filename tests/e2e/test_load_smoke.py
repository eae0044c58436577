"""A few learners play at once on one server (light websocket clients, tests/load): everyone
gets live frames, Pause answers, nothing breaks. The capacity table is `python -m tests.load`."""
from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from tests.load.client import run_learner

pytestmark = pytest.mark.e2e


def test_three_learners_playing_at_once_all_get_frames_and_pause(app_url):
    async def wave():
        return await asyncio.gather(*(run_learner(app_url, "playground", 6.0, start_delay=i * 0.3)
                                      for i in range(3)))

    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        learners = pool.submit(asyncio.run, wave()).result(timeout=120)
    for le in learners:
        assert not le.errors, le.errors
        assert le.frames >= 6, f"only {le.frames} frames in {le.watch_s:.1f} s"
        assert le.pause_s is not None and le.pause_s < 15
        assert le.bytes_in / max(le.frames, 1) < 40_000, "a frame should be a few KB of numbers"
        # Pause reads Play before the settings column is drawn again: when a hall pauses together,
        # each learner's button waits for the run's first few ms, not for every setting widget
        assert le.pause_flip_s is not None and le.sidebar_before_flip == 0, le.sidebar_before_flip
    print("\n" + ", ".join(f"{le.fps:.1f} frames/s, pause {le.pause_s:.2f} s" for le in learners))


def test_pinning_starts_its_own_server_on_a_box_with_cores_to_spare():
    from tests.load.__main__ import main

    with pytest.raises(SystemExit, match="--pin starts its own server"):
        main(["--pin", "--url", "http://127.0.0.1:9", "--sessions", "1"])
