"""Teaching presets: a row of one-click buttons and the note of the preset in use."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Preset:
    """A teaching moment: a title for its button, the sentence saying what to look for, and the
    widget values (on top of the page's defaults) that set it up."""
    title: str
    note: str
    settings: dict


def restarter(prefix: str, presets: Mapping[str, Preset], defaults: Mapping[str, Any],
              model_key: str) -> Callable[[str], None]:
    """The click handler of pages whose presets reset every setting, drop the model and play."""
    def apply(name: str) -> None:
        st.session_state.update(defaults)
        st.session_state.update(presets[name].settings)
        st.session_state[f"{prefix}_note"] = name
        st.session_state.pop(model_key, None)
        st.session_state[f"{prefix}_playing"] = True
    return apply


def show(prefix: str, presets: Mapping[str, Any], apply: Callable[[str], None]) -> None:
    """Buttons for ``presets`` (objects with ``title`` and ``note``) in the sidebar, then the
    chosen one's note in the page.

    ``apply(name)`` runs as the click's callback and records ``name`` in ``{prefix}_note``.
    """
    with st.sidebar.expander("Teaching presets: one click sets up a demo and starts it", expanded=False):
        for name, preset in presets.items():
            st.button(preset.title, key=f"{prefix}_preset_{name}", on_click=apply, args=(name,),
                      width="stretch", help=preset.note)
    chosen = presets.get(st.session_state.get(f"{prefix}_note"))
    if chosen is not None:
        st.info(f"**{chosen.title}.** {chosen.note}", icon=":material/school:")
