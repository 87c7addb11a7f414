"""The self-contained HTML pieces (reports/html.py): text escaped, media embedded as data: URIs
that decode back to the same bytes and samples."""
import base64
import io
import re

import numpy as np
import soundfile as sf

from ddsp_train.reports import html

NASTY = '<script>alert("x")</script> & \'quotes\''
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;"


def test_every_piece_escapes_its_text():
    assert html.esc(NASTY) == ESCAPED
    doc = html.page(NASTY, "<p>body</p>")
    assert doc.startswith("<!DOCTYPE html>") and f"<title>{ESCAPED}</title>" in doc and "<p>body</p>" in doc
    assert "<script" not in doc.lower()  # no script at all on the page
    assert html.badge("good", NASTY) == f'<span class="badge good">{ESCAPED}</span>'
    assert html.badge('x" onclick="y', "ok") == '<span class="badge x&quot; onclick=&quot;y">ok</span>'
    png = b"\x89PNG fake"
    fig = html.figure(png, alt=NASTY, caption=NASTY)
    assert f'alt="{ESCAPED}"' in fig and f"<figcaption>{ESCAPED}</figcaption>" in fig and "<script" not in fig
    assert "<figcaption>" not in html.figure(png, alt="a")
    clip = html.player(np.zeros(160), sample_rate=16000, label=NASTY)
    assert f'title="{ESCAPED}"' in clip and "<script" not in clip


def test_tables_escape_cells_unless_raw():
    table = html.table(["file", "<b>verdict</b>"], [[NASTY, "<b>good</b>"]], cls="verdict")
    assert table.startswith('<table class="verdict"><thead><tr><th>file</th><th>&lt;b&gt;verdict&lt;/b&gt;</th>')
    assert f"<td>{ESCAPED}</td><td>&lt;b&gt;good&lt;/b&gt;</td>" in table
    raw = html.table(["a"], [["<b>good</b>"], ["2"]], raw=True)
    assert raw == "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td><b>good</b></td></tr><tr><td>2</td></tr></tbody></table>"


def test_media_are_data_uris_of_the_same_content():
    png = bytes(range(256))
    uri = html.png_uri(png)
    assert uri.startswith("data:image/png;base64,") and base64.b64decode(uri.split(",", 1)[1]) == png
    t = np.arange(1600) / 16000
    audio = np.concatenate([0.5 * np.sin(2 * np.pi * 440 * t), [1.7, -3.0]])  # the last two clip
    wav = html.wav_bytes(audio, sample_rate=16000)
    decoded, rate = sf.read(io.BytesIO(wav), dtype="float64")
    info = sf.info(io.BytesIO(wav))
    assert rate == 16000 and info.subtype == "PCM_16" and info.channels == 1
    np.testing.assert_allclose(decoded[:-2], audio[:-2], atol=1 / 32768)
    assert decoded[-2] == 32767 / 32768 and decoded[-1] == -1.0
    player = html.player(audio, sample_rate=16000)
    src = re.search(r'src="data:audio/wav;base64,([^"]+)"', player).group(1)
    assert base64.b64decode(src) == wav and player.startswith("<audio controls")
