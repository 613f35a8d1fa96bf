"""A stream snapshot as plain text: the numbers, and a small ASCII tape when it fits.

Deterministic on purpose (notebook outputs are compared run to run): no clocks, no
durations measured at run time; only the configuration's own values and the server's counts.

    >>> print(render_text(snap))
    Stream ORDERS  (orders.>)
    ...
"""

from __future__ import annotations

from collections.abc import Iterable

from ..snapshot import ConsumerSnapshot, StreamSnapshot

__all__ = [
    "CONSUMER_LEGEND",
    "TAPE_LEGEND",
    "TAPE_MAX",
    "compact_ranges",
    "config_items",
    "consumer_marks",
    "format_bytes",
    "format_duration",
    "render_text",
    "subject_matches",
    "tape_lines",
]

TAPE_MAX = 60  # at most this many sequences get one character each
SUBJECTS_SHOWN = 20
TAPE_LEGEND = "letters = subject, . = gap (deleted or removed)"
CONSUMER_LEGEND = (
    "= acked  | ack floor  * awaiting ack  R redelivered (awaiting ack)",
    "^ last delivered (when not awaiting ack)  + acked out of order",
    "? not known if acked  blank: not delivered",
)


def compact_ranges(seqs: Iterable[int], *, limit: int = 12) -> str:
    """Sorted seqs as short runs: ``4-6, 9``; long lists end in ``… (+N more)``.

        >>> compact_ranges([9, 4, 5, 6])
        '4-6, 9'
    """
    items = sorted(set(seqs))
    runs: list[tuple[int, int]] = []
    for s in items:
        if runs and s == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], s)
        else:
            runs.append((s, s))
    parts = [str(a) if a == b else (f"{a}, {b}" if b == a + 1 else f"{a}-{b}") for a, b in runs]
    if len(parts) > limit:
        hidden = sum(b - a + 1 for a, b in runs[limit:])
        return ", ".join(parts[:limit]) + f", … (+{hidden} more)"
    return ", ".join(parts)


