"""The HTML report in a real headless Chromium (Debian's ``chromium`` package).

The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: fd 3
in, fd 4 out, NUL-separated JSON), so no driver binary or extra Python package is needed.
Skips when chromium is absent, except under CI (env ``CI`` set), where absence fails.

Set ``MLBOM_WRITE_SCREENSHOTS=1`` to also write the README pictures ``docs/img/report.png``
and ``docs/img/tree.png``:  ``MLBOM_WRITE_SCREENSHOTS=1 pytest tests/test_views_html.py``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_views_graphs import HOSTILE, sample_graph

from sbom.views.html import render_html
from sbom.views.tree import export_tree_svg

pytestmark = pytest.mark.chromium
REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _high_fd(fd: int) -> int:
    """``fd`` moved above 9 so the shell's ``3<&N 4>&M`` cannot clobber it (needs bash)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Browser:
    """A minimal DevTools client over Chromium's debugging pipe."""

    def __init__(self, profile: Path) -> None:
        to_chrome_r, self._to_chrome = (_high_fd(fd) for fd in os.pipe())
        self._from_chrome, from_chrome_w = (_high_fd(fd) for fd in os.pipe())
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
            "--remote-debugging-pipe", "about:blank",
        ]
        args = " ".join(f"'{a}'" for a in flags)
        cmd = (f"exec '{CHROMIUM}' {args} 3<&{to_chrome_r} 4>&{from_chrome_w} "
               f"{to_chrome_r}<&- {from_chrome_w}>&-")
        self.proc = subprocess.Popen(
            ["bash", "-c", cmd], pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        self.page("Page.enable")
        self.page("Runtime.enable")

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)  # type: ignore[no-any-return]

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 20) -> dict[str, Any]:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})  # type: ignore[no-any-return]
            self.events.append(reply)

    def page(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call(method, params, session=self.session)

    def js(self, expression: str) -> Any:
        result = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    def open(self, url: str, width: int = 1400, height: int = 820) -> None:
        self.page("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.page("Page.navigate", {"url": url})
        deadline = time.monotonic() + 20
        while self.js("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"page did not load: {url}")
            time.sleep(0.05)

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent",
                      {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def screenshot(self) -> bytes:
        return base64.b64decode(self.page("Page.captureScreenshot", {"format": "png"})["data"])

    def dialogs(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("method") == "Page.javascriptDialogOpening"]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield b
    finally:
        b.close()


def _center(b: Browser, selector: str) -> tuple[float, float]:
    rect = b.js(
        f"(function(){{var r=document.querySelector({json.dumps(selector)})"
        ".getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2];})()"
    )
    return float(rect[0]), float(rect[1])


def test_report_draws_every_node_and_click_shows_details(browser: Browser, tmp_path: Path) -> None:
    graph = sample_graph()
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri())

    assert browser.js("document.querySelectorAll('#graph g.node').length") == len(graph)
    assert browser.js("document.querySelectorAll('#graph g.edge').length") == len(
        list(graph.edges()))

    x, y = _center(browser, 'g.node[data-key="model:common/root"]')
    browser.click(x, y)
    panel = browser.js("document.getElementById('panel').innerText")
    assert "common/root" in panel and "license: MIT" in panel
    assert "unknown → ./checkpoints/run1" in panel
    assert "config.json:_name_or_path=./checkpoints/run1" in panel

    x, y = _center(browser, 'g.node[data-key="model:meta-llama/llama-3.1-8b"]')
    browser.click(x, y)
    assert "unresolved: gated" in browser.js("document.getElementById('panel').innerText")

    x, y = _center(browser, 'g.node[data-key="model:acme/chat-q4"]')
    browser.click(x, y)
    panel = browser.js("document.getElementById('panel').innerText")
    assert "chat.Q4_K_M.gguf" in panel and "status: verified" in panel

    png = browser.screenshot()
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_search_highlights_matching_nodes(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_graph()), encoding="utf-8")
    browser.open(page.as_uri())
    browser.js("document.getElementById('search').focus()")
    browser.page("Input.insertText", {"text": "acme/"})
    hits = browser.js(
        "Array.from(document.querySelectorAll('g.node.hit')).map(e=>e.dataset.key).sort()")
    assert hits == ["code:acme/modeling", "model:acme/base-a-ft", "model:acme/chat-merge",
                    "model:acme/chat-q4"]
    assert browser.js("document.querySelectorAll('g.node.dim').length") == 5


def test_hostile_text_stays_text(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_graph()), encoding="utf-8")
    browser.open(page.as_uri())
    x, y = _center(browser, 'g.node[data-key="model:other/base-b"]')
    browser.click(x, y)
    panel = browser.js("document.getElementById('panel').innerText")
    assert HOSTILE in panel  # shown, literally
    assert browser.js("document.querySelectorAll('script').length") == 2
    assert browser.js("document.querySelectorAll('img, iframe, a').length") == 0
    assert browser.dialogs() == []


def test_readme_screenshots(browser: Browser, tmp_path: Path) -> None:
    """Renders the README pictures; writes them only with MLBOM_WRITE_SCREENSHOTS=1."""
    graph = sample_graph(hostile=False)
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri(), width=1280, height=760)
    x, y = _center(browser, 'g.node[data-key="model:acme/chat-merge"]')
    browser.click(x, y)
    report = browser.screenshot()

    svg = tmp_path / "tree.svg"
    svg.write_text(export_tree_svg(graph, width=100), encoding="utf-8")
    browser.open(svg.as_uri(), width=1000, height=600)
    size = browser.js(
        "(function(){var s=document.documentElement.getBBox();return [s.width,s.height];})()")
    browser.open(svg.as_uri(), width=int(size[0]) + 2, height=int(size[1]) + 2)
    tree = browser.screenshot()
    assert report.startswith(b"\x89PNG") and tree.startswith(b"\x89PNG")
    if os.environ.get("MLBOM_WRITE_SCREENSHOTS"):
        out = REPO / "docs" / "img"
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.png").write_bytes(report)
        (out / "tree.png").write_bytes(tree)
