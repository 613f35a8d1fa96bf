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

from .errors import JslabTypeError, MessageNotFoundError, ValidationError
from .snapshot import ConsumerSnapshot, StreamSnapshot

__all__ = ["check_window", "collect_snapshot", "parse_time"]

# Concurrent STREAM.MSG.GET requests in flight when direct get is not allowed.
_MSG_GET_CHUNK = 256
_ZERO_TIME = "0001-01-01T00:00:00Z"


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


def _resolve_window(window, first: int, last: int, messages: int,
                    detail_limit: int) -> tuple[int, int] | None:
    window = check_window(window)
    if window is None or messages == 0 or last < first or detail_limit <= 0:
        return None
    if window == "auto":
        return (first, last) if last - first + 1 <= detail_limit else None
    lo, hi = window
    lo, hi = max(lo, first), min(hi, last)
    hi = min(hi, lo + detail_limit - 1)
    return (lo, hi) if lo <= hi else None


def _consumer(info: dict, seen: Mapping[int, int] | None) -> ConsumerSnapshot:
    cfg = info.get("config") or {}
    delivered = info.get("delivered") or {}
    floor = info.get("ack_floor") or {}
    filters = cfg.get("filter_subjects") or ([cfg["filter_subject"]]
                                             if cfg.get("filter_subject") else [])
    floor_seq = floor.get("stream_seq", 0)
    delivered_seq = delivered.get("stream_seq", 0)
    # A seq at or below the ack floor was acked (AckAll, or by another client).
    unacked = sorted(s for s in (seen or {}) if floor_seq < s <= delivered_seq)
    if not info.get("num_ack_pending"):
        # Nothing is pending on the server: what the kit saw was acked elsewhere, or the
        # consumer gave up on it (max_deliver reached) without moving the ack floor.
        unacked = []
    redelivered = {s: int(seen[s]) for s in unacked if int(seen[s]) > 1}
    return ConsumerSnapshot(
        name=info.get("name") or cfg.get("durable_name") or cfg.get("name", ""),
        durable=bool(cfg.get("durable_name")),
        push=bool(cfg.get("deliver_subject")),
        ack_policy=cfg.get("ack_policy", "none"),
        deliver_policy=cfg.get("deliver_policy", "all"),
        replay_policy=cfg.get("replay_policy", "instant"),
        filter_subjects=tuple(filters),
        delivered_stream_seq=delivered_seq,
        delivered_consumer_seq=delivered.get("consumer_seq", 0),
        ack_floor_stream_seq=floor_seq,
        ack_floor_consumer_seq=floor.get("consumer_seq", 0),
        num_ack_pending=info.get("num_ack_pending", 0),
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
    )


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
    (whole stream when it spans at most ``detail_limit`` seqs), None, or a (first, last)
    range whose subjects to load. Each consumer's deliveries the kit handed out and nobody
    answered yet come from ``session.deliveries``, unless ``seen`` gives them
    (consumer name -> {stream seq: times delivered}).

        >>> snap = await collect_snapshot(session, "ORDERS")
        >>> snap.first_seq, snap.last_seq
        (1, 3)
    """
    await session.deliveries.settle()
    if seen is None:
        seen = session.deliveries.seen(stream)
    info, consumers = await asyncio.gather(
        _stream_info(session, stream),
        session.paged(f"CONSUMER.LIST.{stream}", "consumers", f"list consumers of {stream}"))
    cfg = info.get("config") or {}
    state = info.get("state") or {}
    first, last = state.get("first_seq", 0), state.get("last_seq", 0)
    messages = state.get("messages", 0)
    version = session.version or (0, 0, 0)

    span = _resolve_window(window, first, last, messages, detail_limit)
    deleted = tuple(state.get("deleted") or ())
    seq_subjects: dict[int, str] = {}
    if span is not None:
        lo, hi = span
        if cfg.get("allow_direct") and version >= (2, 11, 0):
            seq_subjects = await _subjects_by_direct_get(session, stream, lo, hi)
        else:
            gone = set(deleted)
            wanted = [s for s in range(lo, hi + 1) if s not in gone]
            seq_subjects = await _subjects_by_msg_get(session, stream, wanted)

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
            sorted((_consumer(c, seen.get(c.get("name", ""))) for c in consumers),
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
    )
