"""The bundled nats-server: start it on loopback and wait until JetStream is ready.

    >>> with LocalServer() as srv:             # one node, temp store, free ports
    ...     print(srv.url, srv.version, srv.state)
    >>> with LocalCluster(3) as cluster:       # three routed nodes, waits for a meta leader
    ...     print(cluster.url, cluster.meta_leader())

Three jobs, three modules: ``jslab._binary`` finds the binary and checks its version,
``jslab._orphans`` makes sure no server outlives the Python process that started it (even a
SIGKILLed Jupyter kernel), and this module runs the life cycle of one server or a cluster.
Its names are all importable from here.
"""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import json
import operator
import os
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ._binary import (
    MIN_VERSION,
    ServerConfigError,
    ServerError,
    ServerNotFoundError,
    ServerVersionError,
    checked_binary,
    find_nats_server,
    server_version,
)
from ._orphans import STOP_GRACE_S, GuardedProcess, at_exit, stop_all

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no store-dir lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MIN_VERSION",
    "LocalCluster",
    "LocalServer",
    "ServerConfigError",
    "ServerError",
    "ServerNotFoundError",
    "ServerState",
    "ServerVersionError",
    "find_nats_server",
    "is_loopback",
    "server_version",
]

_POLL_S = 0.005
# Monitoring requests go to our own loopback server: never through an HTTP proxy.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---------------------------------------------------------------------------------------------
# Addresses and the monitoring endpoint


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: 127.0.0.0/8, ::1, ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _connect_host(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


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


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), even if it existed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        f.write(text)


# ---------------------------------------------------------------------------------------------
# The store-dir lock: one server per store dir, across processes


class _StoreLock:
    """An exclusive ``flock`` on ``<store_dir>/jslab.lock``, held while a server runs.

    The file says who holds it (pid, server name, since when). The kernel drops the lock when
    its holder dies, so a lock left by a killed process never blocks anyone.
    """

    FILE = "jslab.lock"

    def __init__(self, store_dir: Path):
        self.path = store_dir / self.FILE
        self.fd: int | None = None

    def acquire(self, name: str) -> None:
        if self.fd is not None or fcntl is None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ServerError(
                f"the store dir {self.path.parent} is in use by {self.holder()}. One store dir "
                "serves one nats-server at a time: stop that server first, or give this one "
                "another store_dir."
            ) from None
        self.fd = fd
        self.note(name=name)

    def note(self, **facts: object) -> None:
        """Write who holds the lock (this process's pid, the server's name, pid and URL)."""
        if self.fd is None:
            return
        info = {"pid": os.getpid(), "since": time.time(), **facts}
        with contextlib.suppress(OSError, ValueError):
            old = json.loads(self.path.read_text() or "{}")
            info = {**old, **facts} if old.get("pid") == os.getpid() else info
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, json.dumps(info).encode(), 0)

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text())
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["since"]))
            who = "this process" if info["pid"] == os.getpid() else "another process"
            server = (f" (nats-server pid {info['server_pid']}, {info['url']})"
                      if "server_pid" in info else "")
            return (f"jslab server {info['name']!r}{server}, started by pid {info['pid']} "
                    f"({who}), locked since {since}")
        except (OSError, ValueError, KeyError, TypeError):
            return "another jslab server (it has not written its pid yet)"

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor drops the flock


# ---------------------------------------------------------------------------------------------
# LocalServer


class ServerState(str, enum.Enum):
    """Where a LocalServer is in its life: ``srv.state``."""

    NEW = "new"  # never started
    STARTING = "starting"  # spawned, not yet ready (spawn() without wait_ready())
    RUNNING = "running"  # ready: JetStream answers
    STOPPING = "stopping"  # terminate() sent SIGTERM; stop() waits for the exit
    STOPPED = "stopped"  # stopped gracefully; data kept, start() again on the same ports
    KILLED = "killed"  # SIGKILLed by kill(), as a crash would; data kept
    EXITED = "exited"  # the process ended by itself (a bad config, or killed from outside)
    CLOSED = "closed"  # close(): stopped for good, temp store deleted

    def __str__(self) -> str:
        return self.value


class _Resources:
    """What a LocalServer must release; referenced by its finalizer, never by the server."""

    def __init__(self, tmpdir: Path | None, lock: _StoreLock):
        self.proc: GuardedProcess | None = None
        self.tmpdir = tmpdir
        self.lock = lock


