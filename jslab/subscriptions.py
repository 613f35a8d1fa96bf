"""Subscriptions whose messages wait in a thread-safe queue until a notebook cell reads them.

nats-py calls its callbacks on jslab's loop thread; these callbacks only put messages on a
``queue.Queue``, so a cell can read them with ``next()`` without printing from another thread.

    >>> sub = lab.subscribe_core("sensors.>")
    >>> sub.next(timeout=1)
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import arguments, consumers, names
from .config import consumer_config
from .errors import ConsumerNotFoundError, JslabTypeError, StreamNotFoundError, ValidationError
from .messages import CoreMessage, JsMessage, encode_payload

if TYPE_CHECKING:  # pragma: no cover
    from .lab import Lab

__all__ = ["CoreSubscription", "PushSubscription"]


class _QueuedSubscription:
    kind = "subscription"

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._queue: queue.Queue = queue.Queue()
        self._sub: Any = None
        self.subject = ""

    def next(self, timeout: float = 1.0) -> Any:
        """The next message, waiting up to ``timeout`` s; None when nothing came."""
        try:
            return self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None

    def fetch(self, n: int = 100, timeout: float = 0.5, *, gap: float = 0.05) -> list[Any]:
        """Up to ``n`` messages: waits up to ``timeout`` for the first, then takes the ones that
        follow it, until none comes for ``gap`` seconds (messages published together arrive
        together, even when the last is still in flight)."""
        out = []
        first = self.next(timeout)
        if first is None:
            return out
        out.append(first)
        while len(out) < n:
            m = self.next(gap)
            if m is None:
                break
            out.append(m)
        return out

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the messages queued right now (does not wait)."""
        while True:
            m = self.next(0)
            if m is None:
                return
            yield m

    @property
    def pending(self) -> int:
        """Messages received and not yet read."""
        return self._queue.qsize()

    async def _unsubscribe(self) -> None:
        if self._sub is not None:
            sub, self._sub = self._sub, None
            await sub.unsubscribe()

    def unsubscribe(self) -> None:
        """Stop receiving (queued messages stay readable)."""
        if not self._lab.closed:
            s = self._lab.session
            s.call(s.guard(self._unsubscribe(), f"unsubscribe {self.subject}"))

    def __repr__(self) -> str:
        state = "active" if self._sub is not None else "stopped"
        return f"<{type(self).__name__} {self.subject} {state}, {self.pending} queued>"


class CoreSubscription(_QueuedSubscription):
    """A core NATS subscription (sees only what is published while it exists)."""

    def __init__(self, lab: Lab, subject: str, responder: Callable[[Any], Any] | None = None):
        super().__init__(lab)
        self.subject = subject
        self._responder = responder

    async def _start(self, queue_group: str | None) -> None:
        nc = self._lab.session.nc

        async def on_msg(msg: Any) -> None:
            stored = CoreMessage(msg.subject, msg.data, msg.headers, msg.reply or None,
                                 self._lab)
            if self._responder is None:
                self._queue.put(stored)
                return
            loop = asyncio.get_running_loop()
            try:
                answer = await loop.run_in_executor(None, self._responder, stored.data)
                await msg.respond(encode_payload(answer))
            except Exception as e:  # the requester gets the error text instead of a timeout
                await msg.respond(f"error: {type(e).__name__}: {e}".encode())

        self._sub = await nc.subscribe(self.subject, queue=queue_group or "", cb=on_msg)
        await nc.flush()


class PushSubscription(_QueuedSubscription):
    """A JetStream push consumer; deliveries are ``JsMessage`` objects (ack them)."""

    _ordered = False

    @classmethod
    def open(cls, lab: Lab, subject: str | None, *, stream: str | None, durable: str | None,
             queue: str | None, ordered: bool, manual_ack: bool, idle_heartbeat: Any,
             config: dict[str, Any]) -> PushSubscription:
        """Check every argument, then create the push consumer and its subscription."""
        if subject is None and stream is None:
            raise ValidationError("give a subject, a stream=, or both.")
        if subject is not None:
            names.check_filter_subject(subject)
        if stream is not None:
            names.check_stream_name(stream)
        if durable is not None:
            names.check_consumer_name(durable)
        if queue is not None:
            names.check_subject(queue, wildcards=False, what="queue group")
        for label, flag in (("ordered", ordered), ("manual_ack", manual_ack)):
            if not isinstance(flag, bool):
                raise JslabTypeError(f"{label} is True or False, not {flag!r}.")
        if idle_heartbeat is not None:
            idle_heartbeat = arguments.seconds("idle_heartbeat", idle_heartbeat, minimum=0.1,
                                               maximum=86400)
        if ordered and durable is not None:
            raise ValidationError(
                "an ordered consumer is ephemeral (the client recreates it on every gap), so it "
                "takes no durable name: drop durable=, or drop ordered=True for a durable push "
                "consumer.")
        cfg = consumer_config(stream or "X", **config) if config else None
        s = lab.session
        if durable is not None and stream is not None:
            with contextlib.suppress(ConsumerNotFoundError, StreamNotFoundError):
                info = lab.consumer_info(stream, durable)
                if not info.config.deliver_subject:
                    raise ValidationError(
                        f"consumer {durable!r} on {stream!r} is a pull consumer (no "
                        "deliver_subject): read it with lab.fetch(stream, consumer) or "
                        "lab.consume(...), or subscribe with another durable name.")
        sub = cls(lab)
        s.call(s.guard(
            sub._start(subject, stream=stream, durable=durable, queue=queue, ordered=ordered,
                       manual_ack=manual_ack, config=cfg, idle_heartbeat=idle_heartbeat),
            f"subscribe to {subject or stream}", {"subject": subject, "stream": stream}))
        return sub

    async def _start(self, subject: str | None, *, stream: str | None, durable: str | None,
                     queue: str | None, ordered: bool, manual_ack: bool, config: Any,
                     idle_heartbeat: float | None = None) -> None:
        session = self._lab.session
        js = session.js
        self.subject = subject or stream or ""
        self._ordered = ordered

        async def on_msg(msg: Any) -> None:
            self._queue.put(JsMessage(session.deliveries, msg))

        self._sub = await js.subscribe(
            subject or "", queue=queue, cb=on_msg, durable=durable, stream=stream,
            config=config, manual_ack=manual_ack or ordered, ordered_consumer=ordered,
            idle_heartbeat=(idle_heartbeat or 5.0) if ordered else idle_heartbeat,
            flow_control=ordered,
        )

    def consumer_info(self) -> Any:
        """The server's info on this subscription's consumer.

        An ordered consumer that is being recreated (after a gap, a restart) briefly has no
        server-side consumer under its old name: this waits up to 2 s for the new one.
        """
        s = self._lab.session

        async def info() -> Any:
            for attempt in range(20):
                try:
                    mine = await s.guard(self._sub.consumer_info(), "consumer info")
                    # The same answer again, as the kit's short-repr ConsumerInfo.
                    return await consumers.info(s, mine.stream_name, mine.name)
                except ConsumerNotFoundError:
                    if not self._ordered or attempt == 19:
                        raise
                    await asyncio.sleep(0.1)

        return s.call(info())
