"""A stream snapshot as plain text: the numbers, and a small ASCII tape when it fits.

Deterministic on purpose (notebook outputs are compared run to run): no clocks, no
durations measured at run time; only the configuration's own values and the server's counts.

    >>> print(render_text(snap))
    Stream ORDERS  (orders.>)
    ...
"""

from __future__ import annotations

from .. import formatting
from ..snapshot import ConsumerSnapshot, StreamSnapshot
from ..states import STATES

__all__ = [
    "TAPE_MAX",
    "config_items",
    "consumer_marks",
    "render_text",
    "tape_legend",
    "tape_lines",
]

TAPE_MAX = 60  # at most this many sequences get one character each
SUBJECTS_SHOWN = 20


def config_items(snap: StreamSnapshot) -> list[tuple[str, str]]:
    """The policies, and the limits that are set (unlimited ones are left out)."""
    items = [("retention", snap.retention), ("storage", snap.storage), ("discard", snap.discard)]
    if snap.discard_new_per_subject:
        items.append(("discard_new_per_subject", "true"))
    items += formatting.limit_items({
        "max_msgs": snap.max_msgs, "max_msgs_per_subject": snap.max_msgs_per_subject,
        "max_bytes": snap.max_bytes, "max_msg_size": snap.max_msg_size, "max_age": snap.max_age,
    })
    if snap.duplicate_window and abs(snap.duplicate_window - 120) > 1e-9:
        items.append(("duplicate_window", formatting.duration(snap.duplicate_window)))
    if snap.num_replicas > 1:
        items.append(("replicas", str(snap.num_replicas)))
    if snap.compression and snap.compression != "none":
        items.append(("compression", snap.compression))
    for key, flag in (("sealed", snap.sealed), ("deny_delete", snap.deny_delete),
                      ("deny_purge", snap.deny_purge), ("allow_rollup", snap.allow_rollup)):
        if flag:
            items.append((key, "true"))
    return items


def consumer_marks(snap: StreamSnapshot, c: ConsumerSnapshot, lo: int, hi: int) -> str:
    """One character per seq lo..hi: the consumer's state there (see `jslab.states.STATES`);
    blank after the stream's last seq."""
    out = [" "] * (hi - lo + 1)
    for run in snap.consumer_states(c, lo, hi):
        ch = STATES[run.state].char
        for seq in range(run.first, run.last + 1):
            out[seq - lo] = ch
    return "".join(out)


def tape_legend(snap: StreamSnapshot, lo: int, hi: int, *, width: int = 72) -> list[str]:
    """The key of the text tape: only the characters that appear in it."""
    present = set()
    for c in snap.consumers:
        present.update(run.state for run in snap.consumer_states(c, lo, hi))
    words = [f"{st.char} {st.label}" for name, st in STATES.items() if name in present]
    return _wrap(words, width - 2, indent="  ", sep="   ")


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


def tape_lines(snap: StreamSnapshot, *, label_width: int = 12, width: int = 72) -> list[str]:
    """The ASCII tape (ruler, stream, one line per consumer), or [] when it does not fit."""
    span = snap.state_range
    if span is None:
        return []
    lo, hi = span
    if hi - lo + 1 > TAPE_MAX:
        return []
    letters = {s: chr(ord("a") + i) if i < 26 else "#"
               for i, s in enumerate(sorted(set(snap.seq_subjects.values())))}
    stream_line = "".join(letters[snap.seq_subjects[s]] if s in snap.seq_subjects else
                          ("." if s <= snap.last_seq else " ") for s in range(lo, hi + 1))

    def row(label: str, body: str) -> str:
        label = label if len(label) <= label_width else label[: label_width - 1] + "…"
        return f"  {label:<{label_width}} {body}".rstrip()

    lines = [f"Tape  seq {lo}..{hi}", row("seq", _ruler(lo, hi)), row("stream", stream_line)]
    lines += [row(c.name, consumer_marks(snap, c, lo, hi)) for c in snap.consumers]
    words = [f"{ch}={s}" for s, ch in letters.items()] or ["none stored"]
    words[0] = f"subjects: {words[0]}"
    if "." in stream_line:
        words.append(". removed")
    lines += _wrap(words, width - 2, indent="  ", sep="  ")
    lines += tape_legend(snap, lo, hi, width=width)
    return lines


def start_text(c: ConsumerSnapshot) -> str:
    """Where a consumer starts, and how the kit knows (or that it does not)."""
    if c.start_seq is None:
        return "not known" + (f" ({c.start_note.removeprefix('unknown: ')})"
                              if c.start_note else "")
    return f"stream seq {c.start_seq}" + (f" ({c.start_note})" if c.start_note else "")


