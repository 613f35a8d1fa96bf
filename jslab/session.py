"""The one path from the kit to the server.

A ``Session`` owns the nats-py connection (which lives on jslab's loop thread) and is the
only module that talks to nats-py: every JetStream API request, publish, ack and fetch of
every part of the kit (``Lab``, snapshots, DataFrames, the recorder, stores, checks) goes
through it. In one place it knows

- the API prefix (``$JS.API``, or ``$JS.<domain>.API`` for a JetStream domain),
- the lab's timeout, and how to turn an error answer, a status header or a nats-py
  exception into the kit's own error (by ``isinstance``, against nats-py's classes),
- paging of ``*.NAMES`` / ``*.LIST`` answers, direct-get replies (headers + payload),
- the deliveries the kit has seen and the plain acks not yet confirmed (``Deliveries``),
- the calls in flight, so closing the lab wakes them at once with ``ClosedError``.

    >>> s = Session(["nats://127.0.0.1:4222"], timeout=5)
    >>> s.call(s.request("STREAM.NAMES"))["streams"]
    ['ORDERS']
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors

from . import names
from ._loop import EventLoopThread, default_loop
from .deliveries import Deliveries
from .errors import (
    AuthorizationFailedError,
    ClosedError,
    JetStreamError,
    JetStreamNotEnabledError,
    JslabError,
    JslabTimeoutError,
    MessageNotFoundError,
    NoStreamForSubjectError,
    NotConnectedError,
    StreamNotFoundError,
    ValidationError,
    WrongLastSequenceError,
)
from .features import parse_version

__all__ = ["Session", "api_error", "redact", "status_error", "translate"]

T = TypeVar("T")

_CREDENTIALS = ("user", "password", "token", "user_credentials", "nkeys_seed", "nkeys_seed_str",
                "signature_cb", "user_jwt_cb")

_NOT_CONNECTED = (
    nats.errors.ConnectionClosedError,
    nats.errors.StaleConnectionError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.NoServersError,
)


def api_error(answer: Mapping[str, Any], operation: str,
              context: Mapping[str, Any] | None = None) -> JetStreamError | None:
    """The JetStreamError for an API answer carrying ``"error"``, else None."""
    err = answer.get("error") if isinstance(answer, Mapping) else None
    if not err:
        return None
    return JetStreamError.from_api(
        err_code=err.get("err_code"), status=err.get("code"),
        description=err.get("description", ""), operation=operation,
        context=dict(context or {}),
    )


def status_error(headers: Mapping[str, str] | None, operation: str,
                 context: Mapping[str, Any] | None = None) -> JetStreamError | None:
    """The error a reply's ``Status`` header carries (direct get, pull requests), else None."""
    status = (headers or {}).get("Status")
    if not status or status in ("100", "204"):
        return None
    description = (headers or {}).get("Description", "").strip()
    ctx = dict(context or {})
    if status == "404":
        return MessageNotFoundError(description.lower() or "message not found", err_code=10037,
                                    status=404, operation=operation, context=ctx)
    if status == "503":
        return JetStreamNotEnabledError(description or "no responders", status=503,
                                        operation=operation, context=ctx)
    return JetStreamError.from_api(err_code=None, status=int(status), description=description,
                                   operation=operation, context=ctx)