def _release(res: _Resources) -> None:
    if res.proc is not None:
        stop_all([res.proc])
        res.proc = None
    res.lock.release()
    if res.tmpdir is not None:
        shutil.rmtree(res.tmpdir, ignore_errors=True)
        res.tmpdir = None


# Every LocalServer/LocalCluster not yet collected: at exit, once jslab._orphans has stopped
# every process at once, their finalizers release locks and delete temp store dirs.
_LIVE: weakref.WeakSet[LocalServer] = weakref.WeakSet()
_LIVE_CLUSTERS: weakref.WeakSet[LocalCluster] = weakref.WeakSet()


def _finalize_all_at_exit() -> None:
    # weakref.finalize objects no longer run once its own exit hook has run: detach and call.
    finalizers = [s._finalizer for s in list(_LIVE)] + [c._finalizer for c in list(_LIVE_CLUSTERS)]
    for finalizer in finalizers:
        detached = finalizer.detach()
        if detached is not None:
            _, func, args, kwargs = detached
            func(*args, **kwargs)


at_exit(_finalize_all_at_exit)


def _auth_config(user: str | None, password: str | None, token: str | None,
                 nkey: str | None) -> tuple[str, ...]:
    """Checks the auth arguments; returns the ``authorization`` block lines (none if no auth)."""
    for label, value in (("user", user), ("password", password), ("token", token),
                         ("nkey", nkey)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ServerConfigError(f"{label}= must be a non-empty str, not {value!r}.")
    if (user is None) != (password is None):
        raise ServerConfigError("give user= and password= together (or neither).")
    if token is not None and (user is not None or nkey is not None):
        raise ServerConfigError(
            "token= cannot be combined with user=/password= or nkey=: a nats-server takes "
            "either one token or a list of users."
        )
    if nkey is not None and not (nkey.startswith("U") and len(nkey) == 56):
        hint = " That is a seed: pass its public key (U…), keep the seed for the client." \
            if nkey.startswith("SU") else ""
        raise ServerConfigError(f"nkey= is a user's public NKey (56 characters, U…).{hint}")

    def q(value: str) -> str:
        return json.dumps(value)

    if token is not None:
        return ("authorization {", f"  token: {q(token)}", "}")
    users = []
    if user is not None:
        users.append(f"    {{user: {q(user)}, password: {q(password or '')}}}")
    if nkey is not None:
        users.append(f"    {{nkey: {q(nkey)}}}")
    if not users:
        return ()
    return ("authorization {", "  users: [", *users, "  ]", "}")


def _check_auth(host: str, *, user: str | None, password: str | None, token: str | None,
                nkey: str | None) -> tuple[str, ...]:
    """The ``authorization`` lines; refuses a host other than loopback without credentials."""
    auth = _auth_config(user, password, token, nkey)
    if not auth and not is_loopback(host):
        raise ServerConfigError(
            f"host={host!r} makes JetStream reachable from the network; give user= and "
            "password= (or token=, or nkey=) so the server requires them, or keep the "
            "default host='127.0.0.1'."
        )
    return auth


class LocalServer:
    """A nats-server with JetStream on 127.0.0.1, in a temp (or given) store dir.

        >>> with LocalServer() as srv:
        ...     print(srv.url)                    # nats://127.0.0.1:41235
        >>> srv = LocalServer(user="alice", password="s3cret").start()   # clients must log in

    Ports are free ones picked by the server on the first start and reused by every later
    start, so clients reconnect to the same URL. The store dir holds the config
    (``nats-server.conf``, written 0600: it may hold credentials), the log
    (``nats-server.log``), the lock that keeps a second server out (``jslab.lock``) and
    JetStream's data (``js/``), which survives ``stop()``/``start()``. A temp store dir is
    deleted by ``close()``.

    Life cycle: ``state`` is a ``ServerState``. ``start()`` = ``spawn()`` + ``wait_ready()``;
    ``stop()``, ``kill()`` and ``restart()`` keep the data; ``close()`` ends it for good.
    A host other than loopback needs credentials (``user=``/``password=``, ``token=`` or
    ``nkey=``); the monitoring endpoint then stays on 127.0.0.1.
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
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        nkey: str | None = None,
    ):
        self._auth = _check_auth(host, user=user, password=password, token=token, nkey=nkey)
        self.name = name
        self.host = host
        # Monitoring has no authentication: it never leaves loopback.
        self.monitor_host = host if is_loopback(host) else "127.0.0.1"
        self.user, self.password, self.token, self.nkey = user, password, token, nkey
        self.jetstream = jetstream
        self.config = config
        self.frozen = False  # stopped with freeze(): running, but answering nobody
        self._binary = binary
        tmp = None if store_dir is not None else Path(tempfile.mkdtemp(prefix="jslab-"))
        self.store_dir = Path(store_dir) if store_dir is not None else tmp
        self.port: int | None = port
        self.monitor_port: int | None = monitor_port
        self.startup_ms: float | None = None
        self._version: tuple[int, int, int] | None = None
        self._state = ServerState.NEW
        self._ports_ok = False  # ports of the current process read from its ports file
        self._t0 = 0.0
        self._log_offset = 0  # log size before the current start, to quote only its lines
        self._res = _Resources(tmp, _StoreLock(self.store_dir))
        self._finalizer = weakref.finalize(self, _release, self._res)
        self._finalizer.atexit = False  # the exit hook runs it, after stopping all at once
        _LIVE.add(self)

    # -- paths and addresses ------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.store_dir / "nats-server.conf"

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats-server.log"

    @property
    def lock_path(self) -> Path:
        return self._res.lock.path

    def _address(self, host: str, port: int | None) -> str:
        if port is None:
            raise ServerError(
                f"{self.name}: its ports are picked on the first start; call .start() first."
            )
        return _hostport(_connect_host(host), port)

    @property
    def url(self) -> str:
        """Client URL, e.g. ``nats://127.0.0.1:4222`` (known after the first start).

        Never holds credentials: pass ``credentials`` to the client separately.
        """
        return f"nats://{self._address(self.host, self.port)}"

    @property
    def monitor_url(self) -> str:
        """Monitoring base URL, e.g. ``http://127.0.0.1:8222``."""
        return f"http://{self._address(self.monitor_host, self.monitor_port)}"

    @property
    def credentials(self) -> dict[str, str]:
        """Keyword arguments a client needs to log in: ``nats.connect(url, **srv.credentials)``.

        Empty without auth; an ``nkey=`` server needs the client's seed, which it never sees.
        """
        if self.token is not None:
            return {"token": self.token}
        if self.user is not None and self.password is not None:
            return {"user": self.user, "password": self.password}
        return {}

    @property
    def state(self) -> ServerState:
        """``ServerState``: new, starting, running, stopping, stopped, killed, exited, closed."""
        if self._state in (ServerState.STARTING, ServerState.RUNNING) and not self.running:
            return ServerState.EXITED
        if self._state is ServerState.STOPPING and not self.running:
            return ServerState.STOPPED
        return self._state

    @property
    def running(self) -> bool:
        """True while the server process is alive (ready or not yet)."""
        return self._res.proc is not None and self._res.proc.alive()

    @property
    def pid(self) -> int | None:
        """Process id of the running server, or None."""
        return self._res.proc.pid if self.running else None

    @property
    def version(self) -> tuple[int, int, int]:
        """Version of the binary this server runs, e.g. (2, 15, 1)."""
        if self._version is None:
            self._version = checked_binary(self._binary)[1]
        return self._version

    # -- life cycle ---------------------------------------------------------------------------

    def _config_text(self) -> str:
        def q(value: object) -> str:
            return json.dumps(str(value))  # a JSON string is a valid quoted config string

        lines = [
            f"server_name: {q(self.name)}",
            f"listen: {q(_hostport(self.host, self.port or -1))}",
            f"http: {q(_hostport(self.monitor_host, self.monitor_port or -1))}",
            f"log_file: {q(self.log_path)}",
            f"ports_file_dir: {q(self.store_dir / 'ports')}",
        ]
        if self.jetstream:
            lines.append(f"jetstream {{ store_dir: {q(self.store_dir / 'js')} }}")
        lines += self._auth
        if self.config:
            lines += ["", "# extra configuration", self.config]
        return "\n".join(lines) + "\n"

    def _refuse_if_closed(self, action: str) -> None:
        if self._state is ServerState.CLOSED:
            raise ServerError(
                f"cannot {action} a closed server: {self.name!r} was closed (close() also "
                "deletes a temp store dir). Create a new LocalServer."
            )

    def _drop_process(self, state: ServerState) -> None:
        """Forget an ended (reaped) process, release the store dir, and enter ``state``."""
        self._res.proc = None
        self._res.lock.release()
        self._state = state

    def spawn(self) -> LocalServer:
        """Write the config and spawn the process on the caller's thread; do not wait.

        Follow with ``wait_ready()`` (``start()`` does both). Several servers spawned before
        any is waited for start in parallel. A no-op while the process runs.
        """
        self._refuse_if_closed("start")
        if self._state is ServerState.STOPPING:
            self.stop()
        if self.running:
            return self
        if self._res.proc is not None:  # ended by itself: reap it before starting anew
            self._res.proc.reap(0)
            self._drop_process(ServerState.EXITED)
        binary, self._version = checked_binary(self._binary)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self._res.lock.acquire(self.name)
        try:
            self._t0 = time.perf_counter()
            self.startup_ms = None
            self._ports_ok = False
            ports_dir = self.store_dir / "ports"
            ports_dir.mkdir(exist_ok=True)
            for f in ports_dir.glob("*.ports"):
                f.unlink(missing_ok=True)
            _write_private(self.config_path, self._config_text())
            self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            self._res.proc = GuardedProcess([binary, "-c", str(self.config_path)], self.log_path)
            self._res.lock.note(server_pid=self._res.proc.pid)
        except BaseException:
            self._res.lock.release()
            raise
        self._state = ServerState.STARTING
        return self

    def poll_ready(self) -> bool:
        """One non-blocking readiness check of a spawned server; raises if it has exited."""
        self._refuse_if_closed("wait for")
        proc = self._res.proc
        if proc is None:
            raise ServerError(
                f"cannot wait for {self.name!r}: it is {self.state}, not started. Call "
                ".spawn() or .start() first."
            )
        if not proc.alive():
            code = proc.returncode
            during = "during start-up" if self._state is ServerState.STARTING else "by itself"
            proc.reap(0)
            self._drop_process(ServerState.EXITED)
            raise ServerError(
                f"nats-server {self.name!r} exited {during} (exit code {code}). "
                f"Its log ({self.log_path}) ends with:\n{self.log_since_start()}"
            )
        if self._state is ServerState.RUNNING:
            return True
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
            self._res.lock.note(url=self.url)
        path = "/healthz?js-enabled-only=true" if self.jetstream else "/healthz"
        try:
            with _HTTP.open(self.monitor_url + path, timeout=1) as r:
                ok = r.status == 200
        except (OSError, ValueError):
            return False
        if ok:
            self.startup_ms = (time.perf_counter() - self._t0) * 1000
            self._state = ServerState.RUNNING
        return ok

    def wait_ready(self, timeout: float = 10.0) -> LocalServer:
        """Wait until a spawned server answers ``/healthz``; kills it if it does not in time."""
        deadline = time.monotonic() + timeout
        try:
            while not self.poll_ready():
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"nats-server {self.name!r} did not become ready within {timeout} s "
                        f"(no 200 from {self.monitor_url}/healthz). Its log ends with:\n"
                        f"{self.log_since_start()}"
                    )
                time.sleep(_POLL_S)
        except BaseException:
            self.kill()
            raise
        return self

    def start(self, timeout: float = 10.0) -> LocalServer:
        """Start the server (no-op if running) and wait until it is ready; returns self."""
        self._refuse_if_closed("start")
        if self._state is ServerState.RUNNING and self.running:
            return self
        return self.spawn().wait_ready(timeout)

    def terminate(self) -> None:
        """Begin a graceful stop (SIGTERM) without waiting; ``stop()`` then waits for it."""
        if self.running and self._state is not ServerState.CLOSED:
            self._res.proc.terminate()  # type: ignore[union-attr]
            self._state = ServerState.STOPPING

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Graceful stop: SIGTERM, wait up to ``timeout`` s, then SIGKILL. Data is kept."""
        proc = self._res.proc
        if proc is not None:
            stop_all([proc], timeout)
            self._drop_process(ServerState.STOPPED)

    def freeze(self) -> None:
        """Stop the process where it is (SIGSTOP): it answers nobody — clients, other nodes,
        monitoring — as if a network partition cut it off. ``thaw()`` resumes it."""
        if self._res.proc is None or not self.running:
            raise ServerError(f"cannot freeze {self.name!r}: it is {self.state}, not running.")
        self._res.proc.freeze(True)
        self.frozen = True

    def thaw(self) -> None:
        """Resume a frozen server (SIGCONT); it reconnects and catches up by itself."""
        if self._res.proc is not None:
            self._res.proc.freeze(False)
        self.frozen = False

    def kill(self) -> None:
        """SIGKILL the server, as a crash would (for fault demos). Data on disk is kept."""
        proc = self._res.proc
        if proc is not None:
            proc.kill()
            proc.reap(STOP_GRACE_S)
            self._drop_process(ServerState.KILLED)

    def restart(self, timeout: float = 10.0) -> LocalServer:
        """Graceful stop, then start on the same ports with the same store."""
        self._refuse_if_closed("restart")
        self.stop()
        return self.start(timeout)

    def close(self) -> None:
        """Stop the server, release its store dir and delete a temp one. Safe to call twice."""
        self._state = ServerState.CLOSED
        self._finalizer()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = self.state
        if state in (ServerState.NEW, ServerState.KILLED, ServerState.EXITED):
            shown = {ServerState.NEW: "stopped (not started yet)"}.get(state, f"stopped ({state})")
        else:
            shown = str(state)
        where = f" {self.url}" if self.port else ""
        return f"<LocalServer {self.name!r} {shown}{where} store={str(self.store_dir)!r}>"

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

    def log_since_start(self, n: int = 20) -> str:
        """The last ``n`` log lines written since the latest start (what went wrong, if any)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                text = f.read().decode(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-n:]) or "(empty log)"

    def monitor(self, endpoint: str, params: dict | None = None, timeout: float = 2.0) -> dict:
        """GET a monitoring endpoint as JSON, e.g. ``monitor("connz", {"subs": True})``."""
        if not self.monitor_port:
            raise ServerError(f"{self.name}: not started yet; call .start() first.")
        if not self.running:
            raise ServerError(
                f"cannot read /{endpoint} of {self.name!r}: the server is {self.state}. "
                "Start it with .start()."
            )
        query = urllib.parse.urlencode(
            {k: str(v).lower() if isinstance(v, bool) else v for k, v in (params or {}).items()}
        )
        return _get_json(f"{self.monitor_url}/{endpoint}" + (f"?{query}" if query else ""), timeout)

    def varz(self) -> dict:
        """General server information (``/varz``)."""
        return self.monitor("varz")

    def jsz(self, **params: object) -> dict:
        """JetStream information (``/jsz``); e.g. ``jsz(streams=True, acc="$G")``."""
        return self.monitor("jsz", params)

    def healthz(self, **params: object) -> dict:
        """Health (``/healthz``): ``{"status": "ok"}`` or the reason it is not."""
        return self.monitor("healthz", params)


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


