"""The facilitator's view: every participant's progress, read live from the workshop server.

    >>> board = ProgressBoard(load_workshop("workshop"))     # logs in as the facilitator
    >>> print(board.read())                                  # one table, deterministic text
    >>> board.live(every=2)                                  # a widget refreshed in place

Streams, consumers and messages of each account come from the system account
(``$SYS.REQ.ACCOUNT.<account>.JSZ``), connections from ``$SYS.REQ.ACCOUNT.<account>.CONNZ``. The
exercise checks run as each participant (the workshop folder has their passwords), so they see
exactly what the participant's own ``jslab.check.ex`` sees. A participant's streams are emptied
at the start of every notebook, so the board remembers every check it has seen pass.
"""

from __future__ import annotations

import html
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .._binary import ServerError
from .accounts import Workshop

__all__ = ["LiveBoard", "ParticipantRow", "ProgressBoard", "ProgressTable"]

BOARD_CLIENT_NAME = "jslab-workshop-board"  # its connections are not counted as online
_SHOWN_IDS = 6  # exercise ids listed per row (the latest ones); the count says the rest


@dataclass(frozen=True)
class ParticipantRow:
    """One participant at one refresh."""

    participant: str
    online: int  # client connections of the account (boards not counted)
    streams: tuple[str, ...]
    consumers: int
    messages: int
    passed: tuple[str, ...]  # exercise ids seen passing since the board started


@dataclass(frozen=True)
class ProgressTable:
    """Every participant's row; ``str()`` is a deterministic text table, ``to_dataframe()``."""

    rows: tuple[ParticipantRow, ...]
    exercises: int  # how many exercises there are (0 when checks were not run)

    _HEAD = ("participant", "online", "streams", "consumers", "messages", "passed", "exercises",
             "streams present")

    def _cells(self, row: ParticipantRow) -> tuple[str, ...]:
        ids = list(row.passed)
        shown = " ".join(ids[-_SHOWN_IDS:]) if ids else "-"
        if len(ids) > _SHOWN_IDS:
            shown = "… " + shown
        total = str(len(ids)) if self.exercises else "-"
        present = ", ".join(row.streams) or "-"
        if len(present) > 40:
            present = present[:39] + "…"
        return (row.participant, str(row.online), str(len(row.streams)), str(row.consumers),
                f"{row.messages:,}", total, shown, present)

    def text(self) -> str:
        table = [self._HEAD, *(self._cells(r) for r in self.rows)]
        widths = [max(len(line[i]) for line in table) for i in range(len(self._HEAD))]
        right = {1, 2, 3, 4, 5}

        def fmt(line: tuple[str, ...]) -> str:
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(line, widths, strict=True))).rstrip()

        done = sum(1 for r in self.rows if r.passed)
        head = (f"workshop progress: {len(self.rows)} participants, {done} of them passed an "
                "exercise" if self.exercises else
                f"workshop progress: {len(self.rows)} participants (exercise checks not run)")
        return "\n".join([head, *map(fmt, table)])

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in self._HEAD)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in self._cells(r)) + "</tr>"
            for r in self.rows
        )
        first = esc(self.text().splitlines()[0])
        return (f'<div class="jslab-ws"><div class="jslab-ws-head">{first}</div>'
                f'<table class="jslab-ws-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>")

    def to_dataframe(self):
        """One row per participant (pandas)."""
        import pandas as pd

        return pd.DataFrame(
            [{"participant": r.participant, "online": r.online, "streams": len(r.streams),
              "consumers": r.consumers, "messages": r.messages, "passed": len(r.passed),
              "exercises": " ".join(r.passed), "stream_names": ", ".join(r.streams)}
             for r in self.rows]
        )


class ProgressBoard:
    """Reads every participant's progress from the workshop server (see the module docstring).

        >>> board = ProgressBoard(ws, url="nats://127.0.0.1:4222")
        >>> board.read().to_dataframe()
    """

    def __init__(self, workshop: Workshop, url: str | None = None, *, checks: bool = True,
                 timeout: float = 5.0, workers: int = 16):
        from ..entry import connect

        self.workshop = workshop
        self.url = url or workshop.local_url
        self.checks = checks
        self.timeout = timeout
        self.workers = max(1, int(workers))
        self._sys = connect(self.url, timeout=timeout, name=BOARD_CLIENT_NAME,
                            **workshop.facilitator)
        self._labs: dict[str, Any] = {}
        self._passed: dict[str, set[str]] = {p.name: set() for p in workshop.participants}
        self._lock = threading.Lock()
        self._live: list[LiveBoard] = []
        self.closed = False

    # -- reading --------------------------------------------------------------------------

    def _sys_request(self, subject: str, payload: dict) -> dict:
        reply = self._sys.request(subject, payload, timeout=self.timeout)
        data = reply.data
        if not isinstance(data, dict) or "error" in data:
            error = data.get("error") if isinstance(data, dict) else data
            raise ServerError(f"the server answered {subject} with {error!r}: is this the "
                              "workshop's server, and the facilitator's password current?")
        return data.get("data") or {}

    def _lab(self, name: str):
        lab = self._labs.get(name)
        if lab is None or lab.closed:
            from ..entry import connect

            lab = connect(self.url, timeout=self.timeout, name=BOARD_CLIENT_NAME,
                          **self.workshop.credentials(name))
            self._labs[name] = lab
        return lab

    def _check(self, name: str, ids: list[str]) -> set[str]:
        from .. import check

        lab = self._lab(name)
        return {eid for eid in ids if check.ex(eid, lab).passed}

    def read(self) -> ProgressTable:
        """One refresh: a ProgressTable of every participant."""
        with self._lock:
            if self.closed:
                raise ServerError("this progress board is closed; create a new one.")
            names = [p.name for p in self.workshop.participants]
            # Connections of boards (this one's or another facilitator's) are not participants.
            conns = {name: sum(1 for c in self._sys_request(f"$SYS.REQ.ACCOUNT.{name}.CONNZ",
                                                            {}).get("connections") or []
                               if c.get("name") != BOARD_CLIENT_NAME)
                     for name in names}
            jsz = {name: self._sys_request(f"$SYS.REQ.ACCOUNT.{name}.JSZ",
                                           {"streams": True, "consumer": True})
                   for name in names}
            ids: list[str] = []
            if self.checks:
                from .. import check

                ids = list(check.exercises())
                with ThreadPoolExecutor(self.workers, thread_name_prefix="jslab-ws") as pool:
                    for name, passed in zip(names, pool.map(lambda n: self._check(n, ids), names),
                                            strict=True):
                        self._passed[name] |= passed
            rows = []
            for name in names:
                detail = jsz[name].get("stream_detail") or []
                streams = tuple(sorted(s.get("name", "?") for s in detail))
                consumers = sum(len(s.get("consumer_detail") or []) for s in detail)
                messages = sum(int((s.get("state") or {}).get("messages", 0)) for s in detail)
                rows.append(ParticipantRow(name, max(0, conns.get(name, 0)), streams,
                                           consumers, messages,
                                           tuple(sorted(self._passed[name]))))
            return ProgressTable(tuple(rows), len(ids))

    def live(self, every: float = 2.0) -> LiveBoard:
        """A widget that refreshes the table every ``every`` seconds until ``stop()``."""
        view = LiveBoard(self, every)
        self._live.append(view)
        return view

    def close(self) -> None:
        """Stop live views and log out of every connection. Safe to call twice."""
        for view in self._live:
            view.stop()
        with self._lock:
            self.closed = True
            for lab in self._labs.values():
                lab.close()
            self._labs.clear()
            self._sys.close()

    def __enter__(self) -> ProgressBoard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<ProgressBoard {len(self.workshop.participants)} participants at {self.url}"
                f"{' (closed)' if self.closed else ''}>")