def translate(exc: BaseException, operation: str = "",
              context: Mapping[str, Any] | None = None, *,
              no_responders: Callable[[], JslabError] | None = None,
              connected: bool = True) -> JslabError:
    """The kit's error for an exception raised by nats-py (matched by class, not by name).

        >>> translate(nats.errors.TimeoutError(), "fetch ORDERS/shipping")
        JslabTimeoutError(...)
    """
    if isinstance(exc, JslabError):
        return exc
    where = f" ({operation})" if operation else ""
    ctx = dict(context or {})
    if isinstance(exc, nats.js.errors.BucketNotFoundError):
        return StreamNotFoundError(
            "bucket not found", err_code=10059, status=404, operation=operation, context=ctx,
            hint="No key-value bucket or object store with that name exists (its stream, "
                 "KV_<name> or OBJ_<name>, is missing). Create it with lab.create_kv(name) or "
                 "lab.create_object_store(name); lab.streams() lists what exists.",
        )
    if isinstance(exc, (nats.js.errors.ObjectNotFoundError, nats.js.errors.ObjectDeletedError)):
        gone = isinstance(exc, nats.js.errors.ObjectDeletedError)
        return MessageNotFoundError(
            "object was deleted" if gone else "object not found", err_code=10037, status=404,
            operation=operation, context=ctx,
            hint="The bucket has no live object of that name (deleted objects keep only a "
            "marker). List what is there with .list(); names are case-sensitive.")
    if isinstance(exc, nats.js.errors.NoKeysError):
        return MessageNotFoundError(
            "no keys found", err_code=10037, status=404, operation=operation, context=ctx,
            hint="Nothing is stored under that key (or the bucket is empty): it was never put, "
            "or it was purged and its marker has gone too. List keys with .keys().")
    if isinstance(exc, nats.js.errors.DigestMismatchError):
        return JetStreamError(
            "digest mismatch", operation=operation, context=ctx,
            hint="The chunks read back do not hash to the SHA-256 digest in the object's "
            "metadata: a chunk message was deleted or changed on the stream. Put the object "
            "again.")
    if isinstance(exc, nats.js.errors.LinkIsABucketError):
        return ValidationError(
            f"that name is a link to a whole bucket, not to an object{where}: open the bucket "
            "it points to with lab.object_store(name) and get objects from it.")
    if isinstance(exc, nats.js.errors.KeyWrongLastSequenceError):
        return WrongLastSequenceError(str(exc).removeprefix("nats: "), err_code=10071,
                                      status=400, operation=operation, context=ctx)
    if isinstance(exc, nats.js.errors.ServiceUnavailableError) and not exc.err_code:
        # nats-py's answer when nobody answered a JetStream API request.
        return no_responders() if no_responders is not None else _no_jetstream(operation)
    if isinstance(exc, nats.js.errors.NotFoundError) and not exc.err_code and not exc.code:
        # nats-py's own lookup of the stream that captures a subject found none.
        return StreamNotFoundError(
            "no stream captures the subject", err_code=10059, status=404, operation=operation,
            context=ctx, hint="No stream's subjects include it. Create one (lab.add_stream) "
            "or pass stream= explicitly; lab.streams() lists what exists.")
    if isinstance(exc, nats.js.errors.APIError) and (exc.err_code or exc.code):
        return JetStreamError.from_api(err_code=exc.err_code, status=exc.code,
                                       description=exc.description, operation=operation,
                                       context=ctx)
    if isinstance(exc, (nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError)):
        if no_responders is not None:
            return no_responders()
        return NoStreamForSubjectError(operation=operation, context=ctx)
    if isinstance(exc, nats.errors.AuthorizationError):
        return AuthorizationFailedError(f"{AuthorizationFailedError.default_message}{where}")
    if isinstance(exc, nats.errors.MaxPayloadError):
        return ValidationError(f"the message is larger than the server's max_payload{where}: "
                               "send less data, or store big data in an object store.")
    if isinstance(exc, _NOT_CONNECTED) or not connected:
        return NotConnectedError(f"{NotConnectedError.default_message}{where}")
    if isinstance(exc, (nats.errors.TimeoutError, asyncio.TimeoutError, TimeoutError)):
        return JslabTimeoutError(f"{JslabTimeoutError.default_message}{where}")
    return JslabError(f"{type(exc).__name__}: {exc}{where}")


def redact(url: str) -> str:
    """A server URL without its password (``nats://user:***@host:port``)."""
    try:
        u = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if u.password is None and not (u.username and "@" in u.netloc):
        return url
    host = u.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{u.username or ''}:***@{host}" + (f":{u.port}" if u.port else "")
    return urllib.parse.urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment))