def _cluster_size(size: object) -> int:
    try:
        if isinstance(size, bool):
            raise TypeError
        n = operator.index(size)  # type: ignore[arg-type]
    except TypeError:
        raise ServerConfigError(f"a cluster size is a node count like 3, not {size!r}.") from None
    if n == 1:
        raise ServerConfigError(
            "a cluster of 1 node is just a server: use jslab.start() (or LocalServer()) for one "
            "node, and 3 or 5 nodes for a cluster."
        )
    if n < 1:
        raise ServerConfigError(f"a cluster needs at least 2 nodes (3 or 5 are usual), not {n}.")
    return n


def _cluster_tags(tags: object, size: int) -> dict[str, tuple[str, ...]]:
    """``{"n1": ["az:1"], ...}`` checked: known node names, lists of plain tag strings."""
    if tags is None:
        return {}
    names = [f"n{i}" for i in range(1, size + 1)]
    if not isinstance(tags, Mapping):
        raise ServerConfigError(f"tags is a dict of node name to a list of tags, e.g. "
                              f"{{'n1': ['az:1']}}, not {tags!r}.")
    out: dict[str, tuple[str, ...]] = {}
    for node, values in tags.items():
        if node not in names:
            raise ServerConfigError(f"tags names node {node!r}; this cluster's nodes are "
                                  f"{', '.join(names)}.")
        if isinstance(values, str) or not isinstance(values, (list, tuple)):
            raise ServerConfigError(f"tags[{node!r}] is a list of tags like ['az:1'], "
                                  f"not {values!r}.")
        for t in values:
            if not isinstance(t, str) or not t or any(c.isspace() or c in '",[]{}' for c in t):
                raise ServerConfigError(f"tag {t!r} of {node}: a tag is a non-empty word without "
                                      "spaces, quotes, commas or brackets, e.g. 'az:1'.")
        out[node] = tuple(values)
    return out


