"""Timelines: what happened to each message, drawn against time.

A *delivery timeline* has one row per stream sequence of one consumer: every delivery
(numbered 1, 2, 3... by the server's delivery count), every answer (ack, ack_sync, nak with
its delay, in_progress, term), the ack wait window after each delivery (``ack_wait``, or the
``backoff`` step for that delivery) and "given up" once ``max_deliver`` is reached. When no
answer comes, the window's bar ends where the redelivery starts: that is the explanation.

A *publish timeline* has one row per message id: each publish at its time, stored or answered
"duplicate", and the stream's duplicate window after every stored copy, so a repeat after the
window, stored again, is visible.

Both are built from plain data (no server here) and show themselves in Jupyter as a PNG with a
text summary; the text is deterministic (order, counts and configured durations, no measured
times) so notebooks can compare it, and ``text(times=True)`` adds the measured times.

    >>> tl = delivery_timeline(events, stream="ORDERS", consumer="worker", ack_wait=0.5,
    ...                        backoff=None, max_deliver=-1, now=now)
    >>> print(tl)                 # seq 1: delivered #1, no answer within ack_wait 500ms, ...
    >>> tl.figure.savefig("deliveries.png"); tl.frame
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..formatting import duration
from .figures import new_figure

__all__ = ["MAX_ROWS", "Mark", "Span", "Timeline", "delivery_timeline", "publish_timeline"]

#: Rows drawn at most (the newest are kept; pass ``seqs=`` to choose others).
MAX_ROWS = 40
# Marks in one row closer than this share of the time axis are drawn side by side, in order.
_MIN_SEP = 0.028

TEXT = "#1f2d3d"
MUTED = "#5f6b76"
LIFELINE = "#c3c9cf"

# kind -> (legend label, matplotlib marker style); the legend lists only kinds present. The
# colours of term and given up are those of the tape's terminated and given-up cells.
_MARKS: dict[str, tuple[str, dict[str, Any]]] = {
    "delivered": ("delivered (number = delivery count)",
                  {"marker": "o", "markersize": 14, "color": "#4e79a7",
                   "markeredgecolor": "white", "markeredgewidth": 1.0}),
    "ack": ("ack", {"marker": "$✓$", "markersize": 13, "color": "#2e8b3a"}),
    "ack_sync": ("ack_sync (confirmed ack)",
                 {"marker": "$✓✓$", "markersize": 22, "color": "#2e8b3a"}),
    "nak": ("nak (send it again)", {"marker": "$↺$", "markersize": 13, "color": "#d9730d"}),
    "in_progress": ("in_progress (restarts the window)",
                    {"marker": "|", "markersize": 15, "markeredgewidth": 2.6,
                     "color": "#2a8c87"}),
    "term": ("term (never again)", {"marker": "$⊘$", "markersize": 13, "color": "#4b5563"}),
    "term_advisory": ("term (server advisory)",
                      {"marker": "$⊘$", "markersize": 13, "color": "#8a949e"}),
    "given_up": ("given up: max_deliver reached",
                 {"marker": "$⊗$", "markersize": 14, "color": "#a86a93"}),
    "given_up_advisory": ("given up (server's MAX_DELIVERIES advisory)",
                          {"marker": "$⊗$", "markersize": 14, "color": "#6d2b57"}),
    "stored": ("stored (number = stream seq)",
               {"marker": "o", "markersize": 14, "color": "#4e79a7",
                "markeredgecolor": "white", "markeredgewidth": 1.0}),
    "duplicate": ("duplicate: not stored (number = the seq it repeats)",
                  {"marker": "o", "markersize": 14, "color": "white",
                   "markeredgecolor": "#c0392b", "markeredgewidth": 1.6}),
}
_NUMBER_INK = {"delivered": "white", "stored": "white", "duplicate": "#c0392b"}

# span kind -> (legend label, facecolor, edgecolor, hatch)
_SPANS: dict[str, tuple[str, str, str, str | None]] = {
    "window": ("ack wait window (no answer: redelivered at its end)", "#d6e6f5", "#8fb3d9",
               None),
    "backoff": ("backoff window (no answer: redelivered at its end)", "#d6e6f5", "#8fb3d9",
                None),
    "nak_delay": ("nak delay (held back, then redelivered)", "#fde3c8", "#f28e2b", "////"),
    "dup_window": ("duplicate window (same id dropped)", "#e6dcef", "#b07aa1", None),
}


@dataclass(frozen=True)
class Mark:
    """One event on a row: ``kind`` (see ``_MARKS``), its ``time`` and ``number`` (delivery
    count or stream sequence); ``data`` is its row in the frame."""

    row: Any
    time: _dt.datetime
    kind: str
    number: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """A stretch of time on a row: a window or a delay, with a short label. ``starts`` and
    ``ends`` are the marks it begins and ends at (None: it ran its full length)."""

    row: Any
    start: _dt.datetime
    end: _dt.datetime
    kind: str
    label: str = ""
    starts: Mark | None = field(default=None, repr=False, compare=False)
    ends: Mark | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class _Row:
    key: Any
    label: str
    tokens: tuple[tuple[str, _dt.datetime | None], ...]
    state: str


class Timeline:
    """Rows of events against time, as a figure (``.figure``), a frame and a text summary.

    ``str()`` / text/plain is deterministic: order, counts and configured durations; measured
    times are in the figure, in ``.frame`` and in ``text(times=True)``.
    """

    def __init__(self, *, kind: str, title: str, subtitle: str, header: str,
                 rows: Sequence[_Row], marks: Sequence[Mark], spans: Sequence[Span],
                 columns: Sequence[str], footer: Sequence[str] = ()) -> None:
        self.kind = kind
        self.title = title
        self.subtitle = subtitle
        self.header = header
        self.rows = tuple(rows)
        self.marks = tuple(marks)
        self.spans = tuple(spans)
        self.footer = tuple(footer)
        self._columns = tuple(columns)
        times = [m.time for m in self.marks]
        self.t0: _dt.datetime | None = min(times) if times else None
        self._figure: Any = None

    # ------------------------------------------------------------------ data
    @property
    def states(self) -> dict[Any, str]:
        """Each row's last state, e.g. ``{1: "acked", 2: "given up"}``."""
        return {r.key: r.state for r in self.rows}

    def seconds(self, when: _dt.datetime) -> float:
        """Seconds from the first event shown to ``when``."""
        return (when - self.t0).total_seconds() if self.t0 is not None else 0.0

    @property
    def frame(self):
        """The events as a pandas DataFrame, oldest first (``t``: seconds since the first)."""
        import pandas as pd

        rows = [{"time": m.time, "t": self.seconds(m.time), **m.data} for m in self.marks]
        df = pd.DataFrame(rows, columns=["time", "t", *self._columns])
        df["time"] = pd.to_datetime(df["time"], utc=True)
        df["t"] = df["t"].astype("float64")
        for col in df.columns:
            if col in ("seq", "num_delivered"):
                df[col] = df[col].astype("Int64")
            elif col in ("delay", "wait"):
                df[col] = df[col].astype("float64")
        return df.sort_values(["time", "t"], kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ text
    def text(self, *, times: bool = False) -> str:
        """The summary; ``times=True`` adds when each event happened (seconds, 0.1 s)."""
        lines = [self.header, self.subtitle] if self.subtitle else [self.header]
        if not self.rows:
            lines.append("  (nothing recorded)")
        for r in self.rows:
            parts = []
            for text, when in r.tokens:
                parts.append(f"{text} at {self.seconds(when):.1f}s"
                             if times and when is not None else text)
            lines.append(f"  {r.label}: " + ", ".join(parts))
        lines.extend(self.footer)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Timeline {self.title}: {len(self.rows)} rows, {len(self.marks)} events>"

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(repr(self) if cycle else self.text())

    # ------------------------------------------------------------------ picture
    @property
    def figure(self):
        """The matplotlib figure (drawn once)."""
        if self._figure is None:
            self._figure = _draw(self)
        return self._figure

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=100, facecolor="white")
        return buf.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"image/png": base64.b64encode(self._repr_png_()).decode("ascii"),
                "text/plain": self.text()}


