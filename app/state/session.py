"""Per-process and per-session state shared by the pages."""
from __future__ import annotations

import streamlit as st

import engine


@st.cache_resource(show_spinner="Preparing the compute engine (only the first visitor waits)…")
def warm_engine() -> float:
    """Compile or load every kernel once per server process; returns the seconds it took."""
    return engine.warmup()
