"""A live ipywidgets dashboard of one stream: the tape, counters and controls.

Displayed once; a background thread then only sets widget traits (the image bytes, the
counters' HTML, the status line), which is the thread-safe way to update a widget. Buttons run
on the kernel thread and call the lab directly. It stops on ``stop()`` or ``lab.close()``.

    >>> dash = dashboard(lab, "ORDERS", consumer="shipping")
    >>> dash                          # last line of a cell: shows the live widget
"""

from __future__ import annotations

import html
import io
import threading
from typing import Any

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg

from .. import formatting, names
from ..errors import ValidationError
from ._background import LabThread
from .tape import tape
from .text import render_text

__all__ = ["Dashboard", "dashboard"]

STATUS_COLORS = {"running": "#2e7d32", "paused": "#8a6d00", "error": "#c62828",
                 "stopped": "#5f6b76"}
BROWSE_LIMIT = 200  # messages shown at once by the browser


class Dashboard(LabThread):
    """Live view and controls for ``stream``; ``.widget`` is the ipywidgets VBox.

        >>> dash = Dashboard(lab, "ORDERS", every=0.5)
        >>> dash.publish_button.click()     # what the Publish button does, from code
    """

    def __init__(self, lab, stream: str, *, every: float = 0.5,
                 consumer: str | None = None) -> None:
        names.check_stream_name(stream)
        if consumer is not None:
            names.check_consumer_name(consumer)
        if isinstance(every, bool) or not isinstance(every, (int, float)) or every <= 0:
            raise ValidationError(f"every is seconds between refreshes (> 0), not {every!r}.")
        lab.session.check_open()
        self.lab = lab
        self.stream = stream
        self.every = float(every)
        self.batch: Any = None  # the last fetched batch: Ack all / Nak / Term act on it
        self.snapshot: Any = None
        self.state = "running"
        self.error: str | None = None  # the last refresh failed
        self._failure: str | None = None  # the last control failed
        self._note = ""
        self._refresh_lock = threading.Lock()
        self._build(consumer)
        self.refresh()  # synchronously: a wrong stream name fails in the calling cell
        if consumer is not None and consumer not in self.consumer_dropdown.options:
            known = ", ".join(self.consumer_dropdown.options) or "none"
            raise ValidationError(f"stream {stream!r} has no consumer {consumer!r} (consumers: "
                                  f"{known}). Create it with lab.add_consumer first.")
        self._start_thread(f"jslab-dashboard-{stream}")

    # ------------------------------------------------------------------ widgets
    def _build(self, consumer: str | None) -> None:
        self.title = widgets.HTML(f"<b>Stream {html.escape(self.stream)}</b>")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.counters = widgets.HTML()
        self.counters.add_class("jslab-counters")
        self.status = widgets.HTML()
        self.status.add_class("jslab-status")

        self.publish_count = widgets.IntText(value=10, description="N",
                                             layout=widgets.Layout(width="140px"))
        self.publish_subject = widgets.Text(value=self._default_subject(), description="subject",
                                            layout=widgets.Layout(width="260px"))
        self.publish_button = _button("Publish", "jslab-publish", "publish N messages",
                                      self._on_publish)

        self.consumer_dropdown = widgets.Dropdown(options=[], description="consumer",
                                                  layout=widgets.Layout(width="260px"))
        self._wanted_consumer = consumer
        self.fetch_count = widgets.IntText(value=5, description="N",
                                           layout=widgets.Layout(width="140px"))
        self.fetch_button = _button("Fetch", "jslab-fetch", "fetch N messages and keep them",
                                    self._on_fetch)
        self.ack_button = _button("Ack all", "jslab-ack", "acknowledge the fetched batch",
                                  self._on_ack)
        self.nak_button = _button("Nak", "jslab-nak", "redeliver the fetched batch", self._on_nak)
        self.term_button = _button("Term", "jslab-term", "stop redelivering the fetched batch",
                                   self._on_term)
        self.pause_toggle = widgets.ToggleButton(value=False, description="Pause",
                                                 tooltip="pause or resume the live refresh")
        self.pause_toggle.add_class("jslab-pause")
        self.pause_toggle.observe(self._on_pause, names="value")

        self.browse_from = widgets.IntText(value=1, description="from seq",
                                           layout=widgets.Layout(width="170px"))
        self.browse_to = widgets.IntText(value=20, description="to seq",
                                         layout=widgets.Layout(width="170px"))
        self.browse_subject = widgets.Text(value="", placeholder="all subjects",
                                           description="subject",
                                           layout=widgets.Layout(width="260px"))
        self.browse_button = _button("Show", "jslab-browse", "show the stored messages",
                                     self._on_browse)
        self.browser = widgets.HTML()
        self.browser.add_class("jslab-browser")

        self.widget = widgets.VBox([
            self.title, self.status, self.image, self.counters,
            widgets.HBox([self.publish_count, self.publish_subject, self.publish_button]),
            widgets.HBox([self.consumer_dropdown, self.fetch_count, self.fetch_button,
                          self.ack_button, self.nak_button, self.term_button]),
            widgets.HBox([self.pause_toggle]),
            widgets.HBox([self.browse_from, self.browse_to, self.browse_subject,
                          self.browse_button]),
            self.browser,
        ])
        self.widget.add_class("jslab-dashboard")
        self._update_batch_buttons()

    def _default_subject(self) -> str:
        try:
            info = self.lab.api(f"STREAM.INFO.{self.stream}")
        except Exception:
            return ""
        for s in (info.get("config") or {}).get("subjects") or [self.stream]:
            # A concrete subject for the Publish box: wildcards replaced by a word.
            return ".".join("new" if t in ("*", ">") else t for t in s.split("."))
        return ""

    # ------------------------------------------------------------------ refresh
    def refresh(self) -> None:
        """Take a snapshot and update the picture and counters (what the thread does)."""
        with self._refresh_lock:
            try:
                snap = self.lab.snapshot(self.stream)
                png = _png(snap)
            except Exception as e:
                self.error = str(e)
                self._set_status()
                raise
            self.snapshot = snap
            self.error = None
            self.image.value = png
            self.counters.value = _counters_html(snap)
            self._update_consumers(snap)
            self._set_status()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if self.pause_toggle.value:
                continue
            if self.lab.closed:
                break
            try:
                self.refresh()
            except Exception:  # shown in the status line; never printed from this thread
                continue
        self.state = "stopped"
        self._set_status()

    def _update_consumers(self, snap) -> None:
        options = tuple(c.name for c in snap.consumers)
        if tuple(self.consumer_dropdown.options) != options:
            current = self.consumer_dropdown.value
            self.consumer_dropdown.options = options
            want = current if current in options else self._wanted_consumer
            if want in options:
                self.consumer_dropdown.value = want
            elif options:
                self.consumer_dropdown.value = options[0]
        self.fetch_button.disabled = not options

    def _set_status(self) -> None:
        failure = self.error or self._failure
        state = "error" if failure and self.state == "running" else self.state
        text = {"running": f"live, refreshing every {self.every:g} s",
                "paused": "paused (press Pause again to resume)",
                "stopped": "stopped",
                "error": f"error: {failure}"}[state]
        note = f" — {self._note}" if self._note else ""
        self.status.value = (
            f'<span class="jslab-state-{state}" style="color:{STATUS_COLORS[state]}">'
            f"● {html.escape(text + note)}</span>")

    def _update_batch_buttons(self) -> None:
        empty = not self.batch
        for b in (self.ack_button, self.nak_button, self.term_button):
            b.disabled = empty

    # ------------------------------------------------------------------ controls
    def _act(self, what, note) -> None:
        """Run a control on the kernel thread; show failures in the status line."""
        try:
            self._note = what() or note
            self._failure = None
        except Exception as e:
            # Kept until the next control is used (a refresh must not hide it).
            self._failure = str(e)
            self._note = ""
        self._update_batch_buttons()
        try:
            self.refresh()
        except Exception:
            pass
        self._set_status()

    def _on_publish(self, _button=None) -> None:
        def go() -> str:
            n, subject = int(self.publish_count.value), self.publish_subject.value.strip()
            if n < 1:
                raise ValidationError(f"N is the number of messages to publish (>= 1), not {n}.")
            start = (self.snapshot.last_seq if self.snapshot else 0) + 1
            r = self.lab.publish_many(subject, [{"n": start + i} for i in range(n)],
                                      progress=False)
            return f"published {r.count} to {subject} (seq {r.first_seq}..{r.last_seq})"
        self._act(go, "")

    def _on_fetch(self, _button=None) -> None:
        def go() -> str:
            consumer = self.consumer_dropdown.value
            if not consumer:
                raise ValidationError(f"stream {self.stream} has no consumer to fetch from.")
            if self.batch:
                # Unacknowledged messages stay pending on the server; keep them reachable.
                raise ValidationError("ack, nak or term the fetched batch before fetching more.")
            self.batch = self.lab.fetch(self.stream, consumer, int(self.fetch_count.value),
                                        wait=0.2)
            if not self.batch:
                self.batch = None
                return f"{consumer}: nothing to fetch"
            return f"{consumer} fetched seq {formatting.seq_ranges(self.batch.seqs)}"
        self._act(go, "")

    def _settle(self, kind: str) -> str:
        if not self.batch:
            raise ValidationError("no fetched batch: press Fetch first.")
        batch, self.batch = self.batch, None
        getattr(batch, kind)()
        return f"{kind} seq {formatting.seq_ranges(batch.seqs)}"

    def _on_ack(self, _button=None) -> None:
        self._act(lambda: self._settle("ack"), "")

    def _on_nak(self, _button=None) -> None:
        self._act(lambda: self._settle("nak"), "")

    def _on_term(self, _button=None) -> None:
        self._act(lambda: self._settle("term"), "")

    def _on_pause(self, change) -> None:
        if self.state in ("running", "paused"):
            self.state = "paused" if change["new"] else "running"
        self.pause_toggle.description = "Resume" if change["new"] else "Pause"
        self._set_status()

    def _on_browse(self, _button=None) -> None:
        def go() -> str:
            lo, hi = int(self.browse_from.value), int(self.browse_to.value)
            if lo < 1 or hi < lo:
                raise ValidationError(f"sequence range {lo}..{hi} is empty: use 1 <= from <= to.")
            subject = self.browse_subject.value.strip() or None
            df = self.lab.messages(self.stream, subject=subject, start=lo,
                                   limit=min(hi - lo + 1, BROWSE_LIMIT))
            df = df[df["seq"] <= hi]
            self.browser.value = _browser_html(df)
            return f"showing {len(df)} messages"
        self._act(go, "")

    # ------------------------------------------------------------------ lifecycle, display
    def stop(self) -> None:
        """Stop refreshing (safe to call twice; ``lab.close()`` calls it too)."""
        super().stop()
        self.state = "stopped"

    def summary(self) -> str:
        """One deterministic line: the stream header and its counts at the last refresh."""
        snap = self.snapshot
        if snap is None:
            return f"<Dashboard {self.stream}>"
        head = render_text(snap).splitlines()[0]
        return (f"<Dashboard {head}: seq {snap.first_seq}..{snap.last_seq}, "
                f"{snap.messages} messages, {len(snap.consumers)} consumers>")

    def __repr__(self) -> str:
        return self.summary()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle = dict(bundle)
        bundle["text/plain"] = self.summary()
        return bundle