def _consumer_lines(snap: StreamSnapshot, c: ConsumerSnapshot) -> list[str]:
    kind = ("push" if c.push else "pull") + (" durable" if c.durable else " ephemeral")
    head = [f"  {c.name}  ({kind}, ack {c.ack_policy}, deliver {c.deliver_policy})"]
    rows: list[tuple[str, str]] = [("filter", c.filter_label)]
    if c.deliver_policy != "all":
        rows.append(("start", start_text(c)))
    rows.append(("ack floor", f"stream seq {c.ack_floor_stream_seq}, "
                              f"consumer seq {c.ack_floor_consumer_seq}"))
    rows.append(("delivered", f"stream seq {c.delivered_stream_seq}, "
                              f"consumer seq {c.delivered_consumer_seq}"))
    pending = formatting.count(c.num_ack_pending)
    if c.unacked:
        where = formatting.seq_ranges(c.unacked)
        pending += f"  seqs {where}" if c.pending_known else f"  (seen: {where})"
    rows.append(("ack pending", pending))
    redelivered = formatting.count(c.num_redelivered)
    if c.redelivered:
        redelivered += "  " + ", ".join(f"{s} (x{n})" for s, n in sorted(c.redelivered.items()))
    rows.append(("redelivered", redelivered))
    if c.given_up:
        rows.append(("given up", ", ".join(f"{s} (x{n})" for s, n in sorted(c.given_up.items()))))
    if c.terminated:
        rows.append(("terminated", formatting.runs_text(c.terminated)))
    rows.append(("waiting pulls", formatting.count(c.num_waiting)))
    rows.append(("unprocessed", formatting.count(c.num_pending)))
    # pause_until is usually "now + something", so the time itself is left to the HTML title.
    rows.append(("paused", "yes" if c.paused else "no"))
    if c.cluster is not None:
        rows.append(("replicas", c.cluster.describe()))
    limits = []
    if c.ack_wait is not None and c.ack_policy != "none":
        limits.append(f"ack_wait={formatting.duration(c.ack_wait)}")
    if c.max_deliver is not None and c.max_deliver > 0:
        limits.append(f"max_deliver={formatting.count(c.max_deliver)}")
    if c.max_ack_pending is not None and c.max_ack_pending > 0:
        limits.append(f"max_ack_pending={formatting.count(c.max_ack_pending)}")
    if c.inactive_threshold:
        limits.append(f"inactive_threshold={formatting.duration(c.inactive_threshold)}")
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
    lines.append(f"  {where}  messages {formatting.count(snap.messages)}  "
                 f"bytes {formatting.size(snap.bytes)}")
    if snap.num_deleted or snap.deleted:
        shown = formatting.seq_ranges(snap.deleted) if snap.deleted else "not listed"
        lines.append(f"  deleted {shown}  ({snap.num_deleted} seqs)")
    if snap.cluster is not None:
        lines += _wrap(replicas_words(snap), width, indent="  ", sep=" · ")

    counts = sorted(snap.subject_counts.items())
    lines.append(f"Subjects ({len(counts)})")
    if counts:
        name_w = min(max(len(s) for s, _ in counts[:SUBJECTS_SHOWN]), width - 16)
        for s, n in counts[:SUBJECTS_SHOWN]:
            s = s if len(s) <= name_w else s[: name_w - 1] + "…"
            lines.append(f"  {s:<{name_w}}  {formatting.count(n):>8}")
        if len(counts) > SUBJECTS_SHOWN:
            rest = sum(n for _, n in counts[SUBJECTS_SHOWN:])
            lines.append(f"  … {len(counts) - SUBJECTS_SHOWN} more subjects "
                         f"({formatting.count(rest)} messages)")

    tape = tape_lines(snap, width=width)
    if tape:
        lines += tape

    lines.append(f"Consumers ({len(snap.consumers)})")
    for c in snap.consumers:
        lines += _consumer_lines(snap, c)
    return "\n".join(lines)


def render_summary(snap: StreamSnapshot, *, width: int = 72) -> str:
    """A compact form: one line for the stream, the ASCII tape when it fits, one line per
    consumer (its numbers only).

        >>> print(render_summary(lab.snapshot("ORDERS")))
        ORDERS (orders.>): seq 1..4, 4 messages, 2 consumers
        ...
    """
    where = (f"seq {snap.first_seq}..{snap.last_seq}" if snap.messages
             else f"empty (last seq {snap.last_seq})")
    subjects = ", ".join(snap.subjects) or "no subjects"
    n = len(snap.consumers)
    lines = [f"{snap.name} ({subjects}): {where}, {formatting.count(snap.messages)} "
             f"message{'' if snap.messages == 1 else 's'}, {n} consumer{'' if n == 1 else 's'}"]
    if snap.cluster is not None:
        lines += _wrap(replicas_words(snap), width, indent="  ", sep=" · ")
    lines += [line for line in tape_lines(snap, width=width)[1:]]
    name_w = min(max((len(c.name) for c in snap.consumers), default=0), 16)
    for c in snap.consumers:
        name = c.name if len(c.name) <= name_w else c.name[: name_w - 1] + "…"
        lines.append(
            f"  {name:<{name_w}}  ack floor {c.ack_floor_stream_seq}, delivered "
            f"{c.delivered_stream_seq}, ack pending {c.num_ack_pending}, redelivered "
            f"{c.num_redelivered}, unprocessed {c.num_pending}")
    return "\n".join(lines)


def replicas_words(snap: StreamSnapshot) -> list[str]:
    """``R3 in cluster c1``, ``leader n2``, then each other replica with its numbers."""
    group = snap.cluster
    head = f"R{snap.num_replicas}" + (f" in cluster {group.cluster}" if group.cluster else "")
    return [head, *group.describe(snap.last_seq).split(" · ")]


def _wrap(words: list[str], width: int, *, indent: str, sep: str = "  ") -> list[str]:
    lines: list[str] = []
    current = indent
    for w in words:
        if current.strip() and len(current) + len(sep) + len(w) > width:
            lines.append(current)
            current = indent
        current += (sep if current.strip() else "") + w
    if current.strip():
        lines.append(current)
    return lines
