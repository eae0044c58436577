"""Per-process and per-session state shared by the pages."""
from __future__ import annotations

import streamlit as st

import engine


@st.cache_resource(show_spinner="Preparing the compute engine (only the first visitor of a lab waits)…")
def warm_engine(part: str = "core") -> float:
    """Compile or load one family of kernels once per server process; returns the seconds it took.
    Each lab asks for its own family, so opening one lab never waits for another lab's kernels."""
    return engine.warmup((part,))