# ---------------------------------------------------------------------------------------------
# deliveries


def _seconds_text(s: float) -> str:
    return duration(s)


def _wait_for(n: int, ack_wait: float, backoff: Sequence[float]) -> tuple[float, str, str]:
    """The ack wait after delivery ``n``: (seconds, what it is called, span kind)."""
    if backoff:
        i = min(max(n, 1) - 1, len(backoff) - 1)
        return float(backoff[i]), f"backoff[{i}] {_seconds_text(backoff[i])}", "backoff"
    return float(ack_wait), f"ack_wait {_seconds_text(ack_wait)}", "window"


def delivery_timeline(
    events: Iterable[Any], *, stream: str, consumer: str, ack_wait: float,
    backoff: Sequence[float] | None, max_deliver: int | None, now: _dt.datetime,
    ack_policy: str = "explicit", advisories: Iterable[Any] = (),
    seqs: Iterable[int] | None = None, since: _dt.datetime | None = None,
    footer: Sequence[str] = (),
) -> Timeline:
    """A Timeline from delivery events (``DeliveryEvent``) and the consumer's settings.

    ``advisories`` are ``Advisory`` tuples (kind "max_deliveries" or "terminated"); ``now``
    is when the picture is taken: a window that ran out before it is drawn as ran out.
    """
    backoff = [float(b) for b in (backoff or [])]
    max_deliver = int(max_deliver or -1)
    answers = ack_policy != "none"
    wanted = None if seqs is None else set(seqs)
    by_seq: dict[int, list[Any]] = {}
    for e in events:
        if (since is None or e.time >= since) and (wanted is None or e.seq in wanted):
            by_seq.setdefault(e.seq, []).append(e)
    adv_by_seq: dict[int, list[Any]] = {}
    for a in advisories:
        if (since is None or a.time >= since) and (wanted is None or a.seq in wanted):
            adv_by_seq.setdefault(a.seq, []).append(a)
    keys = sorted(set(by_seq) | set(adv_by_seq))
    hidden = max(0, len(keys) - MAX_ROWS)
    keys = keys[hidden:]

    rows, marks, spans = [], [], []
    for seq in keys:
        row = _delivery_row(seq, by_seq.get(seq, []), adv_by_seq.get(seq, []), ack_wait=ack_wait,
                            backoff=backoff, max_deliver=max_deliver, now=now, answers=answers)
        rows.append(row[0])
        marks.extend(row[1])
        spans.extend(row[2])

    deliveries = sum(m.kind == "delivered" for m in marks)
    redeliveries = sum(m.kind == "delivered" and (m.number or 0) > 1 for m in marks)
    counts = [f"{len(rows)} message{'s' if len(rows) != 1 else ''}",
              f"{deliveries} deliver{'ies' if deliveries != 1 else 'y'}"
              + (f" ({redeliveries} of them redeliveries)" if redeliveries else "")]
    for state in ("acked", "terminated", "given up"):
        n = sum(r.state == state for r in rows)
        if n:
            counts.append(f"{n} {state}")
    header = f"Deliveries of {stream} to {consumer}: " + ", ".join(counts)
    settings = []
    if answers:
        settings.append(f"ack_wait {_seconds_text(ack_wait)}")
    if backoff:
        settings.append("backoff " + ", ".join(_seconds_text(b) for b in backoff))
    settings.append(f"max_deliver {max_deliver if max_deliver > 0 else 'unlimited'}")
    if ack_policy != "explicit":
        settings.append(f"ack_policy {ack_policy}")
    notes = list(footer)
    if hidden:
        notes.insert(0, f"  ({hidden} earlier messages not shown; pass seqs= to choose)")
    if ack_policy == "all":
        notes.insert(0, "  (ack_policy all: an ack also acknowledges every earlier delivery)")
    return Timeline(kind="deliveries", title=f"Deliveries: {stream} › {consumer}",
                    subtitle="  consumer: " + ", ".join(settings), header=header, rows=rows,
                    marks=sorted(marks, key=lambda m: m.time), spans=spans,
                    columns=("seq", "kind", "num_delivered", "delay", "wait", "source"),
                    footer=notes)


