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

__all__ = ["check_changes", "create", "info", "merged_config", "pause_stamp"]


async def create(session: Session, stream: str, cfg: api.ConsumerConfig, action: str | None,
                 operation: str) -> ConsumerInfo:
    """CONSUMER.CREATE with ``action`` "create" (refused if it exists with another config),
    "update" (refused if it does not exist) or None (create or update)."""
    req: dict[str, Any] = {"stream_name": stream, "config": cfg.as_dict()}
    if action:
        req["action"] = action
    name = f"CONSUMER.CREATE.{stream}.{cfg.name}" if cfg.name else f"CONSUMER.CREATE.{stream}"
    ctx = {"stream": stream, "consumer": cfg.name or "ephemeral", "durable": cfg.durable_name}
    return ConsumerInfo.from_response(
        await session.request(name, req, operation=operation, context=ctx))


async def info(session: Session, stream: str, name: str) -> ConsumerInfo:
    """Consumer info once the plain acks sent so far are processed (true numbers)."""
    await session.deliveries.settle()
    return ConsumerInfo.from_response(await session.request(
        f"CONSUMER.INFO.{stream}.{name}", operation=f"consumer info {stream}/{name}",
        context={"stream": stream, "consumer": name}))


def check_changes(stream: str, changes: Mapping[str, Any]) -> None:
    """Refuse changes the server would refuse or misread, before anything is asked."""
    for key in ("durable_name", "name", "durable"):
        if key in changes:
            raise ValidationError(
                f"{key} can not change: a consumer's name is what the server knows it by. "
                "Create another consumer under the new name (and delete this one).")
    consumer_config(stream, **changes)


def merged_config(stream: str, name: str, current: api.ConsumerConfig,
                  changes: Mapping[str, Any]) -> api.ConsumerConfig:
    """The current configuration with ``changes`` applied, checked like a new one."""
    merged = {k: getattr(current, k) for k in current.as_dict()}
    merged.update(changes)
    durable = merged.pop("durable_name", None)
    merged.pop("name", None)
    cfg = consumer_config(stream, durable=durable, name=None if durable else name,
                          **{k: v for k, v in merged.items() if v is not None})
    cfg.name = name
    return cfg


def pause_stamp(until: Any) -> str:
    """A pause time (datetime, ISO string, or seconds from now) as the server's RFC 3339."""
    if isinstance(until, (_dt.datetime, str)):
        when = arguments.timestamp("until", until)
    else:
        seconds = arguments.seconds("until", until, minimum=0.001, maximum=100 * 365 * 86400)
        when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=seconds)
    return when.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
