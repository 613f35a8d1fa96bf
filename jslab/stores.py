"""Key-value buckets and object stores: synchronous wrappers over nats-py's.

Both are streams underneath (``KV_<bucket>``, ``OBJ_<bucket>``): ``lab.snapshot(kv.stream)``
draws one like any other stream.

    >>> kv = lab.create_kv("config", history=5)
    >>> kv.put("color", "blue")
    1
    >>> kv.get("color").data
    'blue'
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import queue
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nats.js import api
from nats.js import errors as js_errors

from . import arguments, names
from .errors import JslabTypeError, MessageNotFoundError, ValidationError
from .messages import check_headers, decode_payload, encode_payload
from .pull import PullFetcher

if TYPE_CHECKING:  # pragma: no cover
    from .lab import Lab

__all__ = ["KeyValue", "KvEntry", "ObjectStore"]

_KEY_RE = re.compile(r"^[-/_=.a-zA-Z0-9>*]+$")


def _value(value: Any) -> bytes:
    try:
        return encode_payload(value)
    except (ValidationError, JslabTypeError) as e:
        raise type(e)(f"value: {e}") from None


def _check_key(key: Any, *, wildcards: bool = False) -> str:
    return names.check_kv_key(key, wildcards=wildcards)


@dataclass(frozen=True)
class KvEntry:
    """One revision of a key."""

    bucket: str
    key: str
    raw: bytes | None
    revision: int
    operation: str  # "PUT", "DEL" or "PURGE"
    delta: int | None = None

    @property
    def data(self) -> Any:
        return None if self.raw is None else decode_payload(self.raw)

    def __repr__(self) -> str:
        op = "" if self.operation == "PUT" else f" {self.operation}"
        value = "" if self.operation != "PUT" else f" {self.data!r}"
        return f"<KvEntry {self.bucket}/{self.key} rev {self.revision}{op}{value}>"


def _entry(bucket: str, e: Any) -> KvEntry:
    return KvEntry(bucket, e.key, e.value, e.revision, e.operation or "PUT", e.delta)


# A marker the server wrote itself (2.11+, limit_marker_ttl) says why: an expired key reads as
# purged, a removed one as deleted (as nats.go reads them).
_MARKER_OPERATION = {"MaxAge": "PURGE", "Purge": "PURGE", "Remove": "DEL"}


def _operation(headers: dict[str, str] | None) -> str:
    headers = headers or {}
    op = headers.get("KV-Operation")
    if op:
        return op
    return _MARKER_OPERATION.get(headers.get("Nats-Marker-Reason", ""), "PUT")


def _stored_entry(bucket: str, msg: Any) -> KvEntry:
    meta = msg.metadata
    key = msg.subject.split(".", 2)[2]  # $KV.<bucket>.<key>
    return KvEntry(bucket, key, msg.data, meta.sequence.stream, _operation(msg.headers),
                   meta.num_pending)


class _Watch:
    """Updates from a watcher, queued for the notebook thread (``next()``, iteration)."""

    def __init__(self, lab: Lab, stream: str, convert) -> None:
        self._lab = lab
        self._stream = stream
        self._queue: queue.Queue = queue.Queue()
        self._convert = convert
        self._watcher: Any = None
        self._task: Any = None

    async def _run(self, watcher: Any) -> None:
        self._watcher = watcher
        async for update in watcher:
            if update is not None:
                self._queue.put(self._convert(update))

    def next(self, timeout: float = 1.0) -> Any:
        try:
            return self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None

    def __iter__(self):
        while True:
            u = self.next(0)
            if u is None:
                return
            yield u

    def stop(self) -> None:
        """Stop the updates (queued ones stay readable). Safe to call twice."""
        watcher, task, self._watcher, self._task = self._watcher, self._task, None, None
        if self._lab.closed:
            return

        session = self._lab.session

        async def end() -> None:
            if watcher is not None:
                # nats-py stops reading but leaves its consumer for minutes: delete it too.
                name = None
                with contextlib.suppress(Exception):  # its consumer may be gone already
                    name = (await watcher._sub.consumer_info()).name
                with contextlib.suppress(Exception):
                    await watcher.stop()
                if name:
                    with contextlib.suppress(Exception):
                        await session.request(f"CONSUMER.DELETE.{self._stream}.{name}")
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

        self._lab.session.call(end())


def _check_config(config: dict[str, Any], kind: type, what: str) -> None:
    """Refuse unknown fields and bad values (before any request); storage may be a string."""
    fields = {f.name for f in dataclasses.fields(kind)} - {"bucket"}
    unknown = set(config) - fields
    if unknown:
        raise ValidationError(
            f"{what} has no field(s) {sorted(unknown)}; fields are {sorted(fields)}."
        )
    for key in ("ttl", "limit_marker_ttl"):
        if config.get(key) is not None:
            config[key] = arguments.seconds(key, config[key], maximum=None)
    for key in ("max_bytes", "max_value_size"):
        if config.get(key) is not None:
            config[key] = arguments.count(key, config[key], minimum=1, unlimited=-1)
    if "replicas" in config:
        config["replicas"] = arguments.count("replicas", config["replicas"], minimum=1,
                                             maximum=5)
    if "history" in config:
        config["history"] = arguments.count("history", config["history"], minimum=1,
                                            maximum=64, why="revisions kept per key")
    if config.get("description") is not None and not isinstance(config["description"], str):
        raise JslabTypeError(f"description is a str, not {config['description']!r}.")
    if config.get("direct") is not None and not isinstance(config["direct"], bool):
        raise JslabTypeError(f"direct is True or False, not {config['direct']!r}.")
    if isinstance(config.get("storage"), str):
        try:
            config["storage"] = api.StorageType(config["storage"].lower())
        except ValueError:
            raise ValidationError(
                f"storage={config['storage']!r} is not 'file' or 'memory'."
            ) from None


class _Bucket:
    """What a KV bucket and an object store share: a stream underneath, guarded calls."""

    prefix = ""  # the stream name is prefix + bucket
    kind = ""  # how errors name it
    timeout: float | None = None  # per call; None = the lab's default

    def __init__(self, lab: Lab, bucket: str, handle: Any) -> None:
        self._lab = lab
        self.bucket = bucket
        self._h = handle  # nats-py's KeyValue / ObjectStore, living on the loop thread

    @property
    def stream(self) -> str:
        """The stream holding this bucket."""
        return f"{self.prefix}{self.bucket}"

    @classmethod
    def _open(cls, lab: Lab, bucket: str, coro: Any, verb: str) -> Any:
        s = lab.session
        handle = s.call(s.guard(coro, f"{verb} {cls.kind} {bucket}",
                                {"stream": f"{cls.prefix}{bucket}"}))
        return cls(lab, bucket, handle)

    def _run(self, coro: Any, op: str) -> Any:
        s = self._lab.session
        if s.closed:
            coro.close()  # never started: no "coroutine was never awaited" warning
            s.check_open()
        return s.call(s.guard(coro, f"{self.kind} {self.bucket}: {op}", {"stream": self.stream}),
                      timeout=self.timeout)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.bucket} (stream {self.stream})>"

    async def _read(self, subjects: str, deliver_policy: str, *,
                    headers_only: bool = False) -> list[Any]:
        """Every message on ``subjects`` stored when the read starts, in stream order.

        One short-lived consumer, deleted at the end (it would expire after a minute anyway):
        the count to read comes from the server's answer to its creation, so the read cannot
        end early (nats-py's ordered readers race their own "no more" marker on a busy
        machine) and no consumer is left on the bucket's stream.
        """
        s = self._lab.session
        name = f"jslab-read-{secrets.token_hex(6)}"
        op = f"read {subjects}"
        ctx = {"stream": self.stream, "consumer": name}
        config = {"name": name, "deliver_policy": deliver_policy, "ack_policy": "none",
                  "filter_subject": subjects, "headers_only": headers_only,
                  "mem_storage": True, "num_replicas": 1, "inactive_threshold": 60 * 10**9}
        created = await s.request(f"CONSUMER.CREATE.{self.stream}.{name}",
                                  {"stream_name": self.stream, "config": config,
                                   "action": "create"}, operation=op, context=ctx)
        left = int(created.get("num_pending") or 0)
        fetcher = PullFetcher(s.nc, self.stream, name, s.prefix)
        out: list[Any] = []
        try:
            while left > 0:
                got = await fetcher.fetch(min(left, 1000), wait=1.0)
                if not got:  # removed meanwhile (a limit, a TTL): what is left is all there is
                    break
                out.extend(got)
                left -= len(got)
        finally:
            await fetcher.close()
            with contextlib.suppress(Exception):  # gone already, or the connection is: it expires
                await s.request(f"CONSUMER.DELETE.{self.stream}.{name}", operation=op,
                                context=ctx)
        return out


class KeyValue(_Bucket):
    """A key-value bucket. Values may be bytes, str or JSON-able objects."""

    prefix = "KV_"
    kind = "kv"

    @classmethod
    def _create(cls, lab: Lab, bucket: str, config: dict[str, Any]) -> KeyValue:
        _check_config(config, api.KeyValueConfig, "a key-value bucket")
        return cls._open(lab, bucket, lab.session.js.create_key_value(bucket=bucket, **config),
                         "create")

    @classmethod
    def _bind(cls, lab: Lab, bucket: str) -> KeyValue:
        return cls._open(lab, bucket, lab.session.js.key_value(bucket), "open")

    def put(self, key: str, value: Any) -> int:
        """Set ``key``; returns the new revision (the stream sequence)."""
        _check_key(key)
        return self._run(self._h.put(key, _value(value)), f"put {key}")

    def create(self, key: str, value: Any, *, ttl: float | None = None) -> int:
        """Set ``key`` only if it does not exist (or was deleted); else WrongLastSequenceError.

        ``ttl`` (seconds, >= 1; nats-server 2.11+, a bucket made with ``limit_marker_ttl``) lets
        this one key expire on its own: the server then writes a marker (a lock with a lease).
        """
        _check_key(key)
        if ttl is not None:
            ttl = arguments.seconds("ttl", ttl, minimum=1, maximum=None)
        return self._run(self._h.create(key, _value(value), msg_ttl=ttl), f"create {key}")

    def update(self, key: str, value: Any, last: int) -> int:
        """Set ``key`` only if its latest revision is ``last`` (optimistic concurrency)."""
        _check_key(key)
        last = arguments.count("last", last, minimum=0, why="0: the key must not exist yet")
        return self._run(self._h.update(key, _value(value), last=last), f"update {key}")

    def get(self, key: str, revision: int | None = None) -> KvEntry | None:
        """The latest (or a given) revision of ``key``; None when missing or deleted."""
        _check_key(key)
        revision = arguments.count("revision", revision, minimum=1, allow_none=True)

        async def go() -> Any:
            try:
                return await self._h.get(key, revision=revision)
            except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError):
                return None

        e = self._run(go(), f"get {key}")
        return None if e is None else _entry(self.bucket, e)

    def delete(self, key: str) -> bool:
        """Delete ``key`` (leaves a delete marker; history stays until purged)."""
        _check_key(key)
        return self._run(self._h.delete(key), f"delete {key}")

    def purge(self, key: str) -> bool:
        """Delete ``key`` and its whole history (leaves one purge marker)."""
        _check_key(key)
        return self._run(self._h.purge(key), f"purge {key}")

    def keys(self) -> list[str]:
        """The keys whose latest entry is a value (not a delete or purge marker), sorted."""
        last = self._run(self._read(f"$KV.{self.bucket}.>", "last_per_subject",
                                    headers_only=True), "keys")
        return sorted(e.key for e in (_stored_entry(self.bucket, m) for m in last)
                      if e.operation == "PUT")

    def history(self, key: str) -> list[KvEntry]:
        """Every revision of ``key`` still stored, oldest first (markers included)."""
        _check_key(key)
        msgs = self._run(self._read(f"$KV.{self.bucket}.{key}", "all"), f"history {key}")
        if not msgs:
            raise MessageNotFoundError(
                f"no revisions of {key!r} are stored in bucket {self.bucket!r}",
                err_code=10037, operation=f"kv {self.bucket}: history {key}",
                context={"stream": self.stream})
        return [_stored_entry(self.bucket, m) for m in msgs]

    def watch(self, keys: str = ">", *, include_history: bool = False) -> _Watch:
        """Updates to ``keys`` (wildcards allowed) from now on, queued: ``w.next(timeout)``."""
        _check_key(keys, wildcards=True)
        arguments.flag("include_history", include_history)
        w = _Watch(self._lab, self.stream, lambda e: _entry(self.bucket, e))

        async def go() -> None:
            watcher = await self._h.watch(keys, include_history=include_history)
            import asyncio

            w._task = asyncio.ensure_future(w._run(watcher))

        self._run(go(), f"watch {keys}")
        return w

    def status(self) -> Any:
        return self._run(self._h.status(), "status")



class ObjectStore(_Bucket):
    """An object store bucket: large payloads split into chunks on a stream."""

    prefix = "OBJ_"
    kind = "object store"
    timeout = 60.0  # big objects take a while

    @classmethod
    def _create(cls, lab: Lab, bucket: str, config: dict[str, Any]) -> ObjectStore:
        _check_config(config, api.ObjectStoreConfig, "an object store")
        return cls._open(lab, bucket, lab.session.js.create_object_store(
            bucket, config=api.ObjectStoreConfig(bucket=bucket, **config)), "create")

    @classmethod
    def _bind(cls, lab: Lab, bucket: str) -> ObjectStore:
        return cls._open(lab, bucket, lab.session.js.object_store(bucket), "open")

    def put(self, name: str, data: Any, *, description: str | None = None,
            headers: dict[str, str] | None = None, chunk_size: int | None = None) -> Any:
        """Store ``data`` (bytes, str or JSON-able) under ``name``; returns its ObjectInfo."""
        if not isinstance(name, str) or not name:
            raise ValidationError(f"an object name is a non-empty str, not {name!r}.")
        if description is not None and not isinstance(description, str):
            raise JslabTypeError(f"description is a str, not {description!r}.")
        if headers is not None:
            if not isinstance(headers, dict):
                raise JslabTypeError(f"headers is a dict of str to str, not {headers!r}.")
            headers = check_headers(headers)
        chunk_size = arguments.count("chunk_size", chunk_size, minimum=1, allow_none=True,
                                     maximum=8 * 1024 * 1024)
        try:
            payload = encode_payload(data)
        except (ValidationError, JslabTypeError) as e:
            raise type(e)(f"data: {e}") from None
        meta = api.ObjectMeta(name=name, description=description, headers=headers)
        if chunk_size:
            meta.options = api.ObjectMetaOptions(max_chunk_size=chunk_size)
        return self._run(self._h.put(name, payload, meta=meta), f"put {name}")

    def get(self, name: str) -> bytes:
        """The object's bytes (raises ObjectNotFound-style errors with a hint when missing)."""
        result = self._run(self._h.get(name), f"get {name}")
        return result.data

    def info(self, name: str) -> Any:
        return self._run(self._h.get_info(name), f"info {name}")

    def list(self) -> list[Any]:
        """Every object's latest metadata (deleted ones too, with ``deleted`` True)."""
        last = self._run(self._read(f"$O.{self.bucket}.M.>", "last_per_subject"), "list")
        return [api.ObjectInfo.from_response(json.loads(m.data)) for m in last]

    def delete(self, name: str) -> Any:
        return self._run(self._h.delete(name), f"delete {name}")

    def seal(self) -> Any:
        """Make the bucket read-only (its stream becomes sealed)."""
        return self._run(self._h.seal(), "seal")

    def status(self) -> Any:
        return self._run(self._h.status(), "status")

    def watch(self, *, include_history: bool = False) -> _Watch:
        """Changes to objects' metadata from now on, queued: ``w.next(timeout)``."""
        arguments.flag("include_history", include_history)
        w = _Watch(self._lab, self.stream, lambda info: info)

        async def go() -> None:
            import asyncio

            watcher = await self._h.watch(include_history=include_history, updates_only=True)
            w._task = asyncio.ensure_future(w._run(watcher))

        self._run(go(), "watch")
        return w



