"""Per-process and per-session state shared by the pages."""
from __future__ import annotations

import gc
import importlib
import pkgutil
import threading
import time

import streamlit as st

import engine


FAMILY_NAMES = {"core": "the core kernels (activations, losses, optimizers)", "mlp": "the network kernels",
                "som": "the SOM kernels", "rbm": "the RBM kernels", "conv": "the convolution kernels",
                "rnn": "the recurrent-network kernels", "ae": "the autoencoder kernels"}


def warm_engine(part: str = "core") -> None:
    """Make sure the core kernels and family ``part`` are compiled in this process before the page
    uses them. Warm (the usual case: the process warms every family as it starts): nothing is
    drawn. Otherwise, the first visit after a fresh install or while the process's own warm-up has
    not reached them: a bar saying which family compiles and how far along, until it is ready.
    The home page calls nothing: it needs no kernel."""
    needed = [p for p in dict.fromkeys(("core", part)) if not engine.ready(p)]
    if not needed:
        return
    box = st.empty()
    try:
        for p in needed:
            thread = engine.warm_in_background(p)   # one per family and process, whoever asks
            while thread.is_alive():
                done, total, step = engine.progress(p)
                box.progress(min(done / total, 1.0),
                             text=f"Compiling {FAMILY_NAMES[p]}: step {min(done + 1, total)} of {total}, "
                                  f"{step or 'starting'}. Only the first visit after an install waits for this; "
                                  "the compiled kernels are then kept on disk.")
                thread.join(0.25)
            if thread.error is not None:
                raise thread.error
    finally:
        box.empty()


def warm_process() -> None:
    """Everything a process does once, off the pages' path: every kernel family; under
    NETPLAY_DEVICE=auto with a usable GPU, where it pays (``backend.calibrate``); the app's
    modules and Plotly's first figure (its validators: 0.14 s); then ``gc.freeze()``. Python's
    full collections walk every object alive; with NumPy, Numba, Plotly and pandas loaded each
    took 0.14-0.22 s, holding the GIL, and a class pressing Pause together met one in most waves.
    Frozen, what was made so far (modules, compiled kernels) is left out of later collections."""
    start = time.perf_counter()
    engine.warmup()
    from engine import backend

    backend.calibrate()
    import app.charts
    import app.render
    import app.state

    for package in (app.charts, app.render, app.state):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    import plotly.graph_objects as go

    go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).to_json()
    gc.collect()
    gc.freeze()
    print(f"netplay: process warm in {time.perf_counter() - start:.1f} s", flush=True)


_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


def warm_all_in_background() -> threading.Thread:
    """Once per server process (app/server.py calls it as the server starts, main.py at every
    run): ``warm_process`` in a background thread, so a class opening a lab finds its kernels
    ready. A page that needs a family first still calls ``warm_engine``, which warms that family
    in a thread of its own and shows how far along it is (Numba's compiler lock makes the two
    wait for each other instead of compiling twice)."""
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            # whole, in this thread, before the warm-up thread imports anything: Plotly looks them
            # up in sys.modules without importing them, and a page run met a pandas half imported
            # by the warm-up ("partially initialized module 'pandas' has no attribute 'Series'")
            importlib.import_module("pandas")
            importlib.import_module("PIL.Image")
            _warm_thread = threading.Thread(target=warm_process, name="netplay-warm-up", daemon=True)
            _warm_thread.start()
        return _warm_thread
