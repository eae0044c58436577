def test_home_renders_and_presents_the_labs(open_page):
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    assert "McCulloch-Pitts" in text and "perceptron" in text.lower()
    assert at.title[0].value.endswith("netplay")


def test_home_says_where_the_engine_computes(open_page, monkeypatch):
    monkeypatch.setenv("NETPLAY_DEVICE", "cpu")
    at = open_page()
    assert any("Computing on: CPU (NETPLAY_DEVICE=cpu)" in c.value for c in at.caption)


def test_home_links_every_lab(open_page):
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    assert "Race GD, SGD, momentum" in text and "decision boundary" in text


def test_the_app_starts_from_a_relative_path_in_any_working_directory(tmp_path):
    """``AppTest.from_file("app/main.py")`` typed at the project root (``python -c``: no caller
    file, so the path stays relative) and from a folder elsewhere: the pages must be found from
    the resolved file, not from the relative ``__file__`` (that raised StreamlitPageNotFoundError)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for cwd in (root, tmp_path):
        main = os.path.relpath(root / "app" / "main.py", cwd)
        script = (
            "from streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({main!r}, default_timeout=60).run()\n"
            "assert not at.exception, at.exception\n"
            "at.switch_page('labs/neuron_lab.py').run()\n"
            "assert not at.exception, at.exception\n"
            "assert at.title[0].value.endswith('Neuron & activations'), at.title\n"
        )
        done = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(root)}, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]


def test_the_home_page_waits_for_no_kernel_and_a_lab_for_its_own(monkeypatch):
    """Cold (nothing compiled yet), the home page asks for no kernel family; the SOM lab asks for
    the core and its own, each warmed in a thread while the page shows how far along it is."""
    import engine
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import MAIN

    asked = []

    class Done:   # a warm-up thread that has finished
        error = None

        def is_alive(self) -> bool:
            return False

    monkeypatch.setattr(engine, "ready", lambda part: False)
    monkeypatch.setattr(engine, "warm_in_background", lambda part: asked.append(part) or Done())
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    assert not at.exception and asked == []
    at.switch_page("labs/som_lab.py").run()
    assert not at.exception and asked == ["core", "som"]
