"""Pull-consumer fetches over core NATS, with notebook-friendly semantics.

One fetch is one ``$JS.API.CONSUMER.MSG.NEXT`` request with ``no_wait`` and ``expires``: the
server hands over what is there now (up to ``batch``), or, when nothing is there, waits up to
``expires`` for the first message. It always answers with a status when it has nothing more
(404 No Messages, 408 Request Timeout), so an empty batch is a normal answer, not an error.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from . import arguments
from .config import check_group_name
from .errors import ConsumerNotFoundError, JetStreamError, NotConnectedError, ValidationError

__all__ = ["PullFetcher", "Pulled"]


class Pulled(list):
    """The messages of one pull request, and the status that ended it.

    ``status`` is the server's word for why it stopped sending: "404 No Messages" (nothing
    there, with no_wait), "408 Request Timeout" (the wait ran out), "409 ..." (e.g. a
    leadership change); None when the batch filled up (the server then says nothing).
    """

    status: str | None = None

# Status codes that end a pull request without an error.
_END = {"404", "408"}


class PullFetcher:
    """Fetches from one pull consumer; lives on the loop thread (one per stream/consumer)."""

    def __init__(self, nc: Any, stream: str, consumer: str, prefix: str = "$JS.API") -> None:
        self.nc = nc
        self.stream = stream
        self.consumer = consumer
        self._next_subject = f"{prefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        # One inbox subscription per fetch in flight: deliveries carry the stream's subject,
        # not the request's, so concurrent fetches (threads sharing a consumer) each need
        # their own. Idle ones are reused.
        self._idle: list[tuple[str, Any]] = []
        self._all: list[Any] = []
        self._counter = 0
        self.pins: dict[str, str] = {}  # priority group -> the pin id this client was given

    async def _take_sub(self) -> tuple[str, Any]:
        if self._idle:
            return self._idle.pop()
        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(inbox + ".*")
        self._all.append(sub)
        return inbox, sub

    async def fetch(self, batch: int, wait: float, max_bytes: int | None = None,
                    priority: dict[str, Any] | None = None) -> Pulled:
        """Up to ``batch`` messages: what is there now, or wait up to ``wait`` s for the first.

        ``priority`` names the priority group (``group``) and its conditions (``min_pending``,
        ``min_ack_pending``, ``priority``). A pinned client's pin id is kept per group and sent
        with every later pull, as the server asks; a 423 (the pin went to another client)
        forgets it and ends the batch.
        """
        __tracebackhide__ = True  # keep learners' tracebacks short
        inbox, sub = await self._take_sub()
        try:
            return await self._fetch(inbox, sub, batch, wait, max_bytes, priority)
        finally:
            self._idle.append((inbox, sub))

    async def _fetch(self, inbox: str, sub: Any, batch: int, wait: float,
                     max_bytes: int | None, priority: dict[str, Any] | None) -> Pulled:
        __tracebackhide__ = True  # keep learners' tracebacks short
        self._counter += 1
        reply = f"{inbox}.{self._counter}"
        req: dict[str, Any] = {"batch": batch, "no_wait": True}
        if wait > 0:
            req["expires"] = int(wait * 1e9)
        if max_bytes:
            req["max_bytes"] = max_bytes
        group = (priority or {}).get("group")
        if priority:
            req.update(priority)
            if group in self.pins:
                req["id"] = self.pins[group]
        if not self.nc.is_connected:
            raise NotConnectedError()
        await self.nc.publish(self._next_subject, json.dumps(req).encode(), reply=reply)
        msgs = Pulled()
        # The server answers within `wait`; allow a margin for a busy machine.
        deadline = time.monotonic() + wait + 2.0
        while len(msgs) < batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                msg = await sub.next_msg(timeout=remaining)
            except asyncio.TimeoutError:  # nats-py's TimeoutError is one too
                msgs.status = "no answer from the server in time"
                break
            status = msg.headers.get("Status") if msg.headers and not msg.data else None
            if status is None:
                pin = msg.headers.get("Nats-Pin-Id") if msg.headers else None
                if pin and group:
                    self.pins[group] = pin
                msgs.append(msg)
                continue
            if msg.subject != reply:
                continue  # the end of an earlier request that we stopped waiting for
            description = (msg.headers.get("Description") or "").strip()
            if status in _END:
                msgs.status = f"{status} {description}".strip()
                break
            if status == "423":  # the group's pin is another client's (or was reset)
                self.pins.pop(group, None)
                msgs.status = f"{status} {description}".strip()
                break
            if status == "100":  # idle heartbeat
                continue
            if status == "503" or (status == "409" and "Deleted" in description):
                gone = ("was deleted while fetching" if status == "409"
                        else f"does not exist on stream {self.stream!r} (nobody answered)")
                raise ConsumerNotFoundError(
                    f"consumer {self.consumer!r} {gone}",
                    err_code=10014, status=int(status),
                    operation=f"fetch {self.stream}/{self.consumer}",
                    context={"stream": self.stream, "consumer": self.consumer},
                )
            if status == "409" and "Leadership" in description:
                msgs.status = f"{status} {description}"
                break
            raise JetStreamError(
                description or "pull request refused",
                status=int(status), operation=f"fetch {self.stream}/{self.consumer}",
                hint=_HINTS.get(description.split(" ")[0], None),
            )
        return msgs

    async def close(self) -> None:
        for sub in self._all:
            try:
                await sub.unsubscribe()
            except Exception:  # connection already closed: nothing to release
                pass
        self._all.clear()
        self._idle.clear()


_HINTS = {
    "Exceeded": (
        "The consumer has too many waiting pull requests or the batch is larger than its "
        "max_batch / max_bytes setting. Fetch fewer messages, or raise max_waiting/max_batch."
    ),
    "Consumer": (
        "fetch works only on pull consumers, and this one has a deliver_subject (push). Read it "
        "with lab.subscribe(stream=..., durable=...), or create a pull consumer (no "
        "deliver_subject) for fetching."
    ),
}


def priority_request(require: Any, group: str | None, min_pending: int | None,
                     min_ack_pending: int | None, priority: int | None) -> dict[str, Any] | None:
    """The priority-group part of a pull request, checked (None when no group is named).

    ``require(feature)`` raises when the server lacks a feature (the lab's check).
    """
    given = {"min_pending": min_pending, "min_ack_pending": min_ack_pending,
             "priority": priority}
    if group is None:
        named = [k for k, v in given.items() if v is not None]
        if named:
            raise ValidationError(
                f"{', '.join(named)}: these apply only inside a priority group; name the "
                "consumer's group with group='...'.")
        return None
    request: dict[str, Any] = {"group": check_group_name(group)}
    require("priority_groups")
    for key in ("min_pending", "min_ack_pending"):
        if given[key] is not None:
            request[key] = arguments.count(key, given[key], minimum=1,
                                           why="the backlog this pull waits for")
    if priority is not None:
        require("prioritized_policy")
        request["priority"] = arguments.count("priority", priority, minimum=0, maximum=9,
                                              why="0 is served first")
    return request
