"""A real browser opens JupyterLab, runs a notebook, and the live widget renders and reacts.

JupyterLab runs headless from this environment on a free loopback port, with a random token
and a temporary root folder; Debian's chromium (never a Playwright-downloaded browser) is
driven through Playwright for Python. The notebook, the selectors and the expected texts are
in `SCENARIO` below so the widget under test can be swapped without touching the mechanics.

Run it alone with::

    .venv/bin/python -m pytest tests/test_browser.py -m browser -q
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = REPO / "test-artifacts" / "browser-dashboard.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
}
SERVER_READY_S = 30
STEP_TIMEOUT_MS = 20_000

# What the browser runs and what it must then see: jslab's live dashboard on a real bundled
# server. Its counters are refreshed from a background thread by setting widget traits; the
# Publish button (10 messages by default) must move the "messages" counter from 3 to 13.
SCENARIO = {
    "notebook": "dashboard.ipynb",
    "cells": [
        "import jslab\n"
        "lab = jslab.start()\n"
        "lab.add_stream('ORDERS', subjects=['orders.>'])\n"
        "lab.publish_many('orders.new', [1, 2, 3])\n"
        "lab.add_consumer('ORDERS', 'shipping')\n"
        "lab.dashboard('ORDERS', every=0.2)",
    ],
    # rendered widget root inside the output area
    "widget": ".jp-OutputArea-output .jslab-dashboard",
    # the control to click, and the text that must change because of it
    "click": ".jslab-publish",
    "watch": ".jslab-counters .jslab-messages",
    "before": "messages 3",
    "after": "messages 13",
    "forbidden_text": "Error displaying widget",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook_json(cells: list[str]) -> str:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    return nbformat.writes(nb)


def _wait_until_answering(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_READY_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    tail = log.read_text()[-3000:]
    pytest.fail(f"JupyterLab did not answer {url} in {SERVER_READY_S} s:\n{tail}")


def _wait_for_idle_kernel(base: str, token: str, notebook: str) -> None:
    """Wait until the page has started the notebook's kernel and the kernel is idle."""
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    seen = []
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=2) as resp:
            seen = json.load(resp)
        for session in seen:
            kernel = session.get("kernel") or {}
            if session.get("path") == notebook and kernel.get("execution_state") == "idle":
                return
        time.sleep(0.2)
    pytest.fail(f"no idle kernel for {notebook} after {STEP_TIMEOUT_MS} ms; sessions: {seen}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop JupyterLab and everything it started (kernels), which share its process group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # kernels still alive after the server exited
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture
def jupyterlab(tmp_path):
    """A headless JupyterLab on a free port; yields (base url, token, root folder)."""
    root = tmp_path / "root"
    root.mkdir()
    state = tmp_path / "state"
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        IPYTHONDIR=str(state / "ipython"),
    )
    # A fresh settings folder in which the two prompts a new user gets are already answered
    # (start the notebook's kernel; no Jupyter news): they would sit over the notebook.
    for plugin, setting in LAB_SETTINGS.items():
        path = state / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(setting), encoding="utf-8")
    token = secrets.token_hex(16)
    port = _free_port()
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={root}",
                f"--IdentityProvider.token={token}",
                "--ServerApp.allow_root=True",  # CI machines run as root
                "--ServerApp.terminals_enabled=False",
                "--LabApp.extension_manager=readonly",  # no package index queries
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=root,
            env=env,
            start_new_session=True,  # own process group: teardown stops the kernels too
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_answering(f"{base}/api/status?token={token}", proc, log)
        yield base, token, root
    finally:
        _stop(proc)


@pytest.fixture
def chromium():
    """Debian's chromium through Playwright; skips, saying why, where it cannot run."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing; `make browser-deps` installs it "
            "(needs root and apt-get on Debian/Ubuntu)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except sync_api.Error as exc:
            pytest.skip(f"{CHROMIUM} could not be launched: {str(exc).splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()


def test_live_widget_renders_and_reacts(jupyterlab, chromium):
    base, token, root = jupyterlab
    name = SCENARIO["notebook"]
    (root / name).write_text(_notebook_json(SCENARIO["cells"]), encoding="utf-8")

    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(STEP_TIMEOUT_MS)
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    try:
        page.goto(f"{base}/lab/tree/{name}?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        _wait_for_idle_kernel(base, token, name)
        # Run > Run All Cells, through the menu a learner would use
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

        widget = page.locator(SCENARIO["widget"]).first
        widget.wait_for(state="visible")
        watched = widget.locator(SCENARIO["watch"]).first
        watched.filter(has_text=SCENARIO["before"]).wait_for()
        assert page.get_by_text(SCENARIO["forbidden_text"]).count() == 0

        widget.locator(SCENARIO["click"]).first.click()
        watched.filter(has_text=SCENARIO["after"]).wait_for()
        assert watched.inner_text().strip() == SCENARIO["after"]
        assert page.get_by_text(SCENARIO["forbidden_text"]).count() == 0
    finally:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        page.close()
    assert not console_errors, "errors in the page: " + json.dumps(console_errors)[:2000]
