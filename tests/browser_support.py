"""Open a report page in headless Chromium and say what loaded (not a test module).

:func:`probe_page` copies the page, appends a probe script (test-side only: the reports carry
no script), and runs ``chromium --headless --dump-dom`` on the copy. The probe waits for every
``<img>`` to load and decodes every ``<audio>`` source with Web Audio
(``OfflineAudioContext.decodeAudioData`` of its bytes), then writes JSON into
``<pre id="probe">``: per image ``naturalWidth``; per audio the decoded length and sample rate
or the error; ``performance.getEntriesByType("resource")`` (what the page fetched). The
browser also runs with every host name mapped to nothing, so a request that leaves the file
would fail and show up too. Skips (with the reason) when no chromium is installed
(``apt-get install -y chromium``).
"""
from __future__ import annotations

import html as html_lib
import json
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

PROBE = """
<script>
(async () => {
  const out = {images: [], audio: [], resources: [], done: false};
  const pre = document.createElement('pre');
  pre.id = 'probe';
  document.body.appendChild(pre);
  const show = () => { pre.textContent = JSON.stringify(out); };
  show();
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; })));
  for (const i of imgs) out.images.push({ok: i.complete && i.naturalWidth > 0, width: i.naturalWidth});
  const decode = async (a) => {
    const src = a.currentSrc || a.src || (a.querySelector('source') || {}).src || '';
    try {
      const bytes = await (await fetch(src)).arrayBuffer();
      const buffer = await new OfflineAudioContext(1, 1, 16000).decodeAudioData(bytes);
      return {ok: buffer.length > 0, length: buffer.length, seconds: buffer.duration, scheme: src.split(':')[0]};
    } catch (e) {
      return {ok: false, error: String(e), scheme: src.split(':')[0]};
    }
  };
  out.audio = await Promise.all(Array.from(document.querySelectorAll('audio')).map(decode));
  for (const e of performance.getEntriesByType('resource')) out.resources.push(e.name.slice(0, 60));
  out.done = true;
  show();
})();
</script>
"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium on PATH: the browser test needs Debian's chromium (apt-get install -y chromium)")


def _flags(profile: str) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}"]


def probe_page(page: pathlib.Path, *, timeout: float = 60.0, tries: int = 3) -> dict:
    """The probe's JSON for ``page`` (module docstring). ``--dump-dom`` may write the page before
    the probe's promises settle on a loaded machine (its virtual time does not wait for image
    decoding or Web Audio); such a run reports ``done: false`` and is tried again."""
    for _ in range(tries):
        result = _probe_once(page, timeout=timeout)
        if result.get("done"):
            break
    return result


def _probe_once(page: pathlib.Path, *, timeout: float) -> dict:
    exe = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp) / "probe.html"
        text = page.read_text()
        copy.write_text(text.replace("</body>", PROBE + "</body>"))
        proc = subprocess.run([exe, *_flags(str(pathlib.Path(tmp) / "profile")), "--virtual-time-budget=60000",
                               "--dump-dom", copy.as_uri()], capture_output=True, text=True, timeout=timeout)
    found = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"the probe did not report (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(html_lib.unescape(found.group(1)))


def screenshot(page: pathlib.Path, png: pathlib.Path, *, width: int = 1200, height: int = 3000) -> pathlib.Path:
    """A PNG of the page's top ``height`` pixels."""
    exe = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([exe, *_flags(tmp), f"--window-size={width},{height}", "--hide-scrollbars",
                        f"--screenshot={png}", page.as_uri()], capture_output=True, timeout=60, check=True)
    return png


def assert_self_contained(page: pathlib.Path, probe: dict, *, images: int, audio: int) -> None:
    """Every image loaded, every audio source decoded, nothing fetched from outside the file."""
    assert len(probe["images"]) == images and all(i["ok"] for i in probe["images"]), probe["images"]
    assert len(probe["audio"]) == audio, probe["audio"]
    assert all(a["ok"] and a["scheme"] == "data" for a in probe["audio"]), probe["audio"]
    assert all(name.startswith("data:") for name in probe["resources"]), probe["resources"]
    text = page.read_text()
    assert not re.search(r'(src|href)\s*=\s*"(?!data:|#)', text), "a src/href that is not inline"
    assert "<script" not in text.lower()