def _delivery_row(seq: int, events: list[Any], advisories: list[Any], *, ack_wait: float,
                  backoff: list[float], max_deliver: int, now: _dt.datetime,
                  answers: bool) -> tuple[_Row, list[Mark], list[Span]]:
    events = sorted(events, key=lambda e: e.time)  # stable: same-instant events keep order
    marks: list[Mark] = []
    spans: list[Span] = []
    tokens: list[tuple[str, _dt.datetime | None]] = []
    state = "delivered"
    cur: dict[str, Any] | None = None  # the delivery in flight

    def mark(when, kind, n=None, *, delay=None, wait=None, source="kit") -> Mark:
        m = Mark(seq, when, kind, n, {
            "seq": seq, "kind": kind.replace("_advisory", ""), "num_delivered": n,
            "delay": delay, "wait": wait, "source": source})
        marks.append(m)
        return m

    def close_window(until: _dt.datetime, by: Mark | None = None, *,
                     redelivered: bool = False) -> None:
        """The current delivery's window, up to an answer or a redelivery (at most its end).

        A redelivery with no answer before it means the window ran out, even when the kit's
        clock saw it a few ms early (it stamps a delivery when the fetch returns)."""
        if cur is None or not answers or cur["closed"]:
            return
        end = cur["start"] + _dt.timedelta(seconds=cur["wait"])
        ran_out = redelivered or until >= end
        # Labelled only when it ran out: an answer or in_progress ended it before.
        spans.append(Span(seq, cur["start"], end if ran_out else until, cur["span"],
                          cur["label"] if ran_out else "", starts=cur["mark"],
                          ends=None if ran_out else by))
        cur["closed"] = True

    def give_up(when: _dt.datetime, n: int) -> None:
        nonlocal state
        tokens.append((f"given up (max_deliver {max_deliver})", when))
        mark(when, "given_up", n, source="max_deliver")
        state = "given up"

    for e in events:
        n = e.num_delivered
        if e.kind == "delivered":
            wait, label, span = _wait_for(n, ack_wait, backoff)
            m = mark(e.time, "delivered", n, wait=wait if answers else None)
            if cur is not None and cur["answer"] is None and answers:
                close_window(e.time, m, redelivered=True)
                tokens.append((f"no answer within {cur['label']}", None))
            cur = {"n": n, "start": e.time, "wait": wait, "label": label, "span": span,
                   "answer": None, "closed": False, "mark": m}
            tokens.append((f"delivered #{n}", e.time))
            state = "delivered"
        elif e.kind == "in_progress":
            m = mark(e.time, "in_progress", n)
            if cur is not None:
                close_window(e.time, m)
                cur.update(start=e.time, closed=False, mark=m)
            if tokens and tokens[-1][0].startswith("in_progress"):
                text = tokens[-1][0]
                count = int(text.split("×")[1]) + 1 if "×" in text else 2
                tokens[-1] = (f"in_progress ×{count}", tokens[-1][1])
            else:
                tokens.append(("in_progress", e.time))
        else:  # ack, ack_sync, nak, term
            delay = e.delay if e.kind == "nak" else None
            m = mark(e.time, e.kind, n, delay=delay)
            close_window(e.time, m)
            if cur is not None:
                cur["answer"] = e.kind
            text = f"nak(delay {_seconds_text(delay)})" if delay else e.kind
            tokens.append((text, e.time))
            if delay:
                spans.append(Span(seq, e.time, e.time + _dt.timedelta(seconds=delay), "nak_delay",
                                  f"delay {_seconds_text(delay)}", starts=m))
            state = {"ack": "acked", "ack_sync": "acked", "term": "terminated"}.get(
                e.kind, "nak'ed: redelivery pending")
            if e.kind == "nak" and 0 < max_deliver <= n:
                give_up(e.time, n)

    if cur is not None and cur["answer"] is None and answers:
        end = cur["start"] + _dt.timedelta(seconds=cur["wait"])
        close_window(end)
        if end <= now:
            tokens.append((f"no answer within {cur['label']}", None))
            if 0 < max_deliver <= cur["n"]:
                give_up(end, cur["n"])
            else:
                state = "window ran out: redelivered on the next fetch"
        else:
            state = "awaiting an answer"
    if cur is not None and not answers:
        state = "delivered (ack_policy none)"

    for a in sorted(advisories, key=lambda a: a.time):
        if a.kind == "max_deliveries":
            known = [i for i, m in enumerate(marks) if m.kind == "given_up"]
            if known:  # the server's own word: move the mark to when it said so
                old = marks.pop(known[0])
                marks.append(Mark(seq, a.time, "given_up_advisory", old.number,
                                  {**old.data, "source": "advisory"}))
                tokens = [(t, a.time if t.startswith("given up") else w) for t, w in tokens]
            else:
                tokens.append((f"given up after {a.deliveries} deliveries (advisory)", a.time))
                mark(a.time, "given_up_advisory", a.deliveries, source="advisory")
            state = "given up"
        elif a.kind == "terminated" and not any(m.kind == "term" for m in marks):
            reason = f" ({a.reason})" if a.reason else ""
            tokens.append((f"term{reason} (advisory)", a.time))
            mark(a.time, "term_advisory", a.deliveries, source="advisory")
            state = "terminated"
    if not events:
        state = state if advisories else "nothing recorded"
    return _Row(seq, f"seq {seq}", tuple(tokens), state), marks, spans


