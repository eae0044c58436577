"""A shared link must never put its author's words, links or images in our UI.

Every URL key of every lab (found from the page's own field list, so a new key is covered
without editing this file), plus the keys a page parses itself, is given Markdown, HTML and
link payloads at once; every message the page shows must carry them only as a short code span.
"""
from __future__ import annotations

import re

import pytest

from app.state.echo import MAX_ECHO_CHARS, quote

SOFTMAX = "Softmax"


PAGES = {"neuron": "neuron_lab", "playground": "playground", "optimizers": "optimizer_lab",
         "cnn": "cnn_lab", "som": "som_lab", "rbm": "rbm_lab", "rnn": "rnn_lab", "ae": "autoencoder_lab"}
# keys a page reads from the link itself, outside its field list (page -> extra query)
EXTRA = {"optimizers": ("op_start", "op_lr"), "cnn": ("cnn_k",)}
PAYLOADS = {
    "markdown": "**Session expired.** [Log in again](https://evil.example/login) "
                "![x](https://evil.example/p.png)",
    "html": "<img src=https://evil.example/p.png><script>alert(1)</script>",
    "bare_link": "https://evil.example/login :red[ALERT] :material/warning: $x$",
    "backtick": "a` **bold** [l](https://evil.example)`",
    "list_item": "adam,**x**,[l](https://evil.example),![i](https://evil.example/i.png)",
}


def outside_code(markdown: str) -> str:
    """The Markdown text that is not inside an inline code span."""
    return re.sub(r"`[^`\n]*`", "", markdown)


def shown_text(at) -> list[str]:
    """The Markdown source of every message element on the page."""
    kinds = ("warning", "error", "info", "success", "markdown", "caption", "toast")
    return [el.value for kind in kinds for el in at.get(kind) if isinstance(el.value, str)]


def assert_safe(texts: list[str]) -> None:
    for text in texts:
        rest = outside_code(text)
        for marker in ("evil.example", "**Session", "<img", "<script", ":red[ALERT]", "$x$"):
            assert marker not in rest, f"{marker!r} reached Markdown in:\n{text}"
        for span in re.findall(r"`([^`\n]*)`", text):
            assert len(span) <= 60, f"echoed more than a short excerpt: {span!r}"


@pytest.mark.parametrize("kind", PAYLOADS)
@pytest.mark.parametrize("page", PAGES)
def test_every_key_of_every_lab_echoes_only_a_code_span(open_page, page, kind):
    keys = list(open_page(PAGES[page]).session_state[f"_kept_{page}"])
    assert len(keys) >= 3
    query = {k: PAYLOADS[kind] for k in (*keys, *EXTRA.get(page, ()))}
    if page == "cnn":
        query["cnn_kernel"] = "custom"  # cnn_k is read only with a custom kernel
    at = open_page(PAGES[page], **query)
    warnings = [w.value for w in at.warning if "could not be used" in w.value]
    assert warnings, "a link full of junk must be reported"
    problems = warnings[0].count("\n- ")
    assert problems >= len(keys) - 2, warnings[0]  # free-text fields may accept the payload
    assert_safe(shown_text(at))


def test_a_rejected_list_item_is_named_as_a_short_code_span(open_page):
    at = open_page("playground", pg_feat="x1,**Session expired.** [Log in](https://evil.example)")
    line = next(w.value for w in at.warning if "pg_feat" in w.value)
    assert "`**Session expired.** [L\u2026`" in line
    assert_safe([line])


def test_the_softmax_logits_and_learning_rate_lists_quote_what_they_reject(open_page):
    at = open_page("neuron_lab", section=SOFTMAX, sm_logits="1, [x](https://evil.example/a)")
    assert_safe(shown_text(at))
    assert any("`[x](https://evil.exampl\u2026` is not a number" in e.value for e in at.error)
    at = open_page("optimizer_lab", op_mode="lr", op_lx_lrs="0.1, ![i](https://evil.example/i.png)")
    assert_safe(shown_text(at))


def test_quote_is_short_escaped_and_cannot_be_closed():
    assert quote("abc") == "`abc`"
    assert quote("a`b") == "`a\u02b9b`"
    assert quote("x" * 100) == "`" + "x" * (MAX_ECHO_CHARS - 1) + "\u2026`"
    assert quote("line\nbreak\u202e") == "`line\ufffdbreak\ufffd`"
    assert quote("") == "(empty)"
    assert outside_code(quote("**b** [l](https://evil.example)")) == ""


def test_a_bad_csv_cell_is_quoted_by_the_caller():
    from engine.datasets import load_csv

    bad = b"1,2,0\n2,3,1\n3,4,0\n**x** [l](https://evil.example),5,1\n"
    with pytest.raises(ValueError) as err:
        load_csv(bad, quote)
    assert "row 4, column 1: `**x** [l](https://evil.\u2026` is not a number" == str(err.value)
    with pytest.raises(ValueError, match=r"'\*\*x\*\* \[l\]\(https://ev' is not a number"):
        load_csv(bad)  # a notebook gets Python's repr of the first 20 characters
