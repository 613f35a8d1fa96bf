"""pandas DataFrames of what a server holds: stored messages, streams, consumers.

Reading messages never changes the server. Which path is used depends on the stream:

- limits retention: an ephemeral pull consumer with ``ack_policy=none`` and in-memory state,
  deleted afterwards. Delivering from such a consumer removes nothing and nobody else sees it
  (the fastest path: no per-message headers to parse).
- work-queue and interest retention: a consumer there is refused or changes what the stream
  keeps, so messages are read by batched direct get (``$JS.API.DIRECT.GET``, when the stream
  allows direct access) or by pipelined ``STREAM.MSG.GET`` requests.

    >>> df = messages_frame(lab.session, "ORDERS", subject="orders.eu.>", limit=1000)
    >>> df[["seq", "subject", "data"]].head()
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as _dt
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from . import formatting, names
from .errors import (
    JetStreamError,
    JslabError,
    JslabTimeoutError,
    MessageNotFoundError,
    ValidationError,
)
from .messages import _JSON_START, decode_payload, parse_header_block
from .progress import Progress
from .session import api_error, status_error

__all__ = ["consumers_frame", "messages_frame", "streams_frame"]

MESSAGE_COLUMNS = ("seq", "subject", "time", "size", "headers", "data")
STREAM_COLUMNS = ("name", "subjects", "retention", "storage", "messages", "bytes", "first_seq",
                  "last_seq", "consumers", "limits")
CONSUMER_COLUMNS = ("name", "durable", "type", "filter", "ack_policy", "deliver_policy",
                    "ack_floor", "delivered", "ack_pending", "redelivered", "waiting",
                    "unprocessed", "paused")

CHUNK = 20_000  # messages per round trip from the notebook thread (progress, Ctrl-C)
CHUNK_BYTES = 32 * 1024 * 1024  # stays well under nats-py's 128 MiB per-subscription buffer
MSG_GET_WINDOW = 2_000  # STREAM.MSG.GET requests in flight at once
PROGRESS_FROM = 50_000  # show a progress line for reads at least this big
# Headers a direct get adds to every answer; the message's own headers are the rest.
_DIRECT_HEADERS = frozenset({
    "Nats-Stream", "Nats-Subject", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Num-Pending",
    "Nats-Last-Sequence", "Nats-UpTo-Sequence",
})


# ---------------------------------------------------------------------------------------------
# readers: each runs on the lab's loop thread, one chunk per call


class _Rows:
    """Column lists filled by a reader (cheaper than one dict per message)."""

    def __init__(self) -> None:
        self.seq: list[int] = []
        self.subject: list[str] = []
        self.time: list[Any] = []  # int ns (consumer) or RFC3339 str (gets)
        self.raw: list[bytes] = []
        self.headers: list[dict | None] = []

    def __len__(self) -> int:
        return len(self.seq)


class _ConsumerReader:
    """An ephemeral pull consumer, ack none, memory storage: the fast path (limits streams)."""

    method = "consumer"

    def __init__(self, session, stream: str, subject: str | None,
                 start: int | _dt.datetime | None, rows: _Rows) -> None:
        self.session, self.nc = session, session.nc
        self.stream, self.subject, self.start, self.rows = stream, subject, start, rows
        self.name: str | None = None
        self.remaining = 0
        self.sub = None
        self.done = False
        self._batch_end: asyncio.Future | None = None
        self._want = 0

    async def open(self) -> int:
        config: dict[str, Any] = {
            "ack_policy": "none", "mem_storage": True, "num_replicas": 1,
            "inactive_threshold": 30_000_000_000,  # backstop if close() never runs: 30 s
            "deliver_policy": "all", "replay_policy": "instant",
        }
        if isinstance(self.start, _dt.datetime):
            config["deliver_policy"] = "by_start_time"
            config["opt_start_time"] = _rfc3339(self.start)
        elif self.start is not None:
            config["deliver_policy"] = "by_start_sequence"
            config["opt_start_seq"] = self.start
        if self.subject:
            config["filter_subject"] = self.subject
        self.inbox = self.nc.new_inbox()
        self.sub = await self.nc.subscribe(self.inbox, cb=self._on_msg)
        info = await self.session.request(f"CONSUMER.CREATE.{self.stream}",
                                          {"stream_name": self.stream, "config": config},
                                          operation=f"read {self.stream}",
                                          context={"stream": self.stream})
        self.name = info["name"]
        self.remaining = int(info.get("num_pending", 0))
        self.done = self.remaining == 0
        return self.remaining

    async def _on_msg(self, msg) -> None:
        reply = msg.reply
        if not reply:
            # A status: 404/408 (nothing more now), 409 (batch or byte limit reached).
            if self._batch_end is not None and not self._batch_end.done():
                self._batch_end.set_result(None)
            return
        t = reply.split(".")
        if len(t) == 9:  # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
            seq, ts, pending = t[5], t[7], t[8]
        else:  # v2 subject with domain and account hash
            seq, ts, pending = t[7], t[9], t[10]
        rows = self.rows
        rows.seq.append(int(seq))
        rows.subject.append(msg.subject)
        rows.time.append(int(ts))
        rows.raw.append(msg.data)
        rows.headers.append(msg.headers)
        self._want -= 1
        if (self._want <= 0 or pending == "0") and self._batch_end and not self._batch_end.done():
            self.remaining = int(pending)
            self._batch_end.set_result(None)

    async def chunk(self, n: int) -> None:
        self._want = n
        self._batch_end = asyncio.get_running_loop().create_future()
        before = len(self.rows)
        request = {"batch": n, "max_bytes": CHUNK_BYTES, "no_wait": True}
        await self.nc.publish(
            self.session.api_subject(f"CONSUMER.MSG.NEXT.{self.stream}.{self.name}"),
            json.dumps(request).encode(), reply=self.inbox)
        await self.session.guard(asyncio.wait_for(self._batch_end, self.session.timeout),
                                 f"read {self.stream}")
        if len(self.rows) == before or self.remaining == 0:
            self.done = True

    async def close(self) -> None:
        if self.sub is not None:
            await self.sub.unsubscribe()
            self.sub = None
        if self.name is not None:
            name, self.name = self.name, None
            with contextlib.suppress(JslabError):  # it expires after its inactive threshold
                await self.session.request(f"CONSUMER.DELETE.{self.stream}.{name}",
                                           operation=f"read {self.stream}")


class _DirectGetReader:
    """Batched direct gets (server >= 2.11, stream with allow_direct): no consumer at all."""

    method = "direct_get"

    def __init__(self, session, stream: str, subject: str | None, start: int, last_seq: int,
                 rows: _Rows) -> None:
        self.session, self.nc = session, session.nc
        self.stream, self.subject, self.rows = stream, subject, rows
        self.next_seq, self.last_seq = start, last_seq
        self.done = start > last_seq
        self.sub = None

    async def open(self) -> None:
        self.inbox = self.nc.new_inbox()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.sub = await self.nc.subscribe(self.inbox, cb=self._on_msg)

    async def _on_msg(self, msg) -> None:
        headers = msg.headers or {}
        status = headers.get("Status")
        if status:
            self.queue.put_nowait((status, headers.get("Description", "")))
            return
        seq = int(headers["Nats-Sequence"])
        if seq > self.last_seq:
            return
        rows = self.rows
        rows.seq.append(seq)
        rows.subject.append(headers["Nats-Subject"])
        rows.time.append(headers["Nats-Time-Stamp"])
        rows.raw.append(msg.data)
        own = {k: v for k, v in headers.items() if k not in _DIRECT_HEADERS}
        rows.headers.append(own or None)

    async def chunk(self, n: int) -> None:
        before = len(self.rows)
        request: dict[str, Any] = {"seq": self.next_seq, "batch": n, "max_bytes": CHUNK_BYTES}
        if self.subject:
            request["next_by_subj"] = self.subject
        await self.nc.publish(self.session.api_subject(f"DIRECT.GET.{self.stream}"),
                              json.dumps(request).encode(), reply=self.inbox)
        status, description = await self.session.guard(
            asyncio.wait_for(self.queue.get(), self.session.timeout),
            f"direct get from {self.stream}")
        if status not in ("204", "404"):
            raise status_error({"Status": status, "Description": description},
                               f"direct get from {self.stream}", {"stream": self.stream})
        got = len(self.rows) - before
        if got:
            self.next_seq = self.rows.seq[-1] + 1
        if status == "404" or got == 0 or self.next_seq > self.last_seq:
            self.done = True

    async def close(self) -> None:
        if self.sub is not None:
            await self.sub.unsubscribe()
            self.sub = None


class _MsgGetReader:
    """Pipelined ``STREAM.MSG.GET`` by sequence: works on every stream and server version."""

    method = "msg_get"

    def __init__(self, session, stream: str, subject: str | None, start: int, last_seq: int,
                 rows: _Rows, *, sequential: bool) -> None:
        self.session, self.nc = session, session.nc
        self.stream, self.subject, self.rows = stream, subject, rows
        self.next_seq, self.last_seq = start, last_seq
        # Few matches in a long stream: ask the server for the next match, one at a time.
        self.sequential = sequential
        self.done = start > last_seq
        self.sub = None

    async def open(self) -> None:
        self.inbox = self.nc.new_inbox()
        self.sub = await self.nc.subscribe(self.inbox + ".*", cb=self._on_msg)
        self.answers: dict[int, bytes] = {}
        self.all_in: asyncio.Event = asyncio.Event()
        self.expected = 0

    async def _on_msg(self, msg) -> None:
        self.answers[int(msg.subject.rsplit(".", 1)[1])] = msg.data
        if len(self.answers) >= self.expected:
            self.all_in.set()

    async def _get(self, seqs: Iterable[int], extra: Mapping[str, Any]) -> dict[int, bytes]:
        self.answers = {}
        self.all_in.clear()
        seqs = list(seqs)
        self.expected = len(seqs)
        subject = self.session.api_subject(f"STREAM.MSG.GET.{self.stream}")
        for s in seqs:
            await self.nc.publish(subject, json.dumps({"seq": s, **extra}).encode(),
                                  reply=f"{self.inbox}.{s}")
        await self.session.guard(asyncio.wait_for(self.all_in.wait(), self.session.timeout),
                                 f"get messages from {self.stream}")
        return self.answers

    def _add(self, answer: bytes) -> int | None:
        body = json.loads(answer)
        err = body.get("error")
        if err:
            if err.get("err_code") == 10037 or err.get("code") == 404:
                return None  # deleted, expired or acked away: a gap, not an error
            raise api_error(body, f"get messages from {self.stream}", {"stream": self.stream})
        m = body["message"]
        if self.subject and not names.subject_matches(self.subject, m["subject"]):
            return None
        rows = self.rows
        rows.seq.append(m["seq"])
        rows.subject.append(m["subject"])
        rows.time.append(m.get("time"))
        rows.raw.append(base64.b64decode(m.get("data") or b""))
        rows.headers.append(parse_header_block(base64.b64decode(m["hdrs"])) if m.get("hdrs")
                            else None)
        return m["seq"]

    async def chunk(self, n: int) -> None:
        if self.sequential:
            for _ in range(n):
                answers = await self._get([self.next_seq], {"next_by_subj": self.subject})
                seq = self._add(answers[self.next_seq])
                if seq is None:
                    self.done = True
                    return
                self.next_seq = seq + 1
                if self.next_seq > self.last_seq:
                    self.done = True
                    return
            return
        hi = min(self.last_seq, self.next_seq + n - 1)
        for lo in range(self.next_seq, hi + 1, MSG_GET_WINDOW):
            answers = await self._get(range(lo, min(hi, lo + MSG_GET_WINDOW - 1) + 1), {})
            for s in sorted(answers):
                self._add(answers[s])
        self.next_seq = hi + 1
        self.done = self.next_seq > self.last_seq

    async def close(self) -> None:
        if self.sub is not None:
            await self.sub.unsubscribe()
            self.sub = None


# ---------------------------------------------------------------------------------------------
# public API


def messages_frame(session, stream: str, *, subject: str | None = None,
                   start: int | _dt.datetime | None = None,
                   limit: int | None = None) -> pd.DataFrame:
    """The stored messages of ``stream`` as a DataFrame, without changing the server.

    Columns: ``seq``, ``subject``, ``time`` (UTC), ``size`` (payload bytes), ``headers`` (dict
    or None) and ``data`` (JSON decoded to objects, other text to str, the rest bytes).
    ``subject`` filters (wildcards allowed), ``start`` is a sequence number or a datetime,
    ``limit`` caps the number of rows. ``df.attrs["method"]`` says how it was read.

        >>> df = messages_frame(lab.session, "ORDERS", limit=100)
        >>> df.groupby("subject").size()
    """
    session.check_open()
    names.check_stream_name(stream)
    if subject is not None:
        names.check_filter_subject(subject)
    if start is not None and isinstance(start, _dt.datetime) and start.tzinfo is None:
        start = start.astimezone()  # naive datetimes are local time, like datetime.now()
    if start is not None and not isinstance(start, _dt.datetime) and (
            isinstance(start, bool) or not isinstance(start, int) or start < 1):
        raise ValidationError(f"start is a sequence number >= 1 or a datetime, not {start!r}.")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationError(f"limit is a number of messages >= 0, not {limit!r}.")

    info = session.call(session.request(f"STREAM.INFO.{stream}", operation=f"stream info {stream}",
                                        context={"stream": stream}))
    cfg, state = info.get("config") or {}, info.get("state") or {}
    first, last = int(state.get("first_seq", 0)), int(state.get("last_seq", 0))
    rows = _Rows()
    t0 = time.perf_counter()
    method = "none"
    if state.get("messages", 0) and limit != 0:
        method = _read(session, stream, cfg, first, last, int(state.get("messages", 0)), subject,
                       start, limit, rows)
    elapsed = time.perf_counter() - t0
    df = _frame(rows, limit)
    df.attrs["method"] = method
    df.attrs["seconds"] = elapsed
    return df


def _read(session, stream: str, cfg: Mapping[str, Any], first: int, last: int, messages: int,
          subject: str | None, start: Any, limit: int | None, rows: _Rows) -> str:
    begin = first if start is None or isinstance(start, _dt.datetime) else max(start, first)
    if isinstance(start, _dt.datetime):
        begin = session.call(_first_seq_at(session, stream, start, last))
    readers: list[Any] = []
    if cfg.get("retention", "limits") == "limits":
        readers.append(lambda: _ConsumerReader(session, stream, subject, start, rows))
    if cfg.get("allow_direct") and (session.version or (0, 0, 0)) >= (2, 11, 0):
        readers.append(lambda: _DirectGetReader(session, stream, subject, begin, last, rows))

    matching: list[int] = []  # messages on ``subject``, asked for once when needed

    def count_matching() -> int:
        if not matching:
            matching.append(session.call(_count_matching(session, stream, subject)))
        return matching[0]

    def msg_get():
        sequential = False
        if subject:
            # Scanning costs ~1/40k s per sequence, asking for the next match ~1/8k s per match.
            sequential = count_matching() * 5 < last - begin + 1
        return _MsgGetReader(session, stream, subject, begin, last, rows, sequential=sequential)

    readers.append(msg_get)

    for i, make in enumerate(readers):
        reader = make()
        try:
            expected = session.call(reader.open())
        except (JetStreamError, JslabTimeoutError):
            with contextlib.suppress(JslabError):
                session.call(reader.close())
            if i == len(readers) - 1:
                raise
            # e.g. the stream's consumer limit is reached, or (in a cluster) the server picked
            # for the temporary consumer is down and never answers: read without one
            continue
        if expected is None:
            expected = max(0, min(messages, last - begin + 1))
            if subject:
                expected = min(expected, count_matching())
        total = expected if limit is None else min(limit, expected)
        bar = Progress(total, f"reading {stream}") if total >= PROGRESS_FROM else None
        try:
            while not reader.done and (limit is None or len(rows) < limit):
                n = CHUNK if limit is None else min(CHUNK, limit - len(rows))
                session.call(reader.chunk(n), timeout=session.timeout * 4 + CHUNK / 2000)
                if bar:
                    bar.update(min(len(rows), total))
        finally:
            # Also after Ctrl-C: the temporary consumer goes, the subscription ends.
            if bar:
                bar.close()
            if not session.closed:
                with contextlib.suppress(JslabError):
                    session.call(reader.close())
        replicated = int(cfg.get("num_replicas") or 1) > 1
        if replicated and limit is None and start is None and i < len(readers) - 1 and len(
                rows) < (count_matching() if subject else messages):
            # Fewer than the stream holds: in a cluster the temporary consumer may sit on a
            # replica that is still catching up. Read again another way.
            for column in (rows.seq, rows.subject, rows.time, rows.raw, rows.headers):
                column.clear()
            continue
        return reader.method
    raise AssertionError("unreachable: the last reader raises or returns")


async def _count_matching(session, stream: str, subject: str) -> int:
    info = await session.request(f"STREAM.INFO.{stream}", {"subjects_filter": subject},
                                 operation=f"stream info {stream}", context={"stream": stream})
    state = info.get("state") or {}
    counts = state.get("subjects") or {}
    total = info.get("total", 0) or 0
    # Subject counts come in pages; past the first page an estimate is good enough here.
    return sum(counts.values()) * max(1, total // max(1, len(counts)))


async def _first_seq_at(session, stream: str, when: _dt.datetime, last: int) -> int:
    """The first stored sequence at or after ``when`` (last + 1 when there is none)."""
    try:
        answer = await session.request(f"STREAM.MSG.GET.{stream}", {"start_time": _rfc3339(when)},
                                       operation=f"find the first message after {when}",
                                       context={"stream": stream})
    except MessageNotFoundError:
        return last + 1
    return int(answer["message"]["seq"])


def _rfc3339(when: _dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.astimezone()  # naive datetimes are local time, like datetime.now()
    return when.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _decode_all(raw: list[bytes]) -> list[Any]:
    """``decode_payload`` for many payloads: the JSON case inlined (half the time per row)."""
    loads, out = json.loads, []
    append = out.append
    for r in raw:
        if r and r[0] in _JSON_START:
            try:
                append(loads(r.decode()))
                continue
            except ValueError:  # not UTF-8 or not JSON: the general rule decides
                pass
        append(decode_payload(r))
    return out


def _frame(rows: _Rows, limit: int | None) -> pd.DataFrame:
    n = len(rows) if limit is None else min(limit, len(rows))
    times = rows.time[:n]
    if times and isinstance(times[0], int):
        when = pd.to_datetime(pd.Series(times, dtype="int64"), unit="ns", utc=True)
    else:
        when = pd.to_datetime(pd.Series(times, dtype="object"), utc=True, format="ISO8601")
    raw = rows.raw[:n]
    df = pd.DataFrame({
        "seq": pd.Series(rows.seq[:n], dtype="int64"),
        "subject": pd.Series(rows.subject[:n], dtype="object"),
        "time": when.astype("datetime64[ns, UTC]"),
        "size": pd.Series([len(r) for r in raw], dtype="int64"),
        "headers": pd.Series(rows.headers[:n], dtype="object"),
        "data": pd.Series(_decode_all(raw), dtype="object"),
    }, columns=list(MESSAGE_COLUMNS))
    return df


# ---------------------------------------------------------------------------------------------
# streams and consumers


def streams_frame(session) -> pd.DataFrame:
    """One row per stream, sorted by name; no timestamps (safe to compare run to run).

        >>> streams_frame(lab.session)[["name", "messages", "consumers"]]
    """
    session.check_open()
    infos = session.call(session.settled(session.paged("STREAM.LIST", "streams",
                                                       "list streams")))
    out = []
    for info in sorted(infos, key=lambda i: (i.get("config") or {}).get("name", "")):
        cfg, state = info.get("config") or {}, info.get("state") or {}
        out.append((
            cfg.get("name", ""), ", ".join(cfg.get("subjects") or ()),
            cfg.get("retention", "limits"), cfg.get("storage", "file"),
            int(state.get("messages", 0)), int(state.get("bytes", 0)),
            int(state.get("first_seq", 0)), int(state.get("last_seq", 0)),
            int(state.get("consumer_count", 0)), _limits(cfg),
        ))
    return _table(out, STREAM_COLUMNS, ints=("messages", "bytes", "first_seq", "last_seq",
                                             "consumers"))


def consumers_frame(session, stream: str) -> pd.DataFrame:
    """One row per consumer of ``stream``, sorted by name; positions are stream sequences.

        >>> consumers_frame(lab.session, "ORDERS")[["name", "ack_floor", "unprocessed"]]
    """
    session.check_open()
    names.check_stream_name(stream)
    infos = session.call(session.settled(session.paged(
        f"CONSUMER.LIST.{stream}", "consumers", f"list consumers of {stream}")))
    out = []
    for info in sorted(infos, key=lambda i: i.get("name", "")):
        cfg = info.get("config") or {}
        filters = cfg.get("filter_subjects") or ([cfg["filter_subject"]]
                                                 if cfg.get("filter_subject") else [])
        out.append((
            info.get("name", ""), bool(cfg.get("durable_name")),
            "push" if cfg.get("deliver_subject") else "pull",
            ", ".join(filters) or "all subjects",
            cfg.get("ack_policy", "none"), cfg.get("deliver_policy", "all"),
            int((info.get("ack_floor") or {}).get("stream_seq", 0)),
            int((info.get("delivered") or {}).get("stream_seq", 0)),
            int(info.get("num_ack_pending", 0)), int(info.get("num_redelivered", 0)),
            int(info.get("num_waiting", 0)), int(info.get("num_pending", 0)),
            bool(info.get("paused", False)),
        ))
    return _table(out, CONSUMER_COLUMNS, ints=("ack_floor", "delivered", "ack_pending",
                                               "redelivered", "waiting", "unprocessed"))


def _table(rows: list[tuple], columns: tuple[str, ...], *, ints: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    for c in ints:
        df[c] = df[c].astype("int64")
    for c in columns:
        if df[c].dtype == object and not len(df):
            df[c] = df[c].astype(bool if c in ("durable", "paused") else object)
    return df


def _limits(cfg: Mapping[str, Any]) -> str:
    """The limits a stream sets, as one short deterministic string ("none" when unlimited)."""
    items = formatting.limit_items({
        "max_msgs": cfg.get("max_msgs"), "max_msgs_per_subject": cfg.get("max_msgs_per_subject"),
        "max_bytes": cfg.get("max_bytes"), "max_msg_size": cfg.get("max_msg_size"),
        "max_age": (cfg.get("max_age") or 0) / 1e9,
    })
    parts = [f"{'per_subject' if k == 'max_msgs_per_subject' else k}={v}" for k, v in items]
    if parts and cfg.get("discard", "old") == "new":
        parts.append("discard=new")
    return " ".join(parts) or "none"