# ---------------------------------------------------------------------------------------------
# publishes and the duplicate window


def publish_timeline(records: Iterable[Any], *, stream: str, duplicate_window: float) -> Timeline:
    """A Timeline of publishes: ``records`` have ``time``, ``msg_id`` (None: no id), ``seq``,
    ``duplicate`` and ``subject``. The window is drawn after every stored copy of an id."""
    records = sorted(records, key=lambda r: r.time)
    rows: dict[Any, list[Any]] = {}
    for r in records:
        rows.setdefault(r.msg_id, []).append(r)
    keys = list(rows)[-MAX_ROWS:]
    hidden = len(rows) - len(keys)
    out_rows, marks, spans = [], [], []
    window = _dt.timedelta(seconds=duplicate_window)
    for key in keys:
        tokens: list[tuple[str, _dt.datetime | None]] = []
        last_stored = None
        for r in rows[key]:
            kind = "duplicate" if r.duplicate else "stored"
            if r.duplicate:
                tokens.append((f"duplicate of seq {r.seq}", r.time))
            elif key is not None and last_stored is not None:
                after = " (after the window)" if r.time - last_stored >= window else ""
                tokens.append((f"stored again as seq {r.seq}{after}", r.time))
            else:
                tokens.append((f"stored as seq {r.seq}", r.time))
            m = Mark(key, r.time, kind, r.seq, {
                "msg_id": key, "kind": kind, "seq": r.seq, "subject": r.subject})
            marks.append(m)
            if not r.duplicate:
                last_stored = r.time
                if key is not None and duplicate_window > 0:
                    spans.append(Span(key, r.time, r.time + window, "dup_window",
                                      f"window {_seconds_text(duplicate_window)}", starts=m))
        stored = sum(not r.duplicate for r in rows[key])
        state = f"stored {stored}×" if stored != 1 else "stored once"
        label = "(no msg id)" if key is None else key
        out_rows.append(_Row(key, label, tuple(tokens), state))
    dups = sum(m.kind == "duplicate" for m in marks)
    header = (f"Publishes to {stream}: {len(marks)} publish{'es' if len(marks) != 1 else ''}, "
              f"{len(marks) - dups} stored, {dups} duplicate{'s' if dups != 1 else ''}")
    footer = [f"  ({hidden} earlier message ids not shown)"] if hidden else []
    return Timeline(kind="publishes", title=f"Publishes to {stream}",
                    subtitle=f"  stream: duplicate_window {_seconds_text(duplicate_window)}",
                    header=header, rows=out_rows, marks=marks, spans=spans,
                    columns=("msg_id", "kind", "seq", "subject"), footer=footer)


