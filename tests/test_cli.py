"""The jslab command: version, help with examples, doctor, and a foreground server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from jslab import __version__
from jslab.cli import _parser, main

JSLAB = [sys.executable, "-m", "jslab"]


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"jslab {__version__}"


def test_every_command_help_has_an_example():
    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {"lab", "server", "doctor", "workshop", "notebooks", "bench"}
    for name, p in sub.choices.items():
        assert "example" in (p.epilog or ""), f"'jslab {name} --help' has no example"
        assert f"jslab {name}" in p.epilog
    workshop = next(a for a in sub.choices["workshop"]._actions
                    if a.dest == "workshop_command")
    assert set(workshop.choices) == {"init", "status"}
    for name, p in workshop.choices.items():
        assert f"example:\n  jslab workshop {name}" in (p.epilog or ""), name


def test_doctor_passes_here():
    out = subprocess.run([*JSLAB, "doctor"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "JetStream round trip" in out.stdout and "all good." in out.stdout


def test_doctor_fails_naming_the_problem(tmp_path):
    env = {**os.environ, "JSLAB_NATS_SERVER": str(tmp_path / "no-such-binary")}
    out = subprocess.run([*JSLAB, "doctor"], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 1
    assert "✗ nats-server binary" in out.stdout and "JSLAB_NATS_SERVER" in out.stdout


def test_server_runs_in_the_foreground_and_stops_cleanly_on_ctrl_c(tmp_path):
    proc = subprocess.Popen([*JSLAB, "server", "--store", str(tmp_path / "store")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops" in line:
                break
        text = "".join(lines)
        monitor = re.search(r"monitoring (http://127\.0\.0\.1:\d+)", text).group(1)
        assert re.search(r"nats://127\.0\.0\.1:\d+", text)
        with urllib.request.urlopen(monitor + "/healthz", timeout=2) as r:
            assert r.status == 200
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0 and "stopped." in rest
        with pytest.raises(OSError):
            urllib.request.urlopen(monitor + "/healthz", timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_lab_serves_the_notebook_series():
    import json
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*JSLAB, "lab", "--no-browser", f"--port={port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        token = None
        deadline = time.monotonic() + 60
        while token is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            found = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=(\w+)", line)
            token = found and found.group(1)
        assert token, "JupyterLab printed no URL with a token"
        url = f"http://127.0.0.1:{port}/api/contents?token={token}"
        names: set[str] = set()
        while not names and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    names = {item["name"] for item in json.load(r)["content"]}
            except OSError:  # printed its URL a moment before it listens
                time.sleep(0.2)
        assert "00-welcome.ipynb" in names
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        proc.stdout.close()