def dashboard(lab, stream: str, *, every: float = 0.5, consumer: str | None = None) -> Dashboard:
    """A live dashboard of ``stream`` (see `Dashboard`).

        >>> dashboard(lab, "ORDERS", consumer="shipping")
    """
    return Dashboard(lab, stream, every=every, consumer=consumer)


def _button(description: str, css: str, tooltip: str, on_click) -> widgets.Button:
    b = widgets.Button(description=description, tooltip=tooltip)
    b.add_class(css)
    b.on_click(on_click)
    return b


def _png(snap) -> bytes:
    fig = tape(snap)
    FigureCanvasAgg(fig)  # render off-screen whatever backend pyplot uses
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, facecolor="white")
    return buf.getvalue()


def _counters_html(snap) -> str:
    def cell(v: Any) -> str:
        return f'<td style="text-align:right;padding:0 8px">{html.escape(str(v))}</td>'

    head = ("<tr><th style='text-align:left'>consumer</th><th>ack floor</th><th>delivered</th>"
            "<th>ack pending</th><th>unprocessed</th></tr>")
    rows = "".join(
        f"<tr class='jslab-consumer' data-consumer='{html.escape(c.name, quote=True)}'>"
        f"<td>{html.escape(c.name)}</td>{cell(c.ack_floor_stream_seq)}"
        f"{cell(c.delivered_stream_seq)}{cell(c.num_ack_pending)}{cell(c.num_pending)}</tr>"
        for c in snap.consumers
    )
    replicas = ""
    if snap.cluster is not None:
        replicas = (f"<div class='jslab-replicas'>R{snap.num_replicas} · "
                    f"{html.escape(snap.cluster.describe(snap.last_seq))}</div>")
    return (
        replicas +
        f"<div><span class='jslab-messages'>messages <b>{snap.messages}</b></span> · "
        f"<span class='jslab-first-seq'>first seq <b>{snap.first_seq}</b></span> · "
        f"<span class='jslab-last-seq'>last seq <b>{snap.last_seq}</b></span></div>"
        f"<table>{head}{rows}</table>"
    )


def _browser_html(df) -> str:
    if not len(df):
        return "<pre>no messages in that range</pre>"
    lines = []
    for row in df.itertuples(index=False):
        hdr = f"  headers={row.headers!r}" if row.headers else ""
        lines.append(f"#{row.seq:<6} {row.subject:<24} {row.data!r}{hdr}")
    return f"<pre>{html.escape(chr(10).join(lines))}</pre>"
