"""Turn friendly keyword arguments into nats-py stream and consumer configurations.

Accepts the server's field names (as nats-py spells them), plain strings for policies
(``retention="workqueue"``, ``storage="memory"``), and seconds for durations. Everything is
checked before any request, so bad input never reaches (or changes) the server.

    >>> stream_config("ORDERS", subjects=["orders.>"], max_msgs=5).max_msgs
    5
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
from enum import Enum
from typing import Any

from nats.js import api

from .errors import JslabTypeError, ValidationError
from .names import check_consumer_name, check_filter_subject, check_stream_name, check_subject

__all__ = ["consumer_config", "stream_config"]

_STREAM_FIELDS = {f.name for f in dataclasses.fields(api.StreamConfig)}
_CONSUMER_FIELDS = {f.name for f in dataclasses.fields(api.ConsumerConfig)}

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

_ENUM_FIELDS = {
    "retention": api.RetentionPolicy,
    "storage": api.StorageType,
    "discard": api.DiscardPolicy,
    "compression": api.StoreCompression,
    "deliver_policy": api.DeliverPolicy,
    "ack_policy": api.AckPolicy,
    "replay_policy": api.ReplayPolicy,
}

# Limits where -1 means "unlimited" and other negative values are mistakes.
_LIMITS = {"max_msgs", "max_bytes", "max_msgs_per_subject", "max_msg_size", "max_consumers",
           "max_deliver", "max_ack_pending", "max_waiting"}
_DURATIONS = {"max_age", "duplicate_window", "ack_wait", "inactive_threshold", "idle_heartbeat",
              "subject_delete_marker_ttl"}
_BOOLS = {"discard_new_per_subject", "sealed", "deny_delete", "deny_purge", "allow_rollup_hdrs",
          "allow_direct", "mirror_direct", "allow_msg_ttl", "no_ack", "flow_control",
          "headers_only", "mem_storage", "allow_msg_counter", "allow_atomic", "allow_msg_schedules"}
_INTS_POSITIVE = {"num_replicas", "opt_start_seq", "first_seq", "rate_limit_bps"}


def _enum(field: str, value: Any) -> Enum:
    kind = _ENUM_FIELDS[field]
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        v = value.strip().lower()
        v = _ALIASES.get(kind, {}).get(v, v)
        for member in kind:
            if member.value == v or member.name.lower() == v:
                return member
    choices = ", ".join(repr(m.value) for m in kind)
    raise ValidationError(f"{field}={value!r} is not one of {choices}.")


def _unknown(fields: set[str], key: str, what: str) -> ValidationError:
    close = difflib.get_close_matches(key, sorted(fields), n=3)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValidationError(
        f"{what} has no field {key!r}.{hint} Fields are named as the server names them "
        f"(see nats.js.api.{'StreamConfig' if what == 'a stream' else 'ConsumerConfig'})."
    )


def _check_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _ENUM_FIELDS:
        return _enum(key, value)
    if key in _LIMITS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise JslabTypeError(
                f"{key} must be an integer (-1 for unlimited), not {type(value).__name__} "
                f"{value!r}."
            )
        if value < -1 or (value == 0 and key in {"max_deliver", "max_ack_pending"}):
            raise ValidationError(
                f"{key}={value} is not a valid limit: use a positive number, or -1 for unlimited."
            )
        return value
    if key in _DURATIONS:
        if isinstance(value, _dt.timedelta):
            value = value.total_seconds()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise JslabTypeError(
                f"{key} is a duration in seconds (int, float or timedelta), not "
                f"{type(value).__name__} {value!r}. Example: {key}=30 for 30 seconds."
            )
        if value < 0:
            raise ValidationError(f"{key}={value} is negative: durations are >= 0 seconds.")
        return float(value)
    if key in _BOOLS:
        if not isinstance(value, bool):
            raise JslabTypeError(f"{key} must be True or False, not {value!r}.")
        return value
    if key in _INTS_POSITIVE:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(f"{key} must be a non-negative integer, not {value!r}.")
        return value
    return value


def stream_config(name: str, subjects: Any = None, **kwargs: Any) -> api.StreamConfig:
    """Build and check a ``StreamConfig``; raises ValidationError before any request."""
    check_stream_name(name)
    if subjects is not None:
        if isinstance(subjects, str):
            subjects = [subjects]
        subjects = list(subjects)
        for s in subjects:
            check_subject(s, what="stream subject")
    cfg: dict[str, Any] = {"name": name, "subjects": subjects}
    for key, value in kwargs.items():
        if key == "name":
            raise ValidationError("give the stream name as the first argument, not name=.")
        if key not in _STREAM_FIELDS:
            raise _unknown(_STREAM_FIELDS, key, "a stream")
        cfg[key] = _check_value(key, value)
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
    _coerce_nested(cfg)
    return api.StreamConfig(**{k: v for k, v in cfg.items() if v is not None})


def _coerce_nested(cfg: dict[str, Any]) -> None:
    """Allow plain dicts for nested configs (placement, mirror, sources, republish...)."""
    nested = {
        "placement": api.Placement, "republish": api.RePublish,
        "subject_transform": api.SubjectTransform, "mirror": api.StreamSource,
        "consumer_limits": api.StreamConsumerLimits,
    }
    for key, kind in nested.items():
        if isinstance(cfg.get(key), dict):
            cfg[key] = kind.from_response(dict(cfg[key]))
    if cfg.get("sources"):
        cfg["sources"] = [
            api.StreamSource.from_response(dict(s)) if isinstance(s, dict) else s
            for s in cfg["sources"]
        ]


def consumer_config(
    stream: str, durable: str | None = None, name: str | None = None, **kwargs: Any
) -> api.ConsumerConfig:
    """Build and check a ``ConsumerConfig`` for ``stream``."""
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
    for key, value in kwargs.items():
        if key not in _CONSUMER_FIELDS:
            raise _unknown(_CONSUMER_FIELDS, key, "a consumer")
        cfg[key] = _check_value(key, value)
    fs, fss = cfg.get("filter_subject"), cfg.get("filter_subjects")
    if fs and fss:
        raise ValidationError(
            "filter_subject and filter_subjects are mutually exclusive: put every subject in "
            "filter_subjects=[...]."
        )
    if fs:
        check_filter_subject(fs)
    if fss:
        if isinstance(fss, str):
            fss = cfg["filter_subjects"] = [fss]
        for s in fss:
            check_filter_subject(s)
    backoff = cfg.get("backoff")
    if backoff is not None:
        if not isinstance(backoff, (list, tuple)) or not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and b > 0 for b in backoff
        ):
            raise ValidationError(
                f"backoff={backoff!r} must be a list of positive durations in seconds, e.g. "
                "backoff=[1, 5, 30]."
            )
        cfg["backoff"] = [float(b) for b in backoff]
    if isinstance(cfg.get("opt_start_time"), str):
        cfg["opt_start_time"] = _dt.datetime.fromisoformat(cfg["opt_start_time"])
    return api.ConsumerConfig(**{k: v for k, v in cfg.items() if v is not None})
