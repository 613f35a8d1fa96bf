"""The two ways to get a lab: ``start()`` a bundled server, or ``connect()`` to one.

    >>> lab = jslab.start()                                  # fresh bundled nats-server
    >>> lab = jslab.connect("nats://127.0.0.1:4222", user="alice", password="s3cret")
"""

from __future__ import annotations

import os
import threading
from typing import Any

from . import arguments
from .errors import JslabTypeError, ValidationError
from .lab import DEFAULT_TIMEOUT, MAX_WAIT, Lab

__all__ = ["connect", "start"]

_current: Lab | None = None
_current_lock = threading.Lock()


def _forget(lab: Lab) -> None:
    global _current
    with _current_lock:
        if _current is lab:
            _current = None


def start(*, store_dir: str | os.PathLike | None = None, cluster: int | None = None,
          tags: dict[str, list[str]] | None = None, timeout: float = DEFAULT_TIMEOUT,
          progress: bool = True) -> Lab:
    """Start a fresh bundled nats-server (or a loopback cluster) and connect to it.

    Running it again in the same kernel closes the previous lab and its server first.
    With ``NATS_URL`` set (a workshop), it connects to that shared server instead and empties
    your account there first (see ``jslab.shared``); ``lab.server`` is then None.

        >>> lab = jslab.start()
        >>> lab3 = jslab.start(cluster=3)     # three nats-server processes, R3-capable
        >>> lab3 = jslab.start(cluster=3, tags={"n1": ["az:1"], "n2": ["az:2"]})  # placement

    ``tags`` gives cluster nodes placement tags (``server_tags``), by node name.
    """
    from .server import LocalCluster, LocalServer
    from .shared import refuse_local_options, shared_settings, start_shared

    global _current
    timeout = arguments.seconds("timeout", timeout, minimum=0.01, maximum=MAX_WAIT)
    if cluster is not None:
        cluster = arguments.count("cluster", cluster, minimum=1, maximum=9)
    elif tags is not None:
        raise ValidationError("tags= are placement tags of cluster nodes: pass cluster=3 too "
                              "(a single server places every stream on itself).")
    shared = shared_settings()
    if shared is not None:
        refuse_local_options(shared, cluster=cluster, store_dir=store_dir)
    with _current_lock:
        previous, _current = _current, None
    if previous is not None:
        previous.close()
    if shared is not None:
        lab = start_shared(shared, timeout=timeout, progress=progress)
        with _current_lock:
            _current = lab
        lab.on_close(lambda: _forget(lab))
        return lab
    if cluster is not None:
        srv: Any = LocalCluster(cluster, store_dir, tags=tags,
                                progress=print if progress else None).start()
    else:
        srv = LocalServer(store_dir).start()
    try:
        # A cluster's lab connects to n1 first (then n2, ...): the same node on every run.
        order = {"dont_randomize": True} if cluster is not None else {}
        lab = Lab(srv.url, server=srv, timeout=timeout, **order)
    except BaseException:
        srv.close()
        raise
    with _current_lock:
        _current = lab
    lab.on_close(lambda: _forget(lab))
    return lab


def connect(url: str | list[str] | None = None, *, user: str | None = None,
            password: str | None = None, token: str | None = None,
            creds: str | None = None, nkeys_seed: str | None = None, domain: str | None = None,
            timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Lab:
    """Connect to an existing server (a workshop server, a cluster, your own).

    ``url`` defaults to $NATS_URL, then nats://127.0.0.1:4222. ``domain`` selects a
    JetStream domain (its API is ``$JS.<domain>.API``).

        >>> lab = jslab.connect("nats://127.0.0.1:4222", user="alice", password="s3cret")
    """
    url = url or os.environ.get("NATS_URL") or "nats://127.0.0.1:4222"
    opts = dict(options)
    for key, value in (("user", user), ("password", password), ("token", token),
                       ("user_credentials", creds), ("nkeys_seed", nkeys_seed)):
        if value is not None:
            if not isinstance(value, (str, os.PathLike)) or not str(value):
                raise JslabTypeError(f"{key} must be a non-empty str, not {type(value).__name__}.")
            opts[key] = str(value)
    servers = url.split(",") if isinstance(url, str) else list(url)
    return Lab(servers, timeout=timeout, domain=domain, **opts)