def format_duration(seconds: float | None) -> str:
    """``1s``, ``500ms``, ``2m``, ``1h30m``, ``7d``: the way NATS tools write durations."""
    if seconds is None:
        return "-"
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:g}ms" if ms >= 1 else f"{seconds * 1e6:g}µs"
    total = round(seconds, 3)
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if total >= size:
            n = int(total // size)
            out.append(f"{n}{unit}")
            total -= n * size
    if total or not out:
        out.append(f"{total:g}s")
    return "".join(out)


def format_bytes(n: int) -> str:
    """``361 B``, ``12.5 KiB``, ``3.0 MiB``."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    units = ("KiB", "MiB", "GiB", "TiB")
    for i, unit in enumerate(units):
        value /= 1024
        if value < 1024 or i == len(units) - 1:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def subject_matches(subject: str, pattern: str) -> bool:
    """NATS subject matching: ``*`` is one token, ``>`` one or more trailing tokens."""
    toks, pats = subject.split("."), pattern.split(".")
    for i, p in enumerate(pats):
        if p == ">":
            return len(toks) > i
        if i >= len(toks) or (p != "*" and p != toks[i]):
            return False
    return len(toks) == len(pats)


def config_items(snap: StreamSnapshot) -> list[tuple[str, str]]:
    """The policies, and the limits that are set (unlimited ones are left out)."""
    items = [("retention", snap.retention), ("storage", snap.storage), ("discard", snap.discard)]
    if snap.discard_new_per_subject:
        items.append(("discard_new_per_subject", "true"))
    for key, value in (("max_msgs", snap.max_msgs), ("max_msgs_per_subject",
                       snap.max_msgs_per_subject)):
        if value is not None and value > 0:
            items.append((key, f"{value:,}"))
    for key, value in (("max_bytes", snap.max_bytes), ("max_msg_size", snap.max_msg_size)):
        if value is not None and value > 0:
            items.append((key, format_bytes(value)))
    if snap.max_age:
        items.append(("max_age", format_duration(snap.max_age)))
    if snap.duplicate_window and abs(snap.duplicate_window - 120) > 1e-9:
        items.append(("duplicate_window", format_duration(snap.duplicate_window)))
    if snap.num_replicas > 1:
        items.append(("replicas", str(snap.num_replicas)))
    if snap.compression and snap.compression != "none":
        items.append(("compression", snap.compression))
    for key, flag in (("sealed", snap.sealed), ("deny_delete", snap.deny_delete),
                      ("deny_purge", snap.deny_purge), ("allow_rollup", snap.allow_rollup)):
        if flag:
            items.append((key, "true"))
    return items


def _pending_known(c: ConsumerSnapshot) -> bool:
    """True when the kit knows exactly which seqs await an ack."""
    return len(c.unacked) == c.num_ack_pending


def consumer_marks(snap: StreamSnapshot, c: ConsumerSnapshot, lo: int, hi: int) -> str:
    """One character per seq lo..hi saying where ``c`` stands on it (see TAPE_LEGEND)."""
    pending = set(c.unacked)
    known = _pending_known(c)
    floor, delivered = c.ack_floor_stream_seq, c.delivered_stream_seq
    out = []
    for seq in range(lo, hi + 1):
        subject = snap.seq_subjects.get(seq)
        relevant = subject is not None and (
            not c.filter_subjects or any(subject_matches(subject, f) for f in c.filter_subjects)
        )
        if seq == delivered and seq not in pending:
            ch = "^"
        elif seq == floor and floor < delivered:
            ch = "|"
        elif not relevant or seq > delivered:
            ch = " "
        elif seq in pending:
            ch = "R" if seq in c.redelivered else "*"
        elif seq <= floor or c.ack_policy == "none":
            ch = "="
        else:
            ch = "+" if known else "?"
        out.append(ch)
    return "".join(out)


def _ruler(lo: int, hi: int) -> str:
    """Sequence numbers above the tape: the first one, then every multiple of 10 that fits."""
    cells = [" "] * (hi - lo + 1)
    free_from = 0
    for seq in range(lo, hi + 1):
        col = seq - lo
        if (seq == lo or seq % 10 == 0) and col >= free_from:
            label = str(seq)
            if col + len(label) > len(cells):
                continue
            cells[col : col + len(label)] = label
            free_from = col + len(label) + 1
    return "".join(cells).rstrip()


def tape_lines(snap: StreamSnapshot, *, label_width: int = 12) -> list[str]:
    """The ASCII tape (ruler, stream, one line per consumer), or [] when it does not fit."""
    if snap.window is None:
        return []
    lo, hi = snap.window
    if hi - lo + 1 > TAPE_MAX:
        return []
    letters = {s: chr(ord("a") + i) if i < 26 else "#"
               for i, s in enumerate(sorted(set(snap.seq_subjects.values())))}
    stream_line = "".join(letters[snap.seq_subjects[s]] if s in snap.seq_subjects else "."
                          for s in range(lo, hi + 1))

    def row(label: str, body: str) -> str:
        label = label if len(label) <= label_width else label[: label_width - 1] + "…"
        return f"  {label:<{label_width}} {body}".rstrip()

    lines = [f"Tape  seq {lo}..{hi}", row("seq", _ruler(lo, hi)), row("stream", stream_line)]
    lines += [row(c.name, consumer_marks(snap, c, lo, hi)) for c in snap.consumers]
    key = ", ".join(f"{ch}={s}" for s, ch in letters.items())
    lines.append(f"  subjects: {key}")
    lines.append(f"  {TAPE_LEGEND}")
    if snap.consumers:
        lines += [f"  {line}" for line in CONSUMER_LEGEND]
    return lines


def _consumer_lines(snap: StreamSnapshot, c: ConsumerSnapshot) -> list[str]:
    kind = ("push" if c.push else "pull") + (" durable" if c.durable else " ephemeral")
    head = [f"  {c.name}  ({kind}, ack {c.ack_policy}, deliver {c.deliver_policy})"]
    rows: list[tuple[str, str]] = [("filter", c.filter_label)]
    rows.append(("ack floor", f"stream seq {c.ack_floor_stream_seq}, "
                              f"consumer seq {c.ack_floor_consumer_seq}"))
    rows.append(("delivered", f"stream seq {c.delivered_stream_seq}, "
                              f"consumer seq {c.delivered_consumer_seq}"))
    pending = str(c.num_ack_pending)
    if c.unacked:
        where = compact_ranges(c.unacked)
        pending += f"  seqs {where}" if _pending_known(c) else f"  (seen: {where})"
    rows.append(("ack pending", pending))
    redelivered = str(c.num_redelivered)
    if c.redelivered:
        redelivered += "  " + ", ".join(f"{s} (x{n})" for s, n in sorted(c.redelivered.items()))
    rows.append(("redelivered", redelivered))
    rows.append(("waiting pulls", str(c.num_waiting)))
    rows.append(("unprocessed", str(c.num_pending)))
    # pause_until is usually "now + something", so the time itself is left to the HTML title.
    rows.append(("paused", "yes" if c.paused else "no"))
    limits = []
    if c.ack_wait is not None and c.ack_policy != "none":
        limits.append(f"ack_wait={format_duration(c.ack_wait)}")
    if c.max_deliver is not None and c.max_deliver > 0:
        limits.append(f"max_deliver={c.max_deliver}")
    if c.max_ack_pending is not None and c.max_ack_pending > 0:
        limits.append(f"max_ack_pending={c.max_ack_pending:,}")
    if c.inactive_threshold:
        limits.append(f"inactive_threshold={format_duration(c.inactive_threshold)}")
    if limits:
        rows.append(("limits", " ".join(limits)))
    return head + [f"    {k:<14}{v}" for k, v in rows]


def render_text(snap: StreamSnapshot, *, width: int = 72) -> str:
    """The snapshot as deterministic plain text, about ``width`` columns wide.

        >>> print(render_text(lab.snapshot("ORDERS")))
    """
    subjects = ", ".join(snap.subjects) or "no subjects"
    lines = [f"Stream {snap.name}  ({subjects})"]
    lines += _wrap([f"{k}={v}" for k, v in config_items(snap)], width, indent="  ")
    if snap.messages:
        where = f"seq {snap.first_seq}..{snap.last_seq}"
    else:
        where = f"empty (last seq {snap.last_seq})"
    lines.append(f"  {where}  messages {snap.messages:,}  bytes {format_bytes(snap.bytes)}")
    if snap.num_deleted or snap.deleted:
        shown = compact_ranges(snap.deleted) if snap.deleted else "not listed"
        lines.append(f"  deleted {shown}  ({snap.num_deleted} seqs)")

    counts = sorted(snap.subject_counts.items())
    lines.append(f"Subjects ({len(counts)})")
    if counts:
        name_w = min(max(len(s) for s, _ in counts[:SUBJECTS_SHOWN]), width - 16)
        for s, n in counts[:SUBJECTS_SHOWN]:
            s = s if len(s) <= name_w else s[: name_w - 1] + "…"
            lines.append(f"  {s:<{name_w}}  {n:>8,}")
        if len(counts) > SUBJECTS_SHOWN:
            rest = sum(n for _, n in counts[SUBJECTS_SHOWN:])
            lines.append(f"  … {len(counts) - SUBJECTS_SHOWN} more subjects ({rest:,} messages)")

    tape = tape_lines(snap)
    if tape:
        lines += tape

    lines.append(f"Consumers ({len(snap.consumers)})")
    for c in snap.consumers:
        lines += _consumer_lines(snap, c)
    return "\n".join(lines)


def _wrap(words: list[str], width: int, *, indent: str) -> list[str]:
    lines: list[str] = []
    current = indent
    for w in words:
        if current.strip() and len(current) + 2 + len(w) > width:
            lines.append(current)
            current = indent
        current += ("  " if current.strip() else "") + w
    if current.strip():
        lines.append(current)
    return lines
