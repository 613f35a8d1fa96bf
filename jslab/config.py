"""Turn friendly keyword arguments into nats-py stream and consumer configurations.

Accepts the server's field names (as nats-py spells them), plain strings for policies
(``retention="workqueue"``, ``storage="memory"``), seconds (or ``timedelta``) for durations,
``datetime`` or ISO-8601 text for times, and plain dicts for nested settings (placement,
mirror, sources, republish, subject_transform, consumer_limits). Every field is checked before
any request, so bad input never reaches (or changes) the server: an unknown field, at any
level, is refused with the closest real name, and no value is silently rounded, clamped or
reinterpreted.

    >>> stream_config("ORDERS", subjects=["orders.>"], max_msgs=5).max_msgs
    5
    >>> stream_config("ORDERS", placement={"clustr": "east"})
    Traceback (most recent call last):
    jslab.errors.ValidationError: placement has no field 'clustr'. Did you mean 'cluster'? ...

Conventions the server uses, and the kit enforces:

- limits (max_msgs, max_bytes, max_msgs_per_subject, max_msg_size, max_consumers,
  max_deliver, max_ack_pending): a positive number, or -1 for unlimited. 0 is refused: the
  server would silently read it as "unlimited" (or, for max_ack_pending, as its default 1000);
- durations are >= 0 seconds and at least 1 ns when not 0 (below that they would reach the
  server as 0, which means "no limit" or "default"); max_age and duplicate_window are 0 or at
  least 0.1 s, idle_heartbeat 0 or at least 0.1 s, subject_delete_marker_ttl 0 or at least 1 s
  (the server's own minimums);
- counts are int64 on the server (max_msg_size int32; sequences and rate_limit_bps uint64);
- a naive ``datetime`` is local time (as ``datetime.now()`` returns it), converted to UTC.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from nats.js import api

from . import arguments
from .arguments import INT32_MAX, INT64_MAX, UINT64_MAX
from .errors import JslabTypeError, ValidationError
from .names import (
    check_consumer_name,
    check_filter_subject,
    check_publish_subject,
    check_stream_name,
    check_subject,
)

__all__ = ["consumer_config", "stream_config"]

_STREAM_FIELDS = {f.name for f in dataclasses.fields(api.StreamConfig)}
_CONSUMER_FIELDS = {f.name for f in dataclasses.fields(api.ConsumerConfig)}

#: nats-server's JSMaxDescriptionLen and JSMaxMetadataLen (bytes).
MAX_DESCRIPTION_BYTES = 4 * 1024
MAX_METADATA_BYTES = 128 * 1024
#: nats-server's StreamMaxReplicas.
MAX_REPLICAS = 5

# Friendly spellings -> the server's values.
_ALIASES: dict[type[Enum], dict[str, str]] = {
    api.RetentionPolicy: {"work_queue": "workqueue", "work-queue": "workqueue", "wq": "workqueue"},
    api.DeliverPolicy: {
        "by_start_seq": "by_start_sequence",
        "start_sequence": "by_start_sequence",
        "start_time": "by_start_time",
        "last_subject": "last_per_subject",
    },
}

_ENUM_FIELDS: dict[str, type[Enum]] = {
    "retention": api.RetentionPolicy,
    "storage": api.StorageType,
    "discard": api.DiscardPolicy,
    "compression": api.StoreCompression,
    "persist_mode": api.PersistMode,
    "deliver_policy": api.DeliverPolicy,
    "ack_policy": api.AckPolicy,
    "replay_policy": api.ReplayPolicy,
}

Check = Callable[[str, Any], Any]


# --- single values ------------------------------------------------------------------------------


def _enum(field: str, value: Any) -> Enum:
    kind = _ENUM_FIELDS[field]
    if isinstance(value, kind):
        return value
    choices = ", ".join(repr(m.value) for m in kind)
    if not isinstance(value, str):
        raise JslabTypeError(
            f"{field} must be one of {choices} (a str), not {type(value).__name__} {value!r}."
        )
    v = value.strip().lower()
    v = _ALIASES.get(kind, {}).get(v, v)
    for member in kind:
        if member.value == v or member.name.lower() == v:
            return member
    close = difflib.get_close_matches(v, [m.value for m in kind], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValidationError(f"{field}={value!r} is not one of {choices}.{hint}")


def _bool(label: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise JslabTypeError(
            f"{label} must be True or False, not {type(value).__name__} {value!r}."
        )
    return value


def _text(label: str, value: Any, *, max_bytes: int | None = None, example: str = "text") -> str:
    if not isinstance(value, str):
        raise JslabTypeError(
            f"{label} must be a str, not {type(value).__name__} {value!r}. "
            f"Example: {label}={example!r}."
        )
    if max_bytes is not None and len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ValidationError(
            f"{label} is {len(value.encode('utf-8', 'surrogatepass')):,} bytes long: nats-server "
            f"accepts at most {max_bytes:,} bytes. Shorten it."
        )
    return value


def _description(label: str, value: Any) -> str:
    return _text(label, value, max_bytes=MAX_DESCRIPTION_BYTES, example="orders from the shop")


def _token(label: str, value: Any) -> str:
    """A queue group (deliver_group): one non-empty word without whitespace."""
    value = _text(label, value, example="workers")
    if not value or any(c.isspace() for c in value):
        raise ValidationError(
            f"{label}={value!r} must be a non-empty name without whitespace: it is sent as one "
            f"word of the protocol. Try {label}='workers'."
        )
    return value


def _limit(maximum: int = INT64_MAX, zero: str = "the server would read 0 as unlimited") -> Check:
    """A positive limit or -1 for unlimited; 0 is refused because the server reinterprets it."""

    def check(label: str, value: Any) -> int:
        why = zero if value == 0 and not isinstance(value, bool) else None
        return arguments.count(label, value, minimum=1, maximum=maximum, unlimited=-1, why=why)

    return check


def _natural(maximum: int = INT64_MAX, why: str | None = None) -> Check:
    def check(label: str, value: Any) -> int:
        return arguments.count(label, value, minimum=0, maximum=maximum, why=why)

    return check


def _replicas(label: str, value: Any) -> int:
    return arguments.count(
        label, value, minimum=0, maximum=MAX_REPLICAS,
        why=f"0 picks the default; a stream keeps 1 to {MAX_REPLICAS} copies of its data",
    )


def _nats_seconds(ns: int) -> float:
    """Seconds as a float that nats-py turns back into exactly `ns` (it sends int(s * 1e9))."""
    secs = ns / arguments.NS_PER_SECOND
    for _ in range(8):
        got = int(secs * arguments.NS_PER_SECOND)
        if got == ns:
            break
        secs = math.nextafter(secs, math.inf if got < ns else -math.inf)
    return secs


def _duration(zero_means: str, smallest: float | None = None, why: str | None = None) -> Check:
    def check(label: str, value: Any) -> float:
        ns = arguments.duration_ns(label, value, smallest=smallest, zero_means=zero_means, why=why)
        return _nats_seconds(ns)

    return check


def _time(label: str, value: Any) -> Any:
    return arguments.timestamp(label, value)


def _rfc3339(label: str, value: Any) -> str:
    """A time as the RFC 3339 text nats-py sends verbatim (pause_until)."""
    when = arguments.timestamp(label, value)
    return when.isoformat().replace("+00:00", "Z")


def _metadata(label: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise JslabTypeError(
            f"{label} must be a dict of str to str, not {type(value).__name__} {value!r}. "
            f"Example: {label}={{'owner': 'billing'}}."
        )
    out: dict[str, str] = {}
    size = 0
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            where = f"{label} key {k!r}" if not isinstance(k, str) else f"{label}[{k!r}]"
            bad = k if not isinstance(k, str) else v
            raise JslabTypeError(
                f"{where} is {type(bad).__name__} {_short(bad)}: metadata maps text to text "
                f"(the server stores it as JSON strings). Convert it, e.g. {{{str(k)!r}: "
                f"{str(v)!r}}}."
            )
        size += len(k.encode("utf-8", "surrogatepass")) + len(v.encode("utf-8", "surrogatepass"))
        out[k] = v
    if size > MAX_METADATA_BYTES:
        raise ValidationError(
            f"{label} holds {size:,} bytes of keys and values: nats-server accepts at most "
            f"{MAX_METADATA_BYTES:,}. Keep metadata to short labels; put data in messages."
        )
    return out


def _list(label: str, value: Any, item: Check, example: str) -> list[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise JslabTypeError(
            f"{label} must be a list, not {type(value).__name__} {_short(value)}. "
            f"Example: {label}={example}."
        )
    return [item(f"{label}[{i}]", v) for i, v in enumerate(value)]


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _subject(wildcards: bool) -> Check:
    def check(label: str, value: Any) -> str:
        if wildcards:
            return check_subject(value, wildcards=True, what=label)
        return check_publish_subject(value, what=label)

    return check


_MAPPING_FUNCTION = re.compile(r"\{\{.*?\}\}")


def _transform_dest(label: str, value: Any) -> str:
    value = _text(label, value, example="archive.>")
    # Mapping functions such as {{ partition(3,1) }} may hold spaces; the subject may not.
    if not value or any(c.isspace() for c in _MAPPING_FUNCTION.sub("", value)):
        raise ValidationError(
            f"{label}={value!r} must be a non-empty subject without whitespace outside its "
            "mapping functions (it may use the source's wildcards, '*', '>', "
            f"{{{{wildcard(1)}}}} or {{{{partition(3,1)}}}}). Try {label}='archive.>'."
        )
    return value


def _transform_src(label: str, value: Any) -> str:
    value = _text(label, value, example="orders.>")
    return check_subject(value, wildcards=True, what=label) if value else value


def _named(check: Callable[[Any], str]) -> Check:
    """A name check whose message starts with the field it came from (e.g. mirror.name)."""

    def named(label: str, value: Any) -> str:
        try:
            return check(value)
        except (ValidationError, JslabTypeError) as e:
            raise type(e)(f"{label}: {e}") from None

    return named


_stream_name = _named(check_stream_name)
_consumer_name = _named(check_consumer_name)


def _backoff_item(label: str, value: Any) -> float:
    ns = arguments.duration_ns(label, value, zero_means="no delay", why=None)
    if ns == 0:
        raise ValidationError(
            f"{label}=0: each backoff value is the delay before one redelivery and must be "
            "positive. Use seconds such as backoff=[1, 5, 30]."
        )
    return _nats_seconds(ns)


def _backoff(label: str, value: Any) -> list[float]:
    return _list(label, value, _backoff_item, "[1, 5, 30]")


def _sample_freq(label: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value}%"
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise JslabTypeError(
            f"{label} is a percentage such as '50%' or 50, not {type(value).__name__} {value!r}."
        )
    digits = text[:-1] if text.endswith("%") else text
    if not digits.isdigit() or not 0 <= int(digits) <= 100:
        raise ValidationError(
            f"{label}={value!r} is not a percentage from 0 to 100: the server samples that share "
            f"of acknowledgements for its advisories. Use e.g. {label}='50%'."
        )
    return text


# --- nested settings ------------------------------------------------------------------------------


def _nested(kind: type, checks: Mapping[str, Check], required: tuple[str, ...] = (),
            example: str = "{...}") -> Check:
    """A nested setting given as a dict (or as the nats-py object): every key checked."""

    def check(label: str, value: Any) -> Any:
        if isinstance(value, kind):
            data = {f.name: getattr(value, f.name) for f in dataclasses.fields(kind)}
        elif isinstance(value, Mapping):
            data = dict(value)
        else:
            raise JslabTypeError(
                f"{label} must be a dict, not {type(value).__name__} {_short(value)}. "
                f"Example: {label}={example}."
            )
        out: dict[str, Any] = {}
        for key, v in data.items():
            if not isinstance(key, str):
                raise JslabTypeError(f"{label} keys are field names (str), not {key!r}.")
            if key not in checks:
                raise _unknown(set(checks), key, label, nested=True)
            if v is not None:
                out[key] = checks[key](f"{label}.{key}", v)
        missing = [k for k in required if k not in out]
        if missing:
            raise ValidationError(
                f"{label} needs {' and '.join(repr(k) for k in missing)}. Example: "
                f"{label}={example}."
            )
        return kind(**out)

    return check


_TRANSFORM = _nested(api.SubjectTransform, {"src": _transform_src, "dest": _transform_dest},
                     ("src", "dest"), "{'src': 'orders.>', 'dest': 'archive.>'}")

_SOURCE = _nested(
    api.StreamSource,
    {
        "name": _stream_name,
        "opt_start_seq": _natural(UINT64_MAX),
        "opt_start_time": _time,
        "filter_subject": _subject(wildcards=True),
        "subject_transforms": lambda label, v: _list(
            label, v, _TRANSFORM, "[{'src': 'orders.>', 'dest': 'archive.>'}]"),
        "external": _nested(api.ExternalStream,
                            {"api": _subject(wildcards=False), "deliver": _text},
                            ("api",), "{'api': '$JS.hub.API'}"),
        "consumer": _nested(api.StreamConsumerSource,
                            {"name": _consumer_name, "deliver_subject": _subject(wildcards=False)},
                            ("name", "deliver_subject"),
                            "{'name': 'src', 'deliver_subject': 'deliver.src'}"),
    },
    ("name",),
    "{'name': 'ORDERS', 'filter_subject': 'orders.eu.>'}",
)

_STREAM_CHECKS: dict[str, Check] = {
    "description": _description,
    "template_owner": _text,
    "max_consumers": _limit(),
    "max_msgs": _limit(),
    "max_bytes": _limit(),
    "max_msgs_per_subject": _limit(),
    "max_msg_size": _limit(INT32_MAX),
    "max_age": _duration("no age limit", 0.1,
                         "nats-server refuses a max_age under 100 ms"),
    "duplicate_window": _duration(
        "the server's default window (2 minutes, or max_age if shorter)", 0.1,
        "nats-server refuses a duplicate window under 100 ms"),
    "subject_delete_marker_ttl": _duration(
        "no delete markers", 1.0, "nats-server refuses a delete-marker TTL under 1 second"),
    "num_replicas": _replicas,
    "first_seq": _natural(UINT64_MAX, "0 starts the stream at sequence 1"),
    "metadata": _metadata,
    "placement": _nested(api.Placement, {
        "cluster": _text,
        "tags": lambda label, v: _list(label, v, _text, "['ssd', 'eu']"),
    }, example="{'cluster': 'east', 'tags': ['ssd']}"),
    "republish": _nested(api.RePublish, {
        "src": _transform_src, "dest": _transform_dest, "headers_only": _bool,
    }, ("dest",), "{'src': 'orders.>', 'dest': 'mirror.orders.>'}"),
    "subject_transform": _TRANSFORM,
    "mirror": _SOURCE,
    "sources": lambda label, v: _list(label, v, _SOURCE, "[{'name': 'ORDERS_EU'}]"),
    "consumer_limits": _nested(api.StreamConsumerLimits, {
        "inactive_threshold": _duration("no inactivity limit"),
        "max_ack_pending": _natural(why="0 sets no limit"),
    }, example="{'max_ack_pending': 100}"),
}

_CONSUMER_CHECKS: dict[str, Check] = {
    "description": _description,
    "opt_start_seq": _natural(UINT64_MAX, "0 means no start sequence"),
    "opt_start_time": _time,
    "ack_wait": _duration("the server's default of 30 seconds"),
    "max_deliver": _limit(zero="the server would read 0 as unlimited (-1)"),
    "backoff": _backoff,
    "rate_limit_bps": _natural(UINT64_MAX, "0 means no rate limit"),
    "sample_freq": _sample_freq,
    "max_waiting": _natural(why="0 picks the server's default of 512 for pull consumers"),
    "max_ack_pending": _limit(zero="0 does not mean 'none': the server replaces it with its "
                                   "default of 1000"),
    "idle_heartbeat": _duration("no heartbeats", 0.1,
                                "nats-server refuses heartbeats more often than every 100 ms"),
    "deliver_subject": _subject(wildcards=False),
    "deliver_group": _token,
    "inactive_threshold": _duration(
        "the server's default (5 s for ephemeral consumers; durables never expire)"),
    "num_replicas": _replicas,
    "metadata": _metadata,
    "pause_until": _rfc3339,
}


def _fallback(kind: type, key: str) -> Check:
    """A check from the nats-py annotation, for fields this module does not list by name."""
    hint = typing.get_type_hints(kind).get(key)
    args = set(typing.get_args(hint)) or {hint}
    if bool in args:
        return _bool
    if int in args:
        return _natural()
    if float in args:
        return _duration("the server's default")
    if str in args:
        return _text
    return lambda label, value: value


def _check_value(kind: type, checks: Mapping[str, Check], key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _ENUM_FIELDS:
        return _enum(key, value)
    check = checks.get(key)
    if check is None:
        check = _fallback(kind, key)
    return check(key, value)


def _unknown(fields: set[str], key: str, what: str, *, nested: bool = False) -> ValidationError:
    close = difflib.get_close_matches(key, sorted(fields), n=3)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if nested:
        return ValidationError(
            f"{what} has no field {key!r}.{hint} Its fields are {', '.join(sorted(fields))}; "
            "anything else would be dropped before it reached the server."
        )
    return ValidationError(
        f"{what} has no field {key!r}.{hint} Fields are named as the server names them "
        f"(see nats.js.api.{'StreamConfig' if what == 'a stream' else 'ConsumerConfig'})."
    )


# --- builders -------------------------------------------------------------------------------------


def stream_config(name: str, subjects: Any = None, **kwargs: Any) -> api.StreamConfig:
    """Build and check a ``StreamConfig``; raises ValidationError before any request."""
    check_stream_name(name)
    if subjects is not None:
        if isinstance(subjects, str):
            subjects = [subjects]
        subjects = _list("subjects", subjects,
                         lambda label, s: check_subject(s, what="stream subject"), "['orders.>']")
        seen: set[str] = set()
        for s in subjects:
            if s in seen:
                raise ValidationError(
                    f"subjects lists {s!r} twice: nats-server refuses duplicate subjects in a "
                    "stream. List each subject once."
                )
            seen.add(s)
    cfg: dict[str, Any] = {"name": name, "subjects": subjects}
    for key, value in kwargs.items():
        if key == "name":
            raise ValidationError("give the stream name as the first argument, not name=.")
        if key not in _STREAM_FIELDS:
            raise _unknown(_STREAM_FIELDS, key, "a stream")
        cfg[key] = _check_value(api.StreamConfig, _STREAM_CHECKS, key, value)
    if cfg.get("discard_new_per_subject") and cfg.get("discard") != api.DiscardPolicy.NEW:
        raise ValidationError(
            "discard_new_per_subject=True needs discard='new' (it refuses new messages on a "
            "subject that reached max_msgs_per_subject instead of dropping old ones). "
            "Add discard='new' and max_msgs_per_subject=N."
        )
    if cfg.get("discard_new_per_subject") and (cfg.get("max_msgs_per_subject") or -1) <= 0:
        raise ValidationError(
            "discard_new_per_subject=True needs a per-subject limit: add max_msgs_per_subject=N."
        )
    compression = cfg.get("compression")
    if compression is not None and compression != api.StoreCompression.NONE and (
        cfg.get("storage") == api.StorageType.MEMORY
    ):
        raise ValidationError(
            "compression applies to file storage only: the server would accept it on a memory "
            "stream and compress nothing. Drop compression=, or use storage='file'."
        )
    return api.StreamConfig(**{k: v for k, v in cfg.items() if v is not None})


#: Pull-consumer limits the server knows and nats-py's ConsumerConfig has no field for: they
#: are checked here and sent as they are (``cfg.extra``, merged into the request).
_CONSUMER_EXTRA: dict[str, Callable[[Any], Any]] = {
    "max_batch": lambda v: arguments.count("max_batch", v, minimum=1,
                                           why="the largest batch one pull request may ask"),
    "max_bytes": lambda v: arguments.count("max_bytes", v, minimum=1,
                                           why="the most bytes one pull request may ask"),
    "max_expires": lambda v: arguments.duration_ns("max_expires", v, minimum=0.001,
                                                   why="the longest a pull request may wait"),
    # Priority groups (nats-server 2.11+): pulls name a group; the policy decides who is served.
    "priority_groups": lambda v: _priority_groups(v),
    "priority_policy": lambda v: _choice("priority_policy", v, PRIORITY_POLICIES),
    "priority_timeout": lambda v: arguments.duration_ns(
        "priority_timeout", v, minimum=0.001,
        why="how long a pinned client may stay silent before another one is pinned"),
}

#: The priority policies: overflow (served when the backlog is long enough), pinned_client
#: (one client at a time), prioritized (2.12+: the lowest priority number first).
PRIORITY_POLICIES = ("overflow", "pinned_client", "prioritized")
_GROUP_RE = re.compile(r"^[A-Za-z0-9_=/-]{1,16}$")


def check_group_name(name: Any, what: str = "group") -> str:
    """A priority group's name: 1-16 characters of letters, digits, -, _, /, =."""
    if not isinstance(name, str) or not _GROUP_RE.match(name):
        raise ValidationError(
            f"{what} {name!r} is not a priority group name: the server takes 1 to 16 letters, "
            "digits, '-', '_', '/' or '=', e.g. 'jobs'.")
    return name


