"""How every view writes durations, sizes, counts, sequence ranges and settings.

One place, below the views: the text rendering, the HTML, tape titles, diffs and DataFrames
all call these, so a value reads the same everywhere (``max_age`` of 90 s is ``1m30s`` in the
text, in the tape's title and in ``lab.streams()``; 1,024 bytes is ``1 KiB`` in all of them).

    >>> duration(90), size(1024), count(1234567), seq_ranges([4, 5, 6, 9])
    ('1m30s', '1 KiB', '1,234,567', '4-6, 9')
    >>> setting("max_age", 90), setting("max_bytes", -1)
    ('1m30s', 'unlimited')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["DURATIONS", "SIZES", "count", "duration", "limit_items", "seq_ranges", "setting",
           "size"]

#: Settings whose value is a duration in seconds.
DURATIONS = frozenset({"max_age", "duplicate_window", "ack_wait", "inactive_threshold",
                       "idle_heartbeat", "max_expires", "subject_delete_marker_ttl"})
#: Settings whose value is a size in bytes.
SIZES = frozenset({"max_bytes", "max_msg_size", "max_request_max_bytes", "bytes"})
#: Count settings where -1 (or 0) means "no limit".
_UNLIMITED_COUNTS = frozenset({"max_msgs", "max_msgs_per_subject", "max_deliver",
                               "max_ack_pending", "max_waiting", "max_consumers"})


def duration(seconds: float | None) -> str:
    """``1s``, ``500ms``, ``1m30s``, ``1h30m``, ``7d``: the way NATS tools write durations.

        >>> duration(90), duration(0.25), duration(5400), duration(None)
        ('1m30s', '250ms', '1h30m', '-')
    """
    if seconds is None:
        return "-"
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:g}ms" if ms >= 1 else f"{seconds * 1e6:g}µs"
    total = round(seconds, 3)
    out = []
    for unit, step in (("d", 86400), ("h", 3600), ("m", 60)):
        if total >= step:
            n = int(total // step)
            out.append(f"{n}{unit}")
            total = round(total - n * step, 3)
    if total or not out:
        out.append(f"{total:g}s")
    return "".join(out)


def size(n: float | None) -> str:
    """Bytes in binary units, at most one decimal: ``361 B``, ``1 KiB``, ``12.5 KiB``.

        >>> size(300), size(1024), size(5000), size(3 * 1024 ** 2)
        ('300 B', '1 KiB', '4.9 KiB', '3 MiB')
    """
    if n is None:
        return "-"
    n = int(n)
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1023.95 or unit == "TiB":
            text = f"{value:.1f}"
            return f"{text[:-2] if text.endswith('.0') else text} {unit}"
    raise AssertionError("unreachable")


def count(n: int | None) -> str:
    """A count with thousands separators: ``1,234,567``."""
    return "-" if n is None else f"{int(n):,}"


def seq_ranges(seqs: Iterable[int], *, limit: int = 12) -> str:
    """Sorted sequence numbers as short runs: ``4-6, 9``; long lists end in ``… (+N more)``.

        >>> seq_ranges([9, 4, 5, 6]), seq_ranges([1, 2, 5])
        ('4-6, 9', '1, 2, 5')
    """
    runs: list[tuple[int, int]] = []
    for s in sorted(set(seqs)):
        if runs and s == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], s)
        else:
            runs.append((s, s))
    return runs_text(runs, limit=limit)


def runs_text(runs: Iterable[tuple[int, int]], *, limit: int = 12) -> str:
    """``[(4, 6), (9, 9)]`` -> ``4-6, 9`` (runs sorted and not overlapping)."""
    runs = list(runs)
    parts = [str(a) if a == b else (f"{a}, {b}" if b == a + 1 else f"{a}-{b}") for a, b in runs]
    if len(parts) > limit:
        hidden = sum(b - a + 1 for a, b in runs[limit:])
        return ", ".join(parts[:limit]) + f", … (+{hidden:,} more)"
    return ", ".join(parts)


def setting(key: str, value: Any) -> str:
    """A configuration value written for people, by what the setting measures.

        >>> setting("max_age", 90), setting("max_bytes", 1024), setting("max_msgs", 1000)
        ('1m30s', '1 KiB', '1,000')
        >>> setting("max_msgs", -1), setting("discard_new_per_subject", True)
        ('unlimited', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "-"
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value) or "none"
    if key in DURATIONS:
        return duration(value) if value else ("unlimited" if key == "max_age" else "0s")
    if key in SIZES:
        return "unlimited" if value < 0 or (value == 0 and key != "bytes") else size(value)
    if key in _UNLIMITED_COUNTS and isinstance(value, int):
        return "unlimited" if value <= 0 else count(value)
    if isinstance(value, int):
        return count(value)
    return str(value)


def limit_items(limits: dict[str, Any]) -> list[tuple[str, str]]:
    """The limits that are set, formatted, in a fixed order (unlimited ones are left out).

        >>> limit_items({"max_msgs": 5, "max_bytes": -1, "max_age": 90})
        [('max_msgs', '5'), ('max_age', '1m30s')]
    """
    order = ("max_msgs", "max_msgs_per_subject", "max_bytes", "max_msg_size", "max_age")
    out = []
    for key in order:
        value = limits.get(key)
        if value is not None and not isinstance(value, bool) and value > 0:
            out.append((key, setting(key, value)))
    return out
