"""Both pages of a real small run opened in headless Chromium: every image loads, every
<audio> source decodes, nothing is fetched from outside the file. Skips when chromium is absent
(``apt-get install -y chromium``). Also writes screenshots next to the pages, to look at."""
import pytest

import browser_support
import reports_support


def test_the_dataset_page_in_a_browser(tmp_path_factory, request):
    page = reports_support.dataset_page_of_run(tmp_path_factory, request)
    probe = browser_support.probe_page(page)
    # two histograms and three spectrograms; the three files' players
    browser_support.assert_self_contained(page, probe, images=5, audio=3)
    assert all(a["seconds"] == pytest.approx(8.0, abs=0.01) for a in probe["audio"])
    browser_support.screenshot(page, page.with_suffix(".png"))


def test_the_model_page_in_a_browser(tmp_path_factory, request):
    page = reports_support.model_page_of_run(tmp_path_factory, request)
    text = page.read_text()
    probe = browser_support.probe_page(page)
    browser_support.assert_self_contained(page, probe, images=text.count("<img "), audio=text.count("<audio "))
    assert len(probe["audio"]) >= 3 and len(probe["images"]) >= 3
    browser_support.screenshot(page, page.with_suffix(".png"))


def test_the_probe_sees_a_request_that_leaves_the_file(tmp_path):
    """The check can fail: a page with an outside image and a broken audio source."""
    page = tmp_path / "leaky.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png">'
                    '<audio src="data:audio/wav;base64,AAAA"></audio></body></html>')
    probe = browser_support.probe_page(page)
    assert not probe["images"][0]["ok"]
    assert not probe["audio"][0]["ok"]
    assert any(name.startswith("http://example.invalid") for name in probe["resources"])
