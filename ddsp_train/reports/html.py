"""Self-contained HTML: one file, inline CSS, images and audio as ``data:`` URIs, no script.

- :func:`page` wraps a body in the document with the shared style sheet;
- :func:`png_uri` / :func:`audio_uri` embed bytes (``data:image/png;base64,...``,
  ``data:audio/wav;base64,...``: 16-bit PCM WAV, which every browser decodes);
- :func:`badge`, :func:`table`, :func:`player`, :func:`figure` build the pieces (text escaped).
"""
from __future__ import annotations

import base64
import html
import io
from typing import Iterable, Sequence

import numpy as np

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.lead{font-size:1.15em}.muted{color:#666;font-size:.92em}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{text-align:left;padding:.35em .6em;
border-bottom:1px solid #eee;vertical-align:top}th{background:#f6f6f6}
.badge{display:inline-block;padding:.1em .6em;border-radius:1em;font-weight:600;font-size:.9em;white-space:nowrap}
.good{background:#d9f2dd;color:#17612a}.usable{background:#fff1c9;color:#7a5a00}.fix{background:#fbd5d5;color:#9b1c1c}
.verdict td:first-child{width:11em}figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.92em}audio{width:100%;max-width:420px;min-width:230px;height:2.2em}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}.box{background:#f4f7fb;border-left:4px solid #4a78b5;
padding:.6em 1em;margin:1em 0}
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """The whole document: ``<title>``, the style sheet and ``body`` (already HTML)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def wav_bytes(audio: np.ndarray, *, sample_rate: int) -> bytes:
    """16-bit PCM WAV of mono ``audio`` (clipped to full scale)."""
    import soundfile as sf

    buffer = io.BytesIO()
    pcm = np.clip(np.asarray(audio, np.float32).reshape(-1), -1.0, 1.0)
    sf.write(buffer, pcm, int(sample_rate), format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def audio_uri(audio: np.ndarray, *, sample_rate: int) -> str:
    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(audio, sample_rate=sample_rate)).decode("ascii")


def player(audio: np.ndarray, *, sample_rate: int, label: str = "") -> str:
    """An ``<audio controls>`` with the clip inline."""
    title = f' title="{esc(label)}"' if label else ""
    return (f'<audio controls preload="auto"{title} src="{audio_uri(audio, sample_rate=sample_rate)}">'
            "</audio>")


def figure(png: bytes, *, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{png_uri(png)}" alt="{esc(alt)}">{cap}</figure>'


def badge(level: str, label: str) -> str:
    return f'<span class="badge {esc(level)}">{esc(label)}</span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "", raw: bool = False) -> str:
    """A table; cells are escaped unless ``raw`` (then they are HTML already)."""
    cell = (lambda x: str(x)) if raw else esc
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{esc(cls)}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