def _priority_groups(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) != 1:
        raise ValidationError(
            f"priority_groups={value!r}: give a list with one group name, e.g. ['jobs'] (the "
            "server takes exactly one group per consumer).")
    return [check_group_name(value[0], "priority_groups entry")]


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValidationError(f"{name}={value!r}: choose one of {', '.join(choices)}.")
    return value


def consumer_config(
    stream: str, durable: str | None = None, name: str | None = None, **kwargs: Any
) -> api.ConsumerConfig:
    """Build and check a ``ConsumerConfig`` for ``stream``; ``.extra`` holds the server-only
    pull limits (max_batch, max_bytes, max_expires) and priority-group settings
    (priority_groups, priority_policy, priority_timeout) to merge into the request."""
    check_stream_name(stream)
    if "durable_name" in kwargs:
        durable = durable or kwargs.pop("durable_name")
    if durable is not None:
        check_consumer_name(durable)
    if name is not None:
        check_consumer_name(name)
    if durable and name and durable != name:
        raise ValidationError(
            f"durable={durable!r} and name={name!r} differ: a durable consumer's name is its "
            "durable name. Give one of them."
        )
    cfg: dict[str, Any] = {"durable_name": durable, "name": name or durable}
    extra: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in _CONSUMER_EXTRA:
            if value is not None:
                extra[key] = _CONSUMER_EXTRA[key](value)
            continue
        if key not in _CONSUMER_FIELDS:
            raise _unknown(_CONSUMER_FIELDS | set(_CONSUMER_EXTRA), key, "a consumer")
        if key in {"filter_subject", "filter_subjects", "durable_name", "name"}:
            cfg[key] = value
        else:
            cfg[key] = _check_value(api.ConsumerConfig, _CONSUMER_CHECKS, key, value)
    fs, fss = cfg.get("filter_subject"), cfg.get("filter_subjects")
    if fs and fss:
        raise ValidationError(
            "filter_subject and filter_subjects are mutually exclusive: put every subject in "
            "filter_subjects=[...]."
        )
    if fs is not None:
        check_filter_subject(fs, what="filter_subject")
    if fss is not None:
        if isinstance(fss, str):
            fss = [fss]
        cfg["filter_subjects"] = _list(
            "filter_subjects", fss, lambda label, s: check_filter_subject(s, what=label),
            "['orders.eu.>', 'orders.us.>']",
        )
    if ("priority_policy" in extra) != ("priority_groups" in extra):
        raise ValidationError(
            "priority_groups and priority_policy go together: name the group pulls must give "
            "(priority_groups=['jobs']) and how it shares out messages (priority_policy="
            "'overflow', 'pinned_client' or 'prioritized').")
    config = api.ConsumerConfig(**{k: v for k, v in cfg.items() if v is not None})
    config.extra = extra  # type: ignore[attr-defined]
    return config