class Session:
    """One connection to a server and the one request path every part of the kit uses."""

    def __init__(self, servers: list[str], *, timeout: float, loop: EventLoopThread | None = None,
                 domain: str | None = None, api_prefix: str | None = None,
                 **connect_options: Any) -> None:
        if domain is not None and api_prefix is not None:
            raise ValidationError("give domain= or api_prefix=, not both (a domain 'hub' means "
                                  "the prefix '$JS.hub.API').")
        if domain is not None:
            names.check_subject(domain, wildcards=False, what="domain")
            if "." in domain:
                raise ValidationError(f"domain {domain!r} is one token (no dots), e.g. 'hub'.")
        self.prefix = api_prefix or (f"$JS.{domain}.API" if domain else "$JS.API")
        names.check_subject(self.prefix, what="api_prefix")
        self.domain = domain
        self.timeout = timeout
        self.loop = loop or default_loop()
        self.servers = list(servers)
        self.deliveries = Deliveries(self)
        self.nc: Any = None
        self.js: Any = None  # nats-py JetStreamContext (KV, object store, push subscriptions)
        self.jsm: Any = None  # nats-py JetStreamManager (typed stream/consumer infos)
        self.version: tuple[int, int, int] | None = None
        self.version_str = ""
        self.events_cb: Callable[[str], None] = lambda _text: None
        # Told how each JetStream publish ended: cb(subject, the PubAck or the refusing error).
        self.on_publish: list[Callable[[str, Any], None]] = []
        self.last_stored = 0.0  # monotonic time of the last acknowledged publish
        self._closed = False
        self._inflight: set[asyncio.Task] = set()
        self._inflight_lock = threading.Lock()
        self._connect_options = connect_options

    # ------------------------------------------------------------------ running coroutines
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def connected(self) -> bool:
        return bool(self.nc is not None and self.nc.is_connected)

    def check_open(self) -> None:
        if self._closed:
            raise ClosedError()

    def call(self, coro: Awaitable[T], timeout: float | None = None) -> T:
        """Run a coroutine on the loop thread and block until done (the one way sync calls go).

        Closing the session cancels it: the caller gets ``ClosedError`` at once.
        """
        __tracebackhide__ = True  # keep learners' tracebacks short
        if self._closed:
            coro.close()  # type: ignore[attr-defined]
            raise ClosedError()
        return self.loop.call(self._tracked(coro),
                              timeout=timeout if timeout is not None else self.timeout + 5)

    async def _tracked(self, coro: Awaitable[T]) -> T:
        __tracebackhide__ = True  # keep learners' tracebacks short
        task = asyncio.current_task()
        with self._inflight_lock:
            self._inflight.add(task)  # type: ignore[arg-type]
        try:
            return await coro
        except asyncio.CancelledError:
            if self._closed:
                raise ClosedError() from None
            raise
        except (NotConnectedError, nats.errors.ConnectionClosedError):
            if self._closed:  # the connection went because the lab closed, not the server
                raise ClosedError() from None
            raise
        finally:
            with self._inflight_lock:
                self._inflight.discard(task)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ connection
    def connect(self) -> None:
        self.call(self._connect(), timeout=self.timeout + 5)

    async def _connect(self) -> None:
        errors: list[BaseException] = []

        async def on_error(e: Exception) -> None:
            errors.append(e)
            self.events_cb(f"error: {e}")

        async def on_disconnected() -> None:
            self.events_cb("disconnected")

        async def on_reconnected() -> None:
            self.events_cb(f"reconnected to {self.nc.connected_url.netloc}")

        opts = {
            "name": "jslab",
            "max_reconnect_attempts": -1,  # keep trying forever: servers come back in lessons
            "reconnect_time_wait": 0.25,
            "connect_timeout": 2,
            "allow_reconnect": True,
            "error_cb": on_error,
            "disconnected_cb": on_disconnected,
            "reconnected_cb": on_reconnected,
            **self._connect_options,
        }
        # A few quick tries for the first connection (a wrong URL should fail fast), then
        # reconnect forever: servers stop and come back during lessons.
        forever = opts["max_reconnect_attempts"]
        opts["max_reconnect_attempts"] = 2
        where = ", ".join(redact(s) for s in self.servers)
        try:
            self.nc = await nats.connect(self.servers, **opts)
        except Exception as e:
            seen = [e, *errors]
            if any(isinstance(x, nats.errors.AuthorizationError)
                   or "authorization violation" in str(x).lower() for x in seen):
                given = any(k in self._connect_options for k in _CREDENTIALS) or any(
                    "@" in urllib.parse.urlsplit(u).netloc for u in self.servers)
                what = ("refused the credentials (authorization violation): the user, "
                        "password, token, creds file or NKey is wrong or not allowed on this "
                        "server. Check them" if given else
                        "requires credentials and none were given (authorization violation). "
                        "Pass them")
                raise AuthorizationFailedError(
                    f"the server at {where} {what} (jslab.connect(url, user=..., password=...), "
                    "token=, creds= or nkeys_seed=); the URL itself is reachable."
                ) from None
            if isinstance(e, (nats.errors.InvalidUserCredentialsError, ModuleNotFoundError,
                              FileNotFoundError, ValueError)):
                raise NotConnectedError(
                    f"could not use the credentials for {where}: {type(e).__name__}: {e}. "
                    "Check the creds file path and content, or the NKey seed."
                ) from None
            raise NotConnectedError(
                f"could not connect to {where}: nobody answered there. Is the server running "
                "and the URL right? For the bundled server use jslab.start(); check with "
                "`jslab doctor`."
            ) from None
        self.nc.options["max_reconnect_attempts"] = forever
        if self.prefix == "$JS.API":
            js_opts: dict[str, Any] = {}
        else:
            js_opts = {"prefix": self.prefix}
        # Up to 4000 unacknowledged publishes in flight for nats-py's own publish_async users.
        self.js = self.nc.jetstream(timeout=self.timeout, publish_async_max_pending=4000,
                                    **js_opts)
        self.jsm = self.nc.jsm(timeout=self.timeout, **js_opts)
        try:
            v = self.nc.connected_server_version
            self.version = (v.major, v.minor, v.patch)
            self.version_str = f"{v.major}.{v.minor}.{v.patch}"
        except (AttributeError, TypeError, ValueError):
            self.version, self.version_str = None, ""
        if self.version_str:
            self.version = parse_version(self.version_str)
        self.events_cb(f"connected to {self.nc.connected_url.netloc}")

    @property
    def url(self) -> str:
        """The URL connected to right now (or the first given), never with a password."""
        if self.nc is not None and self.nc.connected_url:
            u = self.nc.connected_url
            return f"{u.scheme}://{u.hostname}:{u.port}"
        return redact(self.servers[0])

    def wait_connected(self, timeout: float) -> None:
        """Block until the connection is up again (after a server restart or failover)."""
        deadline = time.monotonic() + timeout
        while not self.connected:
            self.check_open()
            if time.monotonic() > deadline:
                raise NotConnectedError(
                    f"still not connected after {timeout} s: is the server running? "
                    "(lab.server.running, lab.server.log_tail())"
                )
            time.sleep(0.02)

    @property
    def max_payload(self) -> int:
        """The largest message (headers + data) the server accepts, from its INFO."""
        return int(self.nc.max_payload) if self.nc is not None else 1024 * 1024

    @property
    def max_subject_bytes(self) -> int:
        """The longest subject the server's protocol line leaves room for (UTF-8 bytes)."""
        return names.max_subject_bytes()

    def check_subject_fits(self, subject: str, what: str = "subject") -> None:
        """Refuse a subject the server would answer by closing the connection."""
        names.check_subject_length(subject, self.max_subject_bytes, what=what)

    def check_message_fits(self, payload: bytes, headers: Mapping[str, str] | None,
                           what: str = "message") -> None:
        """Refuse a message bigger than the server's max_payload before it is sent."""
        size = len(payload) + sum(len(k) + len(v) + 4 for k, v in (headers or {}).items())
        if size > self.max_payload:
            raise ValidationError(
                f"{what} is {size:,} bytes; this server accepts at most {self.max_payload:,} "
                "bytes per message (max_payload). Send smaller messages, or store big data in "
                "an object store (lab.create_object_store)."
            )

    def close(self) -> None:
        """Cancel calls in flight (they raise ClosedError), close the connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with self._inflight_lock:
            inflight = list(self._inflight)
        if not self.loop.closed:
            for task in inflight:
                self.loop.call_soon(task.cancel)
            if self.nc is not None:
                with contextlib.suppress(Exception):  # already gone: nothing left to release
                    self.loop.call(self._close_async(), timeout=5)

    async def _close_async(self) -> None:
        await self.deliveries.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.nc.close(), 3)

    # ------------------------------------------------------------------ requests
    @property
    def cluster_context(self) -> dict[str, Any]:
        """``{"cluster": name}`` when the connected server is part of a cluster, else {}."""
        info = getattr(self.nc, "_server_info", None) or {}
        name = (info.get("cluster") or "") if isinstance(info, dict) else ""
        return {"cluster": name} if name else {}

    def api_subject(self, api: str) -> str:
        """``STREAM.INFO.ORDERS`` -> ``$JS.API.STREAM.INFO.ORDERS`` (with the lab's prefix)."""
        return f"{self.prefix}.{api}"

    async def guard(self, coro: Awaitable[T], operation: str,
                    context: Mapping[str, Any] | None = None, *,
                    no_responders: Callable[[], JslabError] | None = None) -> T:
        """Await ``coro``; a nats-py error becomes the kit's error, named after ``operation``."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        try:
            return await coro
        except (JslabError, asyncio.CancelledError):
            raise
        except Exception as e:
            raise translate(e, operation, context, no_responders=no_responders,
                            connected=self.connected or isinstance(e, nats.js.errors.APIError)
                            ) from None

    async def request_msg(self, subject: str, data: bytes = b"", *,
                          headers: Mapping[str, str] | None = None, timeout: float | None = None,
                          operation: str = "", context: Mapping[str, Any] | None = None,
                          no_responders: Callable[[], JslabError] | None = None) -> Any:
        """A request on any subject; returns nats-py's reply message (errors translated)."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        if not self.connected:
            raise NotConnectedError(f"{NotConnectedError.default_message} ({operation or subject})")
        return await self.guard(
            self.nc.request(subject, data, timeout=timeout or self.timeout,
                            headers=dict(headers) if headers else None),
            operation or subject, context, no_responders=no_responders)

    async def request(self, api: str, payload: Any = None, *, operation: str = "",
                      context: Mapping[str, Any] | None = None,
                      timeout: float | None = None) -> dict:
        """One JetStream API request (``api`` without the prefix); returns the JSON answer.

        An error answer raises the matching ``JetStreamError`` with its code and a hint.
        """
        __tracebackhide__ = True  # keep learners' tracebacks short
        subject = self.api_subject(api)
        op = operation or subject
        data = b"" if payload is None else _json(payload, op)
        msg = await self.request_msg(subject, data, timeout=timeout, operation=op,
                                     context=context, no_responders=lambda: _no_jetstream(op))
        if not msg.data:
            err = status_error(msg.headers, op, context)
            if err is not None:
                raise err
            return {}
        try:
            answer = json.loads(msg.data)
        except ValueError:
            raise JetStreamError(f"the server's answer to {subject} is not JSON",
                                 operation=op, hint="Raw API requests answer JSON; for direct "
                                 "gets use lab.api('DIRECT.GET.<stream>', {...}) or "
                                 "lab.get_msg(..., direct=True).") from None
        err = api_error(answer, op, context)
        if err is not None:
            raise err
        return answer

    async def paged(self, api: str, key: str, operation: str,
                    payload: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of a paged API answer (``*.NAMES``, ``*.LIST``), page after page."""
        out: list[Any] = []
        while True:
            answer = await self.request(api, {**(payload or {}), "offset": len(out)},
                                        operation=operation)
            page = answer.get(key) or []
            out.extend(page)
            if not page or len(out) >= (answer.get("total") or 0):
                return out

    async def direct_get(self, stream: str, request: Mapping[str, Any], *,
                         operation: str = "") -> list[Any]:
        """A DIRECT.GET: every message of the answer (one, or a batch up to end-of-batch).

        Returns nats-py messages (headers carry Nats-Sequence, Nats-Subject, Nats-Time-Stamp).
        A missing message raises MessageNotFoundError; a batch with nothing left returns [].
        """
        op = operation or f"direct get from {stream}"
        ctx = {"stream": stream, **{k: v for k, v in request.items() if k in ("seq",)}}
        subject = self.api_subject(f"DIRECT.GET.{stream}")
        data = _json(request, op)
        if not ("batch" in request or "multi_last" in request):
            msg = await self.request_msg(subject, data, operation=op, context=ctx,
                                         no_responders=lambda: _no_direct(stream, op))
            err = None if "Nats-Sequence" in (msg.headers or {}) else status_error(
                msg.headers, op, ctx)
            if err is not None:
                raise err
            return [msg]
        inbox = self.nc.new_inbox()
        queue: asyncio.Queue = asyncio.Queue()

        async def on_msg(msg: Any) -> None:
            queue.put_nowait(msg)

        sub = await self.guard(self.nc.subscribe(inbox, cb=on_msg), op)
        out: list[Any] = []
        try:
            await self.guard(self.nc.publish(subject, data, reply=inbox), op)
            while True:
                msg = await self.guard(asyncio.wait_for(queue.get(), self.timeout), op, ctx)
                headers = msg.headers or {}
                # A stored message may carry its own header named "Status": only the server's
                # status messages lack a sequence.
                if "Nats-Sequence" in headers:
                    out.append(msg)
                    continue
                status = headers.get("Status")
                if status in ("204", "404"):
                    return out
                err = status_error(headers, op, ctx)
                if err is not None:
                    raise err
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    def note_stored(self) -> None:
        """A publish was just acknowledged (see ``Deliveries.settle``)."""
        self.last_stored = time.monotonic()

    def published(self, subject: str, outcome: Any) -> None:
        """Tell the ``on_publish`` callbacks how one publish ended (their errors are ignored)."""
        for cb in list(self.on_publish):
            with contextlib.suppress(Exception):
                cb(subject, outcome)

    # ------------------------------------------------------------------ typed calls (nats-py)
    async def settled(self, coro: Awaitable[T]) -> T:
        """Await ``coro`` once the plain acks sent so far are processed (true numbers)."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        await self.deliveries.settle()
        return await coro


def _json(payload: Any, operation: str) -> bytes:
    try:
        return json.dumps(payload, allow_nan=False).encode()
    except (TypeError, ValueError) as e:
        raise ValidationError(
            f"the request payload for {operation} is not JSON: {e}. Pass a dict of str, "
            "numbers, lists and dicts (no NaN or infinity), e.g. {'seq': 1}."
        ) from None


def _no_jetstream(operation: str) -> JslabError:
    return JetStreamNotEnabledError(
        "nobody answered the JetStream API request", status=503, operation=operation,
        hint="JetStream is not enabled on this server or account, the API prefix or domain is "
        "wrong, or the subject is not a JetStream API subject. Check the account's JetStream "
        "limits (lab.account_info()) and the domain given to jslab.connect.",
    )


def _no_direct(stream: str, operation: str) -> JslabError:
    return JetStreamError(
        f"nobody answered a direct get on {stream}", status=503, operation=operation,
        hint="Direct gets are answered only when the stream allows them: create it with "
        "allow_direct=True (lab.update_stream(stream, allow_direct=True)), or read with "
        "lab.get_msg(stream, seq) (STREAM.MSG.GET), which always works.",
    )