def _release_cluster(servers: list[LocalServer], tmp: Path | None) -> None:
    _stop_servers(servers, STOP_GRACE_S)
    for srv in servers:
        srv.close()
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def _stop_servers(servers: list[LocalServer], timeout: float) -> None:
    """Graceful stop of several servers at once: SIGTERM to all, then wait for each."""
    for srv in servers:
        srv.terminate()
    deadline = time.monotonic() + timeout
    for srv in servers:
        srv.stop(max(0.0, deadline - time.monotonic()))


class LocalCluster:
    """``size`` routed nats-server nodes (n1..nN) with JetStream, on loopback.

        >>> with LocalCluster(3) as cluster:
        ...     print(cluster.url, cluster.meta_leader())      # nats://...,nats://... n2

    ``start()`` spawns every node, then waits until all running nodes agree on a JetStream meta
    leader. ``stop(node)``, ``start(node)`` and ``kill(node)`` act on one node (0-based index or
    name like ``"n2"``) for fault demos; a node comes back on its old ports with its old data.
    ``port`` is the first node's client port (the others take free ones). The credentials
    (``user=``/``password=`` or ``token=``) apply to every node; the routes between the nodes
    stay on loopback whatever ``host`` is.
    """

    def __init__(
        self,
        size: int = 3,
        store_dir: str | os.PathLike | None = None,
        *,
        name: str = "jslab",
        host: str = "127.0.0.1",
        port: int | None = None,
        progress: Callable[[str], None] | None = None,
        binary: str | os.PathLike | None = None,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        tags: Mapping[str, Sequence[str]] | None = None,
    ):
        size = _cluster_size(size)
        _check_auth(host, user=user, password=password, token=token, nkey=None)
        self.name = name
        self.host = host
        self.route_host = host if is_loopback(host) else "127.0.0.1"
        self.progress = progress
        self.tags = _cluster_tags(tags, size)
        self._tmp = None if store_dir is not None else Path(tempfile.mkdtemp(prefix="jslab-c-"))
        self.store_dir = Path(store_dir) if store_dir is not None else self._tmp
        self.servers: list[LocalServer] = [
            LocalServer(self.store_dir / f"n{i}", name=f"n{i}", host=host,
                        port=port if i == 1 else None, binary=binary,
                        user=user, password=password, token=token)
            for i in range(1, size + 1)
        ]
        # Stops the nodes (all at once) before it deletes a temp store dir, whether the cluster
        # is collected or still there at exit.
        self._finalizer = weakref.finalize(self, _release_cluster, list(self.servers), self._tmp)
        self._finalizer.atexit = False  # the exit hook runs it, after every process stopped
        _LIVE_CLUSTERS.add(self)
        self.route_ports: list[int] = []
        self.startup_ms: float | None = None
        self._closed = False

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def _set_routes(self, ports: list[int]) -> None:
        self.route_ports = ports
        dial = _connect_host(self.route_host)
        routes = ", ".join(f'"nats-route://{_hostport(dial, p)}"' for p in ports)
        for srv, port in zip(self.servers, ports, strict=True):
            srv.config = (
                f"cluster {{\n  name: {json.dumps(self.name)}\n"
                f"  listen: {json.dumps(_hostport(self.route_host, port))}\n"
                f"  routes: [{routes}]\n}}"
            )
            if self.tags.get(srv.name):
                srv.config += f"\nserver_tags: {json.dumps(list(self.tags[srv.name]))}"

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

    def name_of(self, url: str) -> str:
        """The node serving client ``url`` (e.g. ``lab.url``, where the lab is connected)."""
        for srv in self.servers:
            if srv.port and srv.url.rsplit(":", 1)[-1] == url.rsplit(":", 1)[-1]:
                return srv.name
        raise ValueError(f"no node of this cluster serves {url!r}; nodes: {self.urls}")

    @property
    def urls(self) -> list[str]:
        """Client URLs of all nodes (running or not)."""
        return [s.url for s in self.servers]

    @property
    def url(self) -> str:
        """Comma-separated client URLs, usable as nats-py ``servers=url.split(",")``."""
        return ",".join(self.urls)

    @property
    def credentials(self) -> dict[str, str]:
        """Keyword arguments a client needs to log in (the same for every node)."""
        return self.servers[0].credentials

    @property
    def running(self) -> list[str]:
        """Names of the nodes that are running."""
        return [s.name for s in self.servers if s.running]

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, node: int | str | None = None, timeout: float = 30.0) -> LocalCluster:
        """Start every node (or one), then wait for a meta leader; returns self."""
        if self._closed:
            raise ServerError("cannot start a closed LocalCluster; create a new one.")
        t0 = time.perf_counter()
        nodes = [self.node(node)] if node is not None else self.servers
        if not self.route_ports:
            self._set_routes(_free_ports(len(self.servers), self.route_host))
        for attempt in range(3):
            todo = [s for s in nodes if not s.running]
            self._say(f"starting {', '.join(s.name for s in todo) or 'nothing'}")
            try:
                for s in todo:  # spawn on this thread (PDEATHSIG), all before waiting
                    s.spawn()
                self._wait_nodes(todo, timeout)
                break
            except ServerError as e:
                _stop_servers(todo, STOP_GRACE_S)
                # Route ports were free when picked, but another process may bind one before
                # our node does; then pick all again (only while no node runs with the old).
                collided = "address already in use" in str(e).lower()
                if not collided or attempt == 2 or any(s.running for s in self.servers):
                    raise
                self._say("a route port was taken meanwhile; picking new ports")
                self._set_routes(_free_ports(len(self.servers), self.route_host))
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
                if s.poll_ready():
                    waiting.remove(s)
                    self._say(f"{s.name} up at {s.url}")
            if waiting and time.monotonic() > deadline:
                raise ServerError(
                    f"cluster nodes {[s.name for s in waiting]} not ready within {timeout} s. "
                    f"Log of {waiting[0].name} ends with:\n{waiting[0].log_since_start()}"
                )
            if waiting:
                time.sleep(_POLL_S)

    def stop(self, node: int | str | None = None) -> None:
        """Graceful stop of one node, or of all nodes at once."""
        _stop_servers([self.node(node)] if node is not None else self.servers, STOP_GRACE_S)

    def kill(self, node: int | str) -> None:
        """SIGKILL one node, as a crash would."""
        self.node(node).kill()

    def freeze(self, node: int | str) -> None:
        """Cut one node off (SIGSTOP): to the others it is partitioned away. See ``thaw``."""
        self.node(node).freeze()

    def thaw(self, node: int | str) -> None:
        """Resume a frozen node; it rejoins and catches up."""
        self.node(node).thaw()

    def close(self) -> None:
        """Stop every node and delete a temp store dir. Safe to call twice."""
        self._closed = True
        self._finalizer()

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
            up = [s for s in self.servers if s.running and not s.frozen]
            seen = set()
            for s in up:
                try:
                    jsz = s.monitor("jsz", timeout=1.0)
                    seen.add(jsz.get("meta_cluster", {}).get("leader", ""))
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

    def _stream_details(self, stream: str, account: str):
        """(node name, the node's ``/jsz`` stream detail) for each reachable node holding
        ``stream``; nodes that are stopped, frozen or do not answer are left out."""
        for s in self.servers:
            if not s.running or s.frozen:
                continue
            try:
                info = s.jsz(accounts=True, streams=True, acc=account)
            except ServerError:
                continue
            for acc in info.get("account_details") or []:
                for st in acc.get("stream_detail") or []:
                    if st.get("name") == stream:
                        yield s.name, st

    def stream_copies(self, stream: str, account: str = "$G") -> dict[str, tuple[int, int]]:
        """Each running node's own copy of ``stream``: name -> (last_seq, messages).

        Asked of every node's monitoring endpoint, so a follower that is catching up shows
        how far it got (the leader's stream info only says "lag" in RAFT entries).
        """
        return {name: (int((st.get("state") or {}).get("last_seq", 0)),
                       int((st.get("state") or {}).get("messages", 0)))
                for name, st in self._stream_details(stream, account)}

    def stream_leader(self, stream: str, account: str = "$G") -> str | None:
        """Name of the node leading ``stream`` (in ``account``), or None if it has none now.

        Asks each running node's ``/jsz?accounts=true&streams=true&acc=...``; only nodes holding
        a replica list the stream, and every replica names the leader in ``cluster.leader``.
        """
        for _name, st in self._stream_details(stream, account):
            if leader := (st.get("cluster") or {}).get("leader"):
                return leader
        return None
