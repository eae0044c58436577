def test_home_renders_and_presents_the_labs(open_page):
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    assert "McCulloch-Pitts" in text and "perceptron" in text.lower()
    assert at.title[0].value.endswith("netplay")


def test_home_links_every_lab(open_page):
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    assert "Race GD, SGD, momentum" in text and "decision boundary" in text
