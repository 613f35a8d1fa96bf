"""Run a given nats-server configuration file with the bundled binary.

    >>> with ConfiguredServer("workshop/workshop.conf") as srv:     # on 127.0.0.1
    ...     print(srv.url, srv.auth_required)                       # nats://127.0.0.1:4222 True

Unlike ``LocalServer``, which writes its own configuration, this runs yours (a generated
workshop, or any other): ``host``/``port`` override its listen address, and the JetStream store
goes to ``store/`` beside the file unless the file names its own ``store_dir``. An address other
than loopback is refused unless the configuration makes clients log in: before it listens there,
the server is started once on 127.0.0.1 and an anonymous client tries to connect.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
import urllib.error
from pathlib import Path

from .._binary import ServerConfigError, ServerError, checked_binary
from .._orphans import STOP_GRACE_S, GuardedProcess, stop_all
from ..server import _HTTP, _connect_host, _get_json, _hostport, is_loopback
from .accounts import check_config

__all__ = ["ConfiguredServer", "anonymous_refused"]

_STORE_DIR = re.compile(r"^\s*store_dir\s*[:=]", re.M)
_POLL_S = 0.01


def _names_store_dir(text: str) -> bool:
    """Whether the configuration sets ``store_dir`` itself (comments ignored)."""
    return bool(_STORE_DIR.search("\n".join(line.split("#", 1)[0] for line in text.splitlines())))


def anonymous_refused(host: str, port: int, timeout: float = 3.0) -> bool:
    """Connect without credentials; True if the server refuses (it requires a login).

    Speaks the client protocol directly: INFO, then CONNECT and PING; PONG means anyone may use
    the server. A server that requires TLS cannot be tried in plain text: then its INFO's
    ``auth_required`` decides.
    """
    with socket.create_connection((_connect_host(host), port), timeout=timeout) as s:
        f = s.makefile("rb")
        info_line = f.readline()
        if not info_line.startswith(b"INFO "):
            raise ServerError(f"{host}:{port} does not speak the NATS protocol "
                              f"(it said {info_line[:60]!r}).")
        info = json.loads(info_line[5:])
        if info.get("tls_required"):
            return bool(info.get("auth_required"))
        s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nPING\r\n')
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = f.readline()
            if not line:
                return True  # closed on us: refused
            if line.startswith(b"PONG"):
                return False
            if line.startswith(b"-ERR"):
                return True
        return True


class ConfiguredServer:
    """A nats-server running the configuration file ``config`` (see the module docstring).

        >>> srv = ConfiguredServer("workshop.conf", host="0.0.0.0").start()
        >>> srv.url, srv.monitor_url      # 'nats://127.0.0.1:4222', 'http://127.0.0.1:8222'
        >>> srv.close()
    """

    def __init__(self, config: str | os.PathLike, *, host: str = "127.0.0.1",
                 port: int | None = None, store_dir: str | os.PathLike | None = None,
                 binary: str | os.PathLike | None = None):
        self.config = Path(config).resolve()
        if not self.config.is_file():
            raise ServerConfigError(f"no configuration file {config}: give the path of a "
                                    "nats-server configuration (jslab workshop init writes one).")
        text = self.config.read_text(encoding="utf-8", errors="replace")
        self.own_store_dir = _names_store_dir(text)
        if self.own_store_dir and store_dir is not None:
            raise ServerConfigError(f"{self.config.name} names its own store_dir; leave out the "
                                    "store dir argument (--store), or remove it from the file.")
        self.host = host
        self.port_override = port
        # Our files (log, ports) and, unless the file names one, the JetStream store.
        self.store_dir = Path(store_dir) if store_dir is not None else self.config.parent / "store"
        self._binary = binary
        self.version: tuple[int, int, int] | None = None
        self.port: int | None = None
        self.monitor_port: int | None = None
        self.auth_required: bool | None = None
        self.startup_ms: float | None = None
        self._proc: GuardedProcess | None = None

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats-server.log"

    @property
    def url(self) -> str:
        if self.port is None:
            raise ServerError("the server has not started yet; call .start() first.")
        return f"nats://{_hostport(_connect_host(self.host), self.port)}"

    @property
    def monitor_url(self) -> str | None:
        """The monitoring endpoint the configuration asks for (None without one)."""
        return f"http://127.0.0.1:{self.monitor_port}" if self.monitor_port else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def check(self) -> str:
        """``nats-server -t``: the binary's verdict on the file; ServerConfigError if invalid."""
        return check_config(self.config, self._binary)

    # -- life cycle ---------------------------------------------------------------------------

    def _spawn(self, host: str, port: int | None) -> GuardedProcess:
        binary, self.version = checked_binary(self._binary)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        for f in ports_dir.glob("*.ports"):
            f.unlink(missing_ok=True)
        args = [binary, "-c", str(self.config), "-a", host, "--ports_file_dir", str(ports_dir)]
        if port is not None:
            args += ["-p", str(port)]
        if not self.own_store_dir:
            args += ["-sd", str(self.store_dir)]
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        return GuardedProcess(args, self.log_path)

    def _log_since_start(self, n: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        text = "\n".join(lines[-n:]) or "(empty log)"
        if "insufficient memory resources" in text or "insufficient storage resources" in text:
            text += ("\nThe accounts' JetStream limits add up to more than this machine offers "
                     "(the server reserves them all): generate the workshop again with smaller "
                     "--max-mem/--max-file, or fewer participants.")
        return text

    def _wait_ready(self, proc: GuardedProcess, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ports: dict | None = None
        while True:
            if not proc.alive():
                code = proc.returncode
                proc.reap(0)
                raise ServerError(f"nats-server exited during start-up (exit code {code}) with "
                                  f"{self.config}. Its log ({self.log_path}) ends with:\n"
                                  f"{self._log_since_start()}")
            if ports is None:
                with contextlib.suppress(StopIteration, OSError, ValueError):
                    found = next((self.store_dir / "ports").glob(f"*_{proc.pid}.ports"))
                    ports = json.loads(found.read_text())
                    self.port = int(ports["nats"][0].rsplit(":", 1)[1])
                    monitoring = ports.get("monitoring") or []
                    self.monitor_port = (int(monitoring[0].rsplit(":", 1)[1])
                                         if monitoring else None)
            if ports is not None and self._answers():
                return
            if time.monotonic() > deadline:
                stop_all([proc])
                raise ServerError(f"nats-server with {self.config} was not ready within "
                                  f"{timeout} s. Its log ends with:\n{self._log_since_start()}")
            time.sleep(_POLL_S)

    def _answers(self) -> bool:
        if self.monitor_port:
            try:
                with _HTTP.open(f"{self.monitor_url}/healthz?js-enabled-only=true",
                                timeout=1) as r:
                    return r.status == 200
            except (OSError, ValueError):
                return False
        try:
            with socket.create_connection((_connect_host(self.host), self.port), timeout=1):
                return True
        except OSError:
            return False

    def login_required(self, timeout: float = 30.0) -> bool:
        """Start the configuration on 127.0.0.1 (a free port) just long enough to try an
        anonymous client; True if it was refused. Only this machine can reach it meanwhile."""
        probe = self._spawn("127.0.0.1", -1)
        try:
            self._wait_ready(probe, timeout)
            return anonymous_refused("127.0.0.1", self.port)  # type: ignore[arg-type]
        finally:
            stop_all([probe])
            self.port = self.monitor_port = None

    def start(self, timeout: float = 30.0) -> ConfiguredServer:
        """Check the file, refuse an open server on a network address, start and wait."""
        if self.running:
            return self
        self.check()
        t0 = time.perf_counter()
        if not is_loopback(self.host):
            if not self.login_required(timeout):
                raise ServerConfigError(
                    f"--host {self.host} would make this server reachable from the network, "
                    f"and {self.config.name} lets anyone connect without logging in (an "
                    "anonymous client was accepted on 127.0.0.1). Add users (an authorization "
                    "or accounts block without no_auth_user) to the file, generate one with "
                    "`jslab workshop init`, or keep --host 127.0.0.1."
                )
        self._proc = self._spawn(self.host, self.port_override)
        try:
            self._wait_ready(self._proc, timeout)
            self.auth_required = anonymous_refused(self.host, self.port)  # type: ignore[arg-type]
        except BaseException:
            self.stop()
            raise
        self.startup_ms = (time.perf_counter() - t0) * 1000
        return self

    def monitor(self, endpoint: str) -> dict:
        """GET a monitoring endpoint as JSON (the configuration must enable monitoring)."""
        if not self.monitor_url or not self.running:
            raise ServerError("this server has no monitoring endpoint running.")
        try:
            return _get_json(f"{self.monitor_url}/{endpoint}")
        except urllib.error.URLError as e:  # pragma: no cover - _get_json converts most
            raise ServerError(str(e)) from e

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Graceful stop (SIGTERM, then SIGKILL after ``timeout`` s). Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_all([proc], timeout)

    close = stop

    def __enter__(self) -> ConfiguredServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f" {self.url}" if self.port and self.running else ""
        state = "running" if self.running else "stopped"
        return f"<ConfiguredServer {self.config.name} {state}{where}>"
