"""Text that someone else wrote (a link's value, a CSV cell, a file name) shown on our pages.

Streamlit renders Markdown in every message box: links, images, bold, colour directives, icons,
LaTeX and bare URLs. A value from a shared link echoed raw into a warning would put the link's
author's words in our UI (``**Session expired.** [Log in again](https://evil.example)``: a
phishing line inside our own warning) and make every visitor's browser fetch their images (a
tracking pixel). So every such value reaches the page through ``quote``: a short excerpt inside
a code span, where Markdown renders nothing (the browser test checks that no outside request is
made). Backslash-escaping is not enough: GitHub-flavoured Markdown still turns bare URLs into
links.
"""
from __future__ import annotations

import math

MAX_ECHO_CHARS = 24  # enough to recognise one's own typo; too short to carry a message


def quote(value: object, max_chars: int = MAX_ECHO_CHARS) -> str:
    """``value`` as a Markdown code span of at most ``max_chars`` characters, shown as typed.

    Backticks (which would close the span) become primes, control characters (line breaks,
    bidirectional overrides) become U+FFFD, and a longer value is cut with an ellipsis.
    """
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(value)).replace("`", "\u02b9")
    if len(text) > max_chars:
        text = text[:max_chars - 1] + "\u2026"
    if not text.strip():
        return "(empty)" if not text else f"`{text}` (spaces)"
    return f"`{text}`"


def number(v: float) -> str:
    """A metric's value that never runs off its box: 4 decimals, or 4 significant digits past
    ten thousand (a diverged regression's MAE once printed 154 digits)."""
    v = float(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    return f"{v:.4g}" if abs(v) >= 1e4 else f"{v:.4f}"
