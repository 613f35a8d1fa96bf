"""``jslab.start()`` on a shared server: a workshop participant's notebooks run unchanged.

When ``NATS_URL`` is set, ``jslab.start()`` connects there instead of starting a bundled
server, logging in with ``NATS_USER``/``NATS_PASSWORD``, ``NATS_TOKEN`` or ``NATS_CREDS`` (a
creds file), and first deletes every stream of the participant's own account, so each notebook
starts fresh with the same stream names as everyone else's:

    $ export NATS_URL=nats://10.0.0.5:4222 NATS_USER=p07 NATS_PASSWORD=...
    >>> lab = jslab.start()
    connected to the shared server at nats://10.0.0.5:4222 as p07, account reset: 3 streams deleted

Emptying an account is only done on a server whose name starts with ``jslab-`` (the generated
workshop configuration and the docker-compose services are named so); any other server is
refused, so a ``NATS_URL`` left set for other work never costs anyone their streams.
``lab.server`` is None: ``lab.restart_server()`` and ``jslab.start(cluster=3)`` need servers
of your own and say so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .errors import (
    AuthorizationFailedError,
    JslabError,
    NoRespondersError,
    NotConnectedError,
    StreamNotFoundError,
    ValidationError,
)
from .lab import Lab
from .session import redact

__all__ = ["RESETTABLE_PREFIX", "SharedLab", "SharedServerError", "refuse_local_options",
           "reset_account", "shared_settings", "start_shared"]

RESETTABLE_PREFIX = "jslab-"
_CREDENTIAL_VARS = (("NATS_USER", "user"), ("NATS_PASSWORD", "password"),
                    ("NATS_TOKEN", "token"), ("NATS_CREDS", "user_credentials"))


class SharedServerError(ValidationError):
    """Something needs a server of your own, and this lab is on a shared one."""


def shared_settings(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The shared server from the environment: ``{"url": ..., "user": ..., ...}``, or None.

    None (a bundled server) unless ``NATS_URL`` is set and not empty.
    """
    env = os.environ if environ is None else environ
    url = (env.get("NATS_URL") or "").strip()
    if not url:
        return None
    settings = {"url": url}
    for var, key in _CREDENTIAL_VARS:
        value = (env.get(var) or "").strip()
        if value:
            settings[key] = value
    if ("user" in settings) != ("password" in settings):
        missing = "NATS_PASSWORD" if "user" in settings else "NATS_USER"
        raise SharedServerError(f"NATS_URL points jslab.start() at a shared server, and "
                                f"{missing} is not set: set both NATS_USER and NATS_PASSWORD "
                                "(your workshop card has them).")
    return settings


def _where(url: str) -> str:
    return f"the shared server at {redact(url)} (NATS_URL)"


def _needs_own_server(what: str, url: str) -> SharedServerError:
    return SharedServerError(
        f"{what} needs a nats-server of your own, and this notebook uses {_where(url)}, which "
        "only the workshop's facilitator can restart or reconfigure. Skip this part, or run "
        "the notebook without NATS_URL set to get a bundled server of your own."
    )


class SharedLab(Lab):
    """A lab on a shared server: every call of ``Lab``, but no server of its own.

        >>> lab = jslab.start()          # with NATS_URL set
        >>> lab.server is None           # True: branch on it for restarts and clusters
    """

    account: str = ""
    shared_url: str = ""

    def restart_server(self) -> None:
        self._open()
        raise _needs_own_server("lab.restart_server()", self.shared_url)

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("connected" if self.connected else "reconnecting")
        return f"<Lab {state} to the shared server {self.url} as {self.account or '?'}>"


def _who(lab: SharedLab, timeout: float) -> tuple[str, str]:
    """(server name, account) from ``$SYS.REQ.USER.INFO``, which every account may ask."""
    try:
        reply = lab.request("$SYS.REQ.USER.INFO", b"", timeout=timeout)
    except (NoRespondersError, JslabError):
        return "", ""
    data = reply.data if isinstance(reply.data, dict) else {}
    server = (data.get("server") or {}).get("name", "")
    info = data.get("data") or {}
    return str(server), str(info.get("account_name") or info.get("account") or "")


def reset_account(lab: Lab) -> int:
    """Delete every stream of the lab's account (KV buckets and object stores are streams
    too); returns how many were deleted."""
    deleted = 0
    for name in lab.stream_names():
        try:
            if lab.delete_stream(name):
                deleted += 1
        except StreamNotFoundError:  # deleted meanwhile, by another notebook of the same person
            pass
    return deleted


def refuse_local_options(settings: Mapping[str, str], *, cluster: Any = None,
                         store_dir: Any = None) -> None:
    """Refuse what only a bundled server has (before anything is closed or connected)."""
    if cluster is not None:
        raise _needs_own_server(f"jslab.start(cluster={cluster})", settings["url"])
    if store_dir is not None:
        raise _needs_own_server("jslab.start(store_dir=...)", settings["url"])


def start_shared(settings: Mapping[str, str], *, timeout: float, progress: bool = True,
                 cluster: Any = None, store_dir: Any = None) -> SharedLab:
    """Connect to the shared server of ``settings`` and empty the account (see the module)."""
    url = settings["url"]
    refuse_local_options(settings, cluster=cluster, store_dir=store_dir)
    options = {k: v for k, v in settings.items() if k != "url"}
    try:
        lab = SharedLab(url.split(","), timeout=timeout, **options)
    except (AuthorizationFailedError, NotConnectedError) as e:
        raise type(e)(f"NATS_URL points jslab.start() at {_where(url)}: {e}") from None
    try:
        lab.shared_url = url
        server, lab.account = _who(lab, min(timeout, 2.0))
        if not server.startswith(RESETTABLE_PREFIX):
            named = f"is named {server!r}" if server else "does not say its name"
            raise SharedServerError(
                f"NATS_URL points jslab.start() at {redact(url)}, which {named}. jslab.start() "
                "empties the account it connects to (every notebook starts fresh), and does "
                f"that only on servers named {RESETTABLE_PREFIX}… (a workshop from `jslab "
                "workshop init`, or the docker-compose services). Unset NATS_URL for a "
                "bundled server, or use jslab.connect(), which deletes nothing."
            )
        deleted = reset_account(lab)
    except BaseException:
        lab.close()
        raise
    if progress:
        who = f" as {lab.account}" if lab.account not in ("", "$G") else ""
        print(f"connected to the shared server at {lab.url}{who}, account reset: {deleted} "
              f"stream{'' if deleted == 1 else 's'} deleted", flush=True)
    return lab
