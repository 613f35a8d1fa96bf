"""Consumer requests over the session: create with an action (so an existing consumer is
never changed by accident), update by merging, pause times.

    >>> info = await consumers.create(lab.session, "ORDERS", cfg, action="create")
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nats.js import api

from . import arguments
from .config import consumer_config
from .errors import ValidationError
from .infos import ConsumerInfo

if TYPE_CHECKING:
    from .session import Session

__all__ = ["check_changes", "create", "info", "info_answer", "pause_stamp", "updated"]


async def create(session: Session, stream: str, cfg: api.ConsumerConfig, action: str | None,
                 operation: str) -> ConsumerInfo:
    """CONSUMER.CREATE with ``action`` "create" (refused if it exists with another config),
    "update" (refused if it does not exist) or None (create or update)."""
    extra = getattr(cfg, "extra", {})
    if extra.get("priority_policy") == "prioritized" and (session.version or (0,)) < (2, 12):
        raise ValidationError(
            f"priority_policy='prioritized' needs nats-server 2.12 or newer; this server is "
            f"{session.version_str}. Use 'overflow' or 'pinned_client', or a newer server.")
    req: dict[str, Any] = {"stream_name": stream, "config": {**cfg.as_dict(), **extra}}
    if action:
        req["action"] = action
    name = f"CONSUMER.CREATE.{stream}.{cfg.name}" if cfg.name else f"CONSUMER.CREATE.{stream}"
    ctx = {"stream": stream, "consumer": cfg.name or "ephemeral", "durable": cfg.durable_name}
    return ConsumerInfo.from_response(
        await session.request(name, req, operation=operation, context=ctx))


async def info_answer(session: Session, stream: str, name: str) -> dict:
    """The server's CONSUMER.INFO answer, once the plain acks sent so far are processed."""
    await session.deliveries.settle()
    return await session.request(
        f"CONSUMER.INFO.{stream}.{name}", operation=f"consumer info {stream}/{name}",
        context={"stream": stream, "consumer": name})


async def info(session: Session, stream: str, name: str) -> ConsumerInfo:
    """Consumer info (true numbers: plain acks sent so far are processed first)."""
    return ConsumerInfo.from_response(await info_answer(session, stream, name))


def check_changes(stream: str, changes: Mapping[str, Any]) -> None:
    """Refuse changes the server would refuse or misread, before anything is asked."""
    for key in ("durable_name", "name", "durable"):
        if key in changes:
            raise ValidationError(
                f"{key} can not change: a consumer's name is what the server knows it by. "
                "Create another consumer under the new name (and delete this one).")
    consumer_config(stream, **changes)


async def updated(session: Session, stream: str, name: str,
                  changes: Mapping[str, Any]) -> ConsumerInfo:
    """Update a consumer: its current configuration (as the server has it, including the pull
    limits nats-py has no field for) with ``changes`` applied, checked like a new one."""
    answer = await info_answer(session, stream, name)
    raw = dict(answer.get("config") or {})  # from_response below converts the answer in place
    current = ConsumerInfo.from_response(answer).config
    merged = {k: getattr(current, k) for k in current.as_dict()}
    merged.update(changes)
    durable = merged.pop("durable_name", None)
    merged.pop("name", None)
    cfg = consumer_config(stream, durable=durable, name=None if durable else name,
                          **{k: v for k, v in merged.items() if v is not None})
    cfg.name = name
    # Server-only limits the learner did not change stay as they are (already in ns).
    kept = {k: raw[k] for k in ("max_batch", "max_bytes", "max_expires", "priority_groups",
                                "priority_policy", "priority_timeout") if raw.get(k)}
    cfg.extra = {**kept, **cfg.extra}  # type: ignore[attr-defined]
    return await create(session, stream, cfg, "update", f"update consumer {name} on {stream}")


def pause_stamp(until: Any) -> str:
    """A pause time (datetime, ISO string, or seconds from now) as the server's RFC 3339."""
    if isinstance(until, (_dt.datetime, str)):
        when = arguments.timestamp("until", until)
    else:
        seconds = arguments.seconds("until", until, minimum=0.001, maximum=100 * 365 * 86400)
        when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=seconds)
    return when.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
