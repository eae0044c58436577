"""Per-process and per-session state shared by the pages."""
from __future__ import annotations

import threading

import streamlit as st

import engine


@st.cache_resource(show_spinner="Preparing the compute engine (only the first visitor of a lab waits)…")
def warm_engine(part: str = "core") -> float:
    """Compile or load one family of kernels once per server process; returns the seconds it took.
    Each lab asks for its own family, so opening one lab never waits for another lab's kernels."""
    return engine.warmup((part,))


@st.cache_resource
def warm_all_in_background() -> threading.Thread:
    """Once per server process: compile (or load from Numba's disk cache) every family in a
    background thread, so a lab opened a minute after a cold start finds its kernels ready. A
    page that needs a family first still calls ``warm_engine``; Numba's compiler lock makes the
    two wait for each other instead of compiling twice."""
    thread = threading.Thread(target=engine.warmup, name="netplay-warm-up", daemon=True)
    thread.start()
    return thread