# ---------------------------------------------------------------------------------------------
# drawing


def _display_x(tl: Timeline) -> tuple[dict[int, float], float, bool]:
    """x of every mark (seconds), nudged apart in its row when they would overlap."""
    xs = [tl.seconds(m.time) for m in tl.marks] + [tl.seconds(s.end) for s in tl.spans]
    extent = max([*xs, 0.0]) - min([*xs, 0.0])
    sep = max(extent, 0.2) * _MIN_SEP
    out: dict[int, float] = {}
    nudged = False
    last: dict[Any, float] = {}
    for i, m in enumerate(tl.marks):  # marks are in time order
        x = tl.seconds(m.time)
        prev = last.get(m.row)
        if prev is not None and x < prev + sep:
            nudged = nudged or (x < prev + sep * 0.5)
            x = prev + sep
        out[i] = last[m.row] = x
    return out, sep, nudged


def _draw(tl: Timeline):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    n = max(len(tl.rows), 1)
    label_in = 1.25 if tl.kind == "deliveries" else min(
        2.6, 0.6 + 0.075 * max((len(r.label) for r in tl.rows), default=8))
    width, top_in, bottom_in, row_in = 10.0, 0.98, 0.62, 0.5
    kinds_marks = sorted({m.kind for m in tl.marks}, key=list(_MARKS).index)
    kinds_spans = sorted({s.kind for s in tl.spans}, key=list(_SPANS).index)
    longest = max([len(_MARKS[k][0]) for k in kinds_marks]
                  + [len(_SPANS[k][0]) for k in kinds_spans], default=0)
    legend_cols = 3 if longest <= 30 else 2  # long labels: two columns, so none is cut off
    legend_rows = -(-(len(kinds_marks) + len(kinds_spans)) // legend_cols)
    legend_in = 0.22 * legend_rows + 0.12
    height = top_in + n * row_in + bottom_in + legend_in
    fig = new_figure(width, height)
    ax = fig.add_axes((label_in / width, (bottom_in + legend_in) / height,
                       1 - (label_in + 0.3) / width, n * row_in / height))
    ax.set_facecolor("white")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#b0b7bf")
    ax.tick_params(axis="x", labelsize=8, colors=MUTED, length=3)
    ax.tick_params(axis="y", length=0, labelsize=9, labelcolor=TEXT)
    x0 = min(label_in, 1.0) / width
    fig.text(x0, 1 - 0.25 / height, tl.title, fontsize=11, fontweight="bold", color=TEXT,
             va="center")
    fig.text(x0, 1 - 0.5 / height, tl.header.split(": ", 1)[-1], fontsize=9, color=TEXT,
             va="center")
    fig.text(x0, 1 - 0.72 / height, tl.subtitle.strip(), fontsize=8.5, color=MUTED,
             va="center")

    index = {r.key: i for i, r in enumerate(tl.rows)}
    xs, sep, nudged = _display_x(tl)

    # A bar starts at the mark that opened it and ends at the mark that closed it, as drawn;
    # one that ran its full length keeps its true end: where the redelivery it explains came.
    drawn = {id(m): xs[i] for i, m in enumerate(tl.marks)}

    def bar(s: Span) -> tuple[float, float]:
        a = drawn.get(id(s.starts), tl.seconds(s.start))
        b = drawn.get(id(s.ends), tl.seconds(s.end))
        return a, max(a, b)

    bars = [bar(s) for s in tl.spans]
    right = max([*xs.values(), *(b for _, b in bars), 0.0])
    pad = max(right, 0.2) * 0.04
    lo, hi = -pad - sep * 0.5, right + pad + sep * 0.5
    ax.set_xlim(lo, hi)
    per_char = (hi - lo) * 0.058 / (width - label_in - 0.3)  # seconds per character of label
    for r in tl.rows:  # a thin line through each row's life
        y = index[r.key]
        row_x = [xs[i] for i, m in enumerate(tl.marks) if m.row == r.key]
        row_x += [x for s, ab in zip(tl.spans, bars, strict=True) if s.row == r.key for x in ab]
        if row_x:
            ax.plot([min(row_x), max(row_x)], [y, y], color=LIFELINE, linewidth=1.0, zorder=1)
    for s, (a, b) in zip(tl.spans, bars, strict=True):
        y = index[s.row]
        _, face, edge, hatch = _SPANS[s.kind]
        ax.add_patch(Rectangle((a, y - 0.2), max(b - a, 1e-6), 0.4, facecolor=face,
                               edgecolor=edge, hatch=hatch, linewidth=0.8, zorder=2,
                               gid=f"span:{s.kind}"))
        if s.label and b - a >= len(s.label) * per_char * 0.7:
            ax.text(b, y - 0.24, s.label, ha="right", va="bottom", fontsize=7, color=MUTED,
                    zorder=3, clip_on=False, gid="span-label")
    for i, m in enumerate(tl.marks):
        y = index[m.row]
        ax.plot([xs[i]], [y], linestyle="none", zorder=5, gid=f"mark:{m.kind}",
                **_MARKS[m.kind][1])
        ink = _NUMBER_INK.get(m.kind)
        if ink and m.number is not None:
            ax.text(xs[i], y, str(m.number), ha="center", va="center", zorder=6,
                    fontsize=7 if m.number < 100 else 5.5, fontweight="bold", color=ink)

    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(range(len(tl.rows)), [_clip(r.label, 30) for r in tl.rows])
    if not tl.rows:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "nothing recorded yet", transform=ax.transAxes, ha="center",
                va="center", color=MUTED, style="italic", fontsize=9)
    ax.grid(axis="x", color="#eef0f2", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    what = "event" if tl.kind == "deliveries" else "publish"
    xlabel = f"seconds since the first {what} shown"
    if nudged:
        xlabel += "   (marks closer in time than the drawing allows are set side by side, in order)"
    ax.set_xlabel(xlabel, fontsize=8, color=MUTED, labelpad=3)

    handles, labels = [], []
    for k in kinds_marks:
        label, style = _MARKS[k]
        handles.append(Line2D([], [], linestyle="none", **style))
        labels.append(label)
    for k in kinds_spans:
        label, face, edge, hatch = _SPANS[k]
        handles.append(Patch(facecolor=face, edgecolor=edge, hatch=hatch))
        labels.append(label)
    if handles:
        leg = fig.legend(handles, labels, loc="lower left", ncols=legend_cols, frameon=False,
                         fontsize=8, bbox_to_anchor=(0.01, 0.04 / height), handlelength=2.2,
                         columnspacing=1.6, labelcolor=TEXT)
        leg.set_gid("key")
    return fig


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
