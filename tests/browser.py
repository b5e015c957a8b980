"""A small Chrome DevTools Protocol client for the browser tests: headless Chromium, one page.

``with Browser() as b: b.open(url); b.eval("1 + 1")``; ``b.errors`` collects console errors and
uncaught exceptions of every page opened. Needs ``chromium`` on PATH and ``websocket-client``;
:func:`chromium_or_skip` skips a test with the reason where either is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest


def chromium_or_skip() -> str:
    """The Chromium executable, or skip the calling test saying what is missing."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium); CI installs it")
    pytest.importorskip("websocket", reason="websocket-client is not installed (requirements.txt pins it)")
    return exe


class Browser:
    """Headless Chromium driven over the DevTools protocol (one tab)."""

    def __init__(self, width: int = 1280, height: int = 900):
        self.exe = chromium_or_skip()
        self.width, self.height = width, height
        self.errors: list[str] = []
        self._id = 0

    def __enter__(self) -> "Browser":
        import websocket

        self._profile = tempfile.mkdtemp(prefix="mc-chromium-")
        self._proc = subprocess.Popen(
            [self.exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0",
             f"--user-data-dir={self._profile}", f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                raise RuntimeError("headless Chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._ws.close()
        finally:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            shutil.rmtree(self._profile, ignore_errors=True)

    def _event(self, msg: dict) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append(f"{self.url}: exception {d.get('text')} {d.get('exception', {}).get('description', '')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.errors.append(f"{self.url}: console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            e = params["entry"]
            self.errors.append(f"{self.url}: {e.get('source')}: {e.get('text')} {e.get('url', '')}")
        elif method == "Page.loadEventFired":
            self._loaded = True

    def call(self, method: str, **params) -> dict:
        """Send one command and return its result (events that arrive meanwhile are recorded)."""
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def open(self, url: str, settle: float = 1.0) -> None:
        """Load ``url`` and wait for its load event (then ``settle`` seconds for scripts)."""
        self.url, self._loaded = url, False
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while not self._loaded and time.monotonic() < deadline:
            self.call("Runtime.evaluate", expression="0")
            time.sleep(0.1)
        time.sleep(settle)
        self.call("Runtime.evaluate", expression="0")

    def eval(self, expression: str, await_promise: bool = False):
        """The value of a JavaScript expression in the page (JSON-serialisable values)."""
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression[:80]}: {res['exceptionDetails'].get('exception', {}).get('description')}")
        return res.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 20.0):
        """Poll ``expression`` until it is truthy; its last value (falsy after ``timeout``)."""
        deadline = time.monotonic() + timeout
        value = self.eval(expression)
        while not value and time.monotonic() < deadline:
            time.sleep(0.2)
            value = self.eval(expression)
        return value

    def click(self, x: float, y: float) -> None:
        """A real left click at viewport coordinates (a user gesture for the page)."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
