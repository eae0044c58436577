"""netplay's entry script: page config, the process's warm-up (in the background: each lab waits
only for its own kernels, the home page for none) and one navigation for every lab."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run app/main.py` puts app/ on sys.path, not the project root that holds engine/
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.pages import PAGES  # noqa: E402
from app.state import live, screen  # noqa: E402
from app.state.session import warm_all_in_background  # noqa: E402

st.set_page_config(page_title="netplay: neural networks you can touch", page_icon="🧠", layout="wide")
screen.start_run()  # the presentation flag (?present=1) and the compact page style
live.claim_session()  # an older run of this session still training a model stops at its next turn
warm_all_in_background()

# not "pages/": Streamlit would auto-register a folder of that name before st.navigation runs,
# and the first visitor of a fresh server opening a shared /neuron link got "Page not found"
PAGES_DIR = ROOT / "app" / "labs"  # resolved: `streamlit run app/main.py` from any folder
HOME, *LABS = [st.Page(PAGES_DIR / file, title=title, icon=icon, **({"url_path": slug} if slug else {"default": True}))
               for file, slug, title, icon in PAGES]
try:
    with live.turn():  # page runs and live frames of this process take turns (see live._Turns)
        st.navigation({"": [HOME], "Labs": LABS}).run()
finally:
    screen.end_run()
