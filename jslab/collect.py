"""Build a `StreamSnapshot` from a live server with raw JetStream API requests.

nats-py's own stream info drops what the pictures need (first/last timestamps, per-subject
counts, deleted sequences), so this module asks ``$JS.API.*`` directly. A snapshot costs a
fixed number of requests whatever the stream's size; only the small detail window (the subject
of every sequence, for the tape) is read message by message, and never through a consumer,
because creating one changes what work-queue and interest streams keep.

    >>> snap = await collect_snapshot(lab.session, "ORDERS")
    >>> snap.consumer("shipping").unacked
    (4, 5)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .deliveries import ConsumerRecord
from .errors import JslabError, JslabTypeError, MessageNotFoundError, ValidationError
from .replicas import Replicas
from .snapshot import ConsumerSnapshot, StreamSnapshot

__all__ = ["TAIL", "check_window", "collect_snapshot", "parse_time"]

# Concurrent STREAM.MSG.GET requests in flight when direct get is not allowed.
_MSG_GET_CHUNK = 256
_ZERO_TIME = "0001-01-01T00:00:00Z"
#: Sequences whose subjects "auto" loads at the end of a stream too long to load whole.
TAIL = 200
#: Removed sequences left of the window whose remembered subjects a snapshot carries.
_REMOVED_LOOKBACK = 2000


def parse_time(value: str | None) -> datetime | None:
    """An aware UTC datetime from the server's RFC3339 time (nanoseconds cut to microseconds).

        >>> parse_time("2024-05-01T10:00:00.123456789Z")
        datetime.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    """
    if not value or value == _ZERO_TIME or value.startswith("0001-01-01"):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat takes at most 6 fraction digits; the server sends up to 9.
    date_part, sep, rest = text.partition(".")
    if sep:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        frac, tz = rest[:digits], rest[digits:]
        text = f"{date_part}.{(frac + '000000')[:6]}{tz}"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _seconds(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e9


async def _stream_info(session, stream: str) -> dict:
    """Stream info with every subject count and deleted sequence, all pages merged."""
    api = f"STREAM.INFO.{stream}"
    request = {"subjects_filter": ">", "deleted_details": True}
    op, ctx = f"stream info {stream}", {"stream": stream}
    info = await session.request(api, request, operation=op, context=ctx)
    state = info.setdefault("state", {})
    subjects = dict(state.get("subjects") or {})
    total = info.get("total", 0) or 0
    # Per-subject counts come in pages (the server caps them at 100,000 per answer).
    while subjects and len(subjects) < total:
        page = await session.request(api, {**request, "offset": len(subjects)}, operation=op,
                                     context=ctx)
        more = (page.get("state") or {}).get("subjects") or {}
        if not more:
            break
        subjects.update(more)
    state["subjects"] = subjects
    return info


async def _subjects_by_direct_get(session, stream: str, lo: int, hi: int) -> dict[int, str]:
    """Subjects of stored seqs lo..hi, read with batched direct gets (server >= 2.11).

    A batch answer is one message per stored sequence (deleted ones are skipped by the
    server), then end-of-batch; a batch may end early (the server caps its bytes).
    """
    found: dict[int, str] = {}
    start = lo
    while start <= hi:
        msgs = await session.direct_get(stream, {"seq": start, "batch": hi - start + 1})
        last = start - 1
        for msg in msgs:
            seq = int(msg.headers["Nats-Sequence"])
            if seq <= hi:
                found[seq] = msg.headers["Nats-Subject"]
            last = max(last, seq)
        if last < start:
            break
        start = last + 1
    return found


async def _subjects_by_msg_get(session, stream: str, seqs: list[int]) -> dict[int, str]:
    """Subjects of the given seqs through STREAM.MSG.GET, pipelined in chunks."""

    async def one(seq: int) -> tuple[int, str | None]:
        try:
            answer = await session.request(f"STREAM.MSG.GET.{stream}", {"seq": seq},
                                           operation=f"get message {seq} from {stream}",
                                           context={"stream": stream, "seq": seq})
        except MessageNotFoundError:
            return seq, None  # gone since the stream info was read (acked away, expired)
        return seq, answer["message"]["subject"]

    found: dict[int, str] = {}
    for i in range(0, len(seqs), _MSG_GET_CHUNK):
        for seq, subject in await asyncio.gather(*map(one, seqs[i : i + _MSG_GET_CHUNK])):
            if subject is not None:
                found[seq] = subject
    return found


def check_window(window: Any) -> tuple[int, int] | str | None:
    """``"auto"``, None, or a (first, last) pair of sequence numbers; anything else refused."""
    if window is None or (isinstance(window, str) and window == "auto"):
        return window
    if isinstance(window, (str, bytes)) or not hasattr(window, "__len__") or len(window) != 2:
        raise JslabTypeError(
            f"window={window!r} is not understood: pass 'auto', None, or a (first, last) pair "
            "of stream sequence numbers, e.g. window=(1, 50)."
        )
    lo, hi = window
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValidationError(
                f"window={window!r}: first and last are sequence numbers >= 0, e.g. (1, 50).")
    if lo > hi:
        raise ValidationError(f"window={window!r}: first ({lo}) is after last ({hi}).")
    return int(lo), int(hi)


def _resolve_window(window, first: int, last: int, messages: int, detail_limit: int,
                    batched: bool = False) -> tuple[int, int] | None:
    """The seqs whose subjects to load. "auto" is the whole stream when it spans at most
    ``detail_limit`` seqs; a longer one gets its last ``TAIL`` seqs only when they come in
    one batched direct get (never one request per message)."""
    window = check_window(window)
    if window is None or messages == 0 or last < first or detail_limit <= 0:
        return None
    if window == "auto":
        if last - first + 1 <= detail_limit:
            return first, last
        if not batched:
            return None
        return max(first, last - min(TAIL, detail_limit) + 1), last
    lo, hi = window
    lo, hi = max(lo, first), min(hi, last)
    hi = min(hi, lo + detail_limit - 1)
    return (lo, hi) if lo <= hi else None


def _pending_and_given_up(seen: Mapping[int, int], floor: int, delivered: int,
                          num_ack_pending: int, max_deliver: int | None
                          ) -> tuple[dict[int, int], dict[int, int]]:
    """Which of the deliveries the kit saw unanswered are still pending, which given up.

    The server counts pending acks but does not name them. A seq the kit saw delivered and
    did not answer is pending while the count leaves room for it; one delivered
    ``max_deliver`` times that the count no longer includes (or that sits at or below the ack
    floor) was given up by the server. When the count cannot tell, neither is claimed.
    """
    limit = max_deliver if max_deliver and max_deliver > 0 else None
    open_ = {s: n for s, n in seen.items() if floor < s <= delivered}
    spent = {s: n for s, n in open_.items() if limit is not None and n >= limit}
    rest = {s: n for s, n in open_.items() if s not in spent}
    below = {s: n for s, n in seen.items()
             if s <= floor and limit is not None and n >= limit}
    if num_ack_pending >= len(open_):
        return open_, below
    if num_ack_pending == len(rest):
        return rest, {**below, **spent}
    if num_ack_pending == 0:  # nothing pending: answered elsewhere, or given up
        return {}, {**below, **spent}
    if num_ack_pending > len(rest):  # some of the spent ones are still pending: which is open
        return rest, below
    return {}, below  # some were answered elsewhere: which ones is not known


def _replicas(info: dict) -> Replicas | None:
    """Where a stream or consumer lives in a cluster (None on a server outside a cluster)."""
    group = Replicas.from_info(info.get("cluster"))
    return group if group is not None and (group.replicated or group.cluster) else None


def _consumer(info: dict, seen: Mapping[int, int] | None, rec: ConsumerRecord | None,
              start: tuple[int | None, str]) -> ConsumerSnapshot:
    cfg = info.get("config") or {}
    delivered = info.get("delivered") or {}
    floor = info.get("ack_floor") or {}
    filters = cfg.get("filter_subjects") or ([cfg["filter_subject"]]
                                             if cfg.get("filter_subject") else [])
    floor_seq = floor.get("stream_seq", 0)
    delivered_seq = delivered.get("stream_seq", 0)
    ack_policy = cfg.get("ack_policy", "none")
    num_ack_pending = info.get("num_ack_pending", 0)
    if ack_policy == "none":
        pending, given_up = {}, {}
    else:
        pending, given_up = _pending_and_given_up(seen or {}, floor_seq, delivered_seq,
                                                  num_ack_pending, cfg.get("max_deliver"))
    unacked = sorted(pending)
    redelivered = {s: int(n) for s, n in pending.items() if int(n) > 1}
    return ConsumerSnapshot(
        name=info.get("name") or cfg.get("durable_name") or cfg.get("name", ""),
        durable=bool(cfg.get("durable_name")),
        push=bool(cfg.get("deliver_subject")),
        ack_policy=ack_policy,
        deliver_policy=cfg.get("deliver_policy", "all"),
        replay_policy=cfg.get("replay_policy", "instant"),
        filter_subjects=tuple(filters),
        delivered_stream_seq=delivered_seq,
        delivered_consumer_seq=delivered.get("consumer_seq", 0),
        ack_floor_stream_seq=floor_seq,
        ack_floor_consumer_seq=floor.get("consumer_seq", 0),
        num_ack_pending=num_ack_pending,
        num_redelivered=info.get("num_redelivered", 0),
        num_waiting=info.get("num_waiting", 0),
        num_pending=info.get("num_pending", 0),
        ack_wait=_seconds(cfg.get("ack_wait")),
        max_deliver=cfg.get("max_deliver"),
        max_ack_pending=cfg.get("max_ack_pending"),
        inactive_threshold=_seconds(cfg.get("inactive_threshold")),
        paused=bool(info.get("paused", False)),
        pause_until=parse_time(cfg.get("pause_until")),
        unacked=tuple(unacked),
        redelivered=redelivered,
        start_seq=start[0],
        start_note=start[1],
        created=parse_time(info.get("created")),
        cluster=_replicas(info),
        opt_start_seq=cfg.get("opt_start_seq"),
        opt_start_time=parse_time(cfg.get("opt_start_time")),
        acked=rec.acked.runs() if rec else (),
        terminated=rec.terminated.runs() if rec else (),
        kit_delivered=rec.delivered.runs() if rec else (),
        given_up={s: int(n) for s, n in given_up.items()},
        kit_saw_all=bool(rec and rec.saw_every_delivery(delivered.get("consumer_seq", 0))),
    )


async def _start_of(session, stream: str, info: dict, rec: ConsumerRecord | None,
                    last_seq: int) -> tuple[int | None, str]:
    """Where a consumer starts on the stream, as far as it can be proven, and how it was found.

    A consumer that has delivered nothing says it itself (its delivered stream seq is the one
    before its start); the kit remembers that from the first time it saw the consumer.
    Deliver all and by_start_sequence follow from the config; by_start_time is one lookup of
    the first message at or after the time. Deliver new, last and last_per_subject are known
    only if the kit saw the consumer before it delivered anything.
    """
    cfg = info.get("config") or {}
    name = info.get("name") or cfg.get("durable_name") or cfg.get("name", "")
    created = info.get("created")
    policy = cfg.get("deliver_policy", "all")
    delivered = info.get("delivered") or {}
    if rec is not None and rec.start is not None:
        return rec.start, rec.start_note
    if policy == "all":
        return 1, "deliver all"
    if policy == "by_start_sequence" and cfg.get("opt_start_seq"):
        return int(cfg["opt_start_seq"]), "opt_start_seq"
    if not delivered.get("consumer_seq"):
        start = int(delivered.get("stream_seq", 0)) + 1
        note = "seen before its first delivery"
    elif policy == "by_start_time" and cfg.get("opt_start_time"):
        try:
            answer = await session.request(
                f"STREAM.MSG.GET.{stream}", {"start_time": cfg["opt_start_time"]},
                operation=f"find the start of {stream}/{name}", context={"stream": stream})
            start = int(answer["message"]["seq"])
        except MessageNotFoundError:
            start = last_seq + 1
        except JslabError:
            return None, "unknown: no message at opt_start_time could be read"
        note = "first message at or after opt_start_time"
    else:
        # Deliver new/last/last_per_subject start where the stream ended when the consumer
        # was made: only a consumer seen before its first delivery says where that was.
        return None, "unknown: first seen after it had delivered"
    session.deliveries.note_start(stream, name, created, start, note)
    return start, note


async def collect_snapshot(
    session,
    stream: str,
    *,
    window: str | tuple[int, int] | None = "auto",
    detail_limit: int = 2000,
    seen: Mapping[str, Mapping[int, int]] | None = None,
) -> StreamSnapshot:
    """Snapshot ``stream`` and all its consumers through the lab's session.

    Plain acks sent so far are settled first, so the picture is true. ``window`` is "auto"
    (whole stream when it spans at most ``detail_limit`` seqs, else the last 200 seqs when
    the stream allows batched direct gets), None, or a (first, last) range whose subjects to
    load. Each consumer's deliveries the kit handed out and nobody
    answered yet come from ``session.deliveries``, unless ``seen`` gives them
    (consumer name -> {stream seq: times delivered}).

        >>> snap = await collect_snapshot(session, "ORDERS")
        >>> snap.first_seq, snap.last_seq
        (1, 3)
    """
    await session.deliveries.settle()
    info, consumers = await asyncio.gather(
        _stream_info(session, stream),
        session.paged(f"CONSUMER.LIST.{stream}", "consumers", f"list consumers of {stream}"))
    cfg = info.get("config") or {}
    state = info.get("state") or {}
    first, last = state.get("first_seq", 0), state.get("last_seq", 0)
    messages = state.get("messages", 0)
    version = session.version or (0, 0, 0)

    direct = bool(cfg.get("allow_direct")) and version >= (2, 11, 0)
    span = _resolve_window(window, first, last, messages, detail_limit, batched=direct)
    deleted = tuple(state.get("deleted") or ())
    seq_subjects: dict[int, str] = {}
    deliveries = session.deliveries
    if span is not None:
        lo, hi = span
        if direct:
            seq_subjects = await _subjects_by_direct_get(session, stream, lo, hi)
        else:
            gone = set(deleted)
            wanted = [s for s in range(lo, hi + 1) if s not in gone]
            seq_subjects = await _subjects_by_msg_get(session, stream, wanted)
        deliveries.remember_subjects(stream, seq_subjects)
    # Subjects of removed seqs the kit remembers, near the window (or the end of a purged
    # stream): the views draw them as hatched cells in their subject's colour.
    removed: list[int] = []
    if span is not None:
        gone = set(deleted)
        removed = [s for s in range(max(1, span[0] - _REMOVED_LOOKBACK), span[1] + 1)
                   if s < first or s in gone]
    elif messages == 0 and last > 0:
        removed = list(range(max(1, last - _REMOVED_LOOKBACK), last + 1))
    removed_subjects = deliveries.known_subjects(stream, removed)

    records = {}
    starts = {}
    for c in consumers:
        name = c.get("name", "")
        records[name] = deliveries.record(stream, name, c.get("created"))
        starts[name] = await _start_of(session, stream, c, records[name], last)
        if records[name] is None:
            records[name] = deliveries.record(stream, name, c.get("created"))
    if seen is None:  # after the records: a record of an older consumer drops what it saw
        seen = deliveries.seen(stream)

    return StreamSnapshot(
        name=cfg.get("name", stream),
        subjects=tuple(cfg.get("subjects") or ()),
        retention=cfg.get("retention", "limits"),
        storage=cfg.get("storage", "file"),
        discard=cfg.get("discard", "old"),
        discard_new_per_subject=bool(cfg.get("discard_new_per_subject", False)),
        max_msgs=cfg.get("max_msgs", -1),
        max_bytes=cfg.get("max_bytes", -1),
        max_age=_seconds(cfg.get("max_age", 0)) or 0.0,
        max_msgs_per_subject=cfg.get("max_msgs_per_subject", -1),
        max_msg_size=cfg.get("max_msg_size", -1),
        duplicate_window=_seconds(cfg.get("duplicate_window", 0)) or 0.0,
        num_replicas=cfg.get("num_replicas", 1),
        first_seq=first,
        last_seq=last,
        first_ts=parse_time(state.get("first_ts")),
        last_ts=parse_time(state.get("last_ts")),
        messages=messages,
        bytes=state.get("bytes", 0),
        num_deleted=state.get("num_deleted", 0),
        deleted=deleted,
        subject_counts=state.get("subjects") or {},
        consumers=tuple(
            sorted((_consumer(c, seen.get(c.get("name", "")), records[c.get("name", "")],
                              starts[c.get("name", "")]) for c in consumers),
                   key=lambda c: c.name)
        ),
        taken_at=parse_time(info.get("ts")) or datetime.now(timezone.utc),
        seq_subjects=seq_subjects,
        window=span,
        sealed=bool(cfg.get("sealed", False)),
        deny_delete=bool(cfg.get("deny_delete", False)),
        deny_purge=bool(cfg.get("deny_purge", False)),
        allow_rollup=bool(cfg.get("allow_rollup_hdrs", False)),
        compression=cfg.get("compression", "none") or "none",
        server_version=session.version_str,
        removed_subjects=removed_subjects,
        cluster=_replicas(info),
    )
