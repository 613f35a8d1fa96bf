"""Which JetStream features a server version has, so lessons can gate on them.

    >>> supports((2, 11, 0), "msg_ttl")
    True
"""

from __future__ import annotations

from .errors import ValidationError

__all__ = ["FEATURES", "parse_version", "supports"]

# feature -> (first server version that has it, what it is)
FEATURES: dict[str, tuple[tuple[int, int, int], str]] = {
    "msg_ttl": ((2, 11, 0), "per-message TTL (Nats-TTL header, allow_msg_ttl)"),
    "subject_delete_markers": ((2, 11, 0), "subject delete markers (subject_delete_marker_ttl)"),
    "consumer_pause": ((2, 11, 0), "pausing and resuming consumers"),
    "priority_groups": ((2, 11, 0), "pull consumer priority groups (overflow, pinned client)"),
    "batch_direct_get": ((2, 11, 0), "batched direct get"),
    "expected_last_subject_seq_subject": (
        (2, 11, 0), "Nats-Expected-Last-Subject-Sequence-Subject header"),
    "counters": ((2, 12, 0), "distributed counters (allow_msg_counter)"),
    "atomic_batch": ((2, 12, 0), "atomic batch publish (allow_atomic)"),
    "msg_schedules": ((2, 12, 0), "message schedules (allow_msg_schedules)"),
    "prioritized_policy": ((2, 12, 0), "the prioritized priority policy (pull priority 0-9)"),
    "consumer_reset": ((2, 14, 0), "resetting a consumer to a sequence (CONSUMER.RESET)"),
    # 2.11.x and 2.12.0-2.12.4 refuse filter_subjects that share any subject (10138); from
    # 2.12.5 only a filter inside another (or a repeated one) is refused.
    "overlapping_filter_subjects": (
        (2, 12, 5), "filter_subjects that partly overlap (a message matching two is sent once)"),
}


def parse_version(text: str) -> tuple[int, int, int]:
    """'2.11.4' or 'v2.12.0-beta.1' -> (2, 11, 4)."""
    core = text.strip().lstrip("v").split("-")[0].split("+")[0]
    parts = [*core.split("."), "0", "0"][:3]
    try:
        major, minor, patch = (int(p) for p in parts)
    except ValueError:
        raise ValidationError(f"{text!r} is not a server version like '2.11.4'.") from None
    return major, minor, patch


def supports(version: tuple[int, int, int], feature: str) -> bool:
    """True when a server of ``version`` has ``feature`` (a key of FEATURES)."""
    try:
        since, _ = FEATURES[feature]
    except KeyError:
        known = ", ".join(sorted(FEATURES))
        raise ValidationError(f"unknown feature {feature!r}; known features: {known}") from None
    return version >= since
