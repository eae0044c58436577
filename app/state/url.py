"""A lab's setup <-> the URL query string, so a shared link restores the same demo.

Each page declares its fields (a key, a default and how to read/write it as text). On a page's
first run in a session (or after Streamlit dropped its widget state on a page switch) every widget
value is seeded from, in order: a valid value in the URL, the value the learner last had on this
page, the default. Bad values in a link are reported once in plain words and fall back. Every
run then sends every value to the browser again (``hold``), so a control the browser remounts
never shows its element default instead.
After the widgets are drawn, ``publish`` writes the values that differ from the defaults back
to the URL.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app.state import screen
from app.state.echo import quote

MAX_PARAM_CHARS = 500  # nothing this app writes is longer; longer is junk or an attack


@dataclass(frozen=True)
class Field:
    key: str                          # the widget's session_state key and the URL parameter
    default: Any
    parse: Callable[[str], Any]       # text -> value; raises ValueError with a readable reason
    dump: Callable[[Any], str] = str


def choice(key: str, default: str, options: Sequence[str]) -> Field:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"must be one of {', '.join(map(str, options))}")
        return text
    return Field(key, default, parse)


def _number(text: str, lo: float, hi: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ValueError(f"must be between {lo:g} and {hi:g}")
    return value


def number(key: str, default: float, lo: float, hi: float) -> Field:
    return Field(key, default, lambda t: _number(t, lo, hi), lambda v: f"{v:g}")


def integer(key: str, default: int, lo: int, hi: int) -> Field:
    def parse(text: str) -> int:
        value = _number(text, lo, hi)
        if value != int(value):
            raise ValueError("must be a whole number")
        return int(value)
    return Field(key, default, parse)


def flag(key: str, default: bool) -> Field:
    def parse(text: str) -> bool:
        if text not in ("0", "1"):
            raise ValueError("must be 0 or 1")
        return text == "1"
    return Field(key, default, parse, lambda v: "1" if v else "0")


def choice_list(key: str, default: Sequence[str], options: Sequence[str]) -> Field:
    def parse(text: str) -> list[str]:
        items = [t for t in text.split(",") if t]
        bad = [t for t in items if t not in options]
        if bad:
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            raise ValueError(f"has unknown item(s) {', '.join(map(quote, bad[:3]))}{more}; "
                             f"known: {', '.join(options)}")
        return list(dict.fromkeys(items))
    return Field(key, list(default), parse, lambda v: ",".join(v))


def text(key: str, default: str, max_chars: int = 200) -> Field:
    def parse(value: str) -> str:
        if len(value) > max_chars:
            raise ValueError(f"is longer than {max_chars} characters")
        return value
    return Field(key, default, parse)


def hold(keys: Iterable[str]) -> None:
    """Send these widgets' values to the browser again on this run (call before drawing them).

    Streamlit tells the browser a keyed widget's value only on a run that set it through
    session_state; on other runs the browser keeps what it shows. But the browser keeps its own
    copy only of some widgets (in practice, those the learner has touched), and a widget it mounts
    afresh without one shows the widget's default: the minimum or nothing, for widgets drawn
    without ``value=`` as these are. The next click then sends those defaults back as the
    learner's choice. Seen in the optimizer lab, about one Play/Pause in six: the live run
    remounted the controls, and Pause came back with kappa 1, 20 steps and no optimizer. Setting
    each value to itself marks it as set on this run, so every run carries the true values.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


class PageState:
    """The URL-backed fields of one page."""

    def __init__(self, page: str, fields: Sequence[Field]) -> None:
        self.page = page
        self.fields = {f.key: f for f in fields}
        self._kept_key = f"_kept_{page}"

    def restore(self) -> list[str]:
        """Seed missing widget values and ``hold`` them all; returns readable problems with the link."""
        kept: dict[str, Any] = st.session_state.setdefault(self._kept_key, {})
        problems = []
        for key, field in self.fields.items():
            if key in st.session_state:
                continue
            raw = st.query_params.get(key)
            value = kept.get(key, field.default)
            if raw is not None:
                try:
                    if len(raw) > MAX_PARAM_CHARS:
                        raise ValueError("is too long")
                    value = field.parse(raw)
                except ValueError as err:
                    problems.append(f"`{key}` {err}; using {quote(field.dump(value), 60)} instead")
            st.session_state[key] = value
        hold(self.fields)
        return problems

    def publish(self, extra: dict[str, str] | None = None) -> None:
        """Write the page's non-default values to the URL (and remember all for a page switch).

        ``extra``: parameters the page encodes itself (values relative to other settings).
        """
        kept = st.session_state.setdefault(self._kept_key, {})
        wanted = {**screen.link_params(), **(extra or {})}
        for key, field in self.fields.items():
            value = st.session_state.get(key, field.default)
            kept[key] = value
            if value != field.default:  # defaults stay implicit: links stay short and readable
                wanted[key] = field.dump(value)
        stale = [k for k in st.query_params if k not in wanted]
        for k in stale:
            del st.query_params[k]
        if any(st.query_params.get(k) != v for k, v in wanted.items()):
            st.query_params.update(wanted)
        screen.fill_share(wanted)

    def show_problems(self, problems: list[str]) -> None:
        if problems:
            st.warning("Some settings in this link could not be used and fell back to defaults:\n\n"
                       + "\n".join(f"- {p}" for p in problems), icon=":material/link_off:")