_STATUS = {"running": "#2e7d32", "error": "#c62828", "stopped": "#5f6b76"}


class LiveBoard:
    """The board as an ipywidgets HTML table, refreshed in place by a background thread.

    Displayed once; the thread only sets the widgets' ``value`` (the thread-safe way).

        >>> view = board.live(every=2)
        >>> view                 # last line of a cell
        >>> view.stop()
    """

    def __init__(self, board: ProgressBoard, every: float = 2.0):
        import ipywidgets as widgets

        if isinstance(every, bool) or not isinstance(every, (int, float)) or every <= 0:
            raise ValueError(f"every is seconds between refreshes (> 0), not {every!r}.")
        self.board = board
        self.every = float(every)
        self.table: ProgressTable | None = None
        self.refreshes = 0
        self.state = "running"
        self.html = widgets.HTML()
        self.status = widgets.HTML()
        self.widget = widgets.VBox([self.html, self.status])
        self._stop = threading.Event()
        self.refresh()  # synchronously: a wrong URL or password fails in the calling cell
        self._thread = threading.Thread(target=self._run, name="jslab-workshop-board",
                                        daemon=True)
        self._thread.start()

    def refresh(self) -> None:
        try:
            table = self.board.read()
        except Exception as e:  # shown in the widget; the next refresh tries again
            self.state = "error"
            self._set_status(f"refresh failed: {type(e).__name__}: {e}")
            return
        self.table = table
        self.refreshes += 1
        self.state = "running"
        self.html.value = table._repr_html_()
        self._set_status(f"refreshed at {time.strftime('%H:%M:%S')}, every {self.every:g} s")

    def _set_status(self, text: str) -> None:
        color = _STATUS.get(self.state, "#5f6b76")
        self.status.value = (f'<span class="jslab-ws-status" style="color:{color}">'
                             f"{html.escape(text)}</span>")

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.refresh()

    def stop(self) -> None:
        """Stop refreshing (safe to call twice)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self.board.timeout * 3 + 10)
        self.state = "stopped"
        self._set_status("stopped")

    def summary(self) -> str:
        ws = self.board.workshop
        return (f"<live workshop board: {len(ws.participants)} participants, refreshed every "
                f"{self.every:g} s>")

    def __repr__(self) -> str:
        return self.summary()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = self.summary()
        return bundle
