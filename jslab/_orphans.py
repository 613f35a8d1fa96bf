"""No orphans: a spawned server dies with the Python process that started it.

Even when that process is killed with SIGKILL (a Jupyter kernel restart). On Linux a process is
spawned with ``prctl(PR_SET_PDEATHSIG, SIGKILL)``. That signal fires when the *thread* that
forked it exits, not the process, so every ``Popen`` here runs on the caller's own thread
(never a thread pool), and a process spawned from a thread other than the main thread is
guarded by the watchdog instead: a tiny ``python -c`` process that holds the read end of a pipe
kept open by this process and SIGKILLs every registered pid when it reads EOF. The watchdog is
also the only guard on platforms without PDEATHSIG. Guarded processes live in their own
session, so a Ctrl-C or a Jupyter interrupt (SIGINT to the kernel's process group) does not
stop them, and every one still running at interpreter exit is stopped (all at once: SIGTERM,
then a grace period, then SIGKILL).

    >>> proc = GuardedProcess(["nats-server", "-c", "x.conf"], Path("x.log"))
    >>> stop_all([proc])
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["STOP_GRACE_S", "GuardedProcess", "at_exit", "stop_all"]

STOP_GRACE_S = 5.0


@functools.lru_cache(maxsize=1)
def _linux_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def pdeathsig_preexec() -> Callable[[], None] | None:
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


class Watchdog:
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
                    **new_session(),
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


def new_session() -> dict:
    """Popen arguments for a child in its own session (Ctrl-C to our group skips it)."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


# Guarded processes not yet reaped: stopped together at interpreter exit.
_UNREAPED: set[GuardedProcess] = set()
_UNREAPED_LOCK = threading.Lock()


class GuardedProcess:
    """A process spawned on the caller's thread that cannot outlive us; stopping is idempotent.

    stdin is closed, stdout and stderr are appended to ``log_path``.
    """

    def __init__(self, args: list[str], log_path: Path):
        preexec = pdeathsig_preexec()
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=preexec,
                **new_session(),
            )
        self._terminated = False
        self.watched = preexec is None
        if self.watched:
            try:
                Watchdog.register(self.popen.pid)
            except BaseException:
                self.popen.kill()
                self.popen.wait()
                raise
        self._owner = os.getpid()
        with _UNREAPED_LOCK:
            _UNREAPED.add(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """SIGTERM once (a second one could cut a graceful shutdown short); does not wait."""
        if self.alive() and not self._terminated:
            self._terminated = True
            with contextlib.suppress(OSError):
                self.popen.terminate()
                self.popen.send_signal(signal.SIGCONT)  # a frozen process handles it too

    def freeze(self, frozen: bool) -> None:
        """SIGSTOP (``frozen``) or SIGCONT: the process stops answering anyone, or resumes."""
        if self.alive():
            self.popen.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)

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
            Watchdog.unregister(self.popen.pid)
            self.watched = False
        with _UNREAPED_LOCK:
            _UNREAPED.discard(self)


def stop_all(procs: list[GuardedProcess], grace: float = STOP_GRACE_S) -> None:
    """Graceful stop of several processes at once: SIGTERM all, then wait (then SIGKILL)."""
    for p in procs:
        p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        p.reap(max(0.0, deadline - time.monotonic()))


_EXIT_HOOKS: list[Callable[[], None]] = []


def at_exit(hook: Callable[[], None]) -> None:
    """Run ``hook`` at interpreter exit, after every guarded process has been stopped."""
    _EXIT_HOOKS.append(hook)


@atexit.register
def _stop_everything_at_exit() -> None:
    with _UNREAPED_LOCK:  # a forked child leaves its parent's processes alone
        procs = [p for p in _UNREAPED if p._owner == os.getpid()]
    stop_all(procs)
    for hook in _EXIT_HOOKS:
        with contextlib.suppress(Exception):
            hook()
    Watchdog.close()
